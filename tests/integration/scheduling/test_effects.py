"""Scheduled side effects (bidding.scheduling) on SQLite and PostgreSQL: idempotent scheduling,
due order and catch-up, failure with back-off, a crash that leaves a lease, handlers that commit
themselves, and two runners racing for the same effects."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bidding.audit.models import AuditEntry
from bidding.errors import InvalidInput
from bidding.scheduling import (DEFAULT_LEASE, EffectState, ScheduledEffect, cancel_effect, effects_of,
                                retry_delay, run_due_effects, schedule_effect)
from support.scheduling import witness_rows
from witness_app import witness


def _schedule(new_uow, kind: str, subject_id: int, due_at, payload=None) -> int:
    uow = new_uow()
    with uow:
        effect_id = schedule_effect(uow, kind, subject_id, due_at, payload).id
        uow.commit()
    uow.session.close()
    return effect_id


def _effect(new_uow, effect_id: int) -> ScheduledEffect:
    uow = new_uow()
    effect = uow.session.get(ScheduledEffect, effect_id)
    uow.session.expunge(effect)
    uow.session.close()
    return effect


def test_scheduling_the_same_key_twice_is_one_effect(new_uow, clock):
    due = clock.now() + timedelta(hours=1)
    first = _schedule(new_uow, "tender.close", 7, due, {"n": 1})
    again = _schedule(new_uow, "tender.close", 7, due, {"n": 2})
    other_time = _schedule(new_uow, "tender.close", 7, due + timedelta(minutes=5))
    assert first == again != other_time
    effect = _effect(new_uow, first)
    assert (effect.state, effect.payload, effect.ready_at, effect.attempts) == (EffectState.PENDING, {"n": 1}, due, 0)
    assert [e.id for e in effects_of(new_uow(), "tender.close", 7)] == [first, other_time]


def test_refuses_a_naive_time_and_an_empty_kind(new_uow, clock):
    uow = new_uow()
    with pytest.raises(InvalidInput):
        schedule_effect(uow, "tender.close", 1, clock.now().replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        schedule_effect(uow, "", 1, clock.now())


def test_catch_up_runs_everything_due_in_due_order(new_uow, clock):
    now = clock.now()
    ran: list[int] = []
    handlers = {"t.order": lambda uow, effect: ran.append(effect.subject_id)}
    for subject, hours in ((2, -2), (4, 1), (1, -3), (3, -1)):      # scheduled out of order
        _schedule(new_uow, "t.order", subject, now + timedelta(hours=hours))
    report = run_due_effects(new_uow, clock, handlers=handlers)
    assert ran == [1, 2, 3] and len(report.done) == 3 and report.failed == []
    assert run_due_effects(new_uow, clock, handlers=handlers).handled == 0   # done stays done
    clock.advance(hours=1)
    run_due_effects(new_uow, clock, handlers=handlers)
    assert ran == [1, 2, 3, 4]


def test_limit_takes_the_earliest_first(new_uow, clock):
    ran: list[int] = []
    for subject in range(5):
        _schedule(new_uow, "t.limit", subject, clock.now() - timedelta(minutes=10 - subject))
    report = run_due_effects(new_uow, clock, limit=2, handlers={"t.limit": lambda uow, e: ran.append(e.subject_id)})
    assert ran == [0, 1] and len(report.done) == 2


def test_handler_change_and_done_commit_together(new_uow, clock, engine, witness_table):
    effect_id = _schedule(new_uow, "test.witness", 1, clock.now())
    assert run_due_effects(new_uow, clock, handlers={"test.witness": witness}).done == [effect_id]
    assert [row[0] for row in witness_rows(engine)] == [effect_id]
    effect = _effect(new_uow, effect_id)
    assert (effect.state, effect.attempts, effect.done_at, effect.last_error) == (EffectState.DONE, 1, clock.now(), None)


def test_failure_is_recorded_and_retried_with_back_off(new_uow, clock):
    calls: list[int] = []

    def flaky(uow, effect):
        calls.append(effect.attempt)
        if effect.attempt < 3:
            raise RuntimeError(f"gateway down (attempt {effect.attempt})")

    effect_id = _schedule(new_uow, "t.flaky", 1, clock.now())
    handlers = {"t.flaky": flaky}
    report = run_due_effects(new_uow, clock, handlers=handlers)
    assert report.failed == [(effect_id, "RuntimeError: gateway down (attempt 1)")]
    effect = _effect(new_uow, effect_id)
    assert (effect.state, effect.attempts) == (EffectState.FAILED, 1)
    assert effect.ready_at == clock.now() + timedelta(seconds=30)
    assert "gateway down" in effect.last_error
    assert run_due_effects(new_uow, clock, handlers=handlers).handled == 0     # not before its retry time
    clock.advance(seconds=30)
    run_due_effects(new_uow, clock, handlers=handlers)
    assert _effect(new_uow, effect_id).ready_at == clock.now() + timedelta(seconds=60)   # doubled
    clock.advance(seconds=60)
    assert run_due_effects(new_uow, clock, handlers=handlers).done == [effect_id]
    effect = _effect(new_uow, effect_id)
    assert (effect.state, effect.attempts, effect.last_error, calls) == (EffectState.DONE, 3, None, [1, 2, 3])
    uow = new_uow()
    failures = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "effect.failed")).all()
    assert [f.object_id for f in failures] == [str(effect_id)] * 2


def test_back_off_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(50) == timedelta(hours=1)


def test_an_unknown_kind_fails_and_waits_for_its_handler(new_uow, clock):
    effect_id = _schedule(new_uow, "t.nobody", 1, clock.now())
    report = run_due_effects(new_uow, clock, handlers={})
    assert report.failed and "no handler registered" in report.failed[0][1]
    clock.advance(seconds=30)
    assert run_due_effects(new_uow, clock, handlers={"t.nobody": lambda uow, e: None}).done == [effect_id]


class Crash(BaseException):
    """Stands for the process dying in the middle of a handler (nothing after it runs)."""


def test_a_crash_leaves_a_lease_and_the_next_run_takes_over(new_uow, clock, engine, witness_table):
    effect_id = _schedule(new_uow, "test.witness", 1, clock.now())

    def dies(uow, effect):
        witness(uow, effect)
        raise Crash()

    crashed = new_uow()
    with pytest.raises(Crash):
        run_due_effects(lambda: crashed, clock, handlers={"test.witness": dies})
    crashed.session.close()                       # the connection goes, uncommitted work with it
    effect = _effect(new_uow, effect_id)
    assert (effect.state, effect.attempts) == (EffectState.RUNNING, 1)
    assert effect.ready_at == clock.now() + DEFAULT_LEASE
    assert witness_rows(engine) == []
    assert run_due_effects(new_uow, clock, handlers={"test.witness": witness}).handled == 0   # lease holds
    clock.advance(seconds=DEFAULT_LEASE.total_seconds())
    assert run_due_effects(new_uow, clock, handlers={"test.witness": witness}).done == [effect_id]
    assert [(row[0], row[2]) for row in witness_rows(engine)] == [(effect_id, 2)]


def test_a_handler_that_commits_its_own_use_case(new_uow, clock, engine, witness_table):
    def use_case(uow, effect):                     # a service: with uow: … uow.commit()
        with uow:
            witness(uow, effect)
            uow.commit()

    def commits_then_raises(uow, effect):
        use_case(uow, effect)
        raise RuntimeError("after the commit")

    def nothing_to_do(uow, effect):                # leaves its `with uow:` without commit
        with uow:
            pass

    ids = [_schedule(new_uow, f"t.own{n}", 1, clock.now()) for n in range(3)]
    report = run_due_effects(new_uow, clock, handlers={"t.own0": use_case, "t.own1": commits_then_raises,
                                                       "t.own2": nothing_to_do})
    assert [_effect(new_uow, i).state for i in ids] == [EffectState.DONE] * 3
    assert [row[0] for row in witness_rows(engine)] == ids[:2]
    assert report.done == [ids[0], ids[2]] and [i for i, _ in report.failed] == [ids[1]]


def test_cancelled_effects_do_not_run(new_uow, clock):
    due = clock.now()
    keep = _schedule(new_uow, "t.cancel", 1, due + timedelta(minutes=1))
    _schedule(new_uow, "t.cancel", 1, due)
    uow = new_uow()
    with uow:
        assert cancel_effect(uow, "t.cancel", 1, due) == 1
        uow.commit()
    clock.advance(minutes=1)
    assert run_due_effects(new_uow, clock, handlers={"t.cancel": lambda uow, e: None}).done == [keep]


@pytest.mark.slow
def test_two_runners_racing_run_each_effect_once(new_uow, clock, engine, witness_table):
    """Four threads, each with its own session and connection, over the same 60 due effects."""
    ids = [_schedule(new_uow, "test.witness", n, clock.now() - timedelta(seconds=n)) for n in range(60)]
    ran: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def handler(uow, effect):
        witness(uow, effect)
        ran.append((effect.id, threading.current_thread().name))
        time.sleep(0.005)

    def runner() -> None:
        try:
            uow = new_uow()
            start.wait()
            report = run_due_effects(lambda: uow, clock, handlers={"test.witness": handler})
            assert report.failed == []
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=runner, name=f"runner-{n}") for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(i for i, _ in ran) == sorted(ids)                    # each once, none twice
    if engine.dialect.name == "postgresql":
        # row claims let the runners interleave: they did race. SQLite's single write lock may let one
        # thread take every effect while the others wait (seen in a clean-clone run), which is
        # correct behaviour, so there only "each once" is asserted.
        assert len({name for _, name in ran}) > 1
    assert sorted(row[0] for row in witness_rows(engine)) == sorted(ids)
    with engine.connect() as conn:
        states = conn.execute(text("SELECT state, attempts, count(*) FROM scheduled_effect GROUP BY state, attempts"))
        assert [tuple(s) for s in states] == [("done", 1, 60)]
