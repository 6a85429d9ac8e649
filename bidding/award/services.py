"""Use cases of the award (定标, docs/award.md).

1. :func:`confirm_winner` (the tender's purchaser): from the ranking the evaluation committee
   recommended (:func:`bidding.evaluation.services.recommended_ranking`, refused before every
   expert signed the summary), once the evaluation report is final (signed by every expert and
   stamped by the agency: :func:`bidding.evaluation.report.require_final_report`), it chooses the
   winning bid, normally rank 1; a lower rank needs a reason. The confirmation (中标人确认书) is generated and the award is *proposed*; the purchaser
   stamps it through its local agent (the documents area; :mod:`bidding.award.stamping` moves the
   award to *confirmed*). Until then a new choice replaces the old one and its document.
2. :func:`issue_notices` (the tender's agency, once confirmed): the award notice (中标通知书) to
   the winner and a result notice (中标结果通知书) to every other bidder whose bid was opened and
   evaluated, all generated at once; the agency stamps them one by one, the award notice first.
   Its stamp makes the award *notified*; each result notice goes out with its own stamp.
3. Reading: :func:`award_overview` (the purchaser and the agency see everything),
   :func:`my_notice` (a bidder: only its own notice, once stamped), :func:`award_document`
   (the PDFs, by the same rules), :func:`award_of` (the contract area).

Each change writes one audit entry; whoever must act next is notified (bidding.notify).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Role
from bidding.agreements.rendering import party_ref
from bidding.award.errors import (
    AwardAccessDenied,
    AwardConfirmed,
    AwardInvalid,
    AwardNotConfirmed,
    AwardNotFound,
    NoticeNotFound,
    NoticesExist,
    NotInRanking,
    OnlyTheAgency,
    OnlyThePurchaser,
    ReasonRequired,
)
from bidding.award.models import Award, AwardState, ResultNotice
from bidding.bids.models import Bid
from bidding.documents import services as documents
from bidding.documents import store
from bidding.documents.models import (
    Document,
    DocumentKind,
    DocumentRevision,
    new_public_id,
)
from bidding.documents.pdf import (
    AwardConfirmationData,
    AwardNoticeData,
    ProjectRef,
    RankedCandidate,
    ResultNoticeData,
    render_award_confirmation,
    render_award_notice,
    render_result_notice,
)
from bidding.errors import DomainError
from bidding.evaluation.models import EvaluationSummary
from bidding.evaluation.report import require_final_report
from bidding.evaluation.services import EVALUATED_STATES, RankedBid, recommended_ranking
from bidding.opening.models import BidOpening, OpeningState
from bidding.parties.models import Party
from bidding.tenders.access import load_tender
from bidding.tenders.errors import TenderNotFound
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork

BEIJING = timezone(timedelta(hours=8))
REASON_MIN, REASON_MAX = 2, 500
PERIOD_MAX, NOTES_MAX = 200, 500
CONTRACT_DAYS_DEFAULT, CONTRACT_DAYS_MAX = 30, 365
PURCHASER, AGENCY = "purchaser", "agency"          # seal boxes of the templates

VerifyUrl = Callable[[str], str]
"""Makes the verification link printed on a document from its public id."""


@dataclass(frozen=True)
class NoticeTerms:
    """What the agency adds to the award notice (values as typed)."""

    performance_period: Any = ""          # 履约期限 / 交货期
    contract_within_days: Any = CONTRACT_DAYS_DEFAULT
    notes: Any = ""


@dataclass(frozen=True)
class ResultNoticeView:
    notice: ResultNotice
    document: Document
    party: Party


@dataclass(frozen=True)
class AwardOverview:
    """What the tender's purchaser and agency see of the award."""

    tender: Tender
    relation: str                          # purchaser | agency
    ranking: list[RankedBid]               # empty while the evaluation is not final
    ranking_refusal: Any                   # the DomainError that withheld the ranking, if any
    award: Award | None
    winner: Party | None
    confirmation: Document | None
    notice: Document | None
    results: list[ResultNoticeView]

    @property
    def next_stamp(self) -> Document | None:
        """The document whose stamp the award waits for (the agency's: award notice first)."""
        if self.award is None:
            return None
        if self.award.state == AwardState.PROPOSED:
            return self.confirmation
        if self.award.state == AwardState.CONFIRMED:
            return self.notice
        return next((r.document for r in self.results if r.notice.notified_at is None), None)


