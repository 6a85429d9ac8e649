"""Expert signatures without a prior certificate (R12): one-time codes and event certificates.

1. :func:`request_signature`: the signed-in expert asks to sign some bytes; unless it holds an
   event certificate valid now, a key pair is generated **on the platform's token** (sensitive,
   never extractable) and the platform's expert CA (:class:`ExpertCa`) certifies it for two hours
   with the expert's name and ID number in the subject (专家事件证书). A fresh one-time code bound to
   the SHA-256 of the bytes and to that certificate is sent through the notifier.
2. :func:`confirm_signature`: with that code (one use, 10 minutes, 5 tries) and the same bytes, the
   token signs a detached CMS SignedData (``pki.signature``), timestamped by the platform TSA. An
   event certificate that has expired signs nothing.
3. :func:`sign_pdf_with_code` (a platform document such as the evaluation report): the code was
   requested for the PDF's current revision; with it the token signs the PDF itself — a PAdES
   signature in a new incremental revision (:func:`pki.pdf.stamp_with_key`, the token's key is a
   :class:`~pki.keyops.KeyOps`), timestamped (B-T) with the validation data embedded (B-LT).

The token session and the CA come from the caller (:class:`SigningSupport`): the web layer opens
the platform token named in the settings; tests pass their own.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from bidding.errors import InvalidInput
from bidding.experts.codes import issue_code, use_code
from bidding.experts.errors import (
    CodeExpired,
    EventCertificateExpired,
    ExpertSessionRequired,
    ExpertUnknown,
    SigningUnavailable,
)
from bidding.experts.models import (
    CodePurpose,
    EventCertificate,
    Expert,
    ExpertCode,
    ExpertSignature,
)
from bidding.experts.services import commitment_letter
from bidding.uow import UnitOfWork
from pki import pdf as pdfsign
from pki.certs import dump_pem, load_certificate, load_certificates
from pki.errors import PkiError
from pki.pkcs11 import TokenSession
from pki.signature import sign
from pki.timestamps import TsaSource, add_timestamp
from pki.trust import TrustList

EVENT_LIFETIME = timedelta(hours=2)
MAX_CONTENT = 4 * 1024 * 1024
TOKEN_KEY_KIND = "ec-p256"          # fast to generate on SoftHSM; signs with CKM_ECDSA (pki.pkcs11)


class ExpertCa(Protocol):
    """The platform's expert CA: certifies a public key for an expert for a few hours."""

    def issue_event_certificate(self, public_key: bytes, *, name: str, id_number: str, not_before: datetime,
                                not_after: datetime) -> tuple[bytes, list[bytes]]:
        """The certificate (DER) and the CA certificates above it (DER, issuer first)."""


@dataclass(frozen=True)
class SigningSupport:
    ca: ExpertCa
    token: Callable[[], TokenSession]      # the logged-in session of the platform's token
    tsa: TsaSource | None = None
    lifetime: timedelta = EVENT_LIFETIME


def request_signature(uow: UnitOfWork, expert_id: int | None, content: bytes, title: str,
                      support: SigningSupport) -> ExpertCode:
    """Send the expert a code that confirms signing ``content`` (titled ``title``); the event
    certificate it will sign with is made now if the expert has none valid."""
    if expert_id is None:
        raise ExpertSessionRequired()
    title = title.strip()
    if not title or len(title) > 200 or not content or len(content) > MAX_CONTENT:
        raise InvalidInput("请给出待签名内容（至多 4 MiB）和标题（至多 200 字） (give the content, at most 4 MiB, and a "
                           "title of at most 200 characters)")
    with uow:
        expert = uow.session.get(Expert, expert_id)
        if expert is None or not expert.active:
            raise ExpertUnknown()
        certificate = current_certificate(uow, expert.id) or _issue(uow, expert, support)
        row = issue_code(uow, expert, CodePurpose.SIGN, document_sha256=hashlib.sha256(content).hexdigest(),
                         document_title=title, certificate_id=certificate.id)
        uow.audit("expert.signature_requested", row, expert_id=expert.id, document_sha256=row.document_sha256,
                  certificate_serial=certificate.serial)
        uow.commit()
        return row


