"""The opening's effects (docs/opening.md "Time"): scheduled by the times listener, each runs once
through ``run_due_effects``, running a handler again changes nothing, and an effect left at a time
an amendment moved does nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from support.auth import test_uow
from support.opening import DEADLINE, OPENING, WINDOW, submit_bid

from bidding.audit.models import AuditEntry
from bidding.bids.models import Bid, BidState
from bidding.notify.models import OutboxMessage
from bidding.opening import effects
from bidding.opening.models import OpeningHall, OpeningKey
from bidding.scheduling import ScheduledEffect
from bidding.scheduling.services import Effect
from bidding.tenders.listeners import times_changed
from bidding.tenders.models import Tender


def _schedule(world) -> None:
    from app.extensions import db
    with world.app.app_context():
        uow = test_uow(world.app)
        with uow:
            times_changed(uow, db.session.get(Tender, world.tender_id))
            uow.commit()


def _run(world) -> list[str]:
    """The scheduler's run (app/scheduler wiring); the kinds of the opening's effects it did."""
    from app.extensions import db
    from app.scheduler import register_handlers, run_due
    register_handlers(world.app)
    report = run_due(world.app)
    assert not report.failed, report.failed
    with world.app.app_context():
        kinds = list(db.session.scalars(select(ScheduledEffect.kind).where(
            ScheduledEffect.id.in_(report.done), ScheduledEffect.kind.in_(effects.KINDS))))
        db.session.remove()
    return kinds


def _hall_actions(world) -> list[str]:
    from app.extensions import db
    with world.app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == world.tender, AuditEntry.action.like("opening.%")).order_by(AuditEntry.id)))


def _count(world, model, *where) -> int:
    from app.extensions import db
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _effect(world, kind: str) -> Effect:
    from app.extensions import db
    with world.app.app_context():
        row = db.session.scalars(select(ScheduledEffect).where(ScheduledEffect.kind == kind)
                                 .order_by(ScheduledEffect.due_at.desc())).first()
        return Effect(row.id, row.kind, row.subject_id, row.due_at, {}, 2)


def _again(world, handler, effect: Effect) -> None:
    """Run a handler once more for an effect already done (as after a crash)."""
    with world.app.app_context():
        uow = test_uow(world.app)
        with uow:
            handler(uow, effect)
            uow.commit()


def test_the_three_effects_run_once_and_are_harmless_twice(opening_world, tmp_path):
    world = opening_world
    _schedule(world)
    _schedule(world)                                         # idempotent: still three effects
    assert _count(world, ScheduledEffect, ScheduledEffect.kind.in_(effects.KINDS)) == 3
    submit_bid(world, tmp_path / "bidder", "supplier2")
    submit_bid(world, tmp_path / "bidder", "supplier3")

    world.at(DEADLINE)
    assert len(_run(world)) == 1
    assert _hall_actions(world) == ["opening.bids_closed"]
    assert _count(world, OpeningKey) == 0                    # nothing before the opening
    world.at(OPENING)
    assert len(_run(world)) == 1
    assert _hall_actions(world) == ["opening.bids_closed", "opening.key_created", "opening.started"]
    assert _count(world, OpeningKey) == 1
    assert _count(world, OutboxMessage, OutboxMessage.subject.like("开标开始%")) >= 2
    world.at(OPENING + WINDOW)
    assert len(_run(world)) == 1
    assert {"opening.key_destroyed", "opening.window_closed"} <= set(_hall_actions(world)[3:])
    assert _count(world, Bid, Bid.state == BidState.INVALID) == 2
    assert len(_run(world)) == 0                        # nothing left

    from app.extensions import db
    with world.app.app_context():
        seq = db.session.scalars(select(OpeningHall.hall_seq)).one()
    before = (_hall_actions(world), _count(world, OutboxMessage))
    from app.opening_keys import opening_keyring
    with world.app.app_context():
        start = effects.window_start_handler(opening_keyring)
        end = effects.window_end_handler(opening_keyring)
    for handler, kind in ((effects.closing_handler, effects.CLOSING), (start, effects.WINDOW_START),
                          (end, effects.WINDOW_END)):
        _again(world, handler, _effect(world, kind))
    assert (_hall_actions(world), _count(world, OutboxMessage)) == before
    with world.app.app_context():
        hall = db.session.scalars(select(OpeningHall)).one()
        assert hall.hall_seq == seq >= 3 and hall.closed_at == OPENING + WINDOW


def test_an_effect_made_stale_by_an_amendment_does_nothing(opening_world, tmp_path):
    world = opening_world
    _schedule(world)
    submit_bid(world, tmp_path / "bidder", "supplier3")
    from app.extensions import db
    with world.app.app_context():          # an amendment moves the deadline and the opening a day later
        tender = db.session.get(Tender, world.tender_id)
        tender.bid_deadline += timedelta(days=1)
        tender.opening_at += timedelta(days=1)
        db.session.commit()
    _schedule(world)
    assert _count(world, ScheduledEffect, ScheduledEffect.kind.in_(effects.KINDS)) == 6
    world.at(OPENING + WINDOW)             # the old times: all three old effects are due
    assert len(_run(world)) == 3
    assert _hall_actions(world) == [] and _count(world, OpeningKey) == 0
    assert _count(world, Bid, Bid.state == BidState.SUBMITTED) == 1
    world.at(OPENING + timedelta(days=1))  # the new opening
    _run(world)
    assert _hall_actions(world) == ["opening.bids_closed", "opening.key_created", "opening.started"]
