"""The SubjectPublicKeyInfo of a key object on a token (RSA from modulus and exponent, EC from
``CKA_EC_PARAMS`` and ``CKA_EC_POINT``)."""
from __future__ import annotations

import contextlib
from typing import Any

from asn1crypto import core as acore, keys as akeys
from pkcs11 import Attribute, KeyType

from pki.pkcs11.errors import TokenError


def rsa_spki(modulus: bytes, exponent: bytes) -> akeys.PublicKeyInfo:
    """An RSA SubjectPublicKeyInfo from big-endian modulus and public exponent."""
    return akeys.PublicKeyInfo({
        "algorithm": {"algorithm": "rsa", "parameters": acore.Null()},
        "public_key": akeys.RSAPublicKey({"modulus": int.from_bytes(modulus, "big"),
                                          "public_exponent": int.from_bytes(exponent, "big")}),
    })


def spki_of(public: Any) -> akeys.PublicKeyInfo:
    """The SubjectPublicKeyInfo of a python-pkcs11 public (or RSA private) key object."""
    if public.key_type == KeyType.RSA:
        return rsa_spki(public[Attribute.MODULUS], public[Attribute.PUBLIC_EXPONENT])
    if public.key_type == KeyType.EC:
        params = akeys.ECDomainParameters.load(bytes(public[Attribute.EC_PARAMS]))
        point = bytes(public[Attribute.EC_POINT])
        with contextlib.suppress(ValueError):   # PKCS#11 wraps the point in an OCTET STRING
            inner = acore.OctetString.load(point).native
            if inner and inner[0] == 4 and len(inner) % 2 == 1:
                point = inner
        return akeys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": params},
                                    "public_key": point})
    raise TokenError(f"不支持的公钥类型 (unsupported public key type {public.key_type})")


__all__ = ["rsa_spki", "spki_of"]
