"""Private keys from files: PKCS#8 (plain or PBES2-encrypted, including GmSSL's
PBKDF2-hmacWithSM3 + SM4-CBC), traditional PEM and PKCS#12.

RSA and EC keys come back as ``cryptography`` key objects, SM2 keys as :class:`pki.sm2.Sm2PrivateKey`
(``cryptography`` cannot load SM2). Keys on a token never pass through here: see :mod:`pki.pkcs11`.
"""
from __future__ import annotations

import os
from typing import Union

from asn1crypto import algos as _algos, keys as akeys, pem
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12

from pki.sm2 import Sm2Error, Sm2PrivateKey, is_sm2_spki
from pki.oids import SM2_CURVE

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, Sm2PrivateKey]

_PRF = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
        "sha512": hashes.SHA512, "sm3": hashes.SM3}
_CIPHERS = {"aes128_cbc": (algorithms.AES, 16), "aes192_cbc": (algorithms.AES, 24),
            "aes256_cbc": (algorithms.AES, 32), "sm4_cbc": (algorithms.SM4, 16)}
SM2_PBKDF2_ITERATIONS = 65536   # what GmSSL writes


class KeyError_(ValueError):
    """A key file could not be read: wrong password, unknown format, unsupported algorithm."""


class WrongPassword(KeyError_):
    pass


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


def public_key_matches(key: PrivateKey, spki: akeys.PublicKeyInfo) -> bool:
    """Does this private key belong to that public key (for --key/--cert pairs)?"""
    if isinstance(key, Sm2PrivateKey):
        if not is_sm2_spki(spki):
            return False
        from pki.sm2 import Sm2PublicKey
        return key.matches(Sm2PublicKey.from_spki(spki))
    if is_sm2_spki(spki):
        return False
    mine = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return mine == spki.dump()


__all__ = ["PrivateKey", "KeyError_", "WrongPassword", "load_private_key", "dump_private_key",
           "load_pkcs12", "decrypt_pkcs8", "encrypt_pkcs8", "public_key_matches", "Sm2Error"]
