"""The opening hall (开标大厅, docs/opening.md "The hall"): who is in it and what each sees, sign-in
(签到), objections (异议) and the agency's answers. Every action is a hall event
(:func:`bidding.opening.events.record_hall_event`), so the published transcript holds it.

Who sees the hall: the tender's agency and purchaser, supervisors (read-only), and the suppliers
registered for the tender (those with a bid of the opening are its bidders). What each sees is
decided by the clock (:meth:`Tender.phase`):

- before ``opening_at`` nobody learns who bid: the agency sees the number of bids, a bidder its own
  bid and sign-in, everyone else nothing of the bids;
- from ``opening_at`` every viewer sees each bid's bidder, sign-in and decryption state (as in a real
  hall), and the objections with their answers;
- prices, currencies and the items each manifest lists (唱标) only once the window has closed;
- the opening record and the transcript once published (:mod:`bidding.opening.record`).
"""
from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bidding.accounts.models import Role
from bidding.bids.models import Bid, BidState
from bidding.documents.models import Document, DocumentSigner
from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bidding.opening.events import lock_hall, record_hall_event
from bidding.opening.models import BidOpening, HallSignIn, Objection, OpeningHall, OpeningState
from bidding.parties.models import Party
from bidding.tenders.access import Relation, relation, visible_tender
from bidding.tenders.models import Tender, TenderPhase
from bidding.tenders.times import beijing
from bidding.uow import UnitOfWork

SIGN_IN_LEAD = timedelta(minutes=30)          # 签到 opens this long before the opening
TEXT_MAX = 1000                               # an objection or an answer, in characters


# -- refusals ------------------------------------------------------------------------------------------------
class HallNotVisible(PermissionDenied):
    code = "opening_hall_not_visible"
    message = ("开标大厅仅对本项目的代理机构、采购人、监管人员和已报名的供应商开放 (the hall is open to the tender's "
               "agency, purchaser, supervisors and registered suppliers only)")


class SignInOnlyBidders(PermissionDenied):
    code = "sign_in_only_bidders"
    message = "只有递交了投标文件的供应商可以签到 (only a supplier with a bid signs in)"


class SignInNotOpen(Conflict):
    code = "sign_in_not_open"
    message = "不在签到时间内：开标前 30 分钟至解密时限结束 (sign-in is open from 30 minutes before the opening until the window ends)"


class AlreadySignedIn(Conflict):
    code = "already_signed_in"
    message = "本单位已签到 (your party has already signed in)"


class ObjectionOnlySuppliers(PermissionDenied):
    code = "objection_only_suppliers"
    message = "只有已报名的供应商可以提出异议 (only a registered supplier raises an objection)"


class ObjectionNotOpen(Conflict):
    code = "objection_not_open"
    message = "开标开始后、开标记录公布前才能提出异议 (objections are taken from the opening until the record is published)"


class HallTextInvalid(InvalidInput):
    code = "hall_text_invalid"
    message = f"请填写内容（1 至 {TEXT_MAX} 字） (the text needs 1 to {TEXT_MAX} characters)"


class ObjectionNotFound(NotFound):
    code = "objection_not_found"
    message = "异议不存在 (no such objection)"


class ObjectionAlreadyAnswered(Conflict):
    code = "objection_already_answered"
    message = "该异议已答复 (this objection has already been answered)"


class AnswerOnlyAgency(PermissionDenied):
    code = "objection_answer_only_agency"
    message = "只有本项目的代理机构可以答复异议 (only the tender's agency answers objections)"


class HallClosed(Conflict):
    code = "opening_published"
    message = "开标记录已公布，开标大厅已结束 (the opening record is published: the hall is closed)"


# -- who is in the hall --------------------------------------------------------------------------------------
class HallRole(str, enum.Enum):
    AGENCY = "agency"            # 代理机构：主持开标
    PURCHASER = "purchaser"      # 采购人：旁观
    SUPERVISOR = "supervisor"    # 监管：只读
    BIDDER = "bidder"            # 投标人：已报名且递交了投标
    SUPPLIER = "supplier"        # 已报名、未投标的供应商

    @property
    def label(self) -> str:
        return {"agency": "代理机构", "purchaser": "采购人", "supervisor": "监管人员（只读）", "bidder": "投标人",
                "supplier": "已报名供应商"}[self.value]


@dataclass(frozen=True)
class OpeningBid:
    """A bid of the opening: not replaced, not withdrawn by its bidder before the deadline."""

    bid: Bid
    opening: BidOpening | None
    party: Party

    def state(self, tender: Tender, now: datetime) -> OpeningState:
        """Where its decryption stands; after the window a bid never finished counts by R15 (the
        close's effect writes the same; the clock decides, not the effect)."""
        state = self.opening.state if self.opening is not None else OpeningState.AWAITING
        if not state.final and tender.phase(now) is TenderPhase.OPENED:
            platform = self.opening is not None and self.opening.platform_error
            return OpeningState.WITHDRAWN if platform else OpeningState.INVALID
        return state


