"""One interface for private-key operations, whether the key is a file or sits on a token.

Envelope decryption and signing call only these methods, so a key on a PKCS#11 token
(:class:`pki.pkcs11.TokenKey`) and a key read from a file (:class:`FileKey`) are interchangeable and
the private key of a token never has to leave it.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from asn1crypto import keys as akeys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from pki.errors import PkiError
from pki.keys import PrivateKey
from pki.sm2 import Sm2PrivateKey

HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
          "sha512": hashes.SHA512}


class KeyOperationError(PkiError):
    """The key refused or failed an operation (wrong key type, bad ciphertext, token error)."""

    code = "key_operation_failed"
    message = "私钥操作失败 (the key operation failed)"
    kind = "input"


class DecryptionFailed(KeyOperationError):
    """The key could not decrypt the ciphertext: wrong key or damaged data."""

    code = "decryption_failed"
    message = "解密失败，密文已损坏或密钥不对 (decryption failed: damaged ciphertext or wrong key)"
    kind = "integrity"


@runtime_checkable
class KeyOps(Protocol):
    """What a private key can do for the platform. ``algorithm`` is 'rsa', 'ec' or 'sm2'."""

    algorithm: str

    def public_key_info(self) -> akeys.PublicKeyInfo: ...

    def rsa_decrypt(self, ciphertext: bytes, *, oaep_hash: str | None) -> bytes:
        """RSA key transport: OAEP with MGF1 over ``oaep_hash`` (label empty), or PKCS#1 v1.5 if None."""

    def ecdh(self, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        """The raw ECDH shared secret (x coordinate), as CKD_NULL gives it."""

    def sm2_decrypt(self, ciphertext: bytes) -> bytes:
        """SM2 decryption of a GM/T 0009 DER SM2Cipher."""

    def sign(self, data: bytes, *, hash_algorithm: str, pss: bool = False,
             sm2_signer_id: bytes | None = b"1234567812345678") -> bytes:
        """Sign ``data`` (hashed here). RSA: PKCS#1 v1.5 or PSS (salt = hash length); ECDSA and SM2:
        DER {r, s}. For SM2, ``hash_algorithm`` must be 'sm3' and ``sm2_signer_id=None`` means
        GmSSL's flavour without Z."""


class FileKey:
    """:class:`KeyOps` over a key loaded from a file (``pki.keys.load_private_key``)."""

    def __init__(self, key: PrivateKey):
        self._key = key
        if isinstance(key, Sm2PrivateKey):
            self.algorithm = "sm2"
        elif isinstance(key, rsa.RSAPrivateKey):
            self.algorithm = "rsa"
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            self.algorithm = "ec"
        else:
            raise KeyOperationError(f"不支持的私钥类型 (unsupported key type {type(key).__name__})")

    def __repr__(self) -> str:
        return f"FileKey({self.algorithm})"

    def public_key_info(self) -> akeys.PublicKeyInfo:
        if isinstance(self._key, Sm2PrivateKey):
            return self._key.public_key.to_spki()
        der = self._key.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        return akeys.PublicKeyInfo.load(der)

    def rsa_decrypt(self, ciphertext: bytes, *, oaep_hash: str | None) -> bytes:
        self._need("rsa")
        if oaep_hash is None:
            pad = padding.PKCS1v15()
        else:
            h = HASHES[oaep_hash]()
            pad = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
        try:
            return self._key.decrypt(ciphertext, pad)
        except ValueError as exc:   # cryptography's "Decryption failed"
            raise DecryptionFailed("RSA 解密失败 (RSA decryption failed)") from exc

    def ecdh(self, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        self._need("ec")
        return self._key.exchange(ec.ECDH(), peer_public_key)

    def sm2_decrypt(self, ciphertext: bytes) -> bytes:
        self._need("sm2")
        return self._key.decrypt(ciphertext)

    def sign(self, data: bytes, *, hash_algorithm: str, pss: bool = False,
             sm2_signer_id: bytes | None = b"1234567812345678") -> bytes:
        if self.algorithm == "sm2":
            if hash_algorithm != "sm3":
                raise KeyOperationError("SM2 只与 SM3 配合签名 (SM2 signs with SM3 only)")
            return self._key.sign(data, signer_id=sm2_signer_id)
        h = HASHES[hash_algorithm]()
        if self.algorithm == "rsa":
            pad = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size) if pss else padding.PKCS1v15()
            return self._key.sign(data, pad, h)
        return self._key.sign(data, ec.ECDSA(h))

    def _need(self, algorithm: str) -> None:
        if self.algorithm != algorithm:
            raise KeyOperationError(f"此操作需要 {algorithm} 私钥 (this operation needs an {algorithm} key, "
                                    f"not {self.algorithm})")


__all__ = ["KeyOps", "FileKey", "KeyOperationError", "HASHES", "utils"]
