"""Use cases of projects and tenders (采购项目与招标, DESIGN.md §5):

- :func:`create_project` (an agency, only under a filed delegation agreement with the purchaser
  in force: :func:`bidding.agreements.services.require_filed_agreement`): title, budget, method and
  lots, and the project's tender as a draft;
- the documents (:mod:`bidding.tenders.documents`): the agency uploads and stamps the 招标文件, the
  purchaser writes and stamps the 采购文件审核意见书;
- :func:`publish_tender` (the agency, both documents stamped, the review agreeing): the bid
  deadline, the opening time and the decryption window; after that, changes are amendments;
- :func:`register_for_tender` (报名, suppliers, while the tender is open for bids) and
  :func:`tender_registration`;
- reading: :func:`get_tender_for` (who may see what), :func:`published_tenders`,
  :func:`tenders_for`, :func:`overview`.

The phase is :meth:`Tender.phase` at the clock's now, on every call; nothing here stores one.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bidding.accounts.models import Role
from bidding.agreements.models import AgreementState, DelegationAgreement
from bidding.agreements.services import PROCUREMENT_METHODS, beijing_today, require_filed_agreement
from bidding.certificates.models import BindingState, CertificateBinding
from bidding.documents.models import Document, DocumentRevision, DocumentSigner
from bidding.notify import notify
from bidding.parties.models import Party, PartyKind
from bidding.tenders.access import (
    Relation, agency_tender, load_tender, registration_of, relation, visible_tender)
from bidding.tenders.errors import (
    AlreadyRegistered, DocumentsNotReady, NotRegistered, OnlyAgencies, OnlySuppliers, ProjectInvalid,
    TenderPhaseConflict)
from bidding.tenders.listeners import times_changed
from bidding.tenders.models import (
    DEFAULT_DECRYPTION_WINDOW, Lot, Project, Tender, TenderAmendment, TenderPhase, TenderRegistration)
from bidding.tenders.times import BEIJING, beijing, check_publication_times
from bidding.uow import UnitOfWork

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
LOTS_MAX = 20
LOT_NAME_MAX = 100
AMOUNT_LIMIT = Decimal(10) ** 14
APPROVING_CONCLUSION = "同意发布"
_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class LotTerms:
    name: Any
    budget: Any


@dataclass(frozen=True)
class ProjectTerms:
    """What the agency enters (as typed, or parsed already); no lots: one lot of the whole budget."""

    purchaser_id: Any
    title: Any
    budget: Any
    method: Any
    description: Any = ""
    lots: Sequence[LotTerms] = field(default_factory=tuple)


# -- projects -----------------------------------------------------------------------------------------------
def create_project(uow: UnitOfWork, agency_party_id: int, terms: ProjectTerms) -> Tender:
    """A new project of the agency for the purchaser under their filed agreement, with its lots and
    its tender (a draft); returns the tender (``tender.project_id`` is the project)."""
    with uow:
        agency = uow.session.get(Party, agency_party_id)
        if agency is None or agency.kind != PartyKind.AGENCY:
            raise OnlyAgencies()
        purchaser = _purchaser(uow, terms.purchaser_id)
        now = uow.clock.now()
        require_filed_agreement(uow, agency.id, purchaser.id, now)
        agreement = _agreement_in_force(uow, agency.id, purchaser.id)
        title, budget, method, description, lots = _checked(terms)
        project = Project(agency_id=agency.id, purchaser_id=purchaser.id, agreement_id=agreement.id, title=title,
                          budget=budget, method=method, description=description, created_at=now)
        uow.session.add(project)
        uow.session.flush()
        for seq, (name, lot_budget) in enumerate(lots, start=1):
            uow.session.add(Lot(project_id=project.id, seq=seq, name=name, budget=lot_budget))
        tender = Tender(public_id=_new_public_id(uow), project_id=project.id, agency_id=agency.id,
                        purchaser_id=purchaser.id, title=title, created_at=now,
                        decryption_window_seconds=int(DEFAULT_DECRYPTION_WINDOW.total_seconds()))
        uow.session.add(tender)
        uow.session.flush()
        uow.audit("tender.project_created", project, agency_id=agency.id, purchaser_id=purchaser.id,
                  agreement=agreement.number, title=title, budget=str(budget), method=method,
                  lots=[{"name": n, "budget": str(b)} for n, b in lots], tender=tender.public_id)
        notify(uow, party_id=purchaser.id, subject=f"新采购项目：{title}",
               text=f"{agency.name} 依据委托协议 {agreement.number} 创建了采购项目“{title}”（{project.number}），"
                    f"招标文件编制完成后请审核。", link=f"/tenders/{tender.id}")
        uow.commit()
        return tender


def purchasers_for(uow: UnitOfWork, agency_party_id: int) -> list[tuple[Party, DelegationAgreement]]:
    """The purchasers the agency may create a project for today (a filed agreement in force), each
    with that agreement, by name."""
    today = beijing_today(uow)
    rows = uow.session.execute(select(Party, DelegationAgreement).join(
        DelegationAgreement, DelegationAgreement.purchaser_id == Party.id).where(
        DelegationAgreement.agency_id == agency_party_id, DelegationAgreement.state == AgreementState.FILED,
        DelegationAgreement.term_start <= today, DelegationAgreement.term_end >= today)
        .order_by(Party.name, DelegationAgreement.filed_at.desc()))
    seen: dict[int, tuple[Party, DelegationAgreement]] = {}
    for party, agreement in rows:
        seen.setdefault(party.id, (party, agreement))
    return list(seen.values())


def project_of(uow: UnitOfWork, tender: Tender) -> Project:
    return uow.session.get(Project, tender.project_id)


def lots_of(uow: UnitOfWork, project: Project) -> list[Lot]:
    return list(uow.session.scalars(select(Lot).where(Lot.project_id == project.id).order_by(Lot.seq)))


# -- publication --------------------------------------------------------------------------------------------
def publish_tender(uow: UnitOfWork, tender_id: Any, agency_party_id: int, *, bid_deadline: Any, opening_at: Any,
                   decryption_window_minutes: Any = None) -> Tender:
    """Publish the tender (发布招标公告) with its times: only a draft, only with the 招标文件 stamped by
    the agency and the purchaser's stamped review opinion agreeing to publish exactly that file."""
    with uow:
        tender = agency_tender(uow, tender_id, agency_party_id, for_update=True)
        now = uow.clock.now()
        if tender.phase(now) != TenderPhase.DRAFT:
            raise TenderPhaseConflict(f"该项目已于 {beijing(tender.published_at)} 发布；发布后的修改须发布更正公告 (the tender "
                                      f"is published already: changes are amendments now)", phase=tender.phase(now).value)
        times = check_publication_times(bid_deadline, opening_at, decryption_window_minutes, now)
        _require_documents_ready(uow, tender)
        tender.bid_deadline, tender.opening_at = times.bid_deadline, times.opening_at
        tender.decryption_window = times.decryption_window
        tender.published_at = now
        times_changed(uow, tender)
        uow.audit("tender.published", tender, tender=tender.public_id, bid_deadline=times.bid_deadline,
                  opening_at=times.opening_at, decryption_window_minutes=int(times.decryption_window.total_seconds() // 60))
        notify(uow, party_id=tender.purchaser_id, subject=f"招标公告已发布：{tender.title}",
               text=f"投标截止时间 {beijing(times.bid_deadline)}，开标时间 {beijing(times.opening_at)}。",
               link=f"/tenders/{tender.id}")
        uow.commit()
        return tender


def documents_ready(uow: UnitOfWork, tender: Tender) -> list[str]:
    """What publication still waits for (empty: ready), in Chinese."""
    missing = []
    documents = stamped_revision(uow, tender.documents_document_id)
    if tender.documents_document_id is None:
        missing.append("尚未上传招标文件")
    elif documents is None:
        missing.append("招标文件尚未由代理机构签章")
    review = stamped_revision(uow, tender.review_document_id)
    if documents is not None and tender.review_document_id is None:
        missing.append("采购人尚未出具采购文件审核意见书")
    elif tender.review_document_id is not None and review is None:
        missing.append("采购文件审核意见书尚未由采购人签章")
    if review is not None and tender.review_conclusion != APPROVING_CONCLUSION:
        missing.append(f"审核结论为“{tender.review_conclusion}”，须修改招标文件后重新审核")
    if review is not None and documents is not None and tender.reviewed_sha256 != documents.sha256:
        missing.append("审核意见书审核的不是当前的招标文件，须重新审核")
    if documents is not None and _stamped_by_a_former_certificate(uow, documents):
        missing.append("招标文件的签章证书已续期、变更或吊销，须重新上传并用现有证书签章")
    if review is not None and _stamped_by_a_former_certificate(uow, review):
        missing.append("审核意见书的签章证书已续期、变更或吊销，须用现有证书重新出具")
    return missing


def _stamped_by_a_former_certificate(uow: UnitOfWork, revision: DocumentRevision) -> bool:
    """Whether a signature in ``revision`` (any revision up to it) was made with a binding that is no
    longer active: a draft does not hold its stamping certificates (R10 holds from publication), so a
    certificate renewed, changed or revoked meanwhile means the documents are stamped again."""
    states = uow.session.scalars(
        select(CertificateBinding.state).join(DocumentRevision, DocumentRevision.signer_binding_id == CertificateBinding.id)
        .where(DocumentRevision.document_id == revision.document_id, DocumentRevision.seq <= revision.seq))
    return any(state != BindingState.ACTIVE for state in states)


def _require_documents_ready(uow: UnitOfWork, tender: Tender) -> None:
    missing = documents_ready(uow, tender)
    if missing:
        raise DocumentsNotReady(f"不能发布：{'；'.join(missing)} (the documents are not ready: cannot publish)",
                                missing=missing)


def stamped_revision(uow: UnitOfWork, document_id: int | None) -> DocumentRevision | None:
    """The document's current revision when every signer has stamped it, else None."""
    if document_id is None:
        return None
    document = uow.session.get(Document, document_id)
    signers = list(uow.session.scalars(select(DocumentSigner).where(DocumentSigner.document_id == document.id)))
    if not signers or any(s.signed_seq is None for s in signers):
        return None
    return uow.session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == document.id, DocumentRevision.seq == document.current_seq)).one()


