"""Verification of CMS SignedData and GM/T 0010 signedData.

:func:`verify` checks *every* SignerInfo and answers with a :class:`SignatureVerification`: one
:class:`SignerVerification` per signer (who signed, when they claim to have signed, which flavour
verified, the certificate chain's validation result, a timestamp if one is attached, every reason for
refusal), and ``ok`` only when every signer's signature holds. Input that is not a SignedData at all
(or has no SignerInfo) raises :class:`~pki.signature.errors.SignatureFormatError`; nothing else
escapes as an exception for a bad signature.

What is verified is what was received: signatures over the received signedAttrs bytes, the content
digest over the received eContent octets, GmSSL's flavour over the received EncapsulatedContentInfo,
timestamp tokens as received (:mod:`pki.signature._received`). Signed parts that are not DER are
refused (``not_der``); the outer framing may be BER, as ``openssl cms -sign -stream`` writes it.

Reason codes (besides those of :func:`pki.validation.validate_certificate` for the chain):
``content_missing``, ``content_mismatch``, ``signer_certificate_missing``, ``unsupported_algorithm``,
``weak_algorithm``, ``missing_attribute``, ``content_type_mismatch``, ``digest_mismatch``,
``bad_signature``, ``signing_certificate_mismatch``, ``key_usage_missing``, ``timestamp_invalid``,
``timestamp_missing``, ``not_der`` (signed attributes or an ECDSA/SM2 signature value not in DER),
``malformed_attribute`` (content-type, message-digest, signing-time or ESS signing-certificate twice
or with other than one value),
``chain_unreadable`` (a certificate the chain search met cannot be evaluated),
``malformed`` (the unsigned framing contradicts itself: versions, digestAlgorithms).

The parts: :mod:`pki.signature.signed_data` parses and slices the received bytes
(:mod:`~pki.signature._received`) and refuses what is not even BER (:mod:`~pki.signature._strict`),
:mod:`pki.signature.signer` checks one SignerInfo, :mod:`pki.signature.timestamp` checks an attached
token; this module puts them together with the certificate chain, once per signer.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from asn1crypto import cms, x509

from pki.certs import AnyCertificate, to_asn1
from pki.errors import ASN1_ERRORS
from pki.signature._digest import Content, digest, digest_content
from pki.signature._received import TIME_STAMP_TOKEN_OID, ReceivedSignerInfo
from pki.signature.errors import SignatureFormatError
from pki.signature.signed_data import (SignedDataReading, embedded_certificates, encapsulated_content,
                                       load_signed_data, present, read_signed_data)
from pki.signature.signer import SignerCheck, check_signer, find_signer_certificate, is_sm2_key
from pki.signature.timestamp import TimestampInfo, verify_timestamp_token
from pki.validation import Rejection, ValidationResult, validate_certificate


@dataclass(frozen=True)
class SignerVerification:
    """The outcome for one SignerInfo (``index``: its place in signerInfos, from 0).

    ``flavour`` is ``'cms'`` (RSA/ECDSA), ``'gm-standard'`` (SM2 with Z) or ``'gm-gmssl'`` (GmSSL's
    SM2 without Z); for an SM2 signature that verifies in neither, ``'gm-standard'`` is reported with
    a ``bad_signature`` reason. ``checked_at`` is the moment the certificate chain was validated at.
    """

    index: int
    ok: bool
    flavour: str
    signer_certificate: x509.Certificate | None = field(repr=False)
    signer_subject: str | None
    signing_time: datetime | None
    digest_algorithm: str | None
    signature_algorithm: str | None
    chain: ValidationResult | None = field(repr=False)
    timestamp: TimestampInfo | None
    reasons: tuple[Rejection, ...]
    checked_at: datetime | None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def message(self) -> str:
        """Every reason in one line (empty when ok)."""
        return "；".join(r.message for r in self.reasons)


@dataclass(frozen=True)
class SignatureVerification:
    """The outcome of :func:`verify`: ``signers`` has one :class:`SignerVerification` per SignerInfo,
    in order; ``ok`` holds when every one of them does.

    ``reasons`` gathers every signer's reasons (prefixed with the signer's number when there are
    several) and those about the whole (``content_mismatch``). The signer fields — ``flavour``,
    ``signer_certificate``, ``signer_subject``, ``signing_time``, ``digest_algorithm``,
    ``signature_algorithm``, ``chain``, ``timestamp``, ``checked_at`` — are the *first* signer's, for
    callers that expect one signer; look at ``signers`` when there may be more. ``content`` is the
    attached content (None when detached).
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
    signers: tuple[SignerVerification, ...] = ()

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
           require_timestamp: bool = False) -> SignatureVerification:
    """Verify a CMS or GM/T 0010 SignedData (DER, BER or PEM): every SignerInfo in it.

    - ``content``: the signed content for a detached signature (bytes, or a path hashed in chunks).
    - ``trust_roots`` / ``intermediates`` / ``crls`` / ``revocation``: for each signer's chain, through
      :func:`pki.validation.validate_certificate` (certificates inside the signature are used as
      intermediates too, never as roots).
    - ``at``: the moment to validate the chains at. Default: for each signer, the time of its valid
      attached timestamp token, else now.
    - ``tsa_trust_roots``: roots for the timestamps' TSA certificates (default ``trust_roots``).
    - ``require_timestamp``: refuse (``timestamp_missing``) a signer without a timestamp token.
      Unsigned attributes are not protected by the signature: anyone can strip a token, so a caller
      that relies on one (receipts) must ask for it.
    """
    # read_signed_data parses everything that is checked below, so only it needs to catch asn1crypto's errors
    reading = read_signed_data(signature)
    return _verify(reading, content=content, trust_roots=trust_roots, intermediates=intermediates, at=at,
                   crls=crls, revocation=revocation, tsa_trust_roots=tsa_trust_roots,
                   require_timestamp=require_timestamp)