def opening_bids(uow: UnitOfWork, tender: Tender) -> list[OpeningBid]:
    """The tender's bids at the opening, in the order they were received."""
    rows = uow.session.execute(
        select(Bid, BidOpening, Party).join(Party, Party.id == Bid.party_id)
        .outerjoin(BidOpening, BidOpening.bid_id == Bid.id)
        .where(Bid.tender_id == tender.id, Bid.state != BidState.REPLACED)
        .order_by(Bid.received_at, Bid.id)).all()
    return [OpeningBid(bid, opening, party) for bid, opening, party in rows
            if bid.state != BidState.WITHDRAWN or opening is not None]


def hall_role(uow: UnitOfWork, tender: Tender, account: Any | None, bids: Sequence[OpeningBid]) -> HallRole:
    """The account's place in the hall (:class:`HallNotVisible` when it has none)."""
    if account is not None and getattr(account, "role", None) == Role.SUPERVISOR:
        return HallRole.SUPERVISOR
    found = relation(uow, tender, account)
    if found is Relation.AGENCY:
        return HallRole.AGENCY
    if found is Relation.PURCHASER:
        return HallRole.PURCHASER
    if found is Relation.BIDDER:
        return HallRole.BIDDER if any(b.party.id == account.party_id for b in bids) else HallRole.SUPPLIER
    raise HallNotVisible(tender=tender.public_id)


# -- the state ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HallBid:
    bidder: str
    signed_in: bool
    state: OpeningState
    own: bool


@dataclass(frozen=True)
class HallResult:
    """One line of 唱标."""

    bidder: str
    credit_code: str
    state: OpeningState
    price: str | None
    currency: str | None
    items: tuple[tuple[str, str], ...]
    received_at: datetime


@dataclass(frozen=True)
class HallObjection:
    seq: int
    by: str
    text: str
    raised_at: datetime
    answer: str | None
    answered_at: datetime | None
    own: bool


@dataclass(frozen=True)
class HallRecord:
    """The opening record (开标记录表) as the hall shows it."""

    document: str             # the document's public id
    stamped: bool
    published_at: datetime | None


@dataclass(frozen=True)
class Viewer:
    role: HallRole
    own_bid: str | None               # the bidder's bid's public id
    own_state: OpeningState | None
    signed_in: bool
    may_sign_in: bool
    may_decrypt: bool
    may_object: bool
    may_answer: bool
    may_make_record: bool
    may_publish: bool

    @property
    def read_only(self) -> bool:
        return self.role in (HallRole.SUPERVISOR, HallRole.PURCHASER)


@dataclass(frozen=True)
class HallState:
    """What the hall shows ``viewer`` at ``now``; None where the viewer may not know (yet)."""

    tender: Tender
    phase: TenderPhase
    now: datetime
    sign_in_from: datetime | None
    viewer: Viewer
    bid_count: int | None
    signed_in_count: int | None
    bids: tuple[HallBid, ...] | None
    results: tuple[HallResult, ...] | None
    objections: tuple[HallObjection, ...]
    record: HallRecord | None

    @property
    def published(self) -> bool:
        return self.record is not None and self.record.published_at is not None


def hall_state(uow: UnitOfWork, tender_id: Any, account: Any | None, now: datetime) -> HallState:
    """The hall of a published tender as ``account`` sees it at ``now`` (see the module docstring)."""
    tender = visible_tender(uow, tender_id, account)
    bids = opening_bids(uow, tender)
    role = hall_role(uow, tender, account, bids)
    phase = tender.phase(now)
    opened = phase in (TenderPhase.OPENING, TenderPhase.OPENED)
    hall = _hall(uow, tender)
    signed = {s.party_id: s for s in uow.session.scalars(select(HallSignIn).where(HallSignIn.tender_id == tender.id))}
    party_id = getattr(account, "party_id", None) if role is HallRole.BIDDER else None
    own = next((b for b in bids if b.party.id == party_id), None)
    record = _record(uow, hall)
    published = record is not None and record.published_at is not None
    viewer = Viewer(
        role=role, own_bid=own.bid.public_id if own else None, own_state=own.state(tender, now) if own else None,
        signed_in=party_id in signed,
        may_sign_in=own is not None and party_id not in signed and sign_in_open(tender, now),
        may_decrypt=own is not None and phase is TenderPhase.OPENING and not own.state(tender, now).final,
        may_object=role in (HallRole.BIDDER, HallRole.SUPPLIER) and opened and not published,
        may_answer=role is HallRole.AGENCY and opened and not published,
        may_make_record=role is HallRole.AGENCY and phase is TenderPhase.OPENED and not (record and record.stamped),
        may_publish=role is HallRole.AGENCY and record is not None and record.stamped and not published)
    return HallState(
        tender=tender, phase=phase, now=now,
        sign_in_from=tender.opening_at - SIGN_IN_LEAD if tender.opening_at else None, viewer=viewer,
        bid_count=len(bids) if opened or role is HallRole.AGENCY else None,
        signed_in_count=len(signed) if opened or role is HallRole.AGENCY else None,
        bids=tuple(HallBid(b.party.name, b.party.id in signed, b.state(tender, now), b is own) for b in bids)
        if opened else None,
        results=tuple(_result(b, tender, now) for b in bids) if phase is TenderPhase.OPENED else None,
        objections=tuple(_objection(o, name, _supplier_party(role, account)) for o, name in _objections(uow, tender))
        if opened else (),
        record=record)


