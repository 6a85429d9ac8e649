"""Private keys from files: PKCS#8 (plain or PBES2-encrypted, including GmSSL's
PBKDF2-hmacWithSM3 + SM4-CBC), traditional PEM and PKCS#12.

RSA and EC keys come back as ``cryptography`` key objects, SM2 keys as :class:`pki.sm2.Sm2PrivateKey`
(``cryptography`` cannot load SM2). Keys on a token never pass through here: see :mod:`pki.pkcs11`.
"""
from __future__ import annotations

import os
from typing import Any, Union

from asn1crypto import algos as _algos, core, keys as akeys, pem, x509 as ax509
from cryptography import x509 as cx509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12

from pki.errors import PkiError
from pki.sm2 import Sm2Error, Sm2PrivateKey, Sm2PublicKey, is_sm2_spki
from pki.oids import SM2_CURVE

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, Sm2PrivateKey]

_PRF = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
        "sha512": hashes.SHA512, "sm3": hashes.SM3}
_CIPHERS = {"aes128_cbc": (algorithms.AES, 16), "aes192_cbc": (algorithms.AES, 24),
            "aes256_cbc": (algorithms.AES, 32), "sm4_cbc": (algorithms.SM4, 16)}
SM2_PBKDF2_ITERATIONS = 65536   # what GmSSL writes


class KeyError_(PkiError):
    """A key file could not be read: wrong password, unknown format, unsupported algorithm."""

    code = "key_unreadable"
    message = "无法读取私钥 (the private key cannot be read)"
    kind = "input"


class WrongPassword(KeyError_):
    code = "key_password_wrong"
    message = "私钥口令错误 (wrong password)"


def _der(data: bytes) -> tuple[str | None, bytes]:
    if pem.detect(data):
        label, _, der = pem.unarmor(data)
        return label, der
    return None, data


def load_private_key(data: bytes, password: bytes | None = None) -> PrivateKey:
    """Load a private key from PEM or DER, PKCS#8 (plain or encrypted) or traditional form."""
    label, der = _der(data)
    if label == "ENCRYPTED PRIVATE KEY" or (label is None and _looks_encrypted(der)):
        if password is None:
            raise KeyError_("私钥已加密，需要口令 (the key is encrypted: a password is needed)")
        der = decrypt_pkcs8(der, password)
        label = "PRIVATE KEY"
    if label in (None, "PRIVATE KEY"):
        try:
            info = akeys.PrivateKeyInfo.load(der)
            info.native  # force a full parse
        except ValueError:
            info = None
        if info is not None and _is_sm2_pki(info):
            return Sm2PrivateKey.from_private_key_info(info)
    if label == "EC PRIVATE KEY" and _is_sm2_ec_private_key(der):
        ec_key = akeys.ECPrivateKey.load(der)
        pub = ec_key["public_key"].native
        return Sm2PrivateKey.from_scalar(ec_key["private_key"].native.to_bytes(32, "big"),
                                         pub[1:] if pub else None)
    try:
        if label is None:
            return serialization.load_der_private_key(der, password)
        return serialization.load_pem_private_key(data, password)
    except TypeError as exc:
        raise KeyError_(f"私钥口令不符 (password mismatch: {exc})") from exc
    except ValueError as exc:
        if password is not None and "password" in str(exc).lower():
            raise WrongPassword("私钥口令错误 (wrong password)") from exc
        raise KeyError_(f"无法读取私钥 (unreadable private key: {exc})") from exc


def _looks_encrypted(der: bytes) -> bool:
    try:
        akeys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"].native
        return True
    except (ValueError, TypeError, KeyError):
        return False


def _is_sm2_pki(info: akeys.PrivateKeyInfo) -> bool:
    alg = info["private_key_algorithm"]
    return alg["algorithm"].native == "ec" and alg["parameters"].name == "named" \
        and alg["parameters"].chosen.dotted == SM2_CURVE


def _is_sm2_ec_private_key(der: bytes) -> bool:
    try:
        params = akeys.ECPrivateKey.load(der)["parameters"]
        return params.name == "named" and params.chosen.dotted == SM2_CURVE
    except (ValueError, KeyError):
        return False


def decrypt_pkcs8(der: bytes, password: bytes) -> bytes:
    """Decrypt a PBES2 EncryptedPrivateKeyInfo to the DER PrivateKeyInfo."""
    try:
        enc = akeys.EncryptedPrivateKeyInfo.load(der)
        alg = enc["encryption_algorithm"]
        if alg["algorithm"].native != "pbes2":
            # PBES1 / PKCS#12-style: cryptography knows them
            key = serialization.load_der_private_key(der, password)
            return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        params = alg["parameters"]
        kdf = params["key_derivation_func"]["parameters"]
        scheme = params["encryption_scheme"]
        cipher_name = scheme["algorithm"].native
        prf = kdf["prf"]["algorithm"].native
    except (ValueError, KeyError) as exc:
        raise KeyError_(f"无法解析加密私钥 (unreadable encrypted key: {exc})") from exc
    if cipher_name not in _CIPHERS or prf not in _PRF:
        raise KeyError_(f"不支持的私钥加密算法 (unsupported key encryption {cipher_name}/{prf})")
    algo, key_len = _CIPHERS[cipher_name]
    key = PBKDF2HMAC(_PRF[prf](), key_len, kdf["salt"].native,
                     kdf["iteration_count"].native).derive(password)
    iv = scheme["parameters"].native
    dec = Cipher(algo(key), modes.CBC(iv)).decryptor()
    padded = dec.update(enc["encrypted_data"].native) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        akeys.PrivateKeyInfo.load(plain).native
    except ValueError as exc:
        raise WrongPassword("私钥口令错误 (wrong password)") from exc
    return plain


