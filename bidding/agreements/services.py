"""Use cases of delegation agreements (委托协议, DESIGN.md §5):

- :func:`draft_agreement` (purchasers): the terms are checked, the PDF generated
  (:func:`bidding.documents.pdf.render_delegation_agreement`) and kept as the agreement's document;
- the purchaser stamps first, then the agency (:mod:`bidding.agreements.stamping` moves the state
  on when :mod:`bidding.documents` completes a stamp); :func:`prepare_stamp` / :func:`complete_stamp`
  are the agreement's doors onto that;
- :func:`refuse_agreement` (the agency, with a reason), after which :func:`revise_agreement` (the
  purchaser) makes a new document and the agreement starts again as a draft;
- :func:`file_agreement` (either side, once both stamped);
- :func:`list_agreements`, :func:`get_agreement`, :func:`history`: only the two parties see an
  agreement, the agency once the purchaser has stamped it;
- :func:`has_filed_agreement` / :func:`require_filed_agreement`: whether an agency may act for a
  purchaser (an agency cannot create a procurement project without a filed agreement in force).

Each step notifies the other party (站内通知) and records an :class:`AgreementEvent`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from bidding.agreements.errors import (
    AgreementAccessDenied,
    AgreementInvalid,
    AgreementNotFound,
    AgreementStateConflict,
    NoFiledAgreement,
    OnlyPurchasers,
    OnlyTheAgency,
    RefusalReasonRequired,
)
from bidding.agreements.models import AgreementAction, AgreementEvent, AgreementState, DelegationAgreement
from bidding.agreements.rendering import render
from bidding.documents import services as documents
from bidding.documents.models import Document, DocumentKind, DocumentRevision, StampSession, new_public_id
from bidding.parties.models import Party, PartyKind
from bidding.parties.notices import add_notice
from bidding.uow import UnitOfWork

BEIJING = timezone(timedelta(hours=8))
SCOPE_MAX = 1000
PROJECT_NAME_MAX = 100
FEE_TERMS_MAX = 300
REASON_MIN, REASON_MAX = 2, 500
AMOUNT_LIMIT = Decimal(10) ** 14            # 100 万亿元: more is a typo
TERM_MAX_DAYS = 5 * 366
PURCHASER, AGENCY = "purchaser", "agency"     # the seal boxes of the template, in signing order

VerifyUrl = Callable[[str], str]
"""Makes the verification link printed on a document from its public id."""


PROCUREMENT_METHODS = ("公开招标", "邀请招标", "竞争性谈判", "竞争性磋商", "询价", "单一来源")


@dataclass(frozen=True)
class AgreementTerms:
    """The terms a purchaser enters (values as typed: text, or already parsed)."""

    agency_id: Any
    project_name: Any
    scope: Any
    budget: Any
    term_start: Any
    term_end: Any
    fee_terms: Any = ""
    fee: Any = None
    procurement_method: Any = ""


@dataclass(frozen=True)
class CheckedTerms:
    agency: Party
    project_name: str
    scope: str
    procurement_method: str
    budget: Decimal
    fee: Decimal | None
    fee_terms: str
    term_start: date
    term_end: date

    def apply(self, agreement: DelegationAgreement) -> None:
        agreement.agency_id, agreement.project_name, agreement.scope = self.agency.id, self.project_name, self.scope
        agreement.procurement_method, agreement.budget = self.procurement_method, self.budget
        agreement.fee, agreement.fee_terms = self.fee, self.fee_terms
        agreement.term_start, agreement.term_end = self.term_start, self.term_end


# -- drafting ---------------------------------------------------------------------------------------------
def draft_agreement(uow: UnitOfWork, file_store: Path, purchaser_id: int, terms: AgreementTerms, *,
                    verify_url: VerifyUrl) -> DelegationAgreement:
    """A new agreement of the purchaser with an agency, as a draft with its generated PDF."""
    with uow:
        purchaser = _purchaser(uow, purchaser_id)
        checked = check_terms(uow, terms)
        now = uow.clock.now()
        agreement = DelegationAgreement(purchaser_id=purchaser.id, state=AgreementState.DRAFT, revision=1,
                                        created_at=now)
        checked.apply(agreement)
        uow.session.add(agreement)
        uow.session.flush()                   # its id is printed on the document
        document = _new_document(uow, file_store, agreement, purchaser, checked.agency, verify_url)
        agreement.document_id = document.id
        _event(uow, agreement, purchaser.id, AgreementAction.DRAFTED, document)
        uow.audit("agreement.drafted", agreement, purchaser_id=purchaser.id, agency_id=checked.agency.id,
                  document=document.public_id, project=checked.project_name, budget=str(checked.budget),
                  term=[checked.term_start.isoformat(), checked.term_end.isoformat()])
        uow.commit()
        return agreement


def revise_agreement(uow: UnitOfWork, file_store: Path, agreement_id: int, purchaser_id: int,
                     terms: AgreementTerms, *, verify_url: VerifyUrl) -> DelegationAgreement:
    """New terms for a draft or a refused agreement: a new document, revision + 1, a draft again
    (the agency may be changed too). The old document stays as it was, verifiable."""
    with uow:
        agreement = _own(uow, agreement_id, purchaser_id)
        purchaser = _purchaser(uow, purchaser_id)
        if agreement.purchaser_id != purchaser.id:
            raise OnlyPurchasers()
        if agreement.state not in (AgreementState.DRAFT, AgreementState.REFUSED):
            raise AgreementStateConflict(f"只有草稿或被拒签的委托协议可以修改，本协议{agreement.state.label} (only a draft or "
                                         f"a refused agreement can be revised)", state=agreement.state.value)
        checked = check_terms(uow, terms)
        old_agency = agreement.agency_id
        checked.apply(agreement)
        agreement.revision += 1
        agreement.state, agreement.refusal_reason = AgreementState.DRAFT, None
        document = _new_document(uow, file_store, agreement, purchaser, checked.agency, verify_url)
        agreement.document_id = document.id
        if old_agency != checked.agency.id:
            agreement.sent_at = None          # a new agency sees it only once it is stamped and sent
        _event(uow, agreement, purchaser.id, AgreementAction.REVISED, document)
        uow.audit("agreement.revised", agreement, revision=agreement.revision, document=document.public_id,
                  agency_id=checked.agency.id)
        uow.commit()
        return agreement


def check_terms(uow: UnitOfWork, terms: AgreementTerms) -> CheckedTerms:
    """The terms parsed and checked; :class:`AgreementInvalid` naming the field otherwise."""
    agency = _agency_of(uow, terms.agency_id)
    project_name = " ".join(str(terms.project_name or "").split())
    if not project_name:
        raise AgreementInvalid("请填写项目名称 (the project name is required)", field="project_name")
    if len(project_name) > PROJECT_NAME_MAX:
        raise AgreementInvalid(f"项目名称不超过 {PROJECT_NAME_MAX} 字 (the project name has at most {PROJECT_NAME_MAX} "
                               f"characters)", field="project_name")
    scope = _text(terms.scope)
    if not scope:
        raise AgreementInvalid("请填写委托范围 (the scope of the delegation is required)", field="scope")
    if len(scope) > SCOPE_MAX:
        raise AgreementInvalid(f"委托范围不超过 {SCOPE_MAX} 字 (the scope has at most {SCOPE_MAX} characters)",
                               field="scope")
    method = " ".join(str(terms.procurement_method or "").split())
    if method and method not in PROCUREMENT_METHODS:
        raise AgreementInvalid(f"采购方式须为{'、'.join(PROCUREMENT_METHODS)}之一，或留空 (unknown procurement method)",
                               field="procurement_method")
    budget = _amount(terms.budget, "budget", "采购预算")
    if budget <= 0:
        raise AgreementInvalid("采购预算须大于 0 元 (the budget must be above 0 yuan)", field="budget")
    fee = None if terms.fee is None or str(terms.fee).strip() == "" else _amount(terms.fee, "fee", "代理服务费")
    if fee is not None and fee > budget:
        raise AgreementInvalid("代理服务费不能超过采购预算 (the fee cannot exceed the budget)", field="fee")
    fee_terms = _text(terms.fee_terms)
    if fee is None and not fee_terms:
        raise AgreementInvalid("请填写代理服务费金额或收费约定 (give the agency fee or how it is computed)",
                               field="fee_terms")
    if len(fee_terms) > FEE_TERMS_MAX:
        raise AgreementInvalid(f"收费约定不超过 {FEE_TERMS_MAX} 字 (the fee terms have at most {FEE_TERMS_MAX} "
                               f"characters)", field="fee_terms")
    start = _day(terms.term_start, "term_start", "委托期限起始日期")
    end = _day(terms.term_end, "term_end", "委托期限截止日期")
    if end < start:
        raise AgreementInvalid("委托期限的截止日期不能早于起始日期 (the term cannot end before it starts)", field="term_end")
    if end < beijing_today(uow):
        raise AgreementInvalid("委托期限的截止日期不能早于今天 (the term cannot end in the past)", field="term_end")
    if (end - start).days > TERM_MAX_DAYS:
        raise AgreementInvalid("委托期限不超过 5 年 (the term is at most five years)", field="term_end")
    return CheckedTerms(agency, project_name, scope, method, budget, fee, fee_terms, start, end)


# -- stamping, refusing, filing ------------------------------------------------------------------------------
def prepare_stamp(uow: UnitOfWork, stamping: documents.Stamping, agreement_id: int, party_id: int,
                  binding_id: int) -> StampSession:
    """Prepare the party's stamp on the agreement's current document (its turn, its state)."""
    agreement = _visible(uow, agreement_id, party_id)
    return documents.prepare_stamp_on(uow, stamping, agreement.document_id, party_id, binding_id)


def complete_stamp(uow: UnitOfWork, stamping: documents.Stamping, agreement_id: int, session_id: int,
                   party_id: int, signature_der: bytes) -> DocumentRevision:
    """Embed the signature of a stamp prepared on this agreement's document."""
    agreement = _visible(uow, agreement_id, party_id)
    return documents.complete_stamp_on(uow, stamping, agreement.document_id, session_id, party_id, signature_der)


