"""The tender's documents (DESIGN.md R14):

- :func:`upload_tender_documents`: the agency's 招标文件 (a PDF it made; checked by its bytes,
  :mod:`bidding.tenders.uploads`), kept as a document the agency stamps through its local agent
  (:mod:`bidding.documents.services`); a new upload before publication replaces it and the review;
- :func:`write_review_opinion`: the purchaser's 采购文件审核意见书 over exactly the stamped 招标文件
  (its SHA-256 is printed in it), rendered by :func:`bidding.documents.pdf.render_review_opinion`,
  stamped by the purchaser;
- :func:`upload_amendment`: after publication, a 更正公告 (a PDF the agency stamps); it is published
  when its stamp completes (:func:`publish_amendment`, from :mod:`bidding.tenders.stamping`): new
  times apply then, and every registered bidder is told;
- :func:`tender_file`: who may download what (the agency and the purchaser everything of their
  tender; a registered bidder the published 招标文件 and the published amendments; nobody else).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bidding.agreements.rendering import party_ref
from bidding.agreements.services import beijing_today
from bidding.documents import services as documents
from bidding.documents import store
from bidding.documents.models import Document, DocumentKind, DocumentRevision, new_public_id
from bidding.documents.pdf import ProjectRef, ReviewItem, ReviewOpinionData, render_review_opinion
from bidding.notify import notify
from bidding.parties.models import Party
from bidding.tenders.access import Relation, agency_tender, purchaser_tender, relation, visible_tender
from bidding.tenders.errors import (
    AmendmentInvalid, DocumentsNotReady, ReviewInvalid, TenderFileDenied, TenderFileNotFound, TenderPhaseConflict)
from bidding.tenders.listeners import times_changed
from bidding.tenders.models import Tender, TenderAmendment, TenderPhase
from bidding.tenders.services import stamped_revision, project_of, registrations_of
from bidding.tenders.times import beijing, check_amended_times
from bidding.tenders.uploads import MAX_TENDER_PDF_BYTES, check_pdf
from bidding.uow import UnitOfWork

AGENCY, PURCHASER = "agency", "purchaser"          # the signers' roles (seal boxes)
REVIEW_CONCLUSIONS = ("同意发布", "修改后发布", "不同意发布")
REVIEW_ITEMS = ("采购需求", "供应商资格条件", "评审方法和评分标准", "合同主要条款", "投标截止与开标安排")
ITEM_CONCLUSIONS = ("符合", "需修改")
OPINION_MIN, OPINION_MAX = 2, 1000
REMARK_MAX = 200
AMENDMENT_TITLE_MAX, AMENDMENT_SUMMARY_MAX = 100, 1000

VerifyUrl = Callable[[str], str]


# -- 招标文件 ----------------------------------------------------------------------------------------------
def upload_tender_documents(uow: UnitOfWork, file_store: Path, tender_id: Any, agency_party_id: int, data: bytes,
                            filename: str, *, max_bytes: int = MAX_TENDER_PDF_BYTES, seal_page: int = 0) -> Document:
    """The agency's 招标文件 for a draft tender, waiting for the agency's stamp (seal on ``seal_page``,
    1-based, 0 = the last page). Replaces an earlier upload, and with it the review of it."""
    with uow:
        tender = agency_tender(uow, tender_id, agency_party_id, for_update=True)
        require_phase(tender, uow, TenderPhase.DRAFT, "招标公告发布后不能更换招标文件，请发布更正公告 (the tender is "
                                                       "published: publish an amendment instead)")
        checked = check_pdf(data, filename, field="file", max_bytes=max_bytes, seal_page=seal_page)
        public_id = new_public_id()
        document = documents.create_document_from_pdf(
            uow, file_store, public_id=public_id, kind=DocumentKind.TENDER_DOCUMENTS, title=f"招标文件：{tender.title}",
            creator_party_id=agency_party_id, pdf=checked.data, seal_boxes={AGENCY: checked.seal_box},
            signers=[documents.SignerSpec(agency_party_id, AGENCY)])
        replaced = tender.documents_document_id
        tender.documents_document_id = document.id
        tender.review_document_id = tender.review_conclusion = tender.reviewed_sha256 = None
        uow.audit("tender.documents_uploaded", tender, tender=tender.public_id, document=public_id,
                  sha256=checked.sha256, size=len(checked.data), filename=checked.filename, pages=checked.page_count,
                  replaced=replaced)
        uow.commit()
        return document


# -- 采购文件审核意见书 -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewTerms:
    """The purchaser's review: the opinion, the conclusion, and optionally each item's conclusion
    (``items``: (item, conclusion, remark); default: the standard items, each 符合 when the
    conclusion is 同意发布, else 需修改)."""

    opinion: Any
    conclusion: Any
    items: Sequence[tuple[Any, Any, Any]] | None = None


def write_review_opinion(uow: UnitOfWork, file_store: Path, tender_id: Any, purchaser_party_id: int,
                         terms: ReviewTerms, *, verify_url: VerifyUrl) -> Document:
    """The purchaser's review opinion over the stamped 招标文件 of a draft tender, as a PDF waiting for
    its stamp; replaces an earlier one."""
    with uow:
        tender = purchaser_tender(uow, tender_id, purchaser_party_id, for_update=True)
        require_phase(tender, uow, TenderPhase.DRAFT, "招标公告已发布，不能再出具审核意见 (the tender is published)")
        reviewed = stamped_revision(uow, tender.documents_document_id)
        if reviewed is None:
            raise DocumentsNotReady("代理机构尚未上传并签章招标文件，暂不能审核 (the agency has not stamped the tender "
                                    "documents yet)")
        opinion, conclusion, items = _checked_review(terms)
        project = project_of(uow, tender)
        purchaser, agency = uow.session.get(Party, tender.purchaser_id), uow.session.get(Party, tender.agency_id)
        public_id = new_public_id()
        rendered = render_review_opinion(ReviewOpinionData(
            project=ProjectRef(project.number, project.title), purchaser=party_ref(uow, purchaser),
            agency=party_ref(uow, agency), documents_title=f"{tender.title} 招标文件（{tender.public_id}）",
            items=items, opinion=opinion, conclusion=conclusion, reviewed_on=beijing_today(uow),
            documents_sha256=reviewed.sha256), document_id=public_id, verify_url=verify_url(public_id))
        document = documents.create_document(
            uow, file_store, public_id=public_id, kind=DocumentKind.REVIEW_OPINION,
            title=f"采购文件审核意见书：{tender.title}", creator_party_id=purchaser.id, rendered=rendered,
            signers=[documents.SignerSpec(purchaser.id, PURCHASER)])
        tender.review_document_id, tender.review_conclusion = document.id, conclusion
        tender.reviewed_sha256 = reviewed.sha256
        uow.audit("tender.review_written", tender, tender=tender.public_id, document=public_id, conclusion=conclusion,
                  reviewed_sha256=reviewed.sha256)
        uow.commit()
        return document


def _checked_review(terms: ReviewTerms) -> tuple[str, str, tuple[ReviewItem, ...]]:
    opinion = "\n".join(line.strip() for line in str(terms.opinion or "").replace("\r\n", "\n").split("\n")).strip()
    if not OPINION_MIN <= len(opinion) <= OPINION_MAX:
        raise ReviewInvalid(f"请填写审核意见（{OPINION_MIN} 至 {OPINION_MAX} 字） (the opinion needs {OPINION_MIN} to "
                            f"{OPINION_MAX} characters)", field="opinion")
    conclusion = str(terms.conclusion or "").strip()
    if conclusion not in REVIEW_CONCLUSIONS:
        raise ReviewInvalid(f"审核结论须为{'、'.join(REVIEW_CONCLUSIONS)}之一 (unknown conclusion)", field="conclusion")
    if terms.items is None:
        default = "符合" if conclusion == REVIEW_CONCLUSIONS[0] else "需修改"
        return opinion, conclusion, tuple(ReviewItem(item, default) for item in REVIEW_ITEMS)
    items = []
    for number, (item, item_conclusion, remark) in enumerate(terms.items, start=1):
        name = " ".join(str(item or "").split())
        verdict, note = str(item_conclusion or "").strip(), " ".join(str(remark or "").split())
        if not name or len(name) > 50 or verdict not in ITEM_CONCLUSIONS or len(note) > REMARK_MAX:
            raise ReviewInvalid(f"第 {number} 个审核事项有误：须有名称（不超过 50 字）、结论（{'或'.join(ITEM_CONCLUSIONS)}）"
                                f"和不超过 {REMARK_MAX} 字的说明 (review item {number} is invalid)", field="items")
        items.append(ReviewItem(name, verdict, note))
    if not items or len(items) > 20:
        raise ReviewInvalid("审核事项须有 1 至 20 项 (1 to 20 review items)", field="items")
    if conclusion == REVIEW_CONCLUSIONS[0] and any(i.conclusion != "符合" for i in items):
        raise ReviewInvalid("有需修改的审核事项时，结论不能是“同意发布” (an item needs changes: the conclusion cannot be "
                            "to publish)", field="conclusion")
    return opinion, conclusion, tuple(items)


# -- 更正公告 --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AmendmentTerms:
    title: Any
    summary: Any
    new_bid_deadline: Any = None
    new_opening_at: Any = None


def upload_amendment(uow: UnitOfWork, file_store: Path, tender_id: Any, agency_party_id: int, terms: AmendmentTerms,
                     data: bytes, filename: str, *, max_bytes: int = MAX_TENDER_PDF_BYTES,
                     seal_page: int = 0) -> TenderAmendment:
    """An amendment of a tender open for bids, waiting for the agency's stamp; its new times (the
    deadline only later, the opening with it) are checked now and again when it is stamped."""
    with uow:
        tender = agency_tender(uow, tender_id, agency_party_id, for_update=True)
        now = uow.clock.now()
        require_phase(tender, uow, TenderPhase.OPEN, "只有投标截止前的项目可以发布更正公告 (amendments only before the bid "
                                                      "deadline)")
        title = " ".join(str(terms.title or "").split())
        if not title or len(title) > AMENDMENT_TITLE_MAX:
            raise AmendmentInvalid(f"请填写更正公告标题（不超过 {AMENDMENT_TITLE_MAX} 字） (a title is required)",
                                   field="title")
        summary = "\n".join(x.strip() for x in str(terms.summary or "").replace("\r\n", "\n").split("\n")).strip()
        if not 2 <= len(summary) <= AMENDMENT_SUMMARY_MAX:
            raise AmendmentInvalid(f"请填写更正内容摘要（2 至 {AMENDMENT_SUMMARY_MAX} 字） (a summary is required)",
                                   field="summary")
        deadline, opening = check_amended_times(tender, terms.new_bid_deadline, terms.new_opening_at, now)
        checked = check_pdf(data, filename, field="file", max_bytes=max_bytes, seal_page=seal_page)
        seq = (uow.session.scalar(select(func.max(TenderAmendment.seq)).where(
            TenderAmendment.tender_id == tender.id)) or 0) + 1
        public_id = new_public_id()
        document = documents.create_document_from_pdf(
            uow, file_store, public_id=public_id, kind=DocumentKind.TENDER_AMENDMENT,
            title=f"第 {seq} 号更正公告：{tender.title}", creator_party_id=agency_party_id, pdf=checked.data,
            seal_boxes={AGENCY: checked.seal_box}, signers=[documents.SignerSpec(agency_party_id, AGENCY)])
        amendment = TenderAmendment(tender_id=tender.id, seq=seq, title=title, summary=summary, document_id=document.id,
                                    new_bid_deadline=deadline, new_opening_at=opening, created_at=now)
        uow.session.add(amendment)
        uow.session.flush()
        uow.audit("tender.amendment_uploaded", amendment, tender=tender.public_id, seq=seq, document=public_id,
                  sha256=checked.sha256, new_bid_deadline=deadline, new_opening_at=opening)
        uow.commit()
        return amendment


def check_amendment_now(uow: UnitOfWork, amendment: TenderAmendment, tender: Tender) -> None:
    """Whether the amendment may still be stamped (published) now: the tender open for bids, the
    amendment not published, its new times still later than the tender's and in the future."""
    now = uow.clock.now()
    require_phase(tender, uow, TenderPhase.OPEN, "投标截止时间已过，更正公告不能再发布 (the bid deadline has passed: "
                                                  "the amendment can no longer be published)")
    if amendment.published_at is not None:
        raise TenderPhaseConflict("该更正公告已发布 (the amendment is published already)")
    if amendment.moves_times:
        check_amended_times(tender, amendment.new_bid_deadline, amendment.new_opening_at, now)