def _supplier_party(role: HallRole, account: Any) -> int | None:
    return account.party_id if role in (HallRole.BIDDER, HallRole.SUPPLIER) else None


def sign_in_open(tender: Tender, now: datetime) -> bool:
    return (tender.opening_at is not None and tender.window_end is not None
            and tender.opening_at - SIGN_IN_LEAD <= now < tender.window_end)


def _hall(uow: UnitOfWork, tender: Tender) -> OpeningHall | None:
    return uow.session.scalars(select(OpeningHall).where(OpeningHall.tender_id == tender.id)).one_or_none()


def _record(uow: UnitOfWork, hall: OpeningHall | None) -> HallRecord | None:
    if hall is None or hall.record_document_id is None:
        return None
    document = uow.session.get(Document, hall.record_document_id)
    unsigned = uow.session.scalar(select(func.count()).select_from(DocumentSigner).where(
        DocumentSigner.document_id == document.id, DocumentSigner.signed_seq.is_(None)))
    return HallRecord(document.public_id, unsigned == 0, hall.published_at)


def manifest_items(opening: BidOpening | None) -> tuple[tuple[str, str], ...]:
    """The items a decrypted bid's manifest lists, as (name, value) pairs: the items of its
    开标一览表 the bidder declared (delivery time, warranty, …: ``bidtool pack --item``), then its files
    with their sizes (``BidOpening.items`` is that list as JSON)."""
    if opening is None or not opening.items:
        return ()
    try:
        value = json.loads(opening.items)
    except ValueError:
        return ()
    if isinstance(value, dict):
        value = list(value.items())
    out = []
    for item in value if isinstance(value, list) else ():
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            out.append((str(item.get("name") or ""), item["value"]))
        elif isinstance(item, dict):
            name = item.get("name") or item.get("path") or item.get("file") or ""
            size = item.get("size")
            out.append(("文件", f"{name}" + (f"（{_size(size)}）" if isinstance(size, int) else "")))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((str(item[0]), str(item[1])))
        else:
            out.append(("文件", str(item)))
    return tuple(out)


def _size(size: int) -> str:
    for unit, step in (("MB", 1024 ** 2), ("KB", 1024)):
        if size >= step:
            return f"{size / step:.1f} {unit}"
    return f"{size} B"


def _result(b: OpeningBid, tender: Tender, now: datetime) -> HallResult:
    state = b.state(tender, now)
    decrypted = state is OpeningState.DECRYPTED and b.opening is not None
    return HallResult(b.party.name, b.party.credit_code or "", state, b.opening.price if decrypted else None,
                      b.opening.currency if decrypted else None, manifest_items(b.opening) if decrypted else (),
                      b.bid.received_at)


def _objections(uow: UnitOfWork, tender: Tender) -> list[tuple[Objection, str]]:
    return list(uow.session.execute(select(Objection, Party.name).join(Party, Party.id == Objection.party_id)
                                    .where(Objection.tender_id == tender.id).order_by(Objection.seq)).all())


def _objection(o: Objection, name: str, party_id: int | None) -> HallObjection:
    return HallObjection(o.seq, name, o.text, o.raised_at, o.answer, o.answered_at, party_id == o.party_id)


