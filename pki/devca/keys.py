"""Keys of the development CA: the ones it generates (its own and its subjects') and the public
keys it accepts to certify (an SPKI, DER/PEM bytes, a ``cryptography`` or SM2 public key)."""
from __future__ import annotations

from typing import Union

from asn1crypto import keys as akeys, pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pki.devca.errors import AlgorithmNotOffered, DevCaError
from pki.keys import PrivateKey
from pki.sm2 import Sm2PrivateKey, Sm2PublicKey, is_sm2_spki

PublicKeyInput = Union[akeys.PublicKeyInfo, bytes, rsa.RSAPublicKey, ec.EllipticCurvePublicKey, Sm2PublicKey]


def generate_key(alg: str, *, ca: bool = False) -> PrivateKey:
    if alg == "rsa":
        return rsa.generate_private_key(65537, 3072 if ca else 2048)
    if alg == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "sm2":
        return Sm2PrivateKey.generate()
    raise AlgorithmNotOffered(f"未知的密钥算法 {alg} (unknown key algorithm {alg})")


def spki_of(key: PrivateKey) -> akeys.PublicKeyInfo:
    if isinstance(key, Sm2PrivateKey):
        return key.public_key.to_spki()
    return to_spki(key.public_key())


def to_spki(public_key: PublicKeyInput) -> akeys.PublicKeyInfo:
    if isinstance(public_key, akeys.PublicKeyInfo):
        return public_key
    if isinstance(public_key, Sm2PublicKey):
        return public_key.to_spki()
    if isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return akeys.PublicKeyInfo.load(public_key.public_bytes(serialization.Encoding.DER,
                                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    if isinstance(public_key, (bytes, bytearray)):
        der = bytes(public_key)
        if pem.detect(der):
            _, _, der = pem.unarmor(der)
        try:
            spki = akeys.PublicKeyInfo.load(der)
            spki.native
            return spki
        except ValueError as exc:
            raise DevCaError(f"无法读取公钥 (unreadable public key: {exc})") from exc
    raise DevCaError(f"不支持的公钥类型 (unsupported public key type {type(public_key).__name__})")


def spki_algorithm(spki: akeys.PublicKeyInfo) -> str:
    if is_sm2_spki(spki):
        return "sm2"
    if spki.algorithm == "rsa":
        return "rsa"
    if spki.algorithm == "ec" and spki.curve[1] == "secp256r1":
        return "ec"
    raise AlgorithmNotOffered(f"不支持的公钥算法 (unsupported public key: {spki.algorithm} {spki.curve if spki.algorithm == 'ec' else ''})")


__all__ = ["PublicKeyInput", "generate_key", "spki_of", "to_spki", "spki_algorithm"]
