"""The opening record (开标记录表) and the transcript (docs/opening.md "The opening record and the
transcript", R18, R19).

After the window closes the record is generated from the opening's data
(:func:`bidding.documents.pdf.render_opening_record`) as a platform document that the agency stamps
through its agent like every document (the stamping rules of :class:`OpeningRecordRules` are
registered here, on import). Once stamped, :func:`publish_opening` records ``opening.published``
and signs the transcript of every hall event of the tender, in audit-chain order
(:func:`pki.receipts.build_transcript`: the platform's receipt certificate and a timestamp); the
record and the transcript are then public.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from bidding.agreements.rendering import party_ref
from bidding.audit.models import AuditEntry
from bidding.documents import services as documents
from bidding.documents import store
from bidding.documents.errors import StampNotAllowedNow
from bidding.documents.models import Document, DocumentKind, DocumentRevision, DocumentSigner, new_public_id
from bidding.documents.pdf import (DecryptionResult, OpeningEntry, OpeningRecordData, ProjectRef,
                                   render_opening_record)
from bidding.errors import Conflict, DomainError, NotFound
from bidding.notify import notify
from bidding.opening.events import lock_hall, record_hall_event
from bidding.opening.hall import OpeningBid, manifest_items, opening_bids
from bidding.opening.models import OpeningHall, OpeningState
from bidding.parties.models import Party
from bidding.tenders.access import agency_tender, visible_tender
from bidding.tenders.models import Tender, TenderPhase
from bidding.tenders.services import project_of
from bidding.uow import UnitOfWork
from pki.certs import AnyCertificate
from pki.errors import PkiError
from pki.keyops import KeyOps
from pki.receipts import build_transcript
from pki.receipts.transcript import HALL_SEQ
from pki.timestamps import TsaSource

AGENCY = "agency"                                 # the record's seal box (render_opening_record)
VerifyUrl = Callable[[str], str]


# -- refusals ------------------------------------------------------------------------------------------------
class RecordNotYet(Conflict):
    code = "opening_record_not_yet"
    message = "解密时限结束后才能生成开标记录 (the opening record is made after the decryption window closes)"


class RecordAlreadyStamped(Conflict):
    code = "opening_record_stamped"
    message = "开标记录已签章，不能重新生成 (the opening record is stamped: it cannot be made again)"


class RecordNotStamped(Conflict):
    code = "opening_record_not_stamped"
    message = "开标记录尚未由代理机构签章，不能公布 (the agency has not stamped the opening record yet)"


class AlreadyPublished(Conflict):
    code = "opening_already_published"
    message = "开标记录已公布 (the opening record is already published)"


class NotPublished(NotFound):
    code = "opening_not_published"
    message = "开标记录尚未公布 (the opening record is not published yet)"


class TranscriptCannotBeMade(DomainError):
    """The hall's events do not verify under the audit rule: the platform signs no broken chain."""

    code = "opening_transcript_refused"
    message = "开标大厅的事件链未通过校验，不能生成开标记录 (the hall's events do not verify: no transcript is made)"
    http_status = 409


class TranscriptSigner(Protocol):
    """The platform's receipt certificate and its TSA (:class:`bidding.bids.receipts.PlatformReceipts`)."""

    key: KeyOps
    certificate: AnyCertificate
    chain: Sequence[AnyCertificate]
    tsa: TsaSource


# -- the record ------------------------------------------------------------------------------------------------
_RESULTS = {OpeningState.DECRYPTED: DecryptionResult.DECRYPTED, OpeningState.FAILED: DecryptionResult.INVALID,
            OpeningState.INVALID: DecryptionResult.FAILED_BIDDER, OpeningState.WITHDRAWN: DecryptionResult.FAILED_PLATFORM}