@dataclass(frozen=True)
class MyNotice:
    """A bidder's own notice: the award notice (``kind`` award_notice) or its result notice."""

    kind: DocumentKind
    tender: Tender
    award: Award
    winner: Party
    document: Document
    notified_at: datetime
    result: ResultNotice | None = None


# -- 1. the purchaser confirms the winner -----------------------------------------------------------------
def confirm_winner(uow: UnitOfWork, file_store: Path, account: Any, tender_id: Any, bid_id: Any, reason: Any = "",
                   *, verify_url: VerifyUrl) -> Award:
    """Choose the winning bid from the recommended ranking and generate the confirmation for the
    purchaser's stamp; refused once a confirmation is stamped (:class:`AwardConfirmed`)."""
    with uow:
        tender = load_tender(uow, tender_id, for_update=True)
        _require_purchaser(account, tender)
        award = award_of(uow, tender.id)
        if award is not None and award.state != AwardState.PROPOSED:
            raise AwardConfirmed(tender=tender.id, state=award.state.value)
        ranking = recommended_ranking(uow, tender.id)
        require_final_report(uow, tender.id)
        chosen = _chosen(ranking, bid_id)
        text = " ".join(str(reason or "").split())
        if len(text) > REASON_MAX or (chosen.rank != 1 and len(text) < REASON_MIN):
            raise ReasonRequired(rank=chosen.rank)
        now = uow.clock.now()
        replaced = award.confirmation_document_id if award is not None else None
        if award is None:
            award = Award(tender_id=tender.id, state=AwardState.PROPOSED)
            uow.session.add(award)
        award.bid_id, award.winner_party_id, award.rank = chosen.bid_id, chosen.party_id, chosen.rank
        award.price, award.currency = chosen.price, chosen.currency or "CNY"
        award.reason = text or None
        award.proposed_by, award.proposed_at = account.id, now
        uow.session.flush()
        document = _confirmation_document(uow, file_store, tender, award, ranking, verify_url)
        award.confirmation_document_id = document.id
        uow.audit("award.proposed", award, tender=tender.public_id, bid=chosen.bid, party_id=chosen.party_id,
                  rank=chosen.rank, price=str(chosen.price), reason=award.reason, document=document.public_id,
                  replaced_document=_public_id(uow, replaced))
        uow.commit()
        return award


def _chosen(ranking: list[RankedBid], bid_id: Any) -> RankedBid:
    try:
        wanted = int(bid_id)
    except (TypeError, ValueError):
        raise NotInRanking(bid=str(bid_id)[:40]) from None
    chosen = next((r for r in ranking if r.bid_id == wanted), None)
    if chosen is None:
        raise NotInRanking(bid=wanted)
    return chosen


def _confirmation_document(uow: UnitOfWork, file_store: Path, tender: Tender, award: Award,
                           ranking: list[RankedBid], verify_url: VerifyUrl) -> Document:
    purchaser, agency = _party(uow, tender.purchaser_id), _party(uow, tender.agency_id)
    refs = {p.id: party_ref(uow, p) for p in (_party(uow, r.party_id) for r in ranking)}
    summary = uow.session.scalars(select(EvaluationSummary).where(EvaluationSummary.tender_id == tender.id)).first()
    data = AwardConfirmationData(
        project=_project(tender), purchaser=party_ref(uow, purchaser), agency=party_ref(uow, agency),
        ranking=tuple(RankedCandidate(r.rank, refs[r.party_id], r.price, r.total) for r in ranking),
        winner=refs[award.winner_party_id], winner_rank=award.rank, amount=award.price,
        confirmed_on=_today(uow), reason=award.reason or "", summary_sha256=summary.sha256 if summary else "")
    public_id = new_public_id()
    rendered = render_award_confirmation(data, document_id=public_id, verify_url=verify_url(public_id))
    return documents.create_document(
        uow, file_store, public_id=public_id, kind=DocumentKind.AWARD_CONFIRMATION,
        title=f"中标人确认书：{tender.title}", creator_party_id=purchaser.id, rendered=rendered,
        signers=[documents.SignerSpec(purchaser.id, PURCHASER)])


