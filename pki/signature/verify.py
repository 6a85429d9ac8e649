"""Verification of CMS SignedData and GM/T 0010 signedData.

:func:`verify` answers with a :class:`SignatureVerification`: whether the signature holds, who
signed, when they claim to have signed, which flavour verified, the certificate chain's
validation result, a timestamp if one is attached, and every reason for refusal. Input that is not
a SignedData at all raises :class:`~pki.signature.errors.SignatureFormatError`; nothing else
escapes as an exception for a bad signature.

Reason codes (besides those of :func:`pki.validation.validate_certificate` for the chain):
``content_missing``, ``content_mismatch``, ``signer_certificate_missing``, ``unsupported_algorithm``,
``weak_algorithm``, ``missing_attribute``, ``content_type_mismatch``, ``digest_mismatch``,
``bad_signature``, ``signing_certificate_mismatch``, ``key_usage_missing``, ``timestamp_invalid``,
``timestamp_missing``,
``malformed`` (the unsigned framing contradicts itself: versions, digestAlgorithms).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from asn1crypto import cms, core, pem, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from pki.certs import AnyCertificate, to_asn1
from pki.signature import _der, gm
from pki.signature._digest import ACCEPTED_DIGESTS, DIGESTS, Content, digest, digest_content, hash_algorithm
from pki.signature.errors import SignatureFormatError
from pki.sm2 import Sm2Error, Sm2PublicKey, is_sm2_spki
from pki.validation import Rejection, ValidationResult, validate_certificate

if TYPE_CHECKING:
    from pki.timestamps import TimestampInfo

PEM_LABELS = ("CMS", "PKCS7", "PKCS #7 SIGNED DATA", "SIGNED DATA")
SIGNED_TYPES = ("signed_data", "gm_signed_data")
#: SignerInfo signature algorithms accepted with an SM2 key: sm2sign-with-sm3 (GM/T 0010) and the bare
#: SM2-1 signature OID some CA clients write.
SM2_SIGNATURE_ALGORITHMS = ("sm2sign_with_sm3", "sm2sign")


@dataclass(frozen=True)
class SignatureVerification:
    """The outcome of :func:`verify` for one SignerInfo.

    ``flavour`` is ``'cms'`` (RSA/ECDSA), ``'gm-standard'`` (SM2 with Z) or ``'gm-gmssl'`` (GmSSL's
    SM2 without Z); for an SM2 signature that verifies in neither, ``'gm-standard'`` is reported with
    a ``bad_signature`` reason. ``content`` is the attached content (None when detached).
    ``checked_at`` is the moment the certificate chain was validated at.
    """

    ok: bool
    flavour: str
    signer_certificate: x509.Certificate | None = field(repr=False)
    signer_subject: str | None
    signing_time: datetime | None
    digest_algorithm: str | None
    signature_algorithm: str | None
    content_type: str | None
    detached: bool
    chain: ValidationResult | None = field(repr=False)
    timestamp: "TimestampInfo | None"
    reasons: tuple[Rejection, ...]
    checked_at: datetime | None
    content: bytes | None = field(default=None, repr=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def message(self) -> str:
        """Every reason in one line (empty when ok)."""
        return "；".join(r.message for r in self.reasons)


@dataclass
class SignerCheck:
    """The cryptographic part of verifying one SignerInfo (no chain, no timestamp)."""

    certificate: x509.Certificate | None = None
    flavour: str = "cms"
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    signing_time: datetime | None = None
    reasons: list[Rejection] = field(default_factory=list)


# -- public API ---------------------------------------------------------------------------------------
def verify(signature: bytes, *, content: Content | None = None, trust_roots: Sequence[AnyCertificate],
           intermediates: Sequence[AnyCertificate] = (), at: datetime | None = None, crls: Sequence[bytes] = (),
           revocation: str = "soft-fail", tsa_trust_roots: Sequence[AnyCertificate] | None = None,
           require_timestamp: bool = False, signer_index: int = 0) -> SignatureVerification:
    """Verify a CMS or GM/T 0010 SignedData (DER, BER or PEM).

    - ``content``: the signed content for a detached signature (bytes, or a path hashed in chunks).
    - ``trust_roots`` / ``intermediates`` / ``crls`` / ``revocation``: for the signer's chain, through
      :func:`pki.validation.validate_certificate` (certificates inside the signature are used as
      intermediates too, never as roots).
    - ``at``: the moment to validate the chain at. Default: the time of a valid attached timestamp
      token, else now.
    - ``tsa_trust_roots``: roots for the timestamp's TSA certificate (default ``trust_roots``).
    - ``require_timestamp``: refuse (``timestamp_missing``) a signature without a timestamp token.
      Unsigned attributes are not protected by the signature: anyone can strip a token, so a caller
      that relies on one (receipts) must ask for it.
    """
    _, signed_data = load_signed_data(signature)
    try:
        return _verify(signed_data, content=content, trust_roots=trust_roots, intermediates=intermediates, at=at,
                       crls=crls, revocation=revocation, tsa_trust_roots=tsa_trust_roots,
                       require_timestamp=require_timestamp, signer_index=signer_index)
    except SignatureFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise SignatureFormatError(f"签名数据结构损坏 (the signature structure is damaged: {exc})") from exc


def load_signed_data(data: bytes) -> tuple[cms.ContentInfo, cms.SignedData]:
    """Parse PEM / DER / BER into (ContentInfo, SignedData), fully, or raise SignatureFormatError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("signature must be bytes")
    data = bytes(data)
    try:
        if pem.detect(data):
            label, _, data = pem.unarmor(data)
            if label not in PEM_LABELS:
                raise SignatureFormatError(f"PEM 类型不是签名数据：{label} (PEM label {label!r} is not a signature)")
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native not in SIGNED_TYPES:
            raise SignatureFormatError(f"不是签名数据，而是 {info['content_type'].native} (not SignedData but "
                                       f"{info['content_type'].native})")
        signed = info["content"]
        if not isinstance(signed, cms.SignedData):
            raise SignatureFormatError("签名数据内容缺失 (SignedData content missing)")
        # A full parse now, so damage is found here and not later. Unsigned attributes are only
        # walked to their types: ``.native`` over a nested timestamp token makes asn1crypto
        # re-encode it level by level (seconds); tokens are parsed on their own when checked.
        for name in ("version", "digest_algorithms", "certificates", "crls"):
            signed[name].native
        signed["encap_content_info"]["content_type"].native
        if len(signed["signer_infos"]) == 0:
            raise SignatureFormatError("签名数据中没有签名者 (the SignedData has no SignerInfo)")
        _no_extra_fields(info, signed, signed["encap_content_info"], *signed["signer_infos"])
        for cert in embedded_certificates(signed):
            if cert["signature_value"].contents[:1] != b"\x00":
                raise SignatureFormatError("证书签名值不是 DER 编码 (a certificate's signature BIT STRING is not DER)")
        for signer_info in signed["signer_infos"]:
            for name, *_ in cms.SignerInfo._fields:
                if name != "unsigned_attrs":
                    signer_info[name].native
            for attr in signer_info["unsigned_attrs"] if present(signer_info["unsigned_attrs"]) else ():
                attr["type"].native
                len(attr["values"])
    except SignatureFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise SignatureFormatError(f"无法解析签名数据 (unreadable signature data: {exc})") from exc
    return info, signed