def generate_record(uow: UnitOfWork, file_store: Path, tender: Tender, *, verify_url: VerifyUrl) -> Document:
    """Render the tender's opening record from the opening's data and keep it as a document for the
    agency to stamp (replacing an unstamped one). In the caller's transaction (the window-end
    effect's or :func:`make_record`'s); records the hall event ``opening.record_generated``."""
    now = uow.clock.now()
    if tender.phase(now) is not TenderPhase.OPENED:
        raise RecordNotYet(tender=tender.public_id)
    hall = lock_hall(uow.session, tender.id)
    if hall.published_at is not None:
        raise AlreadyPublished(tender=tender.public_id)
    if hall.record_document_id is not None and _stamped(uow, hall.record_document_id):
        raise RecordAlreadyStamped(tender=tender.public_id)
    project = project_of(uow, tender)
    purchaser, agency = uow.session.get(Party, tender.purchaser_id), uow.session.get(Party, tender.agency_id)
    public_id = new_public_id()
    data = OpeningRecordData(
        project=ProjectRef(project.number, project.title), purchaser=party_ref(uow, purchaser),
        agency=party_ref(uow, agency), deadline=tender.bid_deadline, opened_at=tender.opening_at,
        decryption_closed_at=tender.window_end,
        entries=tuple(_entry(b, tender, now) for b in opening_bids(uow, tender)),
        notes=f"招标编号 {tender.public_id}。开标过程（签到、解密、异议及答复）见平台签发的开标过程记录（transcript）。")
    rendered = render_opening_record(data, document_id=public_id, verify_url=verify_url(public_id))
    document = documents.create_document(
        uow, file_store, public_id=public_id, kind=DocumentKind.OPENING_RECORD, title=f"开标记录：{tender.title}",
        creator_party_id=agency.id, rendered=rendered, signers=[documents.SignerSpec(agency.id, AGENCY)])
    hall.record_document_id = document.id
    record_hall_event(uow, tender, "opening.record_generated",
                      {"document": public_id, "sha256": _revision(uow, document, 1).sha256,
                       "bids": len(data.entries)})
    return document


def make_record(uow: UnitOfWork, file_store: Path, agency_party_id: int, tender_id: Any, *,
                verify_url: VerifyUrl) -> Document:
    """The agency has the record generated (or made again while unstamped) for its stamp."""
    with uow:
        tender = agency_tender(uow, tender_id, agency_party_id)
        document = generate_record(uow, file_store, tender, verify_url=verify_url)
        uow.commit()
        return document


def _entry(b: OpeningBid, tender: Tender, now: datetime) -> OpeningEntry:
    state = b.state(tender, now)
    result = _RESULTS.get(state, DecryptionResult.FAILED_BIDDER)
    price = None
    items = manifest_items(b.opening) if result is DecryptionResult.DECRYPTED else ()
    if result is DecryptionResult.DECRYPTED:
        price = Decimal(b.opening.price)
        if b.opening.currency and b.opening.currency != "CNY":
            items = (("币种", b.opening.currency),) + items
    remark = (b.opening.failure_message or "")[:200] if b.opening is not None and state is OpeningState.FAILED else ""
    return OpeningEntry(bidder=b.party.name, credit_code=b.party.credit_code or "", submitted_at=b.bid.received_at,
                        result=result, price=price, items=items, remark=remark)


def record_of(uow: UnitOfWork, tender: Tender) -> tuple[OpeningHall | None, Document | None]:
    hall = uow.session.scalars(select(OpeningHall).where(OpeningHall.tender_id == tender.id)).one_or_none()
    if hall is None or hall.record_document_id is None:
        return hall, None
    return hall, uow.session.get(Document, hall.record_document_id)


def _stamped(uow: UnitOfWork, document_id: int) -> bool:
    signers = uow.session.scalars(select(DocumentSigner).where(DocumentSigner.document_id == document_id)).all()
    return bool(signers) and all(s.signed_seq is not None for s in signers)


def _revision(uow: UnitOfWork, document: Document, seq: int) -> DocumentRevision:
    return uow.session.scalars(select(DocumentRevision).where(DocumentRevision.document_id == document.id,
                                                              DocumentRevision.seq == seq)).one()


class OpeningRecordRules:
    """The record is stamped by the agency while it is the tender's current record and unpublished."""

    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        _tender_of(uow, document)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        tender = _tender_of(uow, document)
        record_hall_event(uow, tender, "opening.record_stamped",
                          {"document": document.public_id, "revision": revision.seq, "sha256": revision.sha256})


def _tender_of(uow: UnitOfWork, document: Document) -> Tender:
    hall = uow.session.scalars(select(OpeningHall).where(OpeningHall.record_document_id == document.id)).first()
    if hall is None:
        raise StampNotAllowedNow("该开标记录已被重新生成的记录取代，不能再签章 (this record was replaced by a newer one)",
                                 document=document.public_id)
    if hall.published_at is not None:
        raise StampNotAllowedNow("开标记录已公布，不能再签章 (the record is published)", document=document.public_id)
    return uow.session.get(Tender, hall.tender_id)


