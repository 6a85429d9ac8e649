"""R10 on the agency's and the purchaser's side: a certificate that stamped a tender's documents
(its current 招标文件, review opinion or amendments) is held from the tender's publication until its
opening is over (its decryption window closed). A draft holds nothing: nobody has relied on its
documents yet, and a draft may never be published; instead, publication refuses documents whose
stamping certificate has since been renewed, changed or revoked (``documents_ready``), and the
agency or purchaser stamps them again with the certificate it holds now. Registered with the change guard
(:func:`bidding.certificates.guard.register_pending_provider`) when :mod:`bidding.tenders` is
imported; the service desk then refuses a renewal, change or replacement naming the tender."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select

from bidding.certificates.guard import PendingItem, register_pending_provider
from bidding.certificates.models import CertificateBinding
from bidding.documents.models import DocumentRevision
from bidding.tenders.models import Tender, TenderAmendment, TenderPhase
from bidding.tenders.times import beijing
from bidding.uow import UnitOfWork


def tenders_holding(uow: UnitOfWork, binding: CertificateBinding) -> Iterable[PendingItem]:
    """Every published tender not yet opened whose documents the binding's certificate stamped."""
    now = uow.clock.now()
    stamped = (select(DocumentRevision.document_id)
               .join(CertificateBinding, DocumentRevision.signer_binding_id == CertificateBinding.id)
               .where(CertificateBinding.fingerprint_sha256 == binding.fingerprint_sha256))
    amended = select(TenderAmendment.tender_id).where(TenderAmendment.document_id.in_(stamped))
    tenders = uow.session.scalars(select(Tender).where(or_(
        Tender.documents_document_id.in_(stamped), Tender.review_document_id.in_(stamped),
        Tender.id.in_(amended))).order_by(Tender.id))
    for tender in tenders:
        if tender.phase(now) in (TenderPhase.DRAFT, TenderPhase.OPENED):
            continue
        yield PendingItem(kind="tender", id=tender.public_id, title=tender.title, deadline=tender.window_end,
                          advice=_advice(tender))


def _advice(tender: Tender) -> str:
    return (f"该证书签章了“{tender.title}”的采购文件；请待开标结束（{beijing(tender.window_end)}）后再办理续期、变更或更换 "
            f"(wait until the opening of {tender.public_id} is over, {tender.window_end:%Y-%m-%d %H:%M} UTC)")


register_pending_provider(tenders_holding)
