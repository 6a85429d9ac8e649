"""SM2 (GB/T 32918) through GmSSL's own C code (``gmssl_pyx``): the only module that touches it.

The pure-Python ``gmssl`` package is never used: its nonces come from ``random`` (STACK.md).
Keys are plain value objects; encoding to and from PKCS#8/SPKI lives here too so that callers
never handle the raw 32/64-byte forms.
"""
from __future__ import annotations

import hmac
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field

import gmssl_pyx
from asn1crypto import core, keys, x509
from cryptography.hazmat.primitives import hashes

from pki.errors import PkiError
from pki.oids import SM2_CURVE, SM2_DEFAULT_ID

# Curve sm2p256v1 (GB/T 32918.5)
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


log = logging.getLogger(__name__)


# GmSSL's C code prints its error trace to the process's stderr (fd 2) on every verification, even a
# successful one, and that would reach bidtool's user. Every gmssl_pyx call goes through _c_call: fd 2
# is pointed at a temporary file for the call's duration and what the C code printed is logged at
# debug level. fd 2 is process-wide, so one lock serialises the calls; anything another thread
# writes to stderr during one of them is logged here too instead of being printed.
_C_STDERR_LOCK = threading.Lock()
_c_stderr_sink = None          # (pid, file): a forked child makes its own, as the offset would be shared


def _c_call(function, *args):
    """``function(*args)`` (a gmssl_pyx function) with the C library's stderr captured and logged."""
    global _c_stderr_sink
    with _C_STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:                      # no stderr at all: nothing can reach the user
            return function(*args)
        try:
            if _c_stderr_sink is None or _c_stderr_sink[0] != os.getpid():
                # a file, not a pipe: there is no amount of output at which the C code would block
                _c_stderr_sink = (os.getpid(), tempfile.TemporaryFile())
            sink = _c_stderr_sink[1].fileno()
            os.ftruncate(sink, 0)
            os.lseek(sink, 0, os.SEEK_SET)
            os.dup2(sink, 2)
            try:
                return function(*args)
            finally:
                os.dup2(saved, 2)
                _log_c_stderr(function, sink)
        finally:
            os.close(saved)


def _log_c_stderr(function, sink: int) -> None:
    os.lseek(sink, 0, os.SEEK_SET)
    printed = os.read(sink, 64 * 1024)
    if printed:
        log.debug("gmssl %s printed: %s", getattr(function, "__name__", function),
                  printed.decode("utf-8", "replace").strip())


class Sm2Error(PkiError):
    """An SM2 operation failed: bad key, bad ciphertext, bad signature encoding."""

    code = "sm2_failed"
    message = "SM2 运算失败 (the SM2 operation failed)"
    kind = "input"


class Sm2DecryptionFailed(Sm2Error):
    """The SM2 ciphertext does not decrypt: wrong key, or the ciphertext was altered (its C3 hash)."""

    code = "sm2_decryption_failed"
    message = "SM2 解密失败 (SM2 decryption failed)"
    kind = "integrity"


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


@dataclass(frozen=True)
class Sm2PublicKey:
    """A point on sm2p256v1 as x‖y (64 bytes)."""

    point: bytes

    def __post_init__(self) -> None:
        if len(self.point) != 64 or not _on_curve(self.point):
            raise Sm2Error("SM2 公钥不在曲线上 (public key is not a point of sm2p256v1)")

    @classmethod
    def from_spki(cls, spki: keys.PublicKeyInfo) -> "Sm2PublicKey":
        alg = spki["algorithm"]
        if alg["algorithm"].native != "ec" or alg["parameters"].chosen.dotted != SM2_CURVE:
            raise Sm2Error("不是 SM2 公钥 (not an SM2 public key)")
        raw = spki["public_key"].native
        if raw[:1] != b"\x04":
            try:
                raw = b"\x04" + _c_call(gmssl_pyx.normalize_sm2_public_key, raw)
            except gmssl_pyx.GmsslInnerError as exc:  # InvalidValueError is no ValueError
                raise Sm2Error("SM2 公钥编码无效 (invalid SM2 public key encoding)") from exc
        return cls(raw[1:])

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> "Sm2PublicKey":
        return cls.from_spki(cert.public_key)

    def to_spki(self) -> keys.PublicKeyInfo:
        return keys.PublicKeyInfo({
            "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters("named", SM2_CURVE)},
            "public_key": b"\x04" + self.point,
        })

    def z(self, signer_id: bytes = SM2_DEFAULT_ID) -> bytes:
        """Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA) (GB/T 32918.2 §5.5)."""
        entl = (len(signer_id) * 8).to_bytes(2, "big")
        parts = [entl, signer_id] + [v.to_bytes(32, "big") for v in (A, B, GX, GY)] + [self.point]
        return sm3(b"".join(parts))

    def verify(self, message: bytes, signature: bytes, *, signer_id: bytes | None = SM2_DEFAULT_ID) -> bool:
        """Verify a DER {r, s} signature; ``signer_id=None`` checks GmSSL's flavour without Z."""
        try:
            return bool(_c_call(gmssl_pyx.sm2_verify, self.point, message, signature, signer_id))
        except gmssl_pyx.GmsslInnerError:
            return False

    def verify_digest(self, e: bytes, signature: bytes) -> bool:
        try:
            return bool(_c_call(gmssl_pyx.sm2_verify_sm3_digest, self.point, e, signature))
        except gmssl_pyx.GmsslInnerError:
            return False

    def encrypt(self, plaintext: bytes) -> bytes:
        """SM2 encryption (GB/T 32918.4) to the GM/T 0009 DER SM2Cipher, C1C3C2."""
        if not 1 <= len(plaintext) <= 255:
            raise Sm2Error("SM2 加密明文长度须为 1–255 字节 (SM2 encrypts 1 to 255 bytes)")
        return _c_call(gmssl_pyx.sm2_encrypt, self.point, plaintext)


