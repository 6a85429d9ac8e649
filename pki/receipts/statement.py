"""A platform statement: canonical JSON signed by the platform's receipt certificate, with an RFC 3161
timestamp token over the signature. Receipts and opening transcripts are both made and checked here;
what their JSON says is :mod:`pki.receipts.receipt` and :mod:`pki.receipts.transcript`.

The signature is an attached CMS SignedData (RSA PKCS#1 v1.5 or ECDSA, SHA-256) or, for an SM2 key,
a GM/T 0010 signedData (SM2 with SM3, standard flavour with Z), with the signed attributes
content-type, message-digest, ESS signing-certificate-v2 and, when given, signing-time. The only
unsigned attribute is id-aa-timeStampToken. ``openssl cms -verify -purpose any`` reads the RSA and
EC forms and prints the JSON.

The signer must be the platform's *receipt* certificate: its extended key usage names
:data:`RECEIPT_SIGNING_EKU`. Without that, any certificate from a trusted CA — a bidder's own signing
certificate included — could sign something that looks like a receipt.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509

from pki.certs import AnyCertificate, to_asn1
from pki.errors import ASN1_ERRORS
from pki.keyops import KeyOps
from pki.receipts.errors import NotReceiptCertificate
from pki.signature import SignatureVerification, verify
from pki.signature.cms import build_signed_data
from pki.signature.signed_data import present, read_signed_data
from pki.timestamps import TsaSource, add_timestamp
from pki.validation import Rejection

#: Extended key usage of the platform's receipt certificate (the platform's private arc, as in
#: config/trust): id-kp-ebidReceiptSigning. It signs receipts and opening transcripts only.
RECEIPT_SIGNING_EKU = "2.25.72332915291831301101814497930267910821.5.1"
#: Content types of a statement: id-data (CMS), GM/T 0010 data (SM2).
CONTENT_TYPES = ("data", "gm_data")


@dataclass(frozen=True)
class StatementCheck:
    """The signature side of a statement: ``signature`` is :func:`pki.signature.verify`'s full answer,
    ``content`` the signed JSON bytes (None when absent), ``reasons`` every refusal of the signature
    and of the statement's framing (signer count, content, unsigned attributes, certificate role)."""

    signature: SignatureVerification = field(repr=False)
    content: bytes | None = field(repr=False)
    reasons: tuple[Rejection, ...]

    @property
    def signer_certificate(self) -> x509.Certificate | None:
        return self.signature.signer_certificate

    @property
    def timestamp(self):
        return self.signature.timestamp


class SignedStatementResult:
    """What a receipt's and a transcript's check share: the signature side (``statement``) and
    every reason (``reasons``) of the subclass, read through the same properties."""

    statement: StatementCheck
    reasons: tuple[Rejection, ...]

    @property
    def signature(self) -> SignatureVerification:
        return self.statement.signature

    @property
    def timestamp(self):
        return self.statement.timestamp

    @property
    def signer_certificate(self) -> x509.Certificate | None:
        return self.statement.signer_certificate

    @property
    def signer_subject(self) -> str | None:
        return self.signature.signer_subject

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def message(self) -> str:
        """Every reason in one line (empty when ok)."""
        return "；".join(r.message for r in self.reasons)


def sign_statement(content: bytes, *, key: KeyOps, certificate: AnyCertificate,
                   chain: Sequence[AnyCertificate] = (), tsa: TsaSource,
                   signing_time: datetime | None = None) -> bytes:
    """The SignedData DER over ``content`` (attached), with a token from ``tsa`` (a URL or a
    responder such as :class:`pki.timestamps.TimeStampAuthority`) over the signature value.

    ``signing_time``: written as the signing-time attribute when given; the trusted time is the
    token's. Refuses a certificate that is not a receipt certificate."""
    cert = to_asn1(certificate)
    if not has_receipt_role(cert):
        raise NotReceiptCertificate()
    is_gm = key.algorithm == "sm2"
    parts = build_signed_data(content, key=key, certificate=cert, chain=chain,
                              content_type="gm_data" if is_gm else "data",
                              signing_time=signing_time, include_signing_time=signing_time is not None,
                              flavour="gm-standard" if is_gm else "cms")
    buf = io.BytesIO()
    parts.write(buf, content)
    return add_timestamp(buf.getvalue(), tsa)


