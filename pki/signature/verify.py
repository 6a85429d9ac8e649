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

The parts: :mod:`pki.signature.signed_data` parses (the only place that catches asn1crypto's errors),
:mod:`pki.signature.signer` checks one SignerInfo, :mod:`pki.signature.timestamp` checks an attached
token; this module puts them together with the certificate chain.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from asn1crypto import cms, x509

from pki.errors import ASN1_ERRORS
from pki.certs import AnyCertificate, to_asn1
from pki.signature._digest import Content, digest, digest_content
from pki.signature.errors import SignatureFormatError
from pki.signature.signed_data import embedded_certificates, encapsulated_content, load_signed_data, present
from pki.signature.signer import SignerCheck, attribute_value, check_signer, find_signer_certificate
from pki.signature.timestamp import TimestampInfo, verify_timestamp_token
from pki.sm2 import is_sm2_spki
from pki.validation import Rejection, ValidationResult, validate_certificate


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
    timestamp: TimestampInfo | None
    reasons: tuple[Rejection, ...]
    checked_at: datetime | None
    content: bytes | None = field(default=None, repr=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def message(self) -> str:
        """Every reason in one line (empty when ok)."""
        return "；".join(r.message for r in self.reasons)


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
    # load_signed_data parses everything that is checked below, so only it needs to catch asn1crypto's errors
    _, signed_data = load_signed_data(signature)
    return _verify(signed_data, content=content, trust_roots=trust_roots, intermediates=intermediates, at=at,
                   crls=crls, revocation=revocation, tsa_trust_roots=tsa_trust_roots,
                   require_timestamp=require_timestamp, signer_index=signer_index)


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
    try:
        # load_signed_data leaves unsigned attribute values unparsed: the token is parsed here
        token = attribute_value(unsigned, "signature_time_stamp_token", native=False)
        if token is None:
            return None
        token_der = token.dump()
    except ASN1_ERRORS as exc:
        return _unreadable_timestamp(str(exc))
    try:
        return verify_timestamp_token(token_der, data=signer_info["signature"].native, trust_roots=trust_roots,
                                      intermediates=intermediates, crls=crls)
    except SignatureFormatError as exc:
        return _unreadable_timestamp(str(exc))


def _unreadable_timestamp(detail: str) -> TimestampInfo:
    first = detail.splitlines()[0] if detail else ""
    return TimestampInfo.unreadable(Rejection("timestamp_unreadable", f"时间戳无法解析 (unreadable timestamp token: "
                                                                      f"{first})"))


__all__ = ["SignatureVerification", "verify",
           # re-exported: they lived here before pki.signature.signed_data / signer / timestamp
           "present", "SignerCheck", "load_signed_data", "embedded_certificates", "encapsulated_content",
           "find_signer_certificate", "check_signer", "TimestampInfo"]