# -- 2. the agency issues the notices ------------------------------------------------------------------------
def issue_notices(uow: UnitOfWork, file_store: Path, account: Any, tender_id: Any, terms: NoticeTerms, *,
                  verify_url: VerifyUrl) -> Award:
    """Generate the award notice and a result notice for every other evaluated bidder (the agency
    stamps each next); refused before the confirmation is stamped and once they exist."""
    with uow:
        tender = load_tender(uow, tender_id, for_update=True)
        _require_agency(account, tender)
        award = award_of(uow, tender.id)
        if award is None or award.state == AwardState.PROPOSED:
            raise AwardNotConfirmed(tender=tender.id)
        if award.notice_document_id is not None:
            raise NoticesExist(tender=tender.id)
        period, days, notes = _terms(terms)
        purchaser, agency, winner = (_party(uow, tender.purchaser_id), _party(uow, tender.agency_id),
                                     _party(uow, award.winner_party_id))
        refs = {"project": _project(tender), "purchaser": party_ref(uow, purchaser), "agency": party_ref(uow, agency)}
        today = _today(uow)
        notice = _agency_document(
            uow, file_store, tender, agency, DocumentKind.AWARD_NOTICE, f"中标通知书：{tender.title}", verify_url,
            lambda public_id, link: render_award_notice(AwardNoticeData(
                **refs, winner=party_ref(uow, winner), amount=award.price, issued_on=today,
                performance_period=period, contract_within_days=days, notes=notes),
                document_id=public_id, verify_url=link))
        award.notice_document_id, award.contract_within_days = notice.id, days
        ranking = {r.bid_id: r for r in recommended_ranking(uow, tender.id)}
        failed = _disqualified(uow, tender.id)
        made = []
        for bid, party in _other_bidders(uow, tender.id, award.bid_id):
            ranked = ranking.get(bid.id)
            reason = (f"综合得分排名第 {ranked.rank} 名，采购人确认的中标人为 {winner.name}" if ranked is not None
                      else "未通过资格审查：" + ("；".join(failed.get(bid.public_id, [])) or "见评标报告"))
            document = _agency_document(
                uow, file_store, tender, agency, DocumentKind.RESULT_NOTICE, f"中标结果通知书：{tender.title}（{party.name}）",
                verify_url,
                lambda public_id, link, party=party, ranked=ranked, reason=reason: render_result_notice(
                    ResultNoticeData(**refs, recipient=party_ref(uow, party), winner=party_ref(uow, winner),
                                     award_amount=award.price, issued_on=today,
                                     own_score=ranked.total if ranked else None, own_rank=ranked.rank if ranked else None,
                                     reason=reason),
                    document_id=public_id, verify_url=link))
            row = ResultNotice(award_id=award.id, bid_id=bid.id, party_id=party.id, rank=ranked.rank if ranked else None,
                               score=ranked.total if ranked else None, reason=reason, document_id=document.id)
            uow.session.add(row)
            made.append({"party_id": party.id, "document": document.public_id})
        uow.session.flush()
        uow.audit("award.notices_made", award, tender=tender.public_id, notice=notice.public_id, results=made,
                  contract_within_days=days, performance_period=period)
        uow.commit()
        return award


def _terms(terms: NoticeTerms) -> tuple[str, int, str]:
    period = " ".join(str(terms.performance_period or "").split())
    if len(period) > PERIOD_MAX:
        raise AwardInvalid(f"履约期限不超过 {PERIOD_MAX} 字 (the performance period has at most {PERIOD_MAX} characters)",
                           field="performance_period")
    raw = terms.contract_within_days
    try:
        days = CONTRACT_DAYS_DEFAULT if raw is None or str(raw).strip() == "" else int(str(raw).strip())
    except ValueError:
        days = 0
    if isinstance(raw, (bool, float)) or not 1 <= days <= CONTRACT_DAYS_MAX:
        raise AwardInvalid(f"签订合同的期限须为 1 至 {CONTRACT_DAYS_MAX} 天 (days to sign the contract: 1 to "
                           f"{CONTRACT_DAYS_MAX})", field="contract_within_days")
    notes = "\n".join(line.strip() for line in str(terms.notes or "").replace("\r\n", "\n").split("\n")).strip()
    if len(notes) > NOTES_MAX:
        raise AwardInvalid(f"备注不超过 {NOTES_MAX} 字 (the notes have at most {NOTES_MAX} characters)", field="notes")
    return period, days, notes


