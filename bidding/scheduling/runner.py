"""Running the effects that are due, each exactly once, whichever runner gets there first.

:func:`run_due_effects` takes the due effects in due order. For each it

1. **claims** it in a transaction of its own: one conditional UPDATE
   (``… WHERE id = ? AND state IN (pending, failed, running) AND ready_at <= now``) sets it
   ``running`` with this runner's claim and a lease (``ready_at = now + lease``) and counts the
   attempt. Of two runners racing, the second UPDATE finds the row changed (PostgreSQL re-checks the
   condition after the first commits; SQLite runs one writer at a time) and claims nothing;
2. **runs** its handler in a second transaction whose first statement marks the effect ``done`` on
   the condition that the claim is still this runner's. The handler's change and the ``done`` are
   committed together, or not at all: a crash (even SIGKILL) in the middle leaves the effect
   ``running`` with nothing of the handler's change, and when the lease is over the next runner
   claims it and runs the handler again. The row stays locked by that first UPDATE while the
   handler runs, so a runner that claims it meanwhile waits and then finds it done;
3. on an exception, rolls the handler's change back and marks the effect ``failed`` with the error
   and a retry time (back-off doubling from 30 s to an hour, never giving up: a deadline's side
   effect must happen some time), in an audit entry as well.

Run at start, this is also the catch-up after downtime: everything due while no scheduler ran is
taken in due order.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from bidding.clock import Clock
from bidding.scheduling.models import EffectState, ScheduledEffect
from bidding.scheduling.services import Effect, EffectHandler, effect_handlers
from bidding.uow import UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
_BATCH = 20
_ERROR_LENGTH = 2000
_TAKEABLE = (EffectState.PENDING, EffectState.FAILED, EffectState.RUNNING)


@dataclass
class RunReport:
    """What one call of :func:`run_due_effects` did: ids of the effects done, of those that failed
    (with the error), and how many due ones another runner took first."""

    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    taken_by_others: int = 0

    @property
    def handled(self) -> int:
        return len(self.done) + len(self.failed)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 16)), LONGEST_RETRY)


def run_due_effects(uow_factory: Callable[[], UnitOfWork], clock: Clock, limit: int = 100, *,
                    lease: timedelta = DEFAULT_LEASE, handlers: Mapping[str, EffectHandler] | None = None,
                    should_stop: Callable[[], bool] = lambda: False) -> RunReport:
    """Run up to ``limit`` due effects in due order, each claimed atomically (see the module
    docstring). ``uow_factory`` gives a unit of work (it may be the same session each time: every
    step ends with a commit or a rollback); ``handlers`` defaults to the registry of
    :func:`~bidding.scheduling.services.register_effect_handler`. ``should_stop`` is asked between
    effects (a scheduler shutting down finishes the effect at hand and stops)."""
    handlers = effect_handlers() if handlers is None else handlers
    report = RunReport()
    tried: set[int] = set()
    while report.handled < limit and not should_stop():
        candidates = [i for i in _due_ids(uow_factory(), clock, len(tried) + _BATCH) if i not in tried]
        if not candidates:
            break
        for effect_id in candidates:
            if report.handled >= limit or should_stop():
                break
            tried.add(effect_id)
            _run_one(uow_factory, clock, effect_id, lease, handlers, report)
    return report


def _due_ids(uow: UnitOfWork, clock: Clock, how_many: int) -> list[int]:
    with uow:
        return list(uow.session.scalars(
            select(ScheduledEffect.id)
            .where(ScheduledEffect.state.in_(_TAKEABLE), ScheduledEffect.ready_at <= clock.now())
            .order_by(ScheduledEffect.due_at, ScheduledEffect.id).limit(how_many)))


def _run_one(uow_factory: Callable[[], UnitOfWork], clock: Clock, effect_id: int, lease: timedelta,
             handlers: Mapping[str, EffectHandler], report: RunReport) -> None:
    claim = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    effect = _claim(uow_factory(), clock, effect_id, claim, lease)
    if effect is None:
        report.taken_by_others += 1
        return
    uow = uow_factory()
    try:
        if not _mark_done(uow, clock, effect_id, claim, (EffectState.RUNNING,)):
            uow.rollback()
            report.taken_by_others += 1
            return
        handler = handlers.get(effect.kind)
        if handler is None:
            raise LookupError(f"no handler registered for effect kind {effect.kind!r}")
        handler(uow, effect)
        # The handler may have committed (the "done" went with it) or rolled back a use case of
        # its own (the "done" went with that): say it again, still only if the claim is ours.
        if not _mark_done(uow, clock, effect_id, claim, (EffectState.RUNNING, EffectState.DONE)):
            uow.rollback()
            report.taken_by_others += 1
            return
        uow.commit()
    except Exception as exc:  # noqa: BLE001 — any failure of a handler is recorded and retried
        uow.rollback()
        error = f"{type(exc).__name__}: {exc}"[:_ERROR_LENGTH]
        log.exception("effect %s (%s:%s) failed on attempt %s", effect_id, effect.kind, effect.subject_id,
                      effect.attempt)
        _mark_failed(uow_factory(), clock, effect, claim, error)
        report.failed.append((effect_id, error))
        return
    report.done.append(effect_id)


def _claim(uow: UnitOfWork, clock: Clock, effect_id: int, claim: str, lease: timedelta) -> Effect | None:
    """Take the effect for this runner, or None when another runner has it or it is not due."""
    now = clock.now()
    with uow:
        try:
            claimed = uow.session.execute(
                update(ScheduledEffect)
                .where(ScheduledEffect.id == effect_id, ScheduledEffect.state.in_(_TAKEABLE),
                       ScheduledEffect.ready_at <= now)
                .values(state=EffectState.RUNNING, claim=claim, claimed_at=now, ready_at=now + lease,
                        attempts=ScheduledEffect.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
        except OperationalError:     # SQLite: another runner held the write lock past the busy timeout
            log.warning("effect %s: database busy, left for the next run", effect_id)
            return None
        if claimed != 1:
            return None
        row = uow.session.execute(
            select(ScheduledEffect.kind, ScheduledEffect.subject_id, ScheduledEffect.due_at,
                   ScheduledEffect.payload, ScheduledEffect.attempts)
            .where(ScheduledEffect.id == effect_id)).one()
        uow.commit()
    return Effect(id=effect_id, kind=row.kind, subject_id=row.subject_id, due_at=row.due_at,
                  payload=dict(row.payload or {}), attempt=row.attempts)


def _mark_done(uow: UnitOfWork, clock: Clock, effect_id: int, claim: str, states: tuple[EffectState, ...]) -> bool:
    result = uow.session.execute(
        update(ScheduledEffect)
        .where(ScheduledEffect.id == effect_id, ScheduledEffect.claim == claim, ScheduledEffect.state.in_(states))
        .values(state=EffectState.DONE, done_at=clock.now(), last_error=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _mark_failed(uow: UnitOfWork, clock: Clock, effect: Effect, claim: str, error: str) -> None:
    now = clock.now()
    retry_at = now + retry_delay(effect.attempt)
    with uow:
        failed = uow.session.execute(
            update(ScheduledEffect)
            .where(ScheduledEffect.id == effect.id, ScheduledEffect.claim == claim,
                   ScheduledEffect.state == EffectState.RUNNING)
            .values(state=EffectState.FAILED, last_error=error, ready_at=retry_at)
            .execution_options(synchronize_session=False)).rowcount
        if failed != 1:          # the handler had committed its change before it raised: done stays
            return
        uow.audit("effect.failed", object_type="scheduled_effect", object_id=effect.id, kind=effect.kind,
                  subject_id=effect.subject_id, due_at=effect.due_at, attempt=effect.attempt, error=error,
                  retry_at=retry_at)
        uow.commit()