# -- registration (报名) ----------------------------------------------------------------------------------
def register_for_tender(uow: UnitOfWork, tender_id: Any, account: Any) -> TenderRegistration:
    """The supplier of ``account`` registers for a published tender, strictly before its bid deadline
    (the deadline's own instant is too late)."""
    with uow:
        if account is None or account.role != Role.SUPPLIER_STAFF or account.party_id is None:
            raise OnlySuppliers()
        party = uow.session.get(Party, account.party_id)
        if party is None or party.kind != PartyKind.SUPPLIER:
            raise OnlySuppliers()
        tender = visible_tender(uow, tender_id, account)
        now = uow.clock.now()
        phase = tender.phase(now)
        if phase != TenderPhase.OPEN:
            raise TenderPhaseConflict(f"投标截止时间（{beijing(tender.bid_deadline)}）已过，不能再报名 (the bid deadline has "
                                      f"passed: registration is closed)", phase=phase.value)
        if registration_of(uow, tender.id, party.id) is not None:
            raise AlreadyRegistered(tender=tender.public_id)
        registration = TenderRegistration(tender_id=tender.id, party_id=party.id, account_id=account.id,
                                          registered_at=now)
        uow.session.add(registration)
        try:
            uow.session.flush()
        except IntegrityError:          # a second request of the same party at the same moment
            raise AlreadyRegistered(tender=tender.public_id) from None
        uow.audit("tender.registered", registration, tender=tender.public_id, party_id=party.id)
        uow.commit()
        return registration