def _agency_document(uow: UnitOfWork, file_store: Path, tender: Tender, agency: Party, kind: DocumentKind, title: str,
                     verify_url: VerifyUrl, render: Callable[[str, str], Any]) -> Document:
    public_id = new_public_id()
    return documents.create_document(uow, file_store, public_id=public_id, kind=kind, title=title,
                                     creator_party_id=agency.id, rendered=render(public_id, verify_url(public_id)),
                                     signers=[documents.SignerSpec(agency.id, AGENCY)])


def _other_bidders(uow: UnitOfWork, tender_id: int, winning_bid_id: int) -> list[tuple[Bid, Party]]:
    """Every bid opened and evaluated at this tender except the winner's, by bid id."""
    rows = uow.session.execute(
        select(Bid, Party).join(BidOpening, BidOpening.bid_id == Bid.id).join(Party, Party.id == Bid.party_id)
        .where(Bid.tender_id == tender_id, Bid.state.in_(EVALUATED_STATES), BidOpening.state == OpeningState.DECRYPTED,
               Bid.id != winning_bid_id).order_by(Bid.public_id))
    return [(b, p) for b, p in rows]


def _disqualified(uow: UnitOfWork, tender_id: int) -> dict[str, list[str]]:
    """bid public id → the reasons the experts gave when it failed the qualification review."""
    summary = uow.session.scalars(select(EvaluationSummary).where(EvaluationSummary.tender_id == tender_id)).first()
    if summary is None:
        return {}
    return {d["bid"]: list(d.get("reasons") or []) for d in json.loads(summary.content).get("disqualified", [])}


# -- 3. reading ---------------------------------------------------------------------------------------------------
def award_of(uow: UnitOfWork, tender_id: int) -> Award | None:
    """The tender's award row, whatever its state (the contract area asks for ``NOTIFIED``)."""
    return uow.session.scalars(select(Award).where(Award.tender_id == tender_id)).first()


def award_overview(uow: UnitOfWork, account: Any, tender_id: Any) -> AwardOverview:
    """The purchaser's and the agency's view: the ranking (once final), the award, its documents."""
    tender = load_tender(uow, tender_id)
    relation = _relation(account, tender)
    if relation is None:
        _hide_draft(tender)
        raise AwardAccessDenied(tender=tender.id)
    ranking, refusal = [], None
    try:
        ranking = recommended_ranking(uow, tender.id)
    except DomainError as exc:
        refusal = exc
    award = award_of(uow, tender.id)
    results = []
    if award is not None:
        rows = uow.session.scalars(select(ResultNotice).where(ResultNotice.award_id == award.id)
                                   .order_by(ResultNotice.id))
        results = [ResultNoticeView(r, uow.session.get(Document, r.document_id), _party(uow, r.party_id)) for r in rows]
    return AwardOverview(
        tender=tender, relation=relation, ranking=ranking, ranking_refusal=refusal, award=award,
        winner=_party(uow, award.winner_party_id) if award else None,
        confirmation=_document(uow, award.confirmation_document_id) if award else None,
        notice=_document(uow, award.notice_document_id) if award else None, results=results)


def my_notice(uow: UnitOfWork, account: Any, tender_id: Any) -> MyNotice:
    """A bidder's own notice once the agency stamped it; :class:`NoticeNotFound` otherwise (also for
    anyone who is not a bidder of the tender: nothing is confirmed to exist)."""
    tender = load_tender(uow, tender_id)
    party_id = getattr(account, "party_id", None)
    award = award_of(uow, tender.id)
    if award is None or party_id is None or getattr(account, "role", None) != Role.SUPPLIER_STAFF:
        raise NoticeNotFound(tender=tender.id)
    winner = _party(uow, award.winner_party_id)
    if award.winner_party_id == party_id:
        if award.notified_at is None:
            raise NoticeNotFound(tender=tender.id)
        return MyNotice(DocumentKind.AWARD_NOTICE, tender, award, winner, _document(uow, award.notice_document_id),
                        award.notified_at)
    row = uow.session.scalars(select(ResultNotice).where(ResultNotice.award_id == award.id,
                                                         ResultNotice.party_id == party_id)).first()
    if row is None or row.notified_at is None:
        raise NoticeNotFound(tender=tender.id)
    return MyNotice(DocumentKind.RESULT_NOTICE, tender, award, winner, _document(uow, row.document_id),
                    row.notified_at, row)