def refuse_agreement(uow: UnitOfWork, agreement_id: int, agency_id: int, reason: str) -> DelegationAgreement:
    """The agency refuses to stamp, saying why; the purchaser is told and may revise."""
    with uow:
        agreement = _visible(uow, agreement_id, agency_id)
        if agreement.agency_id != agency_id:
            raise OnlyTheAgency()
        if agreement.state != AgreementState.SIGNED_BY_PURCHASER:
            raise AgreementStateConflict(f"只能拒签待本机构签章的委托协议，本协议{agreement.state.label} (only an agreement "
                                         f"waiting for the agency's stamp can be refused)", state=agreement.state.value)
        text = " ".join(str(reason or "").split())
        if not REASON_MIN <= len(text) <= REASON_MAX:
            raise RefusalReasonRequired()
        agreement.state, agreement.refusal_reason = AgreementState.REFUSED, text
        document = uow.session.get(Document, agreement.document_id)
        _event(uow, agreement, agency_id, AgreementAction.REFUSED, document, reason=text)
        agency = uow.session.get(Party, agency_id)
        add_notice(uow, f"{agency.name} 拒签了委托协议 {agreement.number}。理由：{text}。您可以修改后重新签章发送。",
                   party_id=agreement.purchaser_id)
        uow.audit("agreement.refused", agreement, agency_id=agency_id, reason=text, document=document.public_id)
        uow.commit()
        return agreement


