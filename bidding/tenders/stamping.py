"""The tender documents' rules for stamping (registered with
:func:`bidding.documents.services.register_kind` when :mod:`bidding.tenders` is imported):

- 招标文件: the agency stamps the tender's current file while the tender is a draft; the purchaser is
  told it can review;
- 采购文件审核意见书: the purchaser stamps its current review while the tender is a draft; the
  agency is told the conclusion;
- 更正公告: the agency stamps an unpublished amendment while the tender is open for bids, its times
  still valid; the stamp publishes it (:func:`bidding.tenders.documents.publish_amendment`).

A document that is no longer the tender's current one (replaced by a new upload or review) cannot
be stamped.
"""
from __future__ import annotations

from sqlalchemy import select

from bidding.documents.errors import StampNotAllowedNow
from bidding.documents.models import Document, DocumentKind, DocumentRevision, DocumentSigner
from bidding.documents.services import register_kind
from bidding.notify import notify
from bidding.parties.models import Party
from bidding.tenders.documents import require_phase, check_amendment_now, publish_amendment
from bidding.tenders.models import Tender, TenderAmendment, TenderPhase
from bidding.uow import UnitOfWork

REPLACED = "该文件已被新上传的文件或新的审核意见取代，不能再签章 (this document was replaced: it cannot be stamped any more)"


class TenderDocumentsRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        tender = _tender(uow, Tender.documents_document_id, document)
        require_phase(tender, uow, TenderPhase.DRAFT, "招标公告已发布，招标文件不能再签章 (the tender is published)")

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        tender = _tender(uow, Tender.documents_document_id, document)
        agency = uow.session.get(Party, signer.party_id)
        uow.audit("tender.documents_stamped", tender, tender=tender.public_id, document=document.public_id,
                  revision=revision.seq, sha256=revision.sha256)
        notify(uow, party_id=tender.purchaser_id, subject=f"招标文件待审核：{tender.title}",
               text=f"{agency.name} 已签章招标文件，请审核并出具采购文件审核意见书。", link=f"/tenders/{tender.id}")


class ReviewOpinionRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        tender = _tender(uow, Tender.review_document_id, document)
        require_phase(tender, uow, TenderPhase.DRAFT, "招标公告已发布，审核意见书不能再签章 (the tender is published)")

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        tender = _tender(uow, Tender.review_document_id, document)
        purchaser = uow.session.get(Party, signer.party_id)
        uow.audit("tender.review_stamped", tender, tender=tender.public_id, document=document.public_id,
                  conclusion=tender.review_conclusion, revision=revision.seq)
        then = "可以发布招标公告。" if tender.review_conclusion == "同意发布" else "请按审核意见修改招标文件后重新上传。"
        notify(uow, party_id=tender.agency_id, subject=f"采购文件审核意见：{tender.title}",
               text=f"{purchaser.name} 已签章采购文件审核意见书，审核结论：{tender.review_conclusion}。{then}",
               link=f"/tenders/{tender.id}")


class AmendmentRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        amendment, tender = _amendment(uow, document)
        check_amendment_now(uow, amendment, tender)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        amendment, tender = _amendment(uow, document)
        publish_amendment(uow, amendment, tender)


def _tender(uow: UnitOfWork, column, document: Document) -> Tender:
    tender = uow.session.scalars(select(Tender).where(column == document.id)).first()
    if tender is None:
        raise StampNotAllowedNow(REPLACED, document=document.public_id)
    return tender


def _amendment(uow: UnitOfWork, document: Document) -> tuple[TenderAmendment, Tender]:
    amendment = uow.session.scalars(select(TenderAmendment).where(TenderAmendment.document_id == document.id)).one()
    return amendment, uow.session.get(Tender, amendment.tender_id, with_for_update=True)


register_kind(DocumentKind.TENDER_DOCUMENTS, TenderDocumentsRules())
register_kind(DocumentKind.REVIEW_OPINION, ReviewOpinionRules())
register_kind(DocumentKind.TENDER_AMENDMENT, AmendmentRules())