def publish_amendment(uow: UnitOfWork, amendment: TenderAmendment, tender: Tender) -> None:
    """Publish the stamped amendment (inside the stamp's transaction): its times apply, every
    registered bidder is told (站内通知 and the notifier)."""
    now = uow.clock.now()
    amendment.old_bid_deadline, amendment.old_opening_at = tender.bid_deadline, tender.opening_at
    if amendment.new_bid_deadline is not None:
        tender.bid_deadline = amendment.new_bid_deadline
    if amendment.new_opening_at is not None:
        tender.opening_at = amendment.new_opening_at
    amendment.published_at = now
    if amendment.moves_times:
        times_changed(uow, tender)
    text = f"{amendment.title}。{amendment.summary}"
    if amendment.new_bid_deadline is not None:
        text += (f" 投标截止时间由 {beijing(amendment.old_bid_deadline)} 推迟至 {beijing(tender.bid_deadline)}，"
                 f"开标时间为 {beijing(tender.opening_at)}。")
    elif amendment.new_opening_at is not None:
        text += f" 开标时间由 {beijing(amendment.old_opening_at)} 改为 {beijing(tender.opening_at)}。"
    for registration in registrations_of(uow, tender):
        notify(uow, party_id=registration.party_id, subject=f"更正公告：{tender.title}", text=text,
               link=f"/tenders/{tender.id}")
    notify(uow, party_id=tender.purchaser_id, subject=f"更正公告已发布：{tender.title}", text=text,
           link=f"/tenders/{tender.id}")
    uow.audit("tender.amended", amendment, tender=tender.public_id, seq=amendment.seq,
              bid_deadline=[amendment.old_bid_deadline, tender.bid_deadline],
              opening_at=[amendment.old_opening_at, tender.opening_at],
              notified=len(registrations_of(uow, tender)))


