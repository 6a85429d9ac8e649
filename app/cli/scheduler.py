"""``flask scheduler``: the one scheduler process. APScheduler (``BlockingScheduler``) with its job
store in the application's database runs "run the due effects" every ``SCHEDULER_INTERVAL_SECONDS``,
starting at once (the catch-up after downtime). SIGTERM or Ctrl-C finishes the effect at hand and
stops; a SIGKILL leaves it claimed until its lease ends, and the next start runs it then.

``flask scheduler --once`` runs what is due and exits (tests, cron): exit 1 when an effect failed
(it is recorded and retried later). ``flask scheduler --status`` counts the effects by state and
lists those failing.
"""
from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime, timezone
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.cli.common import OneLineCommand, refusals

log = logging.getLogger(__name__)

RUN_JOB_ID = "run-due-effects"


class _Stop(Exception):
    """Raised in the main thread by SIGTERM to leave the scheduler's loop."""


@click.command("scheduler", cls=OneLineCommand)
@click.option("--once", is_flag=True, help="run the due effects and exit (exit 1 if one failed)")
@click.option("--status", is_flag=True, help="count the effects by state, list the failing ones, and exit")
@click.option("--interval", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="how often to look for due effects (default: SCHEDULER_INTERVAL_SECONDS)")
@click.option("--lease", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="how long a claimed effect is this process's before another may take it over "
                   "(default: SCHEDULER_LEASE_SECONDS)")
@with_appcontext
def scheduler_command(once: bool, status: bool, interval: float | None, lease: float | None) -> None:
    """定时任务进程 (the scheduler process): run the side effects of time exactly once."""
    from app.scheduler import register_handlers, run_due
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if lease is not None:
        app.config["SCHEDULER_LEASE_SECONDS"] = lease
    with refusals():
        if status:
            _print_status()
            return
        register_handlers(app)
        if once:
            report = run_due(app)
            click.echo(f"scheduler: {len(report.done)} 项完成 done, {len(report.failed)} 项失败 failed"
                       + (f", {report.taken_by_others} 项由其他进程执行 taken by another runner"
                          if report.taken_by_others else ""))
            for effect_id, error in report.failed:
                click.echo(f"scheduler: effect #{effect_id} failed: {' '.join(error.split())}", err=True)
            if report.failed:
                sys.exit(1)
            return
        _run_forever(app, interval or float(app.config["SCHEDULER_INTERVAL_SECONDS"]))


def _run_forever(app: Any, interval: float) -> None:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    from app.extensions import db
    from app.scheduler import jobs
    jobs.bind(app)
    # APScheduler logs two INFO lines per run, and a warning at each tick that a long run (a catch-up)
    # is still going; this process logs what the runs did instead (app.scheduler.jobs).
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine)},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC")
    # Replaced at every start, so a changed interval takes effect; first run now (catch-up).
    scheduler.add_job("app.scheduler.jobs:run_due_effects_job", "interval", seconds=interval, id=RUN_JOB_ID,
                      name="run due effects", replace_existing=True,
                      next_run_time=datetime.now(timezone.utc))

    def stop(signum: int, frame: Any) -> None:
        jobs.stopping.set()
        raise _Stop()

    previous = signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started: every %.1f s, lease %s s", interval, app.config["SCHEDULER_LEASE_SECONDS"])
    click.echo(f"scheduler: 已启动 started (every {interval:g} s); Ctrl-C or SIGTERM stops it", err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, _Stop):
        jobs.stopping.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if scheduler.running:
            scheduler.shutdown(wait=True)      # the effect at hand is finished, then nothing more
        log.info("scheduler stopped")
    click.echo("scheduler: 已停止 stopped", err=True)


def _print_status() -> None:
    from app.extensions import db
    from bidding.scheduling import EffectState, ScheduledEffect
    counts = dict(db.session.execute(select(ScheduledEffect.state, func.count())
                                     .group_by(ScheduledEffect.state)).all())
    click.echo("scheduler: " + ", ".join(f"{s.value} {counts.get(s, 0)}" for s in EffectState))
    failing = db.session.scalars(select(ScheduledEffect).where(ScheduledEffect.state == EffectState.FAILED)
                                 .order_by(ScheduledEffect.due_at)).all()
    for e in failing:
        click.echo(f"#{e.id} {e.kind}:{e.subject_id} due {e.due_at:%Y-%m-%d %H:%M:%S}Z attempts {e.attempts} "
                   f"retry {e.ready_at:%Y-%m-%d %H:%M:%S}Z: {' '.join((e.last_error or '').split())}")
    db.session.rollback()