def file_agreement(uow: UnitOfWork, agreement_id: int, party_id: int) -> DelegationAgreement:
    """File (备案) an agreement both sides stamped; either side may."""
    with uow:
        agreement = _visible(uow, agreement_id, party_id)
        if agreement.state != AgreementState.SIGNED_BY_BOTH:
            raise AgreementStateConflict(f"只有双方均已签章的委托协议可以备案，本协议{agreement.state.label} (only an agreement "
                                         f"stamped by both sides can be filed)", state=agreement.state.value)
        now = uow.clock.now()
        agreement.state, agreement.filed_at, agreement.filed_by_party_id = AgreementState.FILED, now, party_id
        document = uow.session.get(Document, agreement.document_id)
        _event(uow, agreement, party_id, AgreementAction.FILED, document)
        other = agreement.agency_id if party_id == agreement.purchaser_id else agreement.purchaser_id
        filer = uow.session.get(Party, party_id)
        add_notice(uow, f"委托协议 {agreement.number} 已由 {filer.name} 备案。", party_id=other)
        uow.audit("agreement.filed", agreement, party_id=party_id, document=document.public_id)
        uow.commit()
        return agreement


# -- reading ------------------------------------------------------------------------------------------------
def list_agreements(uow: UnitOfWork, party_id: int) -> list[DelegationAgreement]:
    """The party's agreements, newest first: a purchaser's all, an agency's those sent to it."""
    query = select(DelegationAgreement).where(or_(
        DelegationAgreement.purchaser_id == party_id,
        (DelegationAgreement.agency_id == party_id) & DelegationAgreement.sent_at.is_not(None)))
    return list(uow.session.scalars(query.order_by(DelegationAgreement.created_at.desc(),
                                                   DelegationAgreement.id.desc())))


