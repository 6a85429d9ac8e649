"""EME-OAEP decoding in Python, for tokens that refuse OAEP with SHA-256 (SoftHSM2 2.6.1 answers
``CKR_ARGUMENTS_BAD``): the token does raw RSA, this module removes the padding."""
from __future__ import annotations

import hashlib
import hmac

from pki.pkcs11.errors import RsaDecryptionFailed


def _mgf1(seed: bytes, length: int, hash_name: str) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.new(hash_name, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:length])


def oaep_decode(em: bytes, k: int, hash_name: str, label: bytes = b"") -> bytes:
    """EME-OAEP decoding (RFC 8017 §7.1.2) of a raw RSA result ``em`` of ``k`` bytes.

    Every check runs whatever the input, without early exits or data-dependent branches, and every
    failure raises the same :class:`RsaDecryptionFailed` (no padding oracle). Python cannot promise
    constant time, but nothing here branches on secret data before the single final decision.
    """
    hlen = hashlib.new(hash_name).digest_size
    if len(em) != k or k < 2 * hlen + 2:
        raise RsaDecryptionFailed()
    lhash = hashlib.new(hash_name, label).digest()
    y, masked_seed, masked_db = em[0], em[1:1 + hlen], em[1 + hlen:]
    seed = bytes(a ^ b for a, b in zip(masked_seed, _mgf1(masked_db, hlen, hash_name)))
    db = bytes(a ^ b for a, b in zip(masked_db, _mgf1(seed, k - hlen - 1, hash_name)))
    good = int(hmac.compare_digest(db[:hlen], lhash))
    good &= ((y - 1) >> 8) & 1                     # y == 0
    looking, index, invalid = 1, 0, 0
    for i in range(hlen, len(db)):
        b = db[i]
        is_zero = ((b - 1) >> 8) & 1
        is_one = (((b ^ 1) - 1) >> 8) & 1
        index |= (looking & is_one) * i
        invalid |= looking & (1 - is_zero) & (1 - is_one)
        looking &= 1 - is_one
    good &= (1 - looking) & (1 - invalid)
    if not good:
        raise RsaDecryptionFailed()
    return db[index + 1:]


__all__ = ["oaep_decode"]