def confirm_signature(uow: UnitOfWork, expert_id: int | None, request_id: Any, code: str, content: bytes,
                      support: SigningSupport) -> ExpertSignature:
    """Sign ``content`` on the token after checking the request's code; the signature row."""
    if expert_id is None:
        raise ExpertSessionRequired()
    with uow:
        row = _own_request(uow, expert_id, request_id)
        use_code(uow, row, code)
        if not secrets.compare_digest(hashlib.sha256(content).hexdigest(), row.document_sha256 or ""):
            raise InvalidInput("待签名内容与请求验证码时不一致 (the content differs from what the code was sent for)")
        certificate = uow.session.get(EventCertificate, row.certificate_id)
        now = uow.clock.now()
        if not certificate.not_before <= now < certificate.not_after:
            raise EventCertificateExpired(not_after=certificate.not_after.isoformat())
        der = _sign(certificate, content, now, support)
        signature = ExpertSignature(expert_id=expert_id, certificate_id=certificate.id,
                                    document_sha256=row.document_sha256, document_title=row.document_title,
                                    signature_der=der, signed_at=now)
        uow.session.add(signature)
        uow.session.flush()
        uow.audit("expert.signed", signature, expert_id=expert_id, document_sha256=signature.document_sha256,
                  certificate_serial=certificate.serial)
        uow.commit()
        return signature


def sign_pdf_with_code(uow: UnitOfWork, expert_id: int, request_id: Any, code: str, pdf: bytes,
                       support: SigningSupport, *, spec: Callable[[EventCertificate], pdfsign.StampSpec],
                       trust: TrustList, crls: Sequence[bytes] = ()) -> tuple[bytes, EventCertificate]:
    """Sign ``pdf`` (the revision the code was requested for) inside the PDF with the expert's event
    certificate, after checking the request's code; runs in the caller's transaction (the caller
    keeps the result and commits). ``spec(certificate)`` gives the visible signature (appearance,
    box, field). The certificate is checked against ``trust`` and ``crls`` now (its chain and the
    CRLs go into the document security store: B-LT); the platform TSA timestamps it (B-T).
    Returns the signed PDF and the certificate that signed it."""
    row = _own_request(uow, expert_id, request_id)
    if not secrets.compare_digest(hashlib.sha256(pdf).hexdigest(), row.document_sha256 or ""):
        raise InvalidInput("文件在发送验证码后已有新的版本（其他专家已签名），请重新获取验证码 (the document has a newer "
                           "revision than the one the code was sent for: request a new code)")
    use_code(uow, row, code)
    certificate = uow.session.get(EventCertificate, row.certificate_id)
    now = uow.clock.now()
    if not certificate.not_before <= now < certificate.not_after:
        raise EventCertificateExpired(not_after=certificate.not_after.isoformat())
    cert = load_certificate(certificate.certificate_der)
    try:
        checked = trust.validate(cert, now, "login", crls=crls, revocation="require")
    except PkiError as exc:
        raise SigningUnavailable(reason=exc.code) from None
    if not checked.ok:
        raise SigningUnavailable(f"{SigningUnavailable.message}：{checked.message()}", reason="event_certificate_invalid")
    try:
        key = support.token().find_key(key_id=bytes.fromhex(certificate.key_id_hex))
        signed = pdfsign.stamp_with_key(
            pdf, key, cert, spec(certificate), chain=load_certificates(certificate.chain_der), signing_time=now,
            timestamper=support.tsa,
            validation=pdfsign.ValidationData(certificates=tuple(checked.chain[1:]), crls=tuple(crls)))
    except PkiError as exc:
        raise SigningUnavailable(reason=exc.code) from None
    uow.audit("expert.signed_pdf", row, expert_id=expert_id, document_sha256=row.document_sha256,
              signed_sha256=hashlib.sha256(signed).hexdigest(), certificate_serial=certificate.serial)
    return signed, certificate


