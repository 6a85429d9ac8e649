"""RecipientInfos: wrapping the content-encryption key (CEK) to certificates and unwrapping it
with any :class:`pki.keyops.KeyOps` (file key now, token key later: only KeyOps methods are used).

- RSA: KeyTransRecipientInfo, RSAES-OAEP with SHA-256 (default) or PKCS#1 v1.5.
- EC: KeyAgreeRecipientInfo, RFC 5753 dhSinglePass-stdDH-sha256kdf-scheme, ephemeral originator key,
  ECC-CMS-SharedInfo into the X9.63 KDF, AES-256 key wrap (RFC 3394).
- SM2: GM/T 0010 KeyTransRecipientInfo (version 1), SM2 encryption of the CEK as GM/T 0009 SM2Cipher.

A recipient certificate whose keyUsage forbids what its family does with the key (key transport for
RSA and SM2: keyEncipherment; key agreement for EC: keyAgreement) is refused with
:class:`RecipientKeyUsageError`: a signing certificate given where the encryption certificate was
meant would otherwise seal a bid its holder's encryption key cannot open.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, core, keys, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from pki.certs import CertificateError, to_asn1
from pki.envelope.errors import (EnvelopeError, KeyMismatch, KeyUnwrapError, LimitExceeded, MalformedEnvelope,
                                 NotAddressedToCertificate, RecipientError, UnsupportedEnvelope, asn1_detail)
from pki.envelope.limits import MAX_NAME
from pki.envelope.strict import require_der
from pki.errors import ASN1_ERRORS
from pki.keyops import KeyOperationError, KeyOps
from pki.keys import key_matches_certificate
from pki.oids import SM2_ENCRYPT, SM2_EXCHANGE
from pki.sm2 import Sm2Error, Sm2PublicKey, is_sm2_spki

Certificate = Any   # asn1crypto x509.Certificate, cryptography x509.Certificate, or PEM/DER bytes

# RFC 5753 / SEC 1 key-agreement schemes -> KDF hash
_KDF_SCHEMES = {
    "1.3.133.16.840.63.0.2": hashes.SHA1,     # dhSinglePass-stdDH-sha1kdf-scheme
    "1.3.132.1.11.0": hashes.SHA224, "1.3.132.1.11.1": hashes.SHA256,
    "1.3.132.1.11.2": hashes.SHA384, "1.3.132.1.11.3": hashes.SHA512,
    "1.3.133.16.840.63.0.3": hashes.SHA1,     # cofactor variants: same for prime-order curves
    "1.3.132.1.14.0": hashes.SHA224, "1.3.132.1.14.1": hashes.SHA256,
    "1.3.132.1.14.2": hashes.SHA384, "1.3.132.1.14.3": hashes.SHA512,
}
_KDF_NAMES = {"1.3.133.16.840.63.0.2": "sha1kdf", "1.3.132.1.11.1": "sha256kdf"}
ECDH_SHA256KDF = "1.3.132.1.11.1"
_WRAP_LENGTHS = {"aes128_wrap": 16, "aes192_wrap": 24, "aes256_wrap": 32}
_OAEP_HASHES = {"sha1", "sha224", "sha256", "sha384", "sha512"}
# RSAES-OAEP-params with SHA-256 and MGF1-SHA-256, digest parameters absent, as OpenSSL writes them
_OAEP_SHA256 = cms.KeyEncryptionAlgorithm.load(bytes.fromhex(
    "303806092a864886f70d010107302ba00d300b0609608648016503040201"
    "a11a301806092a864886f70d010108300b0609608648016503040201"))


class EccCmsSharedInfo(core.Sequence):
    """RFC 5753 ECC-CMS-SharedInfo, the SharedInfo of the X9.63 KDF."""
    _fields = [
        ("key_info", cms.KeyEncryptionAlgorithm),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


@dataclass(frozen=True)
class RecipientSummary:
    """Who a RecipientInfo is for and how the key is wrapped (for ``inspect`` and the UI)."""

    kind: str                          # 'ktri' or 'kari'
    key_algorithm: str                 # 'rsaes-oaep-sha256', 'rsaes-pkcs1v15', 'ecdh-sha256kdf-aes256-wrap', 'sm2-encrypt', 'sm2-exchange'
    issuer: str | None
    serial_number: int | None
    subject_key_identifier: str | None  # hex


# keyUsage bit (RFC 5280 §4.2.1.3) each family needs, and what it is for
_KEY_USAGE_NEEDED = {"rsa": ("key_encipherment", "密钥传输", "key transport"),
                     "sm2": ("key_encipherment", "密钥传输", "key transport"),
                     "ec": ("key_agreement", "密钥协商", "key agreement")}


class RecipientKeyUsageError(RecipientError):
    """The certificate's keyUsage forbids the key transport or key agreement an envelope needs:
    most often a signing certificate where the encryption certificate was meant."""

    code = "recipient_key_usage"
    kind = "input"

    def __init__(self, subject: str, needed: str, purpose: tuple[str, str], key_usage: list[str]):
        have = ", ".join(key_usage) or "none"
        message = (f"证书 {subject} 的密钥用法（{have}）不含 {needed}，不能用于{purpose[0]}，"
                   f"不能作为数字信封的接收者；这可能是签名证书，请改用加密证书 "
                   f"(the certificate {subject} cannot receive an envelope: its keyUsage ({have}) lacks "
                   f"{needed}, which {purpose[1]} needs; is it a signing certificate? use the encryption "
                   f"certificate)")
        EnvelopeError.__init__(self, message, subject=subject, needed=needed, key_usage=key_usage)
        self.detail = message


def check_recipient(cert: Certificate) -> x509.Certificate:
    """``cert`` as an asn1crypto certificate, if it may receive an envelope: a key family we can
    encrypt to and a keyUsage (when the extension is present) that allows it."""
    cert = as_certificate(cert)
    kind = family(cert)
    usage = cert.key_usage_value
    if usage is None:           # no extension: any use (RFC 5280)
        return cert
    bits = set(usage.native)
    needed, *purpose = _KEY_USAGE_NEEDED[kind]
    if needed not in bits:
        raise RecipientKeyUsageError(cert.subject.human_friendly, _rfc_name(needed), tuple(purpose),
                                     [_rfc_name(b) for b in sorted(bits)])
    return cert


def _rfc_name(bit: str) -> str:
    """asn1crypto's ``key_encipherment`` as RFC 5280 writes it: ``keyEncipherment``."""
    first, *rest = bit.split("_")
    return first + "".join(w.capitalize() for w in rest)