def encrypt_pkcs8(info_der: bytes, password: bytes, *, cipher: str = "sm4_cbc",
                  prf: str = "sm3", iterations: int = SM2_PBKDF2_ITERATIONS) -> bytes:
    """PBES2-encrypt a DER PrivateKeyInfo (GmSSL's choice by default: hmacWithSM3 + SM4-CBC)."""
    algo, key_len = _CIPHERS[cipher]
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(_PRF[prf](), key_len, salt, iterations).derive(password)
    padder = padding.PKCS7(128).padder()
    enc = Cipher(algo(key), modes.CBC(iv)).encryptor()
    ciphertext = enc.update(padder.update(info_der) + padder.finalize()) + enc.finalize()
    return akeys.EncryptedPrivateKeyInfo({
        "encryption_algorithm": {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {"algorithm": "pbkdf2", "parameters": {
                    "salt": _algos.Pbkdf2Salt("specified", salt), "iteration_count": iterations, "key_length": key_len,
                    "prf": {"algorithm": prf, "parameters": None}}},
                "encryption_scheme": {"algorithm": cipher, "parameters": iv},
            },
        },
        "encrypted_data": ciphertext,
    }).dump()


def dump_private_key(key: PrivateKey, password: bytes | None = None) -> bytes:
    """PEM PKCS#8, encrypted when a password is given (SM2: as GmSSL does)."""
    if isinstance(key, Sm2PrivateKey):
        der = key.to_private_key_info().dump()
        if password is None:
            return pem.armor("PRIVATE KEY", der)
        return pem.armor("ENCRYPTED PRIVATE KEY", encrypt_pkcs8(der, password))
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def load_pkcs12(data: bytes, password: bytes | None):
    """Return (key, certificate, additional certificates) as cryptography objects."""
    try:
        return pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise WrongPassword(f"PKCS#12 口令错误或文件损坏 (wrong password or damaged file: {exc})") from exc


# -- which certificate a key belongs to -------------------------------------------------------------

#: Anything :func:`key_matches_certificate` takes as the key: a private or public key (``cryptography``
#: or SM2), a :class:`pki.keyops.KeyOps` (a key file or a key on a token), or a SubjectPublicKeyInfo.
KeyLike = Any
#: … and as the certificate: asn1crypto or ``cryptography`` certificate, or a SubjectPublicKeyInfo.
CertificateLike = Union[ax509.Certificate, cx509.Certificate, akeys.PublicKeyInfo]


def key_matches_certificate(key: KeyLike, certificate: CertificateLike) -> bool:
    """Whether ``key`` is the key pair of ``certificate`` (the one rule for key/certificate pairs).

    Both sides become a SubjectPublicKeyInfo in one normal form (:func:`normalised_spki`) and their
    DER is compared: algorithm and parameters (so an EC P-256 key never matches an SM2 certificate)
    and the key itself (so RSA ``NULL``/absent parameters or a compressed EC point do not matter).
    """
    return normalised_spki(public_key_info(key)) == normalised_spki(_certificate_spki(certificate))


def public_key_info(key: KeyLike) -> akeys.PublicKeyInfo:
    """The SubjectPublicKeyInfo of a private or public key, a KeyOps or a SubjectPublicKeyInfo."""
    if isinstance(key, akeys.PublicKeyInfo):
        return key
    if isinstance(key, Sm2PrivateKey):
        return key.public_key.to_spki()
    if isinstance(key, Sm2PublicKey):
        return key.to_spki()
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        key = key.public_key()
    if isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return akeys.PublicKeyInfo.load(key.public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    if callable(getattr(key, "public_key_info", None)):        # KeyOps: FileKey, pki.pkcs11.TokenKey
        return key.public_key_info()
    raise TypeError(f"not a key: {type(key).__name__}")


def _certificate_spki(certificate: CertificateLike) -> akeys.PublicKeyInfo:
    if isinstance(certificate, akeys.PublicKeyInfo):
        return certificate
    if isinstance(certificate, ax509.Certificate):
        return certificate.public_key
    if isinstance(certificate, cx509.Certificate):
        return ax509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)).public_key
    raise TypeError(f"not a certificate: {type(certificate).__name__}")


def normalised_spki(spki: akeys.PublicKeyInfo) -> bytes:
    """The DER of ``spki`` in one normal form: SM2 as named curve sm2p256v1 with an uncompressed
    point; RSA (also RSASSA-PSS keys) as rsaEncryption with NULL parameters; EC as a named curve
    with an uncompressed point. A key that cannot be read this way is compared as it is encoded."""
    try:
        if is_sm2_spki(spki):
            return Sm2PublicKey.from_spki(spki).to_spki().dump()
        algorithm = spki["algorithm"]["algorithm"].native
        if algorithm in ("rsa", "rsassa_pss"):
            numbers = spki["public_key"].parsed
            return akeys.PublicKeyInfo({
                "algorithm": {"algorithm": "rsa", "parameters": core.Null()},
                "public_key": akeys.RSAPublicKey({"modulus": numbers["modulus"].native,
                                                  "public_exponent": numbers["public_exponent"].native}),
            }).dump()
        if algorithm == "ec":
            public = serialization.load_der_public_key(spki.dump())
            return public.public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, Sm2Error, UnsupportedAlgorithm):     # unreadable: compare the encoding as it is
        pass
    return spki.dump()


__all__ = ["PrivateKey", "KeyError_", "WrongPassword", "load_private_key", "dump_private_key",
           "load_pkcs12", "decrypt_pkcs8", "encrypt_pkcs8", "key_matches_certificate", "public_key_info",
           "normalised_spki", "Sm2Error"]