def verify_statement(der: bytes, *, trust_roots: Sequence[AnyCertificate],
                     intermediates: Sequence[AnyCertificate] = (), tsa_roots: Sequence[AnyCertificate],
                     crls: Sequence[bytes] = (), at: datetime | None = None,
                     revocation: str | None = None) -> StatementCheck:
    """Verify the signature of a statement and its framing.

    Raises :class:`pki.signature.SignatureFormatError` only for bytes that are no SignedData.
    ``revocation`` defaults to ``'require'`` when CRLs are given, else ``'soft-fail'``; ``at``
    defaults to the token's time (a receipt stays verifiable after its certificate expired)."""
    reading = read_signed_data(der)
    result = verify(der, trust_roots=trust_roots, intermediates=intermediates, at=at, crls=crls,
                    revocation=revocation or ("require" if crls else "soft-fail"), tsa_trust_roots=tsa_roots,
                    require_timestamp=True)
    reasons = list(result.reasons)
    signer_infos = reading.signed_data["signer_infos"]
    if len(signer_infos) != 1:
        reasons.append(Rejection("signer_count", f"平台签署的文件须有且仅有一个签名者，此处有 {len(signer_infos)} 个 "
                                                 f"(a platform statement has exactly one signer, not "
                                                 f"{len(signer_infos)})"))
    if result.content is None:
        reasons.append(Rejection("content_missing", "签名中没有封装的内容 (the signature carries no content)"))
    if result.content_type not in CONTENT_TYPES:
        reasons.append(Rejection("content_type_mismatch", f"内容类型 {result.content_type} 不是数据 (the content "
                                                          f"type {result.content_type} is not data)"))
    reasons += _unsigned_attribute_reasons(signer_infos[0])
    cert = result.signer_certificate
    if cert is not None and not has_receipt_role(cert):
        reasons.append(Rejection("signer_role", f"签名者不是平台的回执签名证书：{cert.subject.human_friendly}（缺少扩展"
                                                f"密钥用法 receiptSigning） (the signer is not the platform's receipt "
                                                f"certificate: no receiptSigning extended key usage)"))
    return StatementCheck(signature=result, content=result.content, reasons=tuple(reasons))


def has_receipt_role(cert: x509.Certificate) -> bool:
    """Whether ``cert``'s extended key usage names :data:`RECEIPT_SIGNING_EKU`."""
    try:
        for ext in cert["tbs_certificate"]["extensions"] or ():
            if ext["extn_id"].native == "extended_key_usage":
                return RECEIPT_SIGNING_EKU in [purpose.dotted for purpose in ext["extn_value"].parsed]
    except ASN1_ERRORS:          # an unreadable extension grants nothing
        return False
    return False


def _unsigned_attribute_reasons(signer_info) -> list[Rejection]:
    """Exactly one unsigned attribute, the token, with one value: nothing unprotected rides along
    (and the offline recipe in docs/formats.md finds the token where it expects it)."""
    attrs = signer_info["unsigned_attrs"]
    types = [a["type"].native for a in attrs] if present(attrs) else []
    if not types or types == ["signature_time_stamp_token"] and len(attrs[0]["values"]) == 1:
        return []       # no token at all is reported by verify(require_timestamp=True)
    return [Rejection("unexpected_attribute", f"未签名属性只能是一个时间戳，此处为 {', '.join(types)} (the only unsigned "
                                              f"attribute allowed is one timestamp token, found: {', '.join(types)})")]


__all__ = ["RECEIPT_SIGNING_EKU", "CONTENT_TYPES", "StatementCheck", "SignedStatementResult", "sign_statement", "verify_statement",
           "has_receipt_role"]