def _no_extra_fields(*sequences: core.Sequence) -> None:
    """asn1crypto keeps unknown trailing elements of a SEQUENCE silently: refuse them."""
    for seq in sequences:
        if len(seq) > len(seq._fields):
            raise SignatureFormatError(f"{type(seq).__name__} 含有多余的字段 ({type(seq).__name__} has extra "
                                       f"elements)")


def present(value: core.Asn1Value) -> bool:
    """Whether an optional field is there, without ``.native`` (which is slow over nested tokens)."""
    return not isinstance(value, core.Void)


def embedded_certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    """The X.509 certificates carried in a SignedData (other choices are skipped)."""
    certs = signed_data["certificates"]
    if not certs:
        return []
    return [c.chosen for c in certs if c.name == "certificate"]


def encapsulated_content(signed_data: cms.SignedData) -> bytes | None:
    """The eContent octets (chunks of a BER constructed OCTET STRING joined), or None if detached."""
    value = signed_data["encap_content_info"]["content"]
    if isinstance(value, core.Void) or value is None:
        return None
    if isinstance(value, core.ParsableOctetString):
        return bytes(value)
    if isinstance(value, core.OctetString):
        return value.native
    raise SignatureFormatError("封装内容不是 OCTET STRING (eContent is not an OCTET STRING)")