def award_document(uow: UnitOfWork, file_store: Path, account: Any, tender_id: Any,
                   public_id: str) -> tuple[Document, DocumentRevision, bytes]:
    """The current revision of one of the award's PDFs for someone who may read it: the purchaser and
    the agency all of them (the agency the confirmation once stamped); a bidder only its own notice
    once stamped. Anything else is "not found"."""
    tender = load_tender(uow, tender_id)
    award = award_of(uow, tender.id)
    if award is None:
        raise NoticeNotFound(tender=tender.id)
    key = str(public_id or "").strip().upper()
    relation = _relation(account, tender)
    allowed: dict[int | None, bool] = {}
    if relation == "purchaser":
        allowed[award.confirmation_document_id] = True
    if relation == "agency":
        allowed[award.confirmation_document_id] = award.state != AwardState.PROPOSED
    rows = list(uow.session.scalars(select(ResultNotice).where(ResultNotice.award_id == award.id)))
    if relation is not None:
        allowed[award.notice_document_id] = True
        allowed.update({r.document_id: True for r in rows})
    else:
        try:
            mine = my_notice(uow, account, tender.id)
            allowed[mine.document.id] = True
        except NoticeNotFound:
            pass
    document = next((d for d in (_document(uow, i) for i, ok in allowed.items() if ok and i is not None)
                     if d.public_id == key), None)
    if document is None:
        raise NoticeNotFound(tender=tender.id, document=key[:40])
    revision = uow.session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == document.id, DocumentRevision.seq == document.current_seq)).one()
    return document, revision, store.get(file_store, store.REVISIONS, revision.sha256)


# -- helpers -----------------------------------------------------------------------------------------------------
def _relation(account: Any, tender: Tender) -> str | None:
    role, party_id = getattr(account, "role", None), getattr(account, "party_id", None)
    if party_id is None:
        return None
    if role == Role.PURCHASER_STAFF and party_id == tender.purchaser_id:
        return "purchaser"
    if role == Role.AGENCY_STAFF and party_id == tender.agency_id:
        return "agency"
    return None


def _require_purchaser(account: Any, tender: Tender) -> None:
    if _relation(account, tender) != "purchaser":
        _hide_draft(tender)
        raise OnlyThePurchaser(tender=tender.id)


def _require_agency(account: Any, tender: Tender) -> None:
    if _relation(account, tender) != "agency":
        _hide_draft(tender)
        raise OnlyTheAgency(tender=tender.id)


def _hide_draft(tender: Tender) -> None:
    """A draft exists only for its own parties (bidding.tenders.access): anyone else gets "not found"."""
    if tender.published_at is None:
        raise TenderNotFound(tender=tender.id)


def _party(uow: UnitOfWork, party_id: int) -> Party:
    return uow.session.get(Party, party_id)


def _document(uow: UnitOfWork, document_id: int | None) -> Document | None:
    return uow.session.get(Document, document_id) if document_id is not None else None


def _public_id(uow: UnitOfWork, document_id: int | None) -> str | None:
    document = _document(uow, document_id)
    return document.public_id if document else None


def _project(tender: Tender) -> ProjectRef:
    return ProjectRef(number=tender.public_id, name=tender.title)


def _today(uow: UnitOfWork) -> date:
    return uow.clock.now().astimezone(BEIJING).date()


def require_notified_award(uow: UnitOfWork, tender_id: int) -> Award:
    """The tender's award once its notice is stamped (for the contract area); :class:`AwardNotFound`
    before."""
    award = award_of(uow, tender_id)
    if award is None or award.state != AwardState.NOTIFIED:
        raise AwardNotFound(tender=tender_id)
    return award


__all__ = ["AwardOverview", "MyNotice", "NoticeTerms", "ResultNoticeView", "award_document", "award_of",
           "award_overview", "confirm_winner", "issue_notices", "my_notice", "require_notified_award"]
