"""Scheduling side effects from a use case, and the registry of their handlers.

A use case that decides something will have to happen at a time (a tender's deadline passes, its
decryption window ends, a message is to be sent) calls :func:`schedule_effect` inside its own
transaction, so the effect exists exactly when the decision does. Access is never decided by an
effect: the clock decides it on every request; an effect only does what must happen once
(closing, notices).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bidding.errors import InvalidInput
from bidding.scheduling.models import EffectState, ScheduledEffect
from bidding.uow import UnitOfWork


@dataclass(frozen=True)
class Effect:
    """What a handler is given: the effect's key, its payload and which attempt this is (1, 2, …)."""

    id: int
    kind: str
    subject_id: int
    due_at: datetime
    payload: Mapping[str, Any]
    attempt: int


#: A handler performs one effect inside the runner's transaction: ``handler(uow, effect)``. It makes
#: its change and returns (the runner commits, together with the effect's "done"), or calls one use
#: case that commits (the "done" is committed with it). It raises to fail (retried later), and must
#: be harmless when run again for the same effect (after a crash it is).
EffectHandler = Callable[[UnitOfWork, Effect], None]

_handlers: dict[str, EffectHandler] = {}


def register_effect_handler(kind: str, handler: EffectHandler) -> None:
    """Make ``handler`` run the effects of ``kind`` (registering a kind again replaces its handler)."""
    _check_kind(kind)
    _handlers[kind] = handler


def effect_handlers() -> dict[str, EffectHandler]:
    """A copy of the registry: kind → handler."""
    return dict(_handlers)


def schedule_effect(uow: UnitOfWork, kind: str, subject_id: int, due_at: datetime,
                    payload: Mapping[str, Any] | None = None) -> ScheduledEffect:
    """Owe the effect (kind, subject, due_at), in the caller's transaction (no commit).

    Idempotent: the same key scheduled again is the same effect (its first payload stays). A new
    time is a new effect; cancel the old one with :func:`cancel_effect` or let its handler find
    that there is nothing to do (the handler always checks the current state)."""
    _check_kind(kind)
    if due_at.tzinfo is None:
        raise InvalidInput("定时任务的时间须带时区 (due_at must be timezone-aware)")
    now = uow.clock.now()
    values = dict(kind=kind, subject_id=subject_id, due_at=due_at, payload=dict(payload or {}),
                  state=EffectState.PENDING, ready_at=due_at, attempts=0, created_at=now)
    session = uow.session
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(ScheduledEffect).values(**values)
                        .on_conflict_do_nothing(index_elements=["kind", "subject_id", "due_at"]))
    elif _find(uow, kind, subject_id, due_at) is None:   # another database: no concurrent guarantee
        session.add(ScheduledEffect(**values))
        session.flush()
    effect = _find(uow, kind, subject_id, due_at)
    assert effect is not None
    return effect


def cancel_effect(uow: UnitOfWork, kind: str, subject_id: int, due_at: datetime | None = None) -> int:
    """Cancel the effects of (kind, subject) not yet taken by a runner (of ``due_at`` only, when
    given), in the caller's transaction; returns how many. A running or done effect is left alone."""
    condition = [ScheduledEffect.kind == kind, ScheduledEffect.subject_id == subject_id,
                 ScheduledEffect.state.in_([EffectState.PENDING, EffectState.FAILED])]
    if due_at is not None:
        condition.append(ScheduledEffect.due_at == due_at)
    result = uow.session.execute(update(ScheduledEffect).where(*condition)
                                 .values(state=EffectState.CANCELLED)
                                 .execution_options(synchronize_session=False))
    return result.rowcount


def effects_of(uow: UnitOfWork, kind: str, subject_id: int) -> list[ScheduledEffect]:
    """Every effect of (kind, subject), in due order."""
    return list(uow.session.scalars(select(ScheduledEffect)
                                    .where(ScheduledEffect.kind == kind, ScheduledEffect.subject_id == subject_id)
                                    .order_by(ScheduledEffect.due_at, ScheduledEffect.id)))


def _find(uow: UnitOfWork, kind: str, subject_id: int, due_at: datetime) -> ScheduledEffect | None:
    return uow.session.scalars(select(ScheduledEffect).where(
        ScheduledEffect.kind == kind, ScheduledEffect.subject_id == subject_id,
        ScheduledEffect.due_at == due_at)).first()


def _check_kind(kind: str) -> None:
    if not kind or len(kind) > 64:
        raise InvalidInput("定时任务类型须为 1–64 个字符 (an effect kind is 1–64 characters)")