# -- certificates -------------------------------------------------------------------------------
def as_certificate(cert: Certificate) -> x509.Certificate:
    """An asn1crypto certificate from asn1crypto, ``cryptography`` or PEM/DER bytes."""
    try:
        return to_asn1(cert)
    except (CertificateError, TypeError) as exc:
        raise RecipientError(f"unreadable certificate: {exc}") from None


def family(cert: x509.Certificate) -> str:
    """'rsa', 'ec' or 'sm2' from the certificate's public key."""
    spki = cert.public_key
    if is_sm2_spki(spki):
        return "sm2"
    name = spki["algorithm"]["algorithm"].native
    if name == "rsa":
        return "rsa"
    if name == "ec":
        return "ec"
    raise RecipientError(f"public key algorithm {name}")


def _crypto_public_key(cert: x509.Certificate):
    try:
        return serialization.load_der_public_key(cert.public_key.dump())
    except (ValueError, TypeError) as exc:
        raise RecipientError(f"public key: {exc}") from None


# -- writing ------------------------------------------------------------------------------------
def _issuer_serial(cert: x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})


def make_recipient_info(cert: x509.Certificate, cek: bytes, *, rsa_padding: str = "oaep",
                        gmssl_compat: bool = False) -> cms.RecipientInfo:
    """Wrap ``cek`` to ``cert``: one RecipientInfo."""
    cert = check_recipient(cert)
    kind = family(cert)
    if kind == "rsa":
        pub = _crypto_public_key(cert)
        if pub.key_size < 2048:
            raise RecipientError(f"RSA key of {pub.key_size} bits (2048 at least)")
        if rsa_padding == "oaep":
            alg = _OAEP_SHA256
            pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        elif rsa_padding == "pkcs1v15":
            alg = cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()})
            pad = padding.PKCS1v15()
        else:
            raise RecipientError(f"rsa_padding {rsa_padding!r} (oaep or pkcs1v15)")
        return cms.RecipientInfo(name="ktri", value=cms.KeyTransRecipientInfo({
            "version": "v0", "rid": cms.RecipientIdentifier(name="issuer_and_serial_number",
                                                             value=_issuer_serial(cert)),
            "key_encryption_algorithm": alg, "encrypted_key": pub.encrypt(cek, pad)}))
    if kind == "sm2":
        try:
            encrypted = Sm2PublicKey.from_certificate(cert).encrypt(cek)
        except Sm2Error as exc:
            raise RecipientError(str(exc)) from None
        oid = SM2_EXCHANGE if gmssl_compat else SM2_ENCRYPT
        return cms.RecipientInfo(name="ktri", value=cms.KeyTransRecipientInfo({
            "version": "v1", "rid": cms.RecipientIdentifier(name="issuer_and_serial_number",
                                                             value=_issuer_serial(cert)),
            "key_encryption_algorithm": {"algorithm": oid}, "encrypted_key": encrypted}))
    return _make_kari(cert, cek)


