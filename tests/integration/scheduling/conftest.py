"""Fixtures of the scheduler tests: units of work on the app's database, the witness table, and
``flask scheduler`` as a subprocess on the test's database (``witness_app.py``); the helpers are in
``support/scheduling.py``."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bidding.audit import Actor
from bidding.uow import UnitOfWork

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import witness_app  # noqa: E402
from support.scheduling import SchedulerProcess  # noqa: E402

ACTOR = Actor("test", "local")


@pytest.fixture
def engine(app):
    from app.extensions import db
    with app.app_context():
        yield db.engine


@pytest.fixture
def new_uow(engine, clock) -> Callable[[], UnitOfWork]:
    """``new_uow()``: a unit of work on a session of its own (closed at the end of the test)."""
    sessions: list[Session] = []

    def make() -> UnitOfWork:
        session = Session(engine)
        sessions.append(session)
        return UnitOfWork(session, clock, ACTOR)

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def witness_table(engine):
    with engine.begin() as conn:
        conn.execute(text(witness_app.CREATE_TABLE))


@pytest.fixture
def scheduler_process(db_url, tmp_path):
    """``scheduler_process(*args, slow=False)`` starts one; each is killed at the end of the test."""
    started: list[SchedulerProcess] = []

    def start(*args: str, slow: bool = False) -> SchedulerProcess:
        process = SchedulerProcess(db_url, tmp_path, HERE, *args, slow=slow)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
