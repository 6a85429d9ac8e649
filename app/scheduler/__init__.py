"""The scheduler process (``flask scheduler``): APScheduler with its job store in the database runs
one periodic job, "run the due effects" (:mod:`bidding.scheduling`), which performs the side
effects of time (closing, window start and end, notices) exactly once.

Exactly one such process should run (docs/operations.md); a second one does no harm, since every
effect is claimed in the database, but no good either. The web workers never start a scheduler: an
APScheduler started in each gunicorn worker would run every job once per worker.

:func:`register_handlers` is where each area's effect handlers are wired to their kinds.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask

from bidding.audit import Actor
from bidding.notify import DELIVER, delivery_handler
from bidding.scheduling import RunReport, register_effect_handler, run_due_effects
from bidding.uow import UnitOfWork

#: who acts, in the audit log, when the scheduler performs an effect
SCHEDULER_ACTOR = Actor("system:scheduler", "scheduler")


def register_handlers(app: Flask) -> None:
    """Register the handler of every effect kind (each area adds its own line here)."""
    from app.scheduler.notifier import notifier
    register_effect_handler(DELIVER, delivery_handler(notifier(app)))
    from app.opening_keys import opening_keyring
    from bidding.opening.effects import register_opening_handlers
    register_opening_handlers(opening_keyring)      # runs inside run_due's app context
    _housekeeping(app)


def _housekeeping(app: Flask) -> None:
    """The recurring purge (:mod:`bidding.housekeeping`): its handler, and one purge owed (seeded at
    every start, idempotent), every ``HOUSEKEEPING_INTERVAL_SECONDS`` (config/settings.py; 0 turns
    it off, as the testing settings do)."""
    from app.bids.common import bid_store
    from app.extensions import db
    from bidding import housekeeping
    seconds = float(app.config["HOUSEKEEPING_INTERVAL_SECONDS"])
    if seconds <= 0:
        return
    interval = timedelta(seconds=seconds)
    with app.app_context():
        from app.experts.support import platform_token
        # the platform's token: where the experts' expired event keys are destroyed
        stores = housekeeping.Stores(bids=bid_store(), files=Path(app.config["FILE_STORE"]), token=platform_token)
        register_effect_handler(housekeeping.PURGE, housekeeping.purge_handler(stores, interval))
        uow = UnitOfWork(db.session, app.extensions["clock"], SCHEDULER_ACTOR)
        try:
            with uow:
                housekeeping.ensure_scheduled(uow, interval)
                uow.commit()
        finally:
            db.session.remove()


def run_due(app: Flask, *, limit: int | None = None, lease: timedelta | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> RunReport:
    """Run every effect due by the application's clock, in batches of ``limit`` until none is left
    (the catch-up after downtime is the same call)."""
    from app.extensions import db
    limit = limit or int(app.config["SCHEDULER_BATCH"])
    lease = lease or timedelta(seconds=float(app.config["SCHEDULER_LEASE_SECONDS"]))
    clock = app.extensions["clock"]
    total = RunReport()
    with app.app_context():
        try:
            while not should_stop():
                report = run_due_effects(lambda: UnitOfWork(db.session, clock, SCHEDULER_ACTOR), clock, limit,
                                         lease=lease, should_stop=should_stop)
                total.done += report.done
                total.failed += report.failed
                total.taken_by_others += report.taken_by_others
                if report.handled < limit:
                    break
        finally:
            db.session.remove()
    return total