def find_signer_certificate(signer_info: cms.SignerInfo,
                            candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def check_signer(signed_data: cms.SignedData, signer_info: cms.SignerInfo, content: Content,
                 extra_certificates: Sequence[x509.Certificate] = ()) -> SignerCheck:
    """Check one SignerInfo over ``content``: certificate found, algorithms accepted, content-type and
    message-digest attributes, the signature itself (either SM2 flavour), ESS signing-certificate."""
    result = SignerCheck()
    result.reasons += _structure_reasons(signed_data, signer_info)
    content_type = signed_data["encap_content_info"]["content_type"].native
    result.certificate = cert = find_signer_certificate(
        signer_info, [*embedded_certificates(signed_data), *extra_certificates])
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    sig_alg = signer_info["signature_algorithm"]
    result.digest_algorithm = digest_name
    result.signature_algorithm = sig_alg["algorithm"].native
    is_sm2_sig = sig_alg["algorithm"].native in SM2_SIGNATURE_ALGORITHMS or (
        cert is not None and is_sm2_spki(cert.public_key))
    if is_sm2_sig:
        result.flavour = "gm-standard"
        if sig_alg["algorithm"].native not in SM2_SIGNATURE_ALGORITHMS or digest_name != "sm3":
            result.reasons.append(_unsupported(f"{sig_alg['algorithm'].dotted} / {digest_name} with an SM2 key"))
            return result
    attrs = signer_info["signed_attrs"]
    attrs_contents = attrs.contents if present(attrs) else None
    result.signing_time = _attribute(attrs, "signing_time") if attrs_contents is not None else None
    if cert is None:
        result.reasons.append(Rejection("signer_certificate_missing", "签名中找不到签名者证书 (the signer's "
                                                                      "certificate is not in the signature)"))
        return result
    if digest_name not in DIGESTS:
        result.reasons.append(Rejection("unsupported_algorithm", f"不支持的摘要算法 {digest_name} (unsupported "
                                                                 f"digest algorithm {digest_name})"))
        return result
    if digest_name not in ACCEPTED_DIGESTS:
        result.reasons.append(Rejection("weak_algorithm", f"摘要算法 {digest_name} 已不安全 (digest algorithm "
                                                          f"{digest_name} is no longer safe)"))
        return result
    if attrs_contents is not None:
        result.reasons += _check_attributes(attrs, content, content_type, digest_name, cert)
    signature = signer_info["signature"].native
    if is_sm2_sig:
        flavour = _verify_sm2(cert, signature, content, content_type, attrs_contents)
        if flavour is None:
            result.reasons.append(_bad_signature())
        else:
            result.flavour = flavour
        return result
    result.reasons += _verify_classic(cert, sig_alg, digest_name, signature, content, attrs_contents)
    return result


# -- the verification proper ----------------------------------------------------------------------------
def _verify(signed_data: cms.SignedData, *, content, trust_roots, intermediates, at, crls, revocation,
            tsa_trust_roots, require_timestamp, signer_index) -> SignatureVerification:
    signer_infos = signed_data["signer_infos"]
    if not 0 <= signer_index < len(signer_infos):
        raise SignatureFormatError(f"没有第 {signer_index} 个签名者 (no SignerInfo number {signer_index})")
    signer_info = signer_infos[signer_index]
    content_type = signed_data["encap_content_info"]["content_type"].native
    attached = encapsulated_content(signed_data)
    reasons: list[Rejection] = []
    if attached is not None and content is not None:
        if digest_content("sha256", content) != digest("sha256", attached):
            reasons.append(Rejection("content_mismatch", "提供的原文与签名中封装的原文不同 (the content given differs "
                                                         "from the content inside the signature)"))
    signed_content = attached if attached is not None else content
    extra = [to_asn1(c) for c in intermediates]
    if signed_content is None:
        check = SignerCheck()
        check.certificate = find_signer_certificate(signer_info, [*embedded_certificates(signed_data), *extra])
        if check.certificate is not None and is_sm2_spki(check.certificate.public_key):
            check.flavour = "gm-standard"
        check.reasons.append(Rejection("content_missing", "分离式签名需要提供原文 (a detached signature needs the "
                                                          "signed content)"))
    else:
        check = check_signer(signed_data, signer_info, signed_content, extra)
    reasons += check.reasons
    cert = check.certificate

    timestamp = _timestamp(signer_info, trust_roots=tsa_trust_roots if tsa_trust_roots is not None else trust_roots,
                           intermediates=intermediates, crls=crls)
    if timestamp is None and require_timestamp:
        reasons.append(Rejection("timestamp_missing", "签名没有时间戳 (the signature carries no timestamp token)"))
    if timestamp is not None and not timestamp.ok:
        reasons.append(Rejection("timestamp_invalid", f"时间戳无效：{timestamp.message()} (the timestamp is "
                                                      f"invalid)"))
    when = at or (timestamp.gen_time if timestamp is not None and timestamp.ok else None) or datetime.now(timezone.utc)
    chain = None
    if cert is not None:
        others = [c for c in embedded_certificates(signed_data) if c.dump() != cert.dump()] + extra
        chain = validate_certificate(cert, at=when, trust_roots=trust_roots, intermediates=others, crls=crls,
                                     revocation=revocation)
        reasons += chain.reasons
        reasons += _signing_key_usage(cert)
    return SignatureVerification(
        ok=not reasons, flavour=check.flavour, signer_certificate=cert,
        signer_subject=cert.subject.human_friendly if cert is not None else None,
        signing_time=check.signing_time, digest_algorithm=check.digest_algorithm,
        signature_algorithm=check.signature_algorithm, content_type=content_type, detached=attached is None,
        chain=chain, timestamp=timestamp, reasons=tuple(reasons), checked_at=when, content=attached)


def _structure_reasons(signed_data: cms.SignedData, signer_info: cms.SignerInfo) -> list[Rejection]:
    """RFC 5652 §5.1/§5.3 consistency of the unsigned framing: the signer's digest algorithm is listed
    in digestAlgorithms, and the versions fit the signer identifier."""
    listed = {a["algorithm"].dotted for a in signed_data["digest_algorithms"]}
    problems = []
    if signer_info["digest_algorithm"]["algorithm"].dotted not in listed:
        problems.append("digestAlgorithms")
    # parameters of digest and (non-PSS) signature algorithms are absent or NULL
    algorithms = [*signed_data["digest_algorithms"], signer_info["digest_algorithm"]]
    if signer_info["signature_algorithm"]["algorithm"].native != "rsassa_pss":
        algorithms.append(signer_info["signature_algorithm"])
    if any(a["parameters"].native is not None for a in algorithms):
        problems.append("algorithm parameters")
    if signed_data["version"].native not in ("v1", "v3", "v4", "v5"):
        problems.append("SignedData version")
    sid_version = {"issuer_and_serial_number": "v1", "subject_key_identifier": "v3"}[signer_info["sid"].name]
    if signer_info["version"].native != sid_version:
        problems.append("SignerInfo version")
    if not problems:
        return []
    what = ", ".join(problems)
    return [Rejection("malformed", f"签名数据结构不一致：{what} (the SignedData is inconsistent: {what})")]


def _verify_sm2(cert, signature, content, content_type, attrs_contents) -> str | None:
    if not is_sm2_spki(cert.public_key):
        return None
    try:
        public_key = Sm2PublicKey.from_certificate(cert)
    except Sm2Error:
        return None
    return gm.verify_sm2(public_key, signature, content=content, content_type=content_type,
                         attrs_contents=attrs_contents)


def _verify_classic(cert, sig_alg, digest_name, signature, content, attrs_contents) -> list[Rejection]:
    try:
        public_key = serialization.load_der_public_key(cert.public_key.dump())
    except (ValueError, UnsupportedAlgorithm):
        return [Rejection("unsupported_algorithm", "签名者证书的公钥类型不受支持 (the signer's key type is not "
                                                   "supported)")]
    if attrs_contents is not None:
        data, hasher = _der.set_of(attrs_contents), hash_algorithm(digest_name)
    else:
        data, hasher = digest_content(digest_name, content), utils.Prehashed(hash_algorithm(digest_name))
    try:
        scheme = sig_alg.signature_algo
    except ValueError:
        return [_unsupported(sig_alg["algorithm"].native)]
    combined = sig_alg["algorithm"].native.split("_")
    if len(combined) == 2 and combined[1] in ("rsa", "ecdsa") and combined[0] != digest_name:
        # e.g. ecdsa-with-SHA384 beside digestAlgorithm sha256: contradictory, refuse
        return [_unsupported(f"{sig_alg['algorithm'].native} with digest {digest_name}")]
    try:
        if scheme == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hasher)
        elif scheme == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            params = sig_alg["parameters"]
            pss_hash = params["hash_algorithm"]["algorithm"].native
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            if pss_hash != digest_name or mgf_hash not in DIGESTS:
                return [_unsupported(f"RSASSA-PSS {pss_hash}/{mgf_hash}")]
            public_key.verify(signature, data, padding.PSS(mgf=padding.MGF1(hash_algorithm(mgf_hash)),
                                                           salt_length=params["salt_length"].native), hasher)
        elif scheme == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hasher))
        else:
            return [_unsupported(f"{sig_alg['algorithm'].native} / {type(public_key).__name__}")]
    except InvalidSignature:
        return [_bad_signature()]
    return []


