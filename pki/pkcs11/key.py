"""A private key on a token as :class:`pki.keyops.KeyOps`: it never leaves the token.

- OAEP with SHA-256 is refused by SoftHSM2 (``CKR_ARGUMENTS_BAD``): raw RSA on the token and OAEP
  decoding in :mod:`pki.pkcs11.oaep`, with one uniform error; switched off with
  ``configure(allow_raw_rsa=False)`` where raw RSA is banned.
- ``CKM_ECDSA`` returns r‖s over a digest hashed here; it is DER-encoded before leaving.
- python-pkcs11 defaults to SHA-1 / SHA-512 for OAEP, PSS and signing: mechanisms and their
  parameters are always passed.
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from asn1crypto import keys as akeys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils as asym_utils
from pkcs11 import KDF, MGF, Attribute, KeyType, Mechanism
from pkcs11 import exceptions as p11err

from pki.pkcs11.errors import MechanismUnavailable, RsaDecryptionFailed, TokenError, TokenSessionClosed
from pki.pkcs11.library import locked, settings
from pki.pkcs11.oaep import oaep_decode
from pki.pkcs11.uri import Pkcs11Uri
from pki.sm2 import is_sm2_spki

if TYPE_CHECKING:
    from pki.pkcs11.session import TokenSession

DEFAULT_SM2_SIGNER_ID = b"1234567812345678"

_HASH_MECHS = {  # name -> (digest mechanism, MGF1, digest length, RSA PKCS#1, RSA PSS)
    "sha256": (Mechanism.SHA256, MGF.SHA256, 32, Mechanism.SHA256_RSA_PKCS, Mechanism.SHA256_RSA_PKCS_PSS),
    "sha384": (Mechanism.SHA384, MGF.SHA384, 48, Mechanism.SHA384_RSA_PKCS, Mechanism.SHA384_RSA_PKCS_PSS),
    "sha512": (Mechanism.SHA512, MGF.SHA512, 64, Mechanism.SHA512_RSA_PKCS, Mechanism.SHA512_RSA_PKCS_PSS),
}
_OAEP_HASHES = {"sha1": (Mechanism.SHA_1, MGF.SHA1), "sha256": (Mechanism.SHA256, MGF.SHA256)}
_NO_SUCH_MECHANISM = (p11err.ArgumentsBad, p11err.MechanismInvalid, p11err.MechanismParamInvalid)
_CURVES = {"secp256r1": "secp256r1", "secp384r1": "secp384r1", "secp521r1": "secp521r1"}


@dataclass(frozen=True)
class KeyProtection:
    """How a private key is protected, as the token reports it."""

    sensitive: bool
    extractable: bool
    always_sensitive: bool
    never_extractable: bool
    local: bool


class TokenKey:
    """A private key on a token, as :class:`pki.keyops.KeyOps`. It never leaves the token."""

    def __init__(self, session: TokenSession, private: Any, spki: akeys.PublicKeyInfo, *,
                 label: str, key_id: bytes):
        self._session = session
        self._private = private
        self._spki = spki
        self.label = label
        self.key_id = key_id
        if is_sm2_spki(spki):
            self.algorithm = "sm2"
        elif spki.algorithm == "rsa":
            self.algorithm = "rsa"
        elif spki.algorithm == "ec":
            self.algorithm = "ec"
        else:
            raise TokenError(f"不支持的密钥算法 (unsupported key algorithm {spki.algorithm})")

    def __repr__(self) -> str:
        return f"TokenKey({self.algorithm}, {self.uri().format()})"

    def uri(self) -> Pkcs11Uri:
        """The RFC 7512 URI of this key (without PIN)."""
        return self._session.uri(object=self.label, id=self.key_id or None, type="private")

    def public_key_info(self) -> akeys.PublicKeyInfo:
        return self._spki

    def protection(self) -> KeyProtection:
        """CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_LOCAL."""
        with self._op():
            get = self._private.__getitem__
            return KeyProtection(sensitive=bool(get(Attribute.SENSITIVE)),
                                 extractable=bool(get(Attribute.EXTRACTABLE)),
                                 always_sensitive=bool(get(Attribute.ALWAYS_SENSITIVE)),
                                 never_extractable=bool(get(Attribute.NEVER_EXTRACTABLE)),
                                 local=bool(get(Attribute.LOCAL)))

    # -- KeyOps

    def rsa_decrypt(self, ciphertext: bytes, *, oaep_hash: str | None) -> bytes:
        self._need("rsa")
        k = self._modulus_bytes()
        if len(ciphertext) != k:
            raise RsaDecryptionFailed()
        if oaep_hash is None:
            return self._decrypt(ciphertext, Mechanism.RSA_PKCS, None)
        if oaep_hash not in _OAEP_HASHES:
            raise TokenError(f"不支持的 OAEP 摘要 (unsupported OAEP hash {oaep_hash!r})")
        hash_mech, mgf = _OAEP_HASHES[oaep_hash]
        if self._session.oaep_sha256_native is not False or oaep_hash == "sha1":
            try:
                plain = self._decrypt(ciphertext, Mechanism.RSA_PKCS_OAEP, (hash_mech, mgf, None),
                                      passthrough=_NO_SUCH_MECHANISM)
                if oaep_hash == "sha256":
                    self._session.oaep_sha256_native = True
                return plain
            except _NO_SUCH_MECHANISM:
                if oaep_hash == "sha1":
                    raise MechanismUnavailable("令牌不支持 RSA-OAEP (the token refuses RSA-OAEP with SHA-1)")
                self._session.oaep_sha256_native = False
        if not settings().allow_raw_rsa:
            raise MechanismUnavailable("令牌不支持 OAEP-SHA256，且已禁止原始 RSA (the token has no "
                                       "OAEP-SHA256 and raw RSA is switched off: allow_raw_rsa=False)")
        em = self._decrypt(ciphertext, Mechanism.RSA_X_509, None)
        return oaep_decode(em.rjust(k, b"\x00"), k, oaep_hash)

    def ecdh(self, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        self._need("ec")
        if not isinstance(peer_public_key, ec.EllipticCurvePublicKey):
            raise TokenError("ECDH 需要椭圆曲线公钥 (ECDH needs an EC public key)")
        curve = self._spki["algorithm"]["parameters"].chosen.native
        if _CURVES.get(peer_public_key.curve.name) != curve:
            raise TokenError(f"对方公钥曲线不符 (peer key is on {peer_public_key.curve.name}, "
                             f"this key on {curve})")
        point = peer_public_key.public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)
        size = (peer_public_key.curve.key_size + 7) // 8
        with self._op():
            try:
                secret = self._private.derive_key(
                    KeyType.GENERIC_SECRET, size * 8, mechanism=Mechanism.ECDH1_DERIVE,
                    mechanism_param=(KDF.NULL, None, point),
                    template={Attribute.TOKEN: False, Attribute.SENSITIVE: False,
                              Attribute.EXTRACTABLE: True})
            except p11err.PKCS11Error as exc:
                raise TokenError(f"ECDH 失败 (ECDH on the token failed: {type(exc).__name__})") from exc
            try:
                return bytes(secret[Attribute.VALUE])
            finally:
                with contextlib.suppress(p11err.PKCS11Error):
                    secret.destroy()

    def sm2_decrypt(self, ciphertext: bytes) -> bytes:
        raise MechanismUnavailable("此令牌不支持 SM2 运算 (this token has no SM2 mechanisms; SM2 keys "
                                   "live in encrypted PKCS#8 files)")

    def sign(self, data: bytes, *, hash_algorithm: str, pss: bool = False,
             sm2_signer_id: bytes | None = DEFAULT_SM2_SIGNER_ID) -> bytes:
        if self.algorithm == "sm2":
            raise MechanismUnavailable("此令牌不支持 SM2 签名 (this token has no SM2 mechanisms)")
        if hash_algorithm not in _HASH_MECHS:
            raise TokenError(f"不支持的摘要算法 (unsupported hash {hash_algorithm!r} for signing; use "
                             f"{', '.join(_HASH_MECHS)})")
        hash_mech, mgf, hlen, pkcs1_mech, pss_mech = _HASH_MECHS[hash_algorithm]
        with self._op():
            try:
                if self.algorithm == "rsa":
                    if pss:
                        return bytes(self._private.sign(data, mechanism=pss_mech,
                                                        mechanism_param=(hash_mech, mgf, hlen)))
                    return bytes(self._private.sign(data, mechanism=pkcs1_mech))
                if pss:
                    raise TokenError("PSS 只用于 RSA (PSS applies to RSA only)")
                digest = hashlib.new(hash_algorithm, data).digest()
                raw = bytes(self._private.sign(digest, mechanism=Mechanism.ECDSA))
            except p11err.PKCS11Error as exc:
                raise TokenError(f"令牌签名失败 (signing on the token failed: {type(exc).__name__})") from exc
        half = len(raw) // 2
        return asym_utils.encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                               int.from_bytes(raw[half:], "big"))

    # -- helpers

    @contextlib.contextmanager
    def _op(self) -> Iterator[None]:
        with locked():
            self._session._check()
            try:
                yield
            except (p11err.UserNotLoggedIn, p11err.SessionHandleInvalid, p11err.SessionClosed) as exc:
                raise TokenSessionClosed("令牌会话已失效，请重新打开 (the token session is gone: "
                                         "open the key again)") from exc

    def _decrypt(self, ciphertext: bytes, mechanism: Mechanism, param: Any,
                 passthrough: tuple[type[BaseException], ...] = ()) -> bytes:
        with self._op():
            try:
                return bytes(self._private.decrypt(ciphertext, mechanism=mechanism, mechanism_param=param))
            except passthrough:
                raise
            except (p11err.UserNotLoggedIn, p11err.SessionHandleInvalid, p11err.SessionClosed):
                raise
            except p11err.PKCS11Error:
                raise RsaDecryptionFailed() from None

    def _modulus_bytes(self) -> int:
        return (self._spki["public_key"].parsed["modulus"].native.bit_length() + 7) // 8

    def _need(self, algorithm: str) -> None:
        if self.algorithm != algorithm:
            raise TokenError(f"此操作需要 {algorithm} 私钥 (this operation needs an {algorithm} key, "
                             f"not {self.algorithm})")


__all__ = ["DEFAULT_SM2_SIGNER_ID", "KeyProtection", "TokenKey"]
