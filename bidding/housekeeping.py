"""Housekeeping (定期清理): the purges that keep the stores from filling up, run by the scheduler.

The scheduler performs one-shot effects (:mod:`bidding.scheduling`); a recurring chore is one effect
of kind :data:`PURGE` whose handler schedules the next one, ``interval`` later, in its own
transaction. Its due times are aligned to the interval (multiples of it since the epoch), so two
schedulers seeding at once, or a retry, ask for the same key and get the same effect. The chain is
seeded by :func:`ensure_scheduled` at every start of the scheduler (nothing is added when one is
already pending, failed or running), so a chain broken by anything is mended by the next start.

What one run does, each part harmless to repeat and to run beside live work:

- :func:`bidding.bids.services.purge_expired_uploads`: unfinished uploads past their expiry are
  closed and their bytes removed (an upload receiving a chunk right now is left for the next run);
- :func:`bidding.documents.cleanup.purge_stale_prepared`: prepared PDFs of expired or completed
  stamp sessions are removed from the ``stamping/`` store;
- :func:`bidding.experts.sweep.sweep_event_keys` (when the platform's token is given): the keys of
  experts' event certificates expired more than a quarter of an hour ago are destroyed on the
  token, each recorded in the audit log (``expert.event_key_destroyed``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bidding.bids.services import purge_expired_uploads
from bidding.bids.uploads import BidStore
from bidding.documents.cleanup import purge_stale_prepared
from bidding.experts.sweep import sweep_event_keys
from bidding.scheduling import (
    Effect,
    EffectHandler,
    EffectState,
    ScheduledEffect,
    schedule_effect,
)
from bidding.uow import UnitOfWork
from pki.pkcs11 import TokenSession

log = logging.getLogger(__name__)

PURGE = "housekeeping.purge"
SUBJECT = 0                          # one chain for the whole platform
DEFAULT_INTERVAL = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WAITING = (EffectState.PENDING, EffectState.FAILED, EffectState.RUNNING)


@dataclass(frozen=True)
class Stores:
    """Where the purges act: the bid store (uploads), the file store (``stamping/``) and the
    platform's token (the experts' event keys; None: not swept)."""

    bids: BidStore
    files: Path
    token: Callable[[], TokenSession] | None = None


@dataclass(frozen=True)
class PurgeReport:
    uploads: int
    prepared_files: int
    event_keys: int = 0


def purge(uow: UnitOfWork, stores: Stores) -> PurgeReport:
    """One round of every purge (each commits what it closes; nothing else is changed)."""
    return PurgeReport(uploads=purge_expired_uploads(uow, stores.bids),
                       prepared_files=purge_stale_prepared(uow, stores.files),
                       event_keys=sweep_event_keys(uow, stores.token) if stores.token is not None else 0)


def slot(at: datetime, interval: timedelta) -> datetime:
    """The start of the interval-long slot (counted from the epoch) that contains ``at``."""
    return at - (at - _EPOCH) % interval


def ensure_scheduled(uow: UnitOfWork, interval: timedelta = DEFAULT_INTERVAL) -> ScheduledEffect:
    """A purge is owed: the one waiting, else a new one due now (the slot that contains now), in
    the caller's transaction (no commit). Idempotent."""
    waiting = _waiting(uow)
    if waiting is not None:
        return waiting
    now = uow.clock.now()
    effect = schedule_effect(uow, PURGE, SUBJECT, slot(now, interval))
    if effect.state not in _WAITING:          # this slot's purge has run already: the next slot
        effect = schedule_effect(uow, PURGE, SUBJECT, slot(now, interval) + interval)
    return effect


def purge_handler(stores: Stores, interval: timedelta = DEFAULT_INTERVAL) -> EffectHandler:
    """The handler of :data:`PURGE`: owe the next purge first (so the purges' own commits carry it
    with this effect's "done"), then purge."""
    def run(uow: UnitOfWork, effect: Effect) -> None:
        if _waiting(uow, besides=effect.id) is None:
            schedule_effect(uow, PURGE, SUBJECT, slot(uow.clock.now(), interval) + interval)
            uow.session.flush()
        report = purge(uow, stores)
        if report.uploads or report.prepared_files or report.event_keys:
            log.info("housekeeping: %d expired upload(s) closed, %d prepared PDF(s) removed, "
                     "%d expired event key(s) destroyed", report.uploads, report.prepared_files, report.event_keys)
    return run


def _waiting(uow: UnitOfWork, besides: int | None = None) -> ScheduledEffect | None:
    query = select(ScheduledEffect).where(ScheduledEffect.kind == PURGE, ScheduledEffect.state.in_(_WAITING))
    if besides is not None:
        query = query.where(ScheduledEffect.id != besides)
    return uow.session.scalars(query.order_by(ScheduledEffect.due_at).limit(1)).first()