def _check_attributes(attrs, content, content_type, digest_name, cert) -> list[Rejection]:
    reasons = []
    declared_type = _attribute(attrs, "content_type")
    declared_digest = _attribute(attrs, "message_digest")
    if declared_type is None or declared_digest is None:
        return [Rejection("missing_attribute", "签名属性缺少 content-type 或 message-digest (signed attributes "
                                               "lack content-type or message-digest)")]
    if declared_type != content_type:
        reasons.append(Rejection("content_type_mismatch", f"签名属性中的内容类型 {declared_type} 与封装内容 {content_type} "
                                                          f"不符 (content-type attribute does not match)"))
    if declared_digest != digest_content(digest_name, content):
        reasons.append(Rejection("digest_mismatch", "原文摘要与签名不符，原文可能被篡改 (the content's digest does not "
                                                    "match the signature: the content may have been altered)"))
    reasons += _check_ess(attrs, cert)
    return reasons


def _check_ess(attrs, cert) -> list[Rejection]:
    for kind in ("signing_certificate_v2", "signing_certificate"):
        value = _attribute(attrs, kind, native=False)
        if value is None:
            continue
        first = value["certs"][0]
        name = first["hash_algorithm"]["algorithm"].native if kind == "signing_certificate_v2" else "sha1"
        if name not in DIGESTS or digest(name, cert.dump()) != first["cert_hash"].native:
            return [Rejection("signing_certificate_mismatch", "签名属性中的签名证书与实际签名者证书不符 (the "
                                                              "signing-certificate attribute names another "
                                                              "certificate)")]
        return []
    return []