def request_commitment_signature(uow: UnitOfWork, expert_id: int | None, assignment_id: Any,
                                 support: SigningSupport) -> ExpertCode:
    """:func:`request_signature` for the commitment letter of a confirmed assignment."""
    title, text = commitment_letter(uow, expert_id, assignment_id)
    return request_signature(uow, expert_id, text, title, support)


def confirm_commitment_signature(uow: UnitOfWork, expert_id: int | None, assignment_id: Any, request_id: Any,
                                 code: str, support: SigningSupport) -> ExpertSignature:
    """:func:`confirm_signature` for the commitment letter of a confirmed assignment."""
    _, text = commitment_letter(uow, expert_id, assignment_id)
    return confirm_signature(uow, expert_id, request_id, code, text, support)


def current_certificate(uow: UnitOfWork, expert_id: int) -> EventCertificate | None:
    """The expert's newest event certificate if it is valid now."""
    now = uow.clock.now()
    return uow.session.scalars(select(EventCertificate).where(
        EventCertificate.expert_id == expert_id, EventCertificate.not_before <= now, EventCertificate.not_after > now)
        .order_by(EventCertificate.id.desc()).limit(1)).first()


def my_signatures(uow: UnitOfWork, expert_id: int | None) -> list[ExpertSignature]:
    if expert_id is None:
        raise ExpertSessionRequired()
    return list(uow.session.scalars(select(ExpertSignature).where(ExpertSignature.expert_id == expert_id)
                                    .order_by(ExpertSignature.id.desc())))


def _issue(uow: UnitOfWork, expert: Expert, support: SigningSupport) -> EventCertificate:
    """A key pair on the platform's token and its event certificate (inside the caller's transaction)."""
    now = uow.clock.now().replace(microsecond=0)
    key_id = secrets.token_bytes(8)
    label = f"expert-{expert.id}-{key_id.hex()}"
    try:
        session = support.token()
        key = session.generate_keypair(TOKEN_KEY_KIND, label=label, key_id=key_id)
        cert_der, chain = support.ca.issue_event_certificate(
            key.public_key_info().dump(), name=expert.name, id_number=expert.id_number, not_before=now,
            not_after=now + support.lifetime)
        session.store_certificate(cert_der, label=label, key_id=key_id)
    except PkiError as exc:
        raise SigningUnavailable(reason=exc.code) from None
    certificate = load_certificate(cert_der)
    row = EventCertificate(expert_id=expert.id, certificate_der=cert_der,
                           chain_der=b"".join(dump_pem(load_certificate(c)) for c in chain),
                           serial=format(certificate.serial_number, "X"), token_label=session.label,
                           key_id_hex=key_id.hex(), not_before=now, not_after=now + support.lifetime, issued_at=now)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("expert.event_certificate_issued", row, expert_id=expert.id, serial=row.serial,
              not_after=row.not_after.isoformat())
    return row


def _sign(certificate: EventCertificate, content: bytes, now: datetime, support: SigningSupport) -> bytes:
    try:
        key = support.token().find_key(key_id=bytes.fromhex(certificate.key_id_hex))
        der = sign(content, key=key, certificate=load_certificate(certificate.certificate_der),
                   chain=load_certificates(certificate.chain_der), detached=True, signing_time=now)
        return add_timestamp(der, support.tsa) if support.tsa is not None else der
    except PkiError as exc:
        raise SigningUnavailable(reason=exc.code) from None


def _own_request(uow: UnitOfWork, expert_id: int, request_id: Any) -> ExpertCode:
    try:
        key = int(request_id)
    except (TypeError, ValueError):
        raise CodeExpired() from None
    row = uow.session.get(ExpertCode, key, with_for_update=True) if 0 < key < 2**31 else None
    if row is None or row.expert_id != expert_id or row.purpose != CodePurpose.SIGN:
        raise CodeExpired()
    return row


__all__ = [
    "EVENT_LIFETIME",
    "ExpertCa",
    "SigningSupport",
    "confirm_commitment_signature",
    "confirm_signature",
    "current_certificate",
    "my_signatures",
    "request_commitment_signature",
    "request_signature",
    "sign_pdf_with_code",
]