def amendments_of(uow: UnitOfWork, tender: Tender, *, published_only: bool = True) -> list[TenderAmendment]:
    query = select(TenderAmendment).where(TenderAmendment.tender_id == tender.id)
    if published_only:
        query = query.where(TenderAmendment.published_at.is_not(None))
    return list(uow.session.scalars(query.order_by(TenderAmendment.seq)))


# -- downloads ------------------------------------------------------------------------------------------------
def tender_file(uow: UnitOfWork, file_store: Path, tender_id: Any, account: Any | None, which: str,
                seq: int | None = None) -> tuple[Document, DocumentRevision, bytes]:
    """The current revision of one of the tender's files for ``account``: ``which`` is ``documents``
    (招标文件), ``review`` (审核意见书) or ``amendment`` (更正公告 number ``seq``). The agency and the
    purchaser get every file of their tender; a registered bidder the published 招标文件 and the
    published amendments; anyone else is refused (a draft's files: not found)."""
    tender = visible_tender(uow, tender_id, account)
    rel = relation(uow, tender, account)
    insider = rel in (Relation.AGENCY, Relation.PURCHASER)
    if not insider and rel != Relation.BIDDER:
        raise TenderFileDenied(tender=tender.public_id)
    document_id = None
    if which == "documents":
        document_id = tender.documents_document_id
    elif which == "review" and insider:
        document_id = tender.review_document_id
    elif which == "review":
        raise TenderFileDenied("审核意见书只有代理机构和采购人可以查看 (only the agency and the purchaser see the review "
                               "opinion)", tender=tender.public_id)
    elif which == "amendment" and seq is not None:
        amendment = uow.session.scalars(select(TenderAmendment).where(
            TenderAmendment.tender_id == tender.id, TenderAmendment.seq == seq)).first()
        if amendment is not None and (amendment.published_at is not None or insider):
            document_id = amendment.document_id
    if document_id is None:
        raise TenderFileNotFound(tender=tender.public_id, file=which, seq=seq)
    document = uow.session.get(Document, document_id)
    revision = uow.session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == document.id, DocumentRevision.seq == document.current_seq)).one()
    return document, revision, store.get(file_store, store.REVISIONS, revision.sha256)


def require_phase(tender: Tender, uow: UnitOfWork, wanted: TenderPhase, message: str) -> None:
    phase = tender.phase(uow.clock.now())
    if phase != wanted:
        raise TenderPhaseConflict(f"{message}；项目当前阶段：{phase.label}", phase=phase.value)