def tender_registration(uow: UnitOfWork, tender_id: Any, party_id: int) -> TenderRegistration:
    """The party's registration for the tender; :class:`NotRegistered` when it has none
    (:class:`bidding.tenders.errors.TenderNotFound` when there is no such tender)."""
    tender = load_tender(uow, tender_id)
    registration = registration_of(uow, tender.id, party_id)
    if registration is None:
        raise NotRegistered(tender=tender.public_id)
    return registration


def registrations_of(uow: UnitOfWork, tender: Tender) -> list[TenderRegistration]:
    return list(uow.session.scalars(select(TenderRegistration).where(TenderRegistration.tender_id == tender.id)
                                    .order_by(TenderRegistration.registered_at, TenderRegistration.id)))


# -- reading -------------------------------------------------------------------------------------------------
def get_tender_for(uow: UnitOfWork, tender_id: Any, account: Any | None) -> Tender:
    """The tender if ``account`` (None: anonymous) may see it: a published one anyone; a draft only
    its agency's and its purchaser's staff (anyone else: :class:`TenderNotFound`)."""
    return visible_tender(uow, tender_id, account)


def published_tenders(uow: UnitOfWork, *, limit: int = 200) -> list[Tender]:
    """Published tenders, newest first (the public list: 招标公告)."""
    return list(uow.session.scalars(select(Tender).where(Tender.published_at.is_not(None))
                                    .order_by(Tender.published_at.desc(), Tender.id.desc()).limit(limit)))