# -- the verification proper ----------------------------------------------------------------------------
def _verify(reading: SignedDataReading, *, content, trust_roots, intermediates, at, crls, revocation,
            tsa_trust_roots, require_timestamp) -> SignatureVerification:
    signed_data, received = reading.signed_data, reading.received
    content_type = signed_data["encap_content_info"]["content_type"].native
    attached = received.econtent
    reasons: list[Rejection] = []
    if attached is not None and content is not None:
        if digest_content("sha256", content) != digest("sha256", attached):
            reasons.append(Rejection("content_mismatch", "提供的原文与签名中封装的原文不同 (the content given differs "
                                                         "from the content inside the signature)"))
    signed_content = attached if attached is not None else content
    extra = [to_asn1(c) for c in intermediates]
    signers = tuple(
        _verify_signer(index, reading, signer_info, received.signer_infos[index], signed_content, extra,
                       trust_roots=trust_roots, intermediates=intermediates, at=at, crls=crls, revocation=revocation,
                       tsa_trust_roots=tsa_trust_roots if tsa_trust_roots is not None else trust_roots,
                       require_timestamp=require_timestamp)
        for index, signer_info in enumerate(signed_data["signer_infos"]))
    several = len(signers) > 1
    for signer in signers:
        for reason in signer.reasons:
            reasons.append(Rejection(reason.code, f"第 {signer.index + 1} 个签名者 (signer {signer.index + 1})："
                                                  f"{reason.message}") if several else reason)
    first = signers[0]
    return SignatureVerification(
        ok=not reasons, flavour=first.flavour, signer_certificate=first.signer_certificate,
        signer_subject=first.signer_subject, signing_time=first.signing_time,
        digest_algorithm=first.digest_algorithm, signature_algorithm=first.signature_algorithm,
        content_type=content_type, detached=attached is None, chain=first.chain, timestamp=first.timestamp,
        reasons=tuple(reasons), checked_at=first.checked_at, content=attached, signers=signers)