def _attribute(attrs, name: str, *, native: bool = True):
    for attr in attrs:
        if attr["type"].native == name:
            value = attr["values"][0]
            return value.native if native else value
    return None


def _signing_key_usage(cert: x509.Certificate) -> list[Rejection]:
    usage = cert.key_usage_value
    if usage is None or {"digital_signature", "non_repudiation"} & set(usage.native):
        return []
    return [Rejection("key_usage_missing", "签名者证书的密钥用法不允许数字签名 (the signer certificate's key usage "
                                           "allows neither digital signature nor non-repudiation)")]


def _timestamp(signer_info, *, trust_roots, intermediates, crls):
    unsigned = signer_info["unsigned_attrs"]
    if not present(unsigned):
        return None
    token = _attribute(unsigned, "signature_time_stamp_token", native=False)
    if token is None:
        return None
    from pki.timestamps import TimestampInfo, verify_timestamp_token  # pki.timestamps builds on this module

    try:
        return verify_timestamp_token(token.dump(), data=signer_info["signature"].native, trust_roots=trust_roots,
                                      intermediates=intermediates, crls=crls)
    except SignatureFormatError as exc:
        return TimestampInfo(ok=False, gen_time=None, tsa_name=None, serial_number=None, policy=None,
                             hash_algorithm=None, nonce=None, accuracy_seconds=None, tsa_certificate=None, chain=None,
                             reasons=(Rejection("timestamp_unreadable", f"时间戳无法解析 (unreadable timestamp token: "
                                                                        f"{str(exc).splitlines()[0]})"),))


def _bad_signature() -> Rejection:
    return Rejection("bad_signature", "签名值验证失败，签名数据可能被篡改 (the signature value does not verify: "
                                      "the signed data may have been altered)")


def _unsupported(what: str) -> Rejection:
    return Rejection("unsupported_algorithm", f"不支持的签名算法 {what} (unsupported signature algorithm {what})")


__all__ = ["present", "SignatureVerification", "SignerCheck", "verify", "load_signed_data", "embedded_certificates",
           "encapsulated_content", "find_signer_certificate", "check_signer"]