def _make_kari(cert: x509.Certificate, cek: bytes) -> cms.RecipientInfo:
    pub = _crypto_public_key(cert)
    ephemeral = ec.generate_private_key(pub.curve)
    wrap = cms.KeyEncryptionAlgorithm({"algorithm": "aes256_wrap"})
    kek = _kdf(hashes.SHA256, ephemeral.exchange(ec.ECDH(), pub), wrap, 32, None)
    point = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    kari = cms.KeyAgreeRecipientInfo({
        "version": "v3",
        "originator": cms.OriginatorIdentifierOrKey(name="originator_key", value=keys.PublicKeyInfo({
            "algorithm": {"algorithm": "ec"}, "public_key": point})),
        "key_encryption_algorithm": {"algorithm": ECDH_SHA256KDF, "parameters": wrap},
        "recipient_encrypted_keys": [{
            "rid": cms.KeyAgreementRecipientIdentifier(name="issuer_and_serial_number",
                                                       value=_issuer_serial(cert)),
            "encrypted_key": aes_key_wrap(kek, cek)}],
    })
    return cms.RecipientInfo(name="kari", value=kari)


def _kdf(hash_cls, shared: bytes, wrap: cms.KeyEncryptionAlgorithm, length: int, ukm: bytes | None) -> bytes:
    info = {"key_info": wrap, "supp_pub_info": (length * 8).to_bytes(4, "big")}
    if ukm is not None:
        info["entity_u_info"] = ukm
    return X963KDF(hash_cls(), length, EccCmsSharedInfo(info).dump()).derive(shared)


# -- reading ------------------------------------------------------------------------------------
def load_recipient_info(data: bytes | cms.RecipientInfo) -> cms.RecipientInfo:
    """A RecipientInfo from its DER (as released at the opening) or as is, fully parsed."""
    if isinstance(data, cms.RecipientInfo):   # from recipient_infos(): checked when it was read
        return data
    raw = bytes(data)
    try:
        ri = cms.RecipientInfo.load(raw)
        check_names(ri)
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedEnvelope(asn1_detail("RecipientInfo", exc)) from None
    require_der_recipient_info(raw)
    try:
        ri.native       # parse it all now, so damage shows here and not deep inside unwrapping
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedEnvelope(asn1_detail("RecipientInfo", exc)) from None
    return ri