def get_agreement(uow: UnitOfWork, agreement_id: int, party_id: int) -> DelegationAgreement:
    """The agreement if ``party_id`` is its purchaser, or its agency once it was sent."""
    return _visible(uow, agreement_id, party_id)


def history(uow: UnitOfWork, agreement_id: int, party_id: int) -> list[AgreementEvent]:
    """Every step of the agreement, oldest first (for either side)."""
    agreement = _visible(uow, agreement_id, party_id)
    return list(uow.session.scalars(select(AgreementEvent).where(AgreementEvent.agreement_id == agreement.id)
                                    .order_by(AgreementEvent.at, AgreementEvent.id)))


def next_signer_role(agreement: DelegationAgreement) -> str | None:
    """Whose stamp the agreement waits for: the purchaser's on a draft, then the agency's."""
    return {AgreementState.DRAFT: PURCHASER, AgreementState.SIGNED_BY_PURCHASER: AGENCY}.get(agreement.state)


def document_of(uow: UnitOfWork, agreement: DelegationAgreement) -> Document:
    return uow.session.get(Document, agreement.document_id)


def agencies(uow: UnitOfWork) -> list[Party]:
    """The registered agencies a purchaser may choose from, by name."""
    return list(uow.session.scalars(select(Party).where(Party.kind == PartyKind.AGENCY).order_by(Party.name)))


def has_filed_agreement(uow: UnitOfWork, agency_id: int, purchaser_id: int, at: datetime) -> bool:
    """Whether a filed agreement between them is in force on ``at``'s day (Beijing time)."""
    day = at.astimezone(BEIJING).date()
    found = uow.session.scalars(select(DelegationAgreement.id).where(
        DelegationAgreement.agency_id == agency_id, DelegationAgreement.purchaser_id == purchaser_id,
        DelegationAgreement.state == AgreementState.FILED, DelegationAgreement.term_start <= day,
        DelegationAgreement.term_end >= day)).first()
    return found is not None


def require_filed_agreement(uow: UnitOfWork, agency_id: int, purchaser_id: int, at: datetime | None = None) -> None:
    """:class:`NoFiledAgreement` unless :func:`has_filed_agreement` (the tenders area asks before an
    agency creates a procurement project for a purchaser)."""
    if not has_filed_agreement(uow, agency_id, purchaser_id, at or uow.clock.now()):
        raise NoFiledAgreement(agency_id=agency_id, purchaser_id=purchaser_id)


