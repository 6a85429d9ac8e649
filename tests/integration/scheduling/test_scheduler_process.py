"""``flask scheduler``: ``--once`` and ``--status`` in process; the real process (APScheduler with its
job store in the database) killed with SIGKILL in the middle of a slow effect and started again,
two processes at once, and a stop by SIGTERM."""
from __future__ import annotations

import json
import signal
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bidding.scheduling import schedule_effect
from support.auth import test_uow
from support.cli import assert_one_line_error
from support.scheduling import wait_for, witness_rows


def _schedule(app, due_at, n: int = 1, kind: str = "test.witness", payload=None) -> list[int]:
    with app.app_context():
        uow = test_uow(app)
        with uow:
            ids = [schedule_effect(uow, kind, subject, due_at - timedelta(seconds=n - subject), payload).id
                   for subject in range(n)]
            uow.commit()
        return ids


def _states(engine) -> dict[int, tuple[str, int]]:
    with engine.connect() as conn:
        return {r.id: (r.state, r.attempts) for r in conn.execute(text("SELECT id, state, attempts FROM scheduled_effect"))}


def test_once_runs_what_is_due_and_exits(app, runner, clock, engine, witness_table):
    ids = _schedule(app, clock.now(), n=2)
    later = _schedule(app, clock.now() + timedelta(hours=1), kind="test.witness")
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 项完成 done, 0 项失败 failed" in result.output
    assert [row[0] for row in witness_rows(engine)] == ids
    assert _states(engine)[later[0]] == ("pending", 0)


def test_once_exits_1_when_an_effect_failed(app, runner, clock):
    _schedule(app, clock.now(), kind="test.nobody-handles-this")
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 1
    *logged, message = result.stderr.strip().splitlines()
    assert message.startswith("scheduler: effect #1 failed: LookupError: no handler registered")
    assert all(json.loads(line)["level"] == "ERROR" for line in logged)   # the traceback: in the JSON log
    status = runner.invoke(args=["scheduler", "--status"])
    assert status.exit_code == 0
    assert "failed 1" in status.output and "test.nobody-handles-this:0" in status.output


def test_wrong_usage_is_one_line(runner):
    result = runner.invoke(args=["scheduler", "--interval", "0"])
    assert result.exit_code == 2
    assert_one_line_error(result)


@pytest.mark.slow
def test_sigkill_in_the_middle_of_an_effect_then_restart(app, engine, witness_table, scheduler_process):
    """The first scheduler is killed while the handler of the first effect sleeps inside its
    transaction; the second one, started at once, takes the effect over when the lease (2 s) ends:
    it ran twice, its row exists once, and every other effect ran once, in due order."""
    now = datetime.now(timezone.utc)
    slow = _schedule(app, now - timedelta(minutes=10), payload={"sleep": 60})[0]
    others = _schedule(app, now - timedelta(minutes=5), n=3)
    first = scheduler_process("--interval", "0.2", "--lease", "2", slow=True)
    wait_for(lambda: first.log.exists() and first.log.read_text(), what="the slow handler to start")
    with engine.connect() as conn:
        jobs = [r.id for r in conn.execute(text("SELECT id FROM apscheduler_jobs"))]
    assert jobs == ["run-due-effects"]                   # APScheduler's job, in the database
    first.process.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    assert _states(engine)[slow] == ("running", 1)
    assert witness_rows(engine) == []                    # its change died with it

    second = scheduler_process("--interval", "0.2", "--lease", "2")
    wait_for(lambda: all(s == "done" for s, _ in _states(engine).values()), what="every effect done")
    invocations = [line.split() for line in first.log.read_text().splitlines()]
    assert invocations[0][:2] == [str(slow), str(first.process.pid)]
    # The second process takes the slow effect over only when its lease ends: before that, if it
    # starts fast enough, it runs the others first. Either order is right; each runs once more at most.
    retaken = [int(i) for i, pid, _ in invocations[1:]]
    assert all(pid == str(second.process.pid) for _, pid, _ in invocations[1:])
    assert sorted(retaken) == sorted([slow, *others])
    assert [i for i in retaken if i != slow] == others                         # the others in due order
    rows = witness_rows(engine)
    assert [r[0] for r in rows] == [slow, *others] and rows[0][2] == 2         # one row each
    assert _states(engine)[slow] == ("done", 2)

    second.process.send_signal(signal.SIGTERM)           # a clean stop
    assert second.wait(20) == 0, second.output()
    assert "stopped" in second.output()


@pytest.mark.slow
def test_two_schedulers_at_once_run_each_effect_once(app, engine, witness_table, scheduler_process):
    ids = _schedule(app, datetime.now(timezone.utc), n=40, payload={"sleep": 0.02, "always_sleep": True})
    processes = [scheduler_process("--once") for _ in range(2)]
    for p in processes:
        assert p.wait(120) == 0, p.output()
    assert sorted(r[0] for r in witness_rows(engine)) == sorted(ids)     # a second run would fail the INSERT
    assert set(_states(engine).values()) == {("done", 1)}
    lines = processes[0].log.read_text().splitlines()
    assert sorted(int(line.split()[0]) for line in lines) == sorted(ids)
