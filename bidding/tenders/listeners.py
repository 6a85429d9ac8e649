"""Who is told, inside the same transaction, that a tender's times were set or moved: at its
publication and when a published amendment moves the deadline or the opening. The areas that owe
side effects at those times (closing, the opening's window start and end: the scheduler's
effects) register here, so the tenders area needs to know none of them::

    @register_times_listener
    def schedule_opening(uow, tender): schedule_effect(uow, "opening.start", tender.id, tender.opening_at)

A listener runs before the commit: raising refuses the whole change. Effects keyed by the old
times are the listener's to cancel (or its handlers find nothing to do, checking the tender's
current times).
"""
from __future__ import annotations

from collections.abc import Callable

from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork

TimesListener = Callable[[UnitOfWork, Tender], None]
_listeners: list[TimesListener] = []


def register_times_listener(listener: TimesListener) -> TimesListener:
    """Add ``listener`` (once; usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister_times_listener(listener: TimesListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def times_changed(uow: UnitOfWork, tender: Tender) -> None:
    """Tell every listener (the tenders area calls this; the tender carries its new times)."""
    for listener in tuple(_listeners):
        listener(uow, tender)
