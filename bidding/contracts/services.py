"""Use cases of the contract (政府采购合同, DESIGN.md §5, docs/contracts.md):

- :func:`draft_contract` (the tender's purchaser, from a notified award): the parties, subject and
  price come from the award and the tender; the purchaser enters only the payment terms and the
  delivery place and date (:func:`check_terms`); the PDF is generated
  (:func:`bidding.documents.pdf.render_award_contract`). One contract per award;
- the purchaser stamps first, then the winner, each with the cross-page seal
  (:mod:`bidding.contracts.stamping` moves the state on when :mod:`bidding.documents` completes a
  stamp); :func:`prepare_stamp` / :func:`complete_stamp` are the contract's doors onto that;
- :func:`refuse_contract` (the winner, with a reason), after which :func:`revise_contract` (the
  purchaser) makes a new document and the contract starts again as a draft;
- :func:`file_contract` (备案, the purchaser, once both stamped);
- :func:`list_contracts`, :func:`get_contract`, :func:`history`: the purchaser sees its contracts,
  the winner once the purchaser has stamped (sent) it, a supervisor (监管) the filed ones; nobody else.

Each step records a :class:`ContractEvent`, writes an audit entry and notifies the party who must
act next.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bidding.accounts.models import Role
from bidding.agreements.rendering import party_ref
from bidding.award.models import Award, AwardState
from bidding.contracts.errors import (
    AwardNotFound,
    AwardNotNotified,
    ContractAccessDenied,
    ContractExists,
    ContractInvalid,
    ContractNotFound,
    ContractStateConflict,
    OnlyThePurchaser,
    OnlyTheSupplier,
    RefusalReasonRequired,
)
from bidding.contracts.models import (
    Contract,
    ContractAction,
    ContractEvent,
    ContractState,
)
from bidding.documents import services as documents
from bidding.documents.models import (
    Document,
    DocumentKind,
    DocumentRevision,
    StampSession,
    new_public_id,
)
from bidding.documents.pdf import AwardContractData, ProjectRef, render_award_contract
from bidding.notify import notify
from bidding.parties.models import Party
from bidding.tenders.models import Project, Tender
from bidding.uow import UnitOfWork

BEIJING = timezone(timedelta(hours=8))
PAYMENT_TERMS_MIN, PAYMENT_TERMS_MAX = 4, 500
PLACE_MIN, PLACE_MAX = 2, 100
DELIVERY_MAX_DAYS = 5 * 366
REASON_MIN, REASON_MAX = 2, 500
PURCHASER, SUPPLIER = "purchaser", "supplier"     # the seal boxes of the template, in signing order

VerifyUrl = Callable[[str], str]
"""Makes the verification link printed on a document from its public id."""


@dataclass(frozen=True)
class ContractTerms:
    """What the purchaser enters (values as typed: text, or already parsed)."""

    payment_terms: Any
    delivery_place: Any
    delivery_date: Any


@dataclass(frozen=True)
class CheckedTerms:
    payment_terms: str
    delivery_place: str
    delivery_date: date

    def apply(self, contract: Contract) -> None:
        contract.payment_terms, contract.delivery_place = self.payment_terms, self.delivery_place
        contract.delivery_date = self.delivery_date


# -- drafting ---------------------------------------------------------------------------------------------
def draft_contract(uow: UnitOfWork, file_store: Path, award_id: Any, purchaser_id: int, terms: ContractTerms, *,
                   verify_url: VerifyUrl) -> Contract:
    """The contract of a notified award, as a draft with its generated PDF (the tender's purchaser only)."""
    with uow:
        award = _award(uow, award_id)
        tender = uow.session.get(Tender, award.tender_id)
        if tender.purchaser_id != purchaser_id:
            raise OnlyThePurchaser(award=award.id)
        if award.state != AwardState.NOTIFIED or award.notified_at is None:
            raise AwardNotNotified(award=award.id, state=award.state.value)
        if uow.session.scalars(select(Contract.id).where(Contract.award_id == award.id)).first() is not None:
            raise ContractExists(award=award.id)
        checked = check_terms(uow, terms)
        contract = Contract(award_id=award.id, tender_id=tender.id, purchaser_id=tender.purchaser_id,
                            supplier_id=award.winner_party_id, subject=tender.title[:200], amount=award.price,
                            currency=award.currency, state=ContractState.DRAFT, revision=1,
                            created_at=uow.clock.now())
        checked.apply(contract)
        uow.session.add(contract)
        try:
            uow.session.flush()               # its id is printed on the document
        except IntegrityError:                # another request drafted this award's contract first
            raise ContractExists(award=award.id) from None
        document = _new_document(uow, file_store, contract, award, tender, verify_url)
        contract.document_id = document.id
        _event(uow, contract, purchaser_id, ContractAction.DRAFTED, document)
        uow.audit("contract.drafted", contract, award_id=award.id, tender=tender.public_id,
                  purchaser_id=purchaser_id, supplier_id=contract.supplier_id, amount=str(contract.amount),
                  document=document.public_id, delivery_date=checked.delivery_date.isoformat())
        uow.commit()
        return contract


def revise_contract(uow: UnitOfWork, file_store: Path, contract_id: int, purchaser_id: int, terms: ContractTerms, *,
                    verify_url: VerifyUrl) -> Contract:
    """New terms for a draft or a refused contract: a new document, revision + 1, a draft again. The
    old document stays as it was, verifiable."""
    with uow:
        contract = _visible(uow, contract_id, purchaser_id)
        if contract.purchaser_id != purchaser_id:
            raise OnlyThePurchaser(contract=contract_id)
        if contract.state not in (ContractState.DRAFT, ContractState.REFUSED):
            raise ContractStateConflict(f"只有草稿或被拒签的合同可以修改，本合同{contract.state.label} (only a draft or a "
                                        f"refused contract can be revised)", state=contract.state.value)
        checked = check_terms(uow, terms)
        checked.apply(contract)
        contract.revision += 1
        contract.state, contract.refusal_reason = ContractState.DRAFT, None
        award = uow.session.get(Award, contract.award_id)
        document = _new_document(uow, file_store, contract, award, uow.session.get(Tender, contract.tender_id),
                                 verify_url)
        contract.document_id = document.id
        _event(uow, contract, purchaser_id, ContractAction.REVISED, document)
        uow.audit("contract.revised", contract, revision=contract.revision, document=document.public_id,
                  delivery_date=checked.delivery_date.isoformat())
        uow.commit()
        return contract


def check_terms(uow: UnitOfWork, terms: ContractTerms) -> CheckedTerms:
    """The purchaser's terms parsed and checked; :class:`ContractInvalid` naming the field otherwise."""
    payment = _text(terms.payment_terms)
    if not PAYMENT_TERMS_MIN <= len(payment) <= PAYMENT_TERMS_MAX:
        raise ContractInvalid(f"请填写付款方式（{PAYMENT_TERMS_MIN} 至 {PAYMENT_TERMS_MAX} 字），如 合同签订后 10 个工作日内"
                              f"支付 30%，验收合格后支付 70% (payment terms of {PAYMENT_TERMS_MIN} to "
                              f"{PAYMENT_TERMS_MAX} characters)", field="payment_terms")
    place = " ".join(str(terms.delivery_place or "").split())
    if not PLACE_MIN <= len(place) <= PLACE_MAX:
        raise ContractInvalid(f"请填写交付地点（{PLACE_MIN} 至 {PLACE_MAX} 字） (a delivery place of {PLACE_MIN} to "
                              f"{PLACE_MAX} characters)", field="delivery_place")
    if any(not ch.isprintable() for ch in payment.replace("\n", "") + place):
        field = "delivery_place" if any(not ch.isprintable() for ch in place) else "payment_terms"
        raise ContractInvalid("内容含有不可显示的控制字符 (control characters are not allowed)", field=field)
    day = _day(terms.delivery_date)
    today = beijing_today(uow)
    if day < today:
        raise ContractInvalid("交付日期不能早于今天 (the delivery date cannot be in the past)", field="delivery_date")
    if (day - today).days > DELIVERY_MAX_DAYS:
        raise ContractInvalid("交付日期不超过 5 年 (the delivery date is at most five years ahead)", field="delivery_date")
    return CheckedTerms(payment, place, day)


# -- stamping, refusing, filing ------------------------------------------------------------------------------
def prepare_stamp(uow: UnitOfWork, stamping: documents.Stamping, contract_id: int, party_id: int,
                  binding_id: int) -> StampSession:
    """Prepare the party's stamp (with its cross-page seal) on the contract's current document."""
    contract = _visible(uow, contract_id, party_id)
    return documents.prepare_stamp_on(uow, stamping, contract.document_id, party_id, binding_id)


def complete_stamp(uow: UnitOfWork, stamping: documents.Stamping, contract_id: int, session_id: int,
                   party_id: int, signature_der: bytes) -> DocumentRevision:
    """Embed the signature of a stamp prepared on this contract's document."""
    contract = _visible(uow, contract_id, party_id)
    return documents.complete_stamp_on(uow, stamping, contract.document_id, session_id, party_id, signature_der)


def refuse_contract(uow: UnitOfWork, contract_id: int, supplier_id: int, reason: Any) -> Contract:
    """The winner refuses to stamp, saying why; the purchaser is told and may revise."""
    with uow:
        contract = _visible(uow, contract_id, supplier_id)
        if contract.supplier_id != supplier_id:
            raise OnlyTheSupplier(contract=contract_id)
        if contract.state != ContractState.SIGNED_BY_PURCHASER:
            raise ContractStateConflict(f"只能拒签待本单位签章的合同，本合同{contract.state.label} (only a contract waiting "
                                        f"for the supplier's stamp can be refused)", state=contract.state.value)
        text = " ".join(str(reason or "").split())
        if not REASON_MIN <= len(text) <= REASON_MAX:
            raise RefusalReasonRequired()
        contract.state, contract.refusal_reason = ContractState.REFUSED, text
        document = uow.session.get(Document, contract.document_id)
        _event(uow, contract, supplier_id, ContractAction.REFUSED, document, reason=text)
        supplier = uow.session.get(Party, supplier_id)
        notify(uow, party_id=contract.purchaser_id, subject=f"合同被拒签：{contract.number}",
               text=f"{supplier.name} 拒签了合同 {contract.number}。理由：{text}。请修改合同后重新签章发送。",
               link=f"/contracts/{contract.id}")
        uow.audit("contract.refused", contract, supplier_id=supplier_id, reason=text, document=document.public_id)
        uow.commit()
        return contract


def file_contract(uow: UnitOfWork, contract_id: int, purchaser_id: int) -> Contract:
    """File (备案) a contract both parties stamped: the tender's purchaser does."""
    with uow:
        contract = _visible(uow, contract_id, purchaser_id)
        if contract.purchaser_id != purchaser_id:
            raise OnlyThePurchaser(contract=contract_id)
        if contract.state != ContractState.SIGNED_BY_BOTH:
            raise ContractStateConflict(f"只有双方均已签章的合同可以备案，本合同{contract.state.label} (only a contract stamped "
                                        f"by both parties can be filed)", state=contract.state.value)
        contract.state, contract.filed_at = ContractState.FILED, uow.clock.now()
        document = uow.session.get(Document, contract.document_id)
        _event(uow, contract, purchaser_id, ContractAction.FILED, document)
        purchaser = uow.session.get(Party, purchaser_id)
        notify(uow, party_id=contract.supplier_id, subject=f"合同已备案：{contract.number}",
               text=f"{purchaser.name} 已将合同 {contract.number} 在本平台备案，请按合同约定履行。",
               link=f"/contracts/{contract.id}")
        uow.audit("contract.filed", contract, purchaser_id=purchaser_id, document=document.public_id,
                  revision=document.current_seq)
        uow.commit()
        return contract


# -- reading ------------------------------------------------------------------------------------------------
def list_contracts(uow: UnitOfWork, account: Any) -> list[Contract]:
    """The contracts ``account`` may see, newest first: a purchaser's all, a supplier's those sent to
    it, a supervisor's every filed one; nothing for anybody else."""
    query = select(Contract)
    if getattr(account, "role", None) == Role.SUPERVISOR:
        query = query.where(Contract.state == ContractState.FILED)
    elif getattr(account, "party_id", None) is not None:
        party_id = account.party_id
        query = query.where((Contract.purchaser_id == party_id)
                            | ((Contract.supplier_id == party_id) & Contract.sent_at.is_not(None)))
    else:
        return []
    return list(uow.session.scalars(query.order_by(Contract.created_at.desc(), Contract.id.desc())))


def get_contract(uow: UnitOfWork, contract_id: int, account: Any) -> Contract:
    """The contract if ``account`` may see it (see :func:`list_contracts`)."""
    if getattr(account, "role", None) == Role.SUPERVISOR:
        contract = _own(uow, contract_id)
        if contract.state != ContractState.FILED:
            raise ContractAccessDenied(contract=contract_id)
        return contract
    return _visible(uow, contract_id, getattr(account, "party_id", None))


def history(uow: UnitOfWork, contract_id: int, account: Any) -> list[ContractEvent]:
    """Every step of the contract, oldest first (for whoever may see it)."""
    contract = get_contract(uow, contract_id, account)
    return list(uow.session.scalars(select(ContractEvent).where(ContractEvent.contract_id == contract.id)
                                    .order_by(ContractEvent.at, ContractEvent.id)))


def awards_to_contract(uow: UnitOfWork, purchaser_id: int | None) -> list[Award]:
    """The purchaser's notified awards that have no contract yet (what it has to draft)."""
    if purchaser_id is None:
        return []
    drafted = select(Contract.award_id)
    return list(uow.session.scalars(
        select(Award).join(Tender, Tender.id == Award.tender_id)
        .where(Tender.purchaser_id == purchaser_id, Award.state == AwardState.NOTIFIED, Award.id.not_in(drafted))
        .order_by(Award.notified_at.desc(), Award.id.desc())))


def award_for_drafting(uow: UnitOfWork, award_id: Any, purchaser_id: int | None) -> Award:
    """The award a purchaser is about to draft a contract for (the drafting form shows it)."""
    award = _award(uow, award_id)
    if uow.session.get(Tender, award.tender_id).purchaser_id != purchaser_id:
        raise OnlyThePurchaser(award=award.id)
    if award.state != AwardState.NOTIFIED:
        raise AwardNotNotified(award=award.id, state=award.state.value)
    return award


@dataclass(frozen=True)
class ContractsOverview:
    """The contracts list page: what ``account`` may see, and (a purchaser) the awards to draft."""

    contracts: list[Contract]
    awards_to_draft: list[Award]


def overview(uow: UnitOfWork, account: Any) -> ContractsOverview:
    awards = awards_to_contract(uow, account.party_id) if getattr(account, "role", None) == Role.PURCHASER_STAFF \
        else []
    return ContractsOverview(list_contracts(uow, account), awards)


def tender_contract_target(uow: UnitOfWork, tender_id: int, account: Any) -> tuple[str, int] | None:
    """Where the tender page's contract link leads ``account``: ``("contract", id)`` when it may see
    the tender's contract, ``("draft", award id)`` for the purchaser of a notified award without one,
    else ``None``."""
    contract = contract_of_tender(uow, tender_id, account)
    if contract is not None:
        return "contract", contract.id
    if getattr(account, "role", None) == Role.PURCHASER_STAFF:
        award = next((a for a in awards_to_contract(uow, account.party_id) if a.tender_id == tender_id), None)
        if award is not None:
            return "draft", award.id
    return None


def contract_of_tender(uow: UnitOfWork, tender_id: int, account: Any) -> Contract | None:
    """The tender's contract if ``account`` may see it, else ``None`` (the tender page's link)."""
    contract = uow.session.scalars(select(Contract).where(Contract.tender_id == tender_id)).first()
    if contract is None:
        return None
    try:
        return get_contract(uow, contract.id, account)
    except ContractAccessDenied:
        return None


def next_signer_role(contract: Contract) -> str | None:
    """Whose stamp the contract waits for: the purchaser's on a draft, then the supplier's."""
    return {ContractState.DRAFT: PURCHASER, ContractState.SIGNED_BY_PURCHASER: SUPPLIER}.get(contract.state)


def award_of(uow: UnitOfWork, contract: Contract) -> Award:
    return uow.session.get(Award, contract.award_id)


def document_of(uow: UnitOfWork, contract: Contract) -> Document:
    return uow.session.get(Document, contract.document_id)


def beijing_today(uow: UnitOfWork) -> date:
    return uow.clock.now().astimezone(BEIJING).date()


# -- the steps ---------------------------------------------------------------------------------------------
def _award(uow: UnitOfWork, value: Any) -> Award:
    try:
        award_id = int(value)
    except (TypeError, ValueError):
        raise AwardNotFound(award=str(value)[:40]) from None
    award = uow.session.get(Award, award_id) if 0 < award_id < 2**31 else None
    if award is None:
        raise AwardNotFound(award=award_id)
    return award


def _text(value: Any) -> str:
    """Several lines of text, each stripped, with no empty lines at the ends."""
    lines = str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip()


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ContractInvalid("请按 年-月-日 填写交付日期，如 2027-06-30 (delivery_date must be a date YYYY-MM-DD)",
                              field="delivery_date") from None


def _own(uow: UnitOfWork, contract_id: int) -> Contract:
    contract = uow.session.get(Contract, contract_id) if 0 < contract_id < 2**31 else None
    if contract is None:
        raise ContractNotFound(contract=contract_id)
    return contract


def _visible(uow: UnitOfWork, contract_id: int, party_id: int | None) -> Contract:
    contract = _own(uow, contract_id)
    if party_id is not None and (party_id == contract.purchaser_id
                                 or (party_id == contract.supplier_id and contract.sent_at is not None)):
        return contract
    raise ContractAccessDenied(contract=contract_id)


def _event(uow: UnitOfWork, contract: Contract, party_id: int, action: ContractAction, document: Document,
           reason: str | None = None) -> ContractEvent:
    event = ContractEvent(contract_id=contract.id, at=uow.clock.now(), party_id=party_id,
                          actor=uow.actor.operator[:100], action=action, revision=contract.revision,
                          document_public_id=document.public_id, reason=reason)
    uow.session.add(event)
    uow.session.flush()
    return event


def record_event(uow: UnitOfWork, contract: Contract, party_id: int, action: ContractAction,
                 document: Document) -> ContractEvent:
    """A step recorded by the stamping rules (same transaction)."""
    return _event(uow, contract, party_id, action, document)


def _new_document(uow: UnitOfWork, file_store: Path, contract: Contract, award: Award, tender: Tender,
                  verify_url: VerifyUrl) -> Document:
    public_id = new_public_id()
    purchaser = uow.session.get(Party, contract.purchaser_id)
    supplier = uow.session.get(Party, contract.supplier_id)
    project = uow.session.get(Project, tender.project_id)
    notice = uow.session.get(Document, award.notice_document_id) if award.notice_document_id else None
    data = AwardContractData(
        contract_number=contract.number, project=ProjectRef(project.number, project.title),
        tender_number=tender.public_id, award_notice_id=notice.public_id if notice else "",
        purchaser=party_ref(uow, purchaser), supplier=party_ref(uow, supplier), subject=contract.subject,
        amount=contract.amount, payment_terms=contract.payment_terms, delivery_place=contract.delivery_place,
        delivery_date=contract.delivery_date, drafted_on=beijing_today(uow), revision=contract.revision)
    rendered = render_award_contract(data, document_id=public_id, verify_url=verify_url(public_id))
    return documents.create_document(
        uow, file_store, public_id=public_id, kind=DocumentKind.CONTRACT,
        title=f"政府采购合同：{tender.title}", creator_party_id=purchaser.id, rendered=rendered,
        signers=[documents.SignerSpec(purchaser.id, PURCHASER), documents.SignerSpec(supplier.id, SUPPLIER)])