def tenders_for(uow: UnitOfWork, account: Any) -> list[Tender]:
    """The account's own tenders, newest first: an agency's and a purchaser's (drafts included), the
    tenders a supplier registered for."""
    role, party_id = account.role, account.party_id
    query = select(Tender)
    if role == Role.AGENCY_STAFF:
        query = query.where(Tender.agency_id == party_id)
    elif role == Role.PURCHASER_STAFF:
        query = query.where(Tender.purchaser_id == party_id)
    elif role == Role.SUPPLIER_STAFF:
        query = query.join(TenderRegistration, TenderRegistration.tender_id == Tender.id).where(
            TenderRegistration.party_id == party_id)
    else:
        return []
    return list(uow.session.scalars(query.order_by(Tender.created_at.desc(), Tender.id.desc())))


def party_names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {p.id: p.name for p in uow.session.scalars(select(Party).where(Party.id.in_(list(ids))))}


@dataclass(frozen=True)
class DocumentState:
    """A tender document as a page or the API shows it."""

    document: Document
    stamped: bool
    revision: DocumentRevision


@dataclass(frozen=True)
class TenderOverview:
    """Everything a tender's page shows to one account (what it may see only)."""

    tender: Tender
    project: Project
    lots: list[Lot]
    agency: Party
    purchaser: Party
    phase: TenderPhase
    relation: Relation
    documents: DocumentState | None
    review: DocumentState | None
    amendments: list[tuple[TenderAmendment, DocumentState]]
    registration: TenderRegistration | None
    registered_count: int | None            # the agency and the purchaser only
    missing: list[str]                      # what publication waits for (agency, purchaser)
    stamp_due: Document | None              # the document waiting for this account's party's stamp

    @property
    def may_download(self) -> bool:
        return self.relation in (Relation.AGENCY, Relation.PURCHASER) or (
            self.relation == Relation.BIDDER and self.phase != TenderPhase.DRAFT)


def overview(uow: UnitOfWork, tender: Tender, account: Any | None) -> TenderOverview:
    """What ``account`` sees of a tender it may see (:func:`get_tender_for` first)."""
    now = uow.clock.now()
    rel = relation(uow, tender, account)
    insider = rel in (Relation.AGENCY, Relation.PURCHASER)
    project = project_of(uow, tender)
    amendments = []
    for amendment in uow.session.scalars(select(TenderAmendment).where(TenderAmendment.tender_id == tender.id)
                                         .order_by(TenderAmendment.seq)):
        if amendment.published_at is not None or rel == Relation.AGENCY:
            amendments.append((amendment, _state(uow, amendment.document_id)))
    party_id = account.party_id if account is not None and getattr(account, "party_id", None) else None
    return TenderOverview(
        tender=tender, project=project, lots=lots_of(uow, project), agency=uow.session.get(Party, tender.agency_id),
        purchaser=uow.session.get(Party, tender.purchaser_id), phase=tender.phase(now), relation=rel,
        documents=_state(uow, tender.documents_document_id) if insider or tender.published_at else None,
        review=_state(uow, tender.review_document_id) if insider else None, amendments=amendments,
        registration=registration_of(uow, tender.id, party_id) if rel == Relation.BIDDER else None,
        registered_count=len(registrations_of(uow, tender)) if insider else None,
        missing=documents_ready(uow, tender) if insider and tender.published_at is None else [],
        stamp_due=_stamp_due(uow, tender, rel, amendments, now))


def _state(uow: UnitOfWork, document_id: int | None) -> DocumentState | None:
    if document_id is None:
        return None
    document = uow.session.get(Document, document_id)
    revision = uow.session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == document.id, DocumentRevision.seq == document.current_seq)).one()
    return DocumentState(document, stamped_revision(uow, document.id) is not None, revision)


def _stamp_due(uow: UnitOfWork, tender: Tender, rel: Relation, amendments, now) -> Document | None:
    phase = tender.phase(now)
    if rel == Relation.AGENCY:
        documents = _state(uow, tender.documents_document_id)
        if phase == TenderPhase.DRAFT and documents is not None and not documents.stamped:
            return documents.document
        if phase == TenderPhase.OPEN:
            for amendment, state in amendments:
                if amendment.published_at is None and not state.stamped:
                    return state.document
    if rel == Relation.PURCHASER and phase == TenderPhase.DRAFT:
        review = _state(uow, tender.review_document_id)
        if review is not None and not review.stamped:
            return review.document
    return None


# -- the steps ------------------------------------------------------------------------------------------------
def _purchaser(uow: UnitOfWork, value: Any) -> Party:
    try:
        purchaser_id = int(value)
    except (TypeError, ValueError):
        raise ProjectInvalid("请选择采购人 (choose the purchaser)", field="purchaser_id") from None
    party = uow.session.get(Party, purchaser_id) if 0 < purchaser_id < 2**31 else None
    if party is None or party.kind != PartyKind.PURCHASER:
        raise ProjectInvalid("所选主体不是平台上登记的采购人 (the chosen party is not a registered purchaser)",
                             field="purchaser_id")
    return party


