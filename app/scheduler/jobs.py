"""The jobs APScheduler keeps in its job store. A stored job names its function by reference
(``app.scheduler.jobs:run_due_effects_job``) and its arguments are pickled, so the function lives
at module level and takes nothing that does not pickle: the application is the one this process
set with :func:`bind` (one scheduler process, one application)."""
from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)

_app: Flask | None = None
#: set when the process is asked to stop: the job finishes the effect at hand and returns
stopping = threading.Event()


def bind(app: Flask) -> None:
    global _app
    _app = app
    stopping.clear()


def run_due_effects_job() -> None:
    """Run every due effect (APScheduler calls this every ``SCHEDULER_INTERVAL_SECONDS``)."""
    from app.scheduler import run_due
    if _app is None:
        raise RuntimeError("app.scheduler.jobs.bind(app) was not called in this process")
    report = run_due(_app, should_stop=stopping.is_set)
    if report.done or report.failed:
        log.info("effects run: %d done, %d failed", len(report.done), len(report.failed),
                 extra={"done": report.done, "failed": [i for i, _ in report.failed]})
