"""Object identifiers of the GM (国密) algorithms, registered with asn1crypto at import time.

asn1crypto ships none of them. Registering them here, once, lets every other module parse and
build SM2 certificates, GM/T 0010 envelopes and signatures, and GmSSL's PBES2 key files with the
ordinary asn1crypto classes. Import :mod:`pki` (this module is imported by its ``__init__``).
"""
from __future__ import annotations

from asn1crypto import algos, cms, core, keys

# GM/T 0006 / GB/T 33560 identifiers
SM2_CURVE = "1.2.156.10197.1.301"
SM2_SIGN = "1.2.156.10197.1.301.1"
SM2_EXCHANGE = "1.2.156.10197.1.301.2"      # what GmSSL writes as the key-transport algorithm
SM2_ENCRYPT = "1.2.156.10197.1.301.3"       # SM2-3, public-key encryption (our default)
SM2_SIGN_WITH_SM3 = "1.2.156.10197.1.501"
SM3 = "1.2.156.10197.1.401"
HMAC_SM3 = "1.2.156.10197.1.401.2"
SM4_ECB = "1.2.156.10197.1.104.1"
SM4_CBC = "1.2.156.10197.1.104.2"
# GM/T 0010 content types
GM_DATA = "1.2.156.10197.6.1.4.2.1"
GM_SIGNED_DATA = "1.2.156.10197.6.1.4.2.2"
GM_ENVELOPED_DATA = "1.2.156.10197.6.1.4.2.3"
GM_SIGNED_AND_ENVELOPED_DATA = "1.2.156.10197.6.1.4.2.4"

SM2_DEFAULT_ID = b"1234567812345678"


def _add(oid_class: type[core.ObjectIdentifier], oid: str, name: str) -> None:
    oid_class._map[oid] = name
    if oid_class._reverse_map is not None:
        oid_class._reverse_map[name] = oid


class GmEncryptedContentInfo(core.Sequence):
    """GM/T 0010 EncryptedContentInfo: the CMS one plus GmSSL's optional sharedInfo1/2."""

    _fields = [
        ("content_type", cms.ContentType),
        ("content_encryption_algorithm", cms.EncryptionAlgorithm),
        ("encrypted_content", core.OctetString, {"implicit": 0, "optional": True}),
        ("shared_info1", core.OctetString, {"implicit": 1, "optional": True}),
        ("shared_info2", core.OctetString, {"implicit": 2, "optional": True}),
    ]


class GmEnvelopedData(core.Sequence):
    """GM/T 0010 EnvelopedData (1.2.156.10197.6.1.4.2.3)."""

    _fields = [
        ("version", cms.CMSVersion),
        ("originator_info", cms.OriginatorInfo, {"implicit": 0, "optional": True}),
        ("recipient_infos", cms.RecipientInfos),
        ("encrypted_content_info", GmEncryptedContentInfo),
        ("unprotected_attrs", cms.CMSAttributes, {"implicit": 1, "optional": True}),
    ]


class Sm2Cipher(core.Sequence):
    """GM/T 0009 SM2 ciphertext: C1 (x, y), C3 (SM3 hash), C2 (ciphertext)."""

    _fields = [
        ("x", core.Integer),
        ("y", core.Integer),
        ("hash", core.OctetString),
        ("ciphertext", core.OctetString),
    ]


def _register() -> None:
    keys.NamedCurve.register("sm2p256v1", SM2_CURVE, 32)
    _add(algos.SignedDigestAlgorithmId, SM2_SIGN_WITH_SM3, "sm2sign_with_sm3")
    _add(algos.SignedDigestAlgorithmId, SM2_SIGN, "sm2sign")
    _add(algos.DigestAlgorithmId, SM3, "sm3")
    _add(algos.HmacAlgorithmId, HMAC_SM3, "sm3")
    _add(algos.EncryptionAlgorithmId, SM4_CBC, "sm4_cbc")
    _add(algos.EncryptionAlgorithmId, SM4_ECB, "sm4_ecb")
    algos.EncryptionAlgorithm._oid_specs["sm4_cbc"] = core.OctetString
    _add(cms.KeyEncryptionAlgorithmId, SM2_ENCRYPT, "sm2_encrypt")
    _add(cms.KeyEncryptionAlgorithmId, SM2_EXCHANGE, "sm2_exchange")
    _add(cms.ContentType, GM_DATA, "gm_data")
    _add(cms.ContentType, GM_SIGNED_DATA, "gm_signed_data")
    _add(cms.ContentType, GM_ENVELOPED_DATA, "gm_enveloped_data")
    _add(cms.ContentType, GM_SIGNED_AND_ENVELOPED_DATA, "gm_signed_and_enveloped_data")
    cms.ContentInfo._oid_specs["gm_data"] = core.OctetString
    cms.ContentInfo._oid_specs["gm_signed_data"] = cms.SignedData
    cms.ContentInfo._oid_specs["gm_enveloped_data"] = GmEnvelopedData
    cms.EncapsulatedContentInfo._oid_specs["gm_data"] = core.OctetString


_register()