def require_der_recipient_info(raw: bytes) -> None:
    """Refuse a RecipientInfo (its bytes as received, names already size-checked by
    :func:`check_names`) that is not DER where OpenSSL wants DER (:mod:`pki.envelope.strict`): the
    RecipientInfo as a whole, and the key-wrap AlgorithmIdentifier that a KeyAgreeRecipientInfo
    carries as parameters of a type asn1crypto does not know (it would re-encode them as read)."""
    require_der(cms.RecipientInfo, raw, "RecipientInfo")
    ri = cms.RecipientInfo.load(raw)
    if ri.name == "kari":
        what = "key-wrap AlgorithmIdentifier of a RecipientInfo"
        wrap = ri.chosen["key_encryption_algorithm"]["parameters"]
        require_der(cms.KeyEncryptionAlgorithm, wrap.dump(), what)
        if cms.KeyEncryptionAlgorithm.load(wrap.dump())["parameters"].dump():
            # RFC 3565 §2.3.2: AES key wrap has no parameters; OpenSSL refuses any, NULL included
            raise MalformedEnvelope(f"{what} has parameters (AES key wrap takes none)")


def check_names(ri: cms.RecipientInfo) -> None:
    """Refuse a RecipientInfo naming a certificate by an oversized issuer name (:data:`MAX_NAME`),
    before anything parses the name: asn1crypto would hold every RDN as objects (210 MB for 1 MiB)."""
    rids = []
    if ri.name == "ktri":
        rids.append(ri.chosen["rid"])
    elif ri.name == "kari":
        rids.extend(rek["rid"] for rek in ri.chosen["recipient_encrypted_keys"])
        rids.append(ri.chosen["originator"])
    for rid in rids:
        if rid.name == "issuer_and_serial_number":
            issuer = rid.chosen["issuer"]
            if len(issuer.contents) > MAX_NAME:
                raise LimitExceeded("证书颁发者名称过长", "size of an issuer name in a RecipientInfo", MAX_NAME)


def _rid_matches(rid: core.Choice, cert: x509.Certificate) -> bool:
    if rid.name == "issuer_and_serial_number":
        return rid.chosen["serial_number"].native == cert.serial_number and _same_name(rid.chosen["issuer"], cert)
    if rid.name == "subject_key_identifier":
        return cert.key_identifier is not None and rid.chosen.native == cert.key_identifier
    if rid.name == "r_key_id":
        return cert.key_identifier is not None and \
            rid.chosen["subject_key_identifier"].native == cert.key_identifier
    return False


def _same_name(issuer: x509.Name, cert: x509.Certificate) -> bool:
    """Whether a RecipientInfo's ``issuer`` is the issuer of ``cert`` (RFC 5280 name comparison).
    asn1crypto prepares names for comparison and raises ValueError on characters that RFC 4518
    prohibits (private use, unassigned): such a name in the envelope is damage."""
    if issuer.dump() == cert.issuer.dump():
        return True
    try:
        return issuer == cert.issuer
    except ValueError as exc:
        try:
            cert.issuer.hashable       # the certificate's own name, prepared alone
        except ValueError:
            raise RecipientError(f"unreadable certificate: issuer name: {exc}") from None
        raise MalformedEnvelope(asn1_detail("issuer name in a RecipientInfo", exc)) from None


def addressed_to(ri: cms.RecipientInfo, cert: x509.Certificate) -> bool:
    """Whether ``ri`` carries a key for ``cert``."""
    if ri.name == "ktri":
        return _rid_matches(ri.chosen["rid"], cert)
    if ri.name == "kari":
        return any(_rid_matches(rek["rid"], cert) for rek in ri.chosen["recipient_encrypted_keys"])
    return False


def find_recipient_info(infos: list[cms.RecipientInfo], cert: Certificate) -> cms.RecipientInfo:
    """The RecipientInfo addressed to ``cert`` or :class:`NotAddressedToCertificate`."""
    cert = as_certificate(cert)
    for ri in infos:
        if addressed_to(ri, cert):
            return ri
    raise NotAddressedToCertificate(f"{cert.subject.human_friendly}, serial {cert.serial_number:x}")


def _check_key(key: KeyOps, cert: x509.Certificate) -> None:
    ours = key.public_key_info()   # a token's failure is its own KeyOperationError, explained there
    if not key_matches_certificate(ours, cert):
        raise KeyMismatch()