@dataclass(frozen=True)
class Sm2PrivateKey:
    """An SM2 private scalar with its public point. ``repr`` never shows the scalar."""

    d: bytes = field(repr=False)
    public_key: Sm2PublicKey

    @classmethod
    def generate(cls) -> "Sm2PrivateKey":
        pub, priv = _c_call(gmssl_pyx.sm2_key_generate)
        return cls(priv, Sm2PublicKey(pub))

    @classmethod
    def from_scalar(cls, d: bytes, public_point: bytes | None = None) -> "Sm2PrivateKey":
        value = int.from_bytes(d, "big")
        if not 1 <= value < N - 1:
            raise Sm2Error("SM2 私钥超出范围 (private key out of range)")
        pub = Sm2PublicKey(public_point) if public_point else Sm2PublicKey(_mul_g(value))
        return cls(value.to_bytes(32, "big"), pub)

    def sign(self, message: bytes, *, signer_id: bytes | None = SM2_DEFAULT_ID) -> bytes:
        """Sign with Z (standard, default ID) or, with ``signer_id=None``, SM3(message) alone."""
        return _c_call(gmssl_pyx.sm2_sign, self.d, self.public_key.point, message, signer_id)

    def sign_digest(self, e: bytes) -> bytes:
        return _c_call(gmssl_pyx.sm2_sign_sm3_digest, self.d, e)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return _c_call(gmssl_pyx.sm2_decrypt, self.d, ciphertext)
        except gmssl_pyx.GmsslInnerError as exc:   # the only error gmssl_pyx raises for bad input
            raise Sm2DecryptionFailed() from exc

    # -- PKCS#8 -------------------------------------------------------------------------------
    def to_private_key_info(self) -> keys.PrivateKeyInfo:
        ec_key = keys.ECPrivateKey({
            "version": "ecPrivkeyVer1",
            "private_key": int.from_bytes(self.d, "big"),
            "public_key": b"\x04" + self.public_key.point,
        })
        return keys.PrivateKeyInfo({
            "version": 0,
            "private_key_algorithm": {"algorithm": "ec",
                                      "parameters": keys.ECDomainParameters("named", SM2_CURVE)},
            "private_key": ec_key,
        })

    @classmethod
    def from_private_key_info(cls, info: keys.PrivateKeyInfo) -> "Sm2PrivateKey":
        alg = info["private_key_algorithm"]
        if alg["algorithm"].native != "ec" or alg["parameters"].chosen.dotted != SM2_CURVE:
            raise Sm2Error("不是 SM2 私钥 (not an SM2 private key)")
        ec_key = info["private_key"].parsed
        scalar = ec_key["private_key"].native.to_bytes(32, "big")
        pub = ec_key["public_key"].native if ec_key["public_key"].native else None
        return cls.from_scalar(scalar, pub[1:] if pub else None)

    def matches(self, public_key: Sm2PublicKey) -> bool:
        return hmac.compare_digest(self.public_key.point, public_key.point)


def is_sm2_spki(spki: keys.PublicKeyInfo) -> bool:
    alg = spki["algorithm"]
    return alg["algorithm"].native == "ec" and isinstance(alg["parameters"].chosen, core.ObjectIdentifier) \
        and alg["parameters"].chosen.dotted == SM2_CURVE


def _on_curve(point: bytes) -> bool:
    x, y = int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")
    return x < P and y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _mul_g(k: int) -> bytes:
    """k·G with a Montgomery ladder in Jacobian coordinates: used only when a key file lacks its
    public point (GmSSL and OpenSSL both write it), so speed does not matter."""
    def add(p1, p2):
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        if x1 == x2:
            if (y1 + y2) % P == 0:
                return None
            lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
        x3 = (lam * lam - x1 - x2) % P
        return x3, (lam * (x1 - x3) - y1) % P

    r0, r1 = None, (GX, GY)
    for bit in bin(k)[2:]:
        if bit == "1":
            r0, r1 = add(r0, r1), add(r1, r1)
        else:
            r0, r1 = add(r0, r0), add(r0, r1)
    return r0[0].to_bytes(32, "big") + r0[1].to_bytes(32, "big")