# -- actions ----------------------------------------------------------------------------------------------------
def sign_in(uow: UnitOfWork, account: Any, tender_id: Any) -> HallSignIn:
    """签到: a supplier with a bid of the opening, from 30 minutes before the opening until the
    window ends; once per party."""
    with uow:
        tender = visible_tender(uow, tender_id, account)
        now = uow.clock.now()
        bids = opening_bids(uow, tender)
        if hall_role(uow, tender, account, bids) is not HallRole.BIDDER:
            raise SignInOnlyBidders(tender=tender.public_id)
        if not sign_in_open(tender, now):
            raise SignInNotOpen(f"{SignInNotOpen.message}：{beijing(tender.opening_at - SIGN_IN_LEAD)} 至 "
                                f"{beijing(tender.window_end)}", tender=tender.public_id)
        lock_hall(uow.session, tender.id)
        if uow.session.scalars(select(HallSignIn).where(HallSignIn.tender_id == tender.id,
                                                        HallSignIn.party_id == account.party_id)).first():
            raise AlreadySignedIn(tender=tender.public_id)
        party = uow.session.get(Party, account.party_id)
        signed = HallSignIn(tender_id=tender.id, party_id=party.id, account_id=account.id, at=now)
        uow.session.add(signed)
        record_hall_event(uow, tender, "opening.signed_in", {"bidder": party.name, "credit_code": party.credit_code})
        uow.commit()
        return signed


def raise_objection(uow: UnitOfWork, account: Any, tender_id: Any, text: Any) -> Objection:
    """异议: a registered supplier, from the opening until the opening record is published."""
    with uow:
        tender = visible_tender(uow, tender_id, account)
        now = uow.clock.now()
        if hall_role(uow, tender, account, opening_bids(uow, tender)) not in (HallRole.BIDDER, HallRole.SUPPLIER):
            raise ObjectionOnlySuppliers(tender=tender.public_id)
        body = _text(text)
        if tender.phase(now) not in (TenderPhase.OPENING, TenderPhase.OPENED):
            raise ObjectionNotOpen(tender=tender.public_id)
        hall = lock_hall(uow.session, tender.id)
        if hall.published_at is not None:
            raise ObjectionNotOpen(tender=tender.public_id)
        seq = (uow.session.scalar(select(func.max(Objection.seq)).where(Objection.tender_id == tender.id)) or 0) + 1
        party = uow.session.get(Party, account.party_id)
        objection = Objection(tender_id=tender.id, seq=seq, party_id=party.id, account_id=account.id, text=body,
                              raised_at=now)
        uow.session.add(objection)
        record_hall_event(uow, tender, "opening.objection_raised", {"seq": seq, "by": party.name, "text": body})
        uow.commit()
        return objection


def answer_objection(uow: UnitOfWork, account: Any, tender_id: Any, seq: Any, text: Any) -> Objection:
    """The agency answers objection ``seq``, once, until the opening record is published."""
    with uow:
        tender = visible_tender(uow, tender_id, account)
        if relation(uow, tender, account) is not Relation.AGENCY:
            raise AnswerOnlyAgency(tender=tender.public_id)
        body = _text(text)
        hall = lock_hall(uow.session, tender.id)
        objection = uow.session.scalars(select(Objection).where(Objection.tender_id == tender.id,
                                                                Objection.seq == _seq(seq))).first()
        if objection is None:
            raise ObjectionNotFound(tender=tender.public_id, seq=str(seq)[:20])
        if objection.answer is not None:
            raise ObjectionAlreadyAnswered(tender=tender.public_id, seq=objection.seq)
        if hall.published_at is not None:
            raise HallClosed(tender=tender.public_id)
        objection.answer, objection.answered_by, objection.answered_at = body, account.id, uow.clock.now()
        record_hall_event(uow, tender, "opening.objection_answered", {"seq": objection.seq, "answer": body})
        uow.commit()
        return objection


def _text(value: Any) -> str:
    text = "\n".join(line.rstrip() for line in str(value if value is not None else "").replace("\r\n", "\n")
                     .split("\n")).strip()
    if not 1 <= len(text) <= TEXT_MAX or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise HallTextInvalid(field="text")
    return text


def _seq(value: Any) -> int:
    try:
        seq = int(value)
    except (TypeError, ValueError):
        raise ObjectionNotFound(seq=str(value)[:20]) from None
    if not 1 <= seq <= 2**31 - 1:
        raise ObjectionNotFound(seq=seq)
    return seq


__all__ = ["SIGN_IN_LEAD", "TEXT_MAX", "HallRole", "HallState", "HallBid", "HallResult", "HallObjection",
           "HallRecord", "Viewer", "OpeningBid", "hall_state", "opening_bids", "hall_role", "sign_in_open",
           "manifest_items", "sign_in", "raise_objection", "answer_objection", "HallNotVisible",
           "SignInOnlyBidders", "SignInNotOpen", "AlreadySignedIn", "ObjectionOnlySuppliers", "ObjectionNotOpen",
           "HallTextInvalid", "ObjectionNotFound", "ObjectionAlreadyAnswered", "AnswerOnlyAgency", "HallClosed"]