def beijing_today(uow: UnitOfWork) -> date:
    return uow.clock.now().astimezone(BEIJING).date()


# -- the steps ---------------------------------------------------------------------------------------------
def _purchaser(uow: UnitOfWork, party_id: int | None) -> Party:
    party = uow.session.get(Party, party_id) if party_id is not None else None
    if party is None or party.kind != PartyKind.PURCHASER:
        raise OnlyPurchasers()
    return party


def _agency_of(uow: UnitOfWork, value: Any) -> Party:
    try:
        agency_id = int(value)
    except (TypeError, ValueError):
        raise AgreementInvalid("请选择代理机构 (choose an agency)", field="agency_id") from None
    party = uow.session.get(Party, agency_id) if 0 < agency_id < 2**31 else None
    if party is None or party.kind != PartyKind.AGENCY:
        raise AgreementInvalid("所选主体不是平台上登记的代理机构 (the chosen party is not a registered agency)",
                               field="agency_id")
    return party


def _amount(value: Any, field: str, name: str) -> Decimal:
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    if isinstance(value, float) or not text:
        raise AgreementInvalid(f"请填写{name}（元） ({field} is required, in yuan)", field=field)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AgreementInvalid(f"{name}须为数字金额（元），如 1200000.00 ({field} must be a number of yuan)",
                               field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= AMOUNT_LIMIT:
        raise AgreementInvalid(f"{name}须为 0 至 100 万亿元之间的金额 ({field} must be between 0 and 10^14 yuan)",
                               field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise AgreementInvalid(f"{name}最多两位小数（分） ({field} has at most two decimals)", field=field)
    return amount.quantize(Decimal("0.01"))


def _text(value: Any) -> str:
    """Several lines of text, each stripped, with no empty lines at the ends."""
    lines = str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip()


def _day(value: Any, field: str, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise AgreementInvalid(f"请按 年-月-日 填写{name}，如 2027-01-31 ({field} must be a date YYYY-MM-DD)",
                               field=field) from None


def _own(uow: UnitOfWork, agreement_id: int, party_id: int) -> DelegationAgreement:
    agreement = uow.session.get(DelegationAgreement, agreement_id) if 0 < agreement_id < 2**31 else None
    if agreement is None:
        raise AgreementNotFound(agreement=agreement_id)
    return agreement


def _visible(uow: UnitOfWork, agreement_id: int, party_id: int | None) -> DelegationAgreement:
    agreement = _own(uow, agreement_id, party_id)
    if party_id == agreement.purchaser_id or (party_id == agreement.agency_id and agreement.sent_at is not None):
        return agreement
    raise AgreementAccessDenied(agreement=agreement_id)


def _event(uow: UnitOfWork, agreement: DelegationAgreement, party_id: int, action: AgreementAction,
           document: Document, reason: str | None = None) -> AgreementEvent:
    event = AgreementEvent(agreement_id=agreement.id, at=uow.clock.now(), party_id=party_id, action=action,
                           revision=agreement.revision, document_public_id=document.public_id, reason=reason)
    uow.session.add(event)
    uow.session.flush()
    return event


def _new_document(uow: UnitOfWork, file_store: Path, agreement: DelegationAgreement, purchaser: Party, agency: Party,
                  verify_url: VerifyUrl) -> Document:
    public_id = new_public_id()
    rendered = render(uow, agreement, purchaser, agency, public_id=public_id, verify_url=verify_url(public_id),
                      drafted_on=beijing_today(uow))
    return documents.create_document(
        uow, file_store, public_id=public_id, kind=DocumentKind.DELEGATION_AGREEMENT,
        title=f"委托协议：{agreement.project_name}", creator_party_id=purchaser.id, rendered=rendered,
        signers=[documents.SignerSpec(purchaser.id, PURCHASER), documents.SignerSpec(agency.id, AGENCY)])