def unwrap_content_key(recipient_info: bytes | cms.RecipientInfo, key: KeyOps, certificate: Certificate) -> bytes:
    """Recover the content-encryption key from ``recipient_info`` with ``key`` (any KeyOps).

    ``certificate`` is the certificate of ``key``; the RecipientInfo must be addressed to it."""
    cert = as_certificate(certificate)
    ri = load_recipient_info(recipient_info)
    if not addressed_to(ri, cert):
        raise NotAddressedToCertificate(f"{cert.subject.human_friendly}, serial {cert.serial_number:x}")
    _check_key(key, cert)
    try:
        if ri.name == "ktri":
            return _unwrap_ktri(ri.chosen, key)
        return _unwrap_kari(ri.chosen, key, cert)
    except (KeyOperationError, Sm2Error) as exc:
        raise KeyUnwrapError(str(exc)) from None


def _unwrap_ktri(ktri: cms.KeyTransRecipientInfo, key: KeyOps) -> bytes:
    alg = ktri["key_encryption_algorithm"]
    oid = alg["algorithm"].dotted
    encrypted = ktri["encrypted_key"].native
    if oid in (SM2_ENCRYPT, SM2_EXCHANGE):
        if key.algorithm != "sm2":
            raise KeyUnwrapError("an SM2 RecipientInfo needs an SM2 key")
        return key.sm2_decrypt(encrypted)
    if key.algorithm != "rsa":
        raise KeyUnwrapError(f"key transport {oid} needs an RSA key")
    name = alg["algorithm"].native
    if name == "rsaes_pkcs1v15":
        return key.rsa_decrypt(encrypted, oaep_hash=None)
    if name == "rsaes_oaep":
        try:   # the parameters are parsed on first access, by the algorithm's type
            params = alg["parameters"]
            digest = params["hash_algorithm"]["algorithm"].native
            mgf = params["mask_gen_algorithm"]
            mgf_digest = mgf["parameters"]["algorithm"].native
            label = params["p_source_algorithm"]["parameters"].native
        except ASN1_ERRORS as exc:
            raise MalformedEnvelope(asn1_detail("RSAES-OAEP parameters", exc)) from None
        if mgf["algorithm"].native != "mgf1" or digest not in _OAEP_HASHES or mgf_digest != digest or label:
            raise UnsupportedEnvelope(f"RSAES-OAEP with {digest}, {mgf['algorithm'].native}-{mgf_digest}"
                                      f"{', a label' if label else ''}")
        return key.rsa_decrypt(encrypted, oaep_hash=digest)
    raise UnsupportedEnvelope(f"key transport algorithm {oid}")


def _unwrap_kari(kari: cms.KeyAgreeRecipientInfo, key: KeyOps, cert: x509.Certificate) -> bytes:
    if key.algorithm != "ec":
        raise KeyUnwrapError("an ECDH RecipientInfo needs an EC key")
    rek = next(r for r in kari["recipient_encrypted_keys"] if _rid_matches(r["rid"], cert))
    alg = kari["key_encryption_algorithm"]
    hash_cls = _KDF_SCHEMES.get(alg["algorithm"].dotted)
    if hash_cls is None:
        raise UnsupportedEnvelope(f"key agreement algorithm {alg['algorithm'].dotted}")
    try:
        wrap = cms.KeyEncryptionAlgorithm.load(alg["parameters"].dump())
        wrap_name = wrap["algorithm"].native
    except (ValueError, TypeError) as exc:
        raise MalformedEnvelope(asn1_detail("key-wrap algorithm", exc)) from None
    if wrap_name not in _WRAP_LENGTHS:
        raise UnsupportedEnvelope(f"key wrap {wrap['algorithm'].dotted}")
    originator = kari["originator"]
    if originator.name != "originator_key":
        raise UnsupportedEnvelope("key agreement with a static originator key")
    pub = _crypto_public_key(cert)
    _check_originator_algorithm(originator.chosen["algorithm"], cert)
    bit_string = originator.chosen["public_key"]
    if bit_string.contents[:1] != b"\x00":
        raise MalformedEnvelope("the originator's key has unused bits")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(pub.curve, bit_string.contents[1:])
    except (ValueError, TypeError):
        raise KeyUnwrapError("the originator's ephemeral key is not a point of the curve") from None
    shared = key.ecdh(peer)
    ukm = kari["ukm"].native if kari["ukm"].native is not None else None
    length = _WRAP_LENGTHS[wrap_name]
    kek = _kdf(hash_cls, shared, cms.KeyEncryptionAlgorithm({"algorithm": wrap_name}), length, ukm)
    try:
        return aes_key_unwrap(kek, rek["encrypted_key"].native)
    except (InvalidUnwrap, ValueError):
        raise KeyUnwrapError("AES key unwrap failed") from None