documents.register_kind(DocumentKind.OPENING_RECORD, OpeningRecordRules())


# -- publication ------------------------------------------------------------------------------------------------
def publish_opening(uow: UnitOfWork, agency_party_id: int, tender_id: Any, *,
                    signer: Callable[[], TranscriptSigner]) -> OpeningHall:
    """Publish the stamped opening record with the signed, timestamped transcript of every hall
    event (``opening.published`` included, as the last one); the bidders are told. ``signer()`` is
    asked for the receipt certificate only after every check passed (a missing one never hides a
    refusal)."""
    with uow:
        tender = agency_tender(uow, tender_id, agency_party_id)
        now = uow.clock.now()
        if tender.phase(now) is not TenderPhase.OPENED:
            raise RecordNotYet(tender=tender.public_id)
        hall = lock_hall(uow.session, tender.id)
        if hall.published_at is not None:
            raise AlreadyPublished(tender=tender.public_id)
        if hall.record_document_id is None or not _stamped(uow, hall.record_document_id):
            raise RecordNotStamped(tender=tender.public_id)
        document = uow.session.get(Document, hall.record_document_id)
        revision = _revision(uow, document, document.current_seq)
        record_hall_event(uow, tender, "opening.published",
                          {"document": document.public_id, "revision": revision.seq, "sha256": revision.sha256})
        events, platform = hall_events(uow, tender), signer()
        try:
            der = build_transcript(events, tender=tender.public_id, key=platform.key, certificate=platform.certificate,
                                   chain=platform.chain, tsa=platform.tsa, signing_time=now)
        except PkiError as exc:
            if getattr(exc, "kind", None) == "unavailable":
                raise
            raise TranscriptCannotBeMade(tender=tender.public_id, reason=str(exc)[:300]) from None
        hall.transcript_der, hall.published_at = der, now
        for b in opening_bids(uow, tender):
            notify(uow, party_id=b.party.id, subject=f"开标记录已公布：{tender.title}",
                   text="开标记录表和开标过程记录已公布，可在开标大厅查看和下载。", link=f"/tenders/{tender.id}/opening")
        uow.commit()
        return hall


def hall_events(uow: UnitOfWork, tender: Tender) -> list[AuditEntry]:
    """The tender's hall events (audit entries of the tender carrying ``hall_seq``), in chain order."""
    entries = uow.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "tender", AuditEntry.object_id == tender.public_id,
        AuditEntry.action.like("opening.%")).order_by(AuditEntry.id)).all()
    return [e for e in entries if HALL_SEQ in json.loads(e.details)]


# -- public downloads ------------------------------------------------------------------------------------------------
def published_record(uow: UnitOfWork, file_store: Path, tender_id: Any) -> tuple[Tender, Document, bytes]:
    """The stamped opening record, for anyone once published."""
    tender = visible_tender(uow, tender_id, None)
    hall, document = record_of(uow, tender)
    if hall is None or hall.published_at is None or document is None:
        raise NotPublished(tender=tender.public_id)
    revision = _revision(uow, document, document.current_seq)
    return tender, document, store.get(file_store, store.REVISIONS, revision.sha256)


def published_transcript(uow: UnitOfWork, tender_id: Any) -> tuple[Tender, bytes]:
    """The signed transcript (SignedData DER), for anyone once published."""
    tender = visible_tender(uow, tender_id, None)
    hall, _ = record_of(uow, tender)
    if hall is None or hall.published_at is None or hall.transcript_der is None:
        raise NotPublished(tender=tender.public_id)
    return tender, bytes(hall.transcript_der)


def record_for_agency(uow: UnitOfWork, agency_party_id: int, tender_id: Any) -> Document | None:
    """The tender's current opening record for its agency (to stamp), if one was generated."""
    tender = agency_tender(uow, tender_id, agency_party_id)
    return record_of(uow, tender)[1]


__all__ = ["generate_record", "make_record", "publish_opening", "hall_events", "published_record",
           "published_transcript", "record_of", "record_for_agency", "OpeningRecordRules", "TranscriptSigner",
           "RecordNotYet", "RecordAlreadyStamped", "RecordNotStamped", "AlreadyPublished", "NotPublished",
           "TranscriptCannotBeMade"]
