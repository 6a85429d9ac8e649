"""The opening's side effects of time (docs/opening.md "Time"): scheduled by a times listener at a
tender's publication and again when an amendment moves its times; each handler checks the tender's
current times, so an effect made stale by an amendment does nothing, and each is harmless when run
again.

- ``tender.closing`` at ``bid_deadline``: hall event ``opening.bids_closed`` (how many bids, no names);
- ``opening.window_start`` at ``opening_at``: the opening key; hall event ``opening.started``;
  a notice to every bidder with a submitted bid;
- ``opening.window_end`` at ``window_end``: :func:`bidding.opening.services.close_window`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from bidding.audit.models import AuditEntry
from bidding.bids.models import Bid, BidState
from bidding.notify import notify
from bidding.opening.events import lock_hall, record_hall_event
from bidding.opening.keys import Keyring, ensure_opening_key
from bidding.opening.services import close_window
from bidding.scheduling import Effect, EffectHandler, schedule_effect
from bidding.tenders.listeners import register_times_listener
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork

CLOSING = "tender.closing"
WINDOW_START = "opening.window_start"
WINDOW_END = "opening.window_end"
KINDS = (CLOSING, WINDOW_START, WINDOW_END)


@register_times_listener
def schedule_opening_effects(uow: UnitOfWork, tender: Tender) -> None:
    """Owe the three effects at the tender's current times (idempotent per time; older ones turn
    stale by themselves)."""
    if tender.bid_deadline is None or tender.opening_at is None:
        return
    schedule_effect(uow, CLOSING, tender.id, tender.bid_deadline)
    schedule_effect(uow, WINDOW_START, tender.id, tender.opening_at)
    schedule_effect(uow, WINDOW_END, tender.id, tender.window_end)


def _current(uow: UnitOfWork, effect: Effect, due: Callable[[Tender], datetime | None]) -> Tender | None:
    """The tender if the effect is due at its current time, else None (stale: nothing to do)."""
    tender = uow.session.get(Tender, effect.subject_id, populate_existing=True)
    if tender is None or tender.published_at is None or due(tender) != effect.due_at:
        return None
    return tender


def _already(uow: UnitOfWork, tender: Tender, action: str) -> bool:
    return uow.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.object_type == "tender",
        AuditEntry.object_id == tender.public_id)) > 0


def closing_handler(uow: UnitOfWork, effect: Effect) -> None:
    """``tender.closing``: the hall learns how many bids arrived (no names)."""
    tender = _current(uow, effect, lambda t: t.bid_deadline)
    if tender is None:
        return
    lock_hall(uow.session, tender.id)
    if _already(uow, tender, "opening.bids_closed"):
        return
    count = uow.session.scalar(select(func.count()).select_from(Bid).where(
        Bid.tender_id == tender.id, Bid.state == BidState.SUBMITTED))
    record_hall_event(uow, tender, "opening.bids_closed", {"bids": count})


def window_start_handler(keyring: Callable[[], Keyring]) -> EffectHandler:
    """``opening.window_start`` with the application's keyring (built when the effect runs)."""
    def handle(uow: UnitOfWork, effect: Effect) -> None:
        tender = _current(uow, effect, lambda t: t.opening_at)
        if tender is None:
            return
        lock_hall(uow.session, tender.id)
        ensure_opening_key(uow, tender, keyring())
        if _already(uow, tender, "opening.started"):
            return
        parties = list(uow.session.scalars(select(Bid.party_id).where(
            Bid.tender_id == tender.id, Bid.state == BidState.SUBMITTED).order_by(Bid.id)))
        record_hall_event(uow, tender, "opening.started", {"bids": len(parties)})
        for party_id in parties:
            notify(uow, party_id=party_id, subject=f"开标开始：{tender.title}"[:200],
                   text="开标开始，请在解密时限内解密 (the opening has started: decrypt your bid within the window)")
    return handle


def window_end_handler(keyring: Callable[[], Keyring]) -> EffectHandler:
    """``opening.window_end``: :func:`close_window` (it commits; idempotent), destroying the
    opening key on the application's token."""
    def handle(uow: UnitOfWork, effect: Effect) -> None:
        tender = _current(uow, effect, lambda t: t.window_end)
        if tender is None:
            return
        close_window(uow, tender.id, keyring())
    return handle


def register_opening_handlers(keyring: Callable[[], Keyring]) -> None:
    """Wire the three kinds (``app/scheduler`` calls this)."""
    from bidding.scheduling import register_effect_handler
    register_effect_handler(CLOSING, closing_handler)
    register_effect_handler(WINDOW_START, window_start_handler(keyring))
    register_effect_handler(WINDOW_END, window_end_handler(keyring))


__all__ = [
    "CLOSING",
    "KINDS",
    "WINDOW_END",
    "WINDOW_START",
    "closing_handler",
    "register_opening_handlers",
    "schedule_opening_effects",
    "window_end_handler",
    "window_start_handler",
]
