"""Unit of work: one transaction, the clock, the acting person, and the audit entry of the change.

A use case is written once and runs the same from a view, the CLI, the scheduler or a test::

    def register_party(uow: UnitOfWork, name: str, kind: PartyKind) -> Party:
        with uow:
            party = Party(name=name, kind=kind, created_at=uow.clock.now())
            uow.session.add(party)
            uow.session.flush()
            uow.audit("party.registered", party, name=name, kind=kind)
            uow.commit()
            return party

Leaving the ``with`` block without :meth:`commit` (or through an exception) rolls back, so a refused
change changes nothing, its audit entry included. ``app/`` builds the unit of work from the request
(``app.uow.current_uow()``); tests build it from any SQLAlchemy session.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bidding import audit
from bidding.audit import Actor
from bidding.clock import Clock
from bidding.audit.models import AuditEntry


class UnitOfWork:
    """A session, a clock and an actor; ``with uow:`` rolls back unless :meth:`commit` was called."""

    def __init__(self, session: Session, clock: Clock, actor: Actor) -> None:
        self.session = session
        self.clock = clock
        self.actor = actor
        self._committed = False

    def __enter__(self) -> "UnitOfWork":
        self._committed = False
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None or not self._committed:
            self.session.rollback()

    def audit(self, action: str, obj: Any = None, *, object_type: str | None = None,
              object_id: object = None, **details: Any) -> AuditEntry:
        """Record the change in the audit log (same transaction). ``obj`` may be a model instance:
        its table name and ``id`` become the object type and id."""
        if obj is not None:
            object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
            object_id = object_id if object_id is not None else getattr(obj, "id", None)
        return audit.record(self.session, self.clock, self.actor, action,
                            object_type=object_type, object_id=object_id, details=details)

    def commit(self) -> None:
        self.session.commit()
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()
