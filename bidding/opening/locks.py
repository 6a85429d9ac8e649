"""Row locks of the opening: a row that one transaction at a time may change (a tender's hall, a
bid's opening), made on first use.

PostgreSQL: ``SELECT … FOR UPDATE`` (a concurrent first insert loses on the unique constraint
inside a savepoint and then waits for the winner's lock). SQLite has no row locks: a write that
changes nothing takes the database's one write lock, as
:func:`bidding.certificates.desk.lock_bindings` does.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bidding.base import Base

Row = TypeVar("Row", bound=Base)


def lock_or_make(session: Session, model: type[Row], key: str, value: int, make: Callable[[], Row]) -> Row:
    """The row of ``model`` whose unique column ``key`` is ``value``, made by ``make()`` if missing,
    locked until the transaction ends."""
    row = _locked(session, model, key, value)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(make())
    except IntegrityError:
        pass                                # another transaction made it: lock theirs
    row = _locked(session, model, key, value)
    assert row is not None
    return row


def _locked(session: Session, model: type[Row], key: str, value: int) -> Row | None:
    column = getattr(model, key)
    query = select(model).where(column == value)
    if session.connection().dialect.name == "sqlite":
        table = model.__table__
        session.execute(update(table).where(table.c[key] == value).values({key: table.c[key]}))
    else:
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one_or_none()


__all__ = ["lock_or_make"]