def _verify_signer(index: int, reading: SignedDataReading, signer_info: cms.SignerInfo,
                   received: ReceivedSignerInfo, signed_content, extra, *, trust_roots, intermediates, at, crls,
                   revocation, tsa_trust_roots, require_timestamp) -> SignerVerification:
    signed_data = reading.signed_data
    if signed_content is None:
        check = SignerCheck()
        check.certificate = find_signer_certificate(signer_info, [*embedded_certificates(signed_data), *extra])
        if check.certificate is not None and is_sm2_key(check.certificate):
            check.flavour = "gm-standard"
        check.reasons.append(Rejection("content_missing", "分离式签名需要提供原文 (a detached signature needs the "
                                                          "signed content)"))
    else:
        check = check_signer(signed_data, signer_info, signed_content, extra, received=received,
                             encap_content_info=reading.received.encap_content_info
                             if reading.received.econtent is not None else None)
    reasons = list(check.reasons)
    cert = check.certificate
    timestamp = _timestamp(signer_info, received, trust_roots=tsa_trust_roots, intermediates=intermediates,
                           crls=crls)
    if timestamp is None and require_timestamp:
        reasons.append(Rejection("timestamp_missing", "签名没有时间戳 (the signature carries no timestamp token)"))
    if timestamp is not None and not timestamp.ok:
        reasons.append(Rejection("timestamp_invalid", f"时间戳无效：{timestamp.message()} (the timestamp is "
                                                      f"invalid)"))
    when = at or (timestamp.gen_time if timestamp is not None and timestamp.ok else None) or datetime.now(timezone.utc)
    chain = None
    if cert is not None:
        others = [c for c in embedded_certificates(signed_data) if c.dump() != cert.dump()] + extra
        try:
            chain = validate_certificate(cert, at=when, trust_roots=trust_roots, intermediates=others, crls=crls,
                                         revocation=revocation)
            reasons += chain.reasons
        except ASN1_ERRORS as exc:
            # e.g. a name asn1crypto cannot prepare for comparison (private-use characters)
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reasons.append(Rejection("chain_unreadable", f"证书链中有无法比较的证书 (a certificate on the way to the "
                                                         f"roots cannot be evaluated: {detail})"))
        reasons += _signing_key_usage(cert)
    return SignerVerification(
        index=index, ok=not reasons, flavour=check.flavour, signer_certificate=cert,
        signer_subject=cert.subject.human_friendly if cert is not None else None,
        signing_time=check.signing_time, digest_algorithm=check.digest_algorithm,
        signature_algorithm=check.signature_algorithm, chain=chain, timestamp=timestamp, reasons=tuple(reasons),
        checked_at=when)


def _signing_key_usage(cert: x509.Certificate) -> list[Rejection]:
    usage = cert.key_usage_value
    if usage is None or {"digital_signature", "non_repudiation"} & set(usage.native):
        return []
    return [Rejection("key_usage_missing", "签名者证书的密钥用法不允许数字签名 (the signer certificate's key usage "
                                           "allows neither digital signature nor non-repudiation)")]


def _timestamp(signer_info: cms.SignerInfo, received: ReceivedSignerInfo, *, trust_roots, intermediates, crls):
    if not present(signer_info["unsigned_attrs"]):
        return None
    try:
        # the token exactly as received, not asn1crypto's re-encoding of the parsed attribute
        tokens = received.unsigned_values(TIME_STAMP_TOKEN_OID)
    except (ValueError, IndexError) as exc:
        return _unreadable_timestamp(str(exc))
    if not tokens:
        return None
    try:
        return verify_timestamp_token(tokens[0], data=signer_info["signature"].native, trust_roots=trust_roots,
                                      intermediates=intermediates, crls=crls)
    except SignatureFormatError as exc:
        return _unreadable_timestamp(str(exc))


def _unreadable_timestamp(detail: str) -> TimestampInfo:
    first = detail.splitlines()[0] if detail else ""
    return TimestampInfo.unreadable(Rejection("timestamp_unreadable", f"时间戳无法解析 (unreadable timestamp token: "
                                                                      f"{first})"))


__all__ = ["SignatureVerification", "SignerVerification", "verify",
           # re-exported: they lived here before pki.signature.signed_data / signer / timestamp
           "present", "SignerCheck", "load_signed_data", "embedded_certificates", "encapsulated_content",
           "find_signer_certificate", "check_signer", "TimestampInfo"]