def _agreement_in_force(uow: UnitOfWork, agency_id: int, purchaser_id: int) -> DelegationAgreement:
    today = beijing_today(uow)
    return uow.session.scalars(select(DelegationAgreement).where(
        DelegationAgreement.agency_id == agency_id, DelegationAgreement.purchaser_id == purchaser_id,
        DelegationAgreement.state == AgreementState.FILED, DelegationAgreement.term_start <= today,
        DelegationAgreement.term_end >= today).order_by(DelegationAgreement.filed_at.desc())).first()


def _checked(terms: ProjectTerms) -> tuple[str, Decimal, str, str, list[tuple[str, Decimal]]]:
    title = " ".join(str(terms.title or "").split())
    if not title:
        raise ProjectInvalid("请填写项目名称 (the project title is required)", field="title")
    if len(title) > TITLE_MAX:
        raise ProjectInvalid(f"项目名称不超过 {TITLE_MAX} 字 (at most {TITLE_MAX} characters)", field="title")
    budget = _amount(terms.budget, "budget", "采购预算")
    method = " ".join(str(terms.method or "").split())
    if method not in PROCUREMENT_METHODS:
        raise ProjectInvalid(f"采购方式须为{'、'.join(PROCUREMENT_METHODS)}之一 (unknown procurement method)", field="method")
    description = "\n".join(line.strip() for line in str(terms.description or "").replace("\r\n", "\n").split("\n")).strip()
    if len(description) > DESCRIPTION_MAX:
        raise ProjectInvalid(f"采购需求概述不超过 {DESCRIPTION_MAX} 字 (at most {DESCRIPTION_MAX} characters)",
                             field="description")
    lots = _lots(terms.lots, title, budget)
    return title, budget, method, description, lots


def _lots(given: Sequence[LotTerms], title: str, budget: Decimal) -> list[tuple[str, Decimal]]:
    rows = [lot for lot in given if str(lot.name or "").strip() or str(lot.budget or "").strip()]
    if not rows:
        return [(title[:LOT_NAME_MAX], budget)]
    if len(rows) > LOTS_MAX:
        raise ProjectInvalid(f"一个项目最多 {LOTS_MAX} 个包 (at most {LOTS_MAX} lots)", field="lots")
    lots = []
    for number, lot in enumerate(rows, start=1):
        name = " ".join(str(lot.name or "").split())
        if not name or len(name) > LOT_NAME_MAX:
            raise ProjectInvalid(f"第 {number} 包须有名称（不超过 {LOT_NAME_MAX} 字） (lot {number} needs a name)",
                                 field="lots", lot=number)
        lots.append((name, _amount(lot.budget, "lots", f"第 {number} 包的预算")))
    if len({name for name, _ in lots}) != len(lots):
        raise ProjectInvalid("各包名称不能重复 (lot names must differ)", field="lots")
    total = sum((b for _, b in lots), Decimal("0"))
    if total != budget:
        raise ProjectInvalid(f"各包预算之和（{total} 元）须等于项目预算（{budget} 元） (the lots' budgets must add up to "
                             f"the project's budget)", field="lots")
    return lots


def _amount(value: Any, field_name: str, name: str) -> Decimal:
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    if isinstance(value, float) or not text:
        raise ProjectInvalid(f"请填写{name}（元） ({field_name} is required, in yuan)", field=field_name)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ProjectInvalid(f"{name}须为数字金额（元），如 1200000.00 ({field_name} must be a number of yuan)",
                             field=field_name) from None
    if not amount.is_finite() or amount <= 0 or amount >= AMOUNT_LIMIT:
        raise ProjectInvalid(f"{name}须大于 0 元且小于 100 万亿元 ({field_name} must be above 0 and below 10^14 yuan)",
                             field=field_name)
    if amount != amount.quantize(Decimal("0.01")):
        raise ProjectInvalid(f"{name}最多两位小数（分） ({field_name} has at most two decimals)", field=field_name)
    return amount.quantize(Decimal("0.01"))


def _new_public_id(uow: UnitOfWork) -> str:
    """ZB-2026-K7QM3XZP: the tender's number (招标编号), unguessable, readable aloud."""
    year = uow.clock.now().astimezone(BEIJING).year
    while True:
        candidate = f"ZB-{year}-{''.join(secrets.choice(_ID_ALPHABET) for _ in range(8))}"
        if uow.session.scalars(select(Tender.id).where(Tender.public_id == candidate)).first() is None:
            return candidate