def _check_originator_algorithm(alg, cert: x509.Certificate) -> None:
    """RFC 5753: id-ecPublicKey with the parameters absent, NULL, or the recipient's own curve."""
    if alg["algorithm"].dotted != "1.2.840.10045.2.1":
        raise MalformedEnvelope(f"the originator's key is not an EC key ({alg['algorithm'].dotted})")
    params = alg["parameters"]
    if params.native is None or isinstance(params, core.Null):
        return
    if params.dump() != cert.public_key["algorithm"]["parameters"].dump():
        raise KeyUnwrapError("the originator's key is on another curve than the recipient's")


# -- describing ---------------------------------------------------------------------------------
def summarize(ri: cms.RecipientInfo) -> list[RecipientSummary]:
    """One summary per recipient key in ``ri`` (a kari may carry several)."""
    if ri.name == "ktri":
        ktri = ri.chosen
        alg = ktri["key_encryption_algorithm"]
        return [_summary("ktri", _ktri_name(alg), ktri["rid"])]
    if ri.name == "kari":
        kari = ri.chosen
        oid = kari["key_encryption_algorithm"]["algorithm"].dotted
        try:
            wrap = cms.KeyEncryptionAlgorithm.load(kari["key_encryption_algorithm"]["parameters"].dump())
            wrap_name = wrap["algorithm"].native.replace("_", "-")
        except (ValueError, TypeError, AttributeError):
            wrap_name = "?"
        name = f"ecdh-{_KDF_NAMES.get(oid, oid)}-{wrap_name}"
        return [_summary("kari", name, rek["rid"]) for rek in kari["recipient_encrypted_keys"]]
    return [RecipientSummary(ri.name, "?", None, None, None)]


def _ktri_name(alg: cms.KeyEncryptionAlgorithm) -> str:
    oid, name = alg["algorithm"].dotted, alg["algorithm"].native
    if oid == SM2_ENCRYPT:
        return "sm2-encrypt"
    if oid == SM2_EXCHANGE:
        return "sm2-exchange"
    if name == "rsaes_oaep":
        params = alg["parameters"]
        if isinstance(params, core.Void):    # RFC 4055: present, if only as an empty SEQUENCE
            raise MalformedEnvelope("RSAES-OAEP without its parameters in a RecipientInfo")
        return f"rsaes-oaep-{params['hash_algorithm']['algorithm'].native}"
    if name == "rsaes_pkcs1v15":
        return "rsaes-pkcs1v15"
    return oid


def _summary(kind: str, key_algorithm: str, rid: core.Choice) -> RecipientSummary:
    if rid.name == "issuer_and_serial_number":
        return RecipientSummary(kind, key_algorithm, rid.chosen["issuer"].human_friendly,
                                rid.chosen["serial_number"].native, None)
    ski = rid.chosen.native if rid.name == "subject_key_identifier" else rid.chosen["subject_key_identifier"].native
    return RecipientSummary(kind, key_algorithm, None, None, ski.hex())


def new_content_key(length: int) -> bytes:
    return os.urandom(length)


__all__ = ["RecipientSummary", "RecipientKeyUsageError", "check_recipient", "as_certificate", "family", "make_recipient_info", "unwrap_content_key",
           "find_recipient_info", "load_recipient_info", "summarize", "addressed_to"]
