"""SIGKILL of the scheduler process (``flask scheduler`` with the real handlers, PostgreSQL) in the
middle of an opening's window-end effect: ``close_window`` has applied R15 to every one of 20 bids
(one transaction over many rows) and recorded its hall event, and has not committed. After a
restart the window closes once, at its time: one ``opening.window_closed`` hall event, every bid
made invalid once, one result notice per bidder, the effect run twice and committed once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import live_platform as live
import pytest
from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
BIDS = 20


class Scheduler:
    def __init__(self, world: live.World, log: Path, hold: Path | None = None) -> None:
        env = dict(os.environ, FLASK_APP="scheduler_app:create", EBID_LIVE_SETTINGS=json.dumps(world.settings),
                   PYTHONPATH=os.pathsep.join([str(HERE), str(Path(live.__file__).parent), str(live.ROOT)]))
        env.pop("EBID_ENV", None)
        env.pop("CRASH_HOLD", None)
        if hold is not None:
            env["CRASH_HOLD"] = str(hold)
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "scheduler", "--interval",
                                             "0.2", "--lease", "2"], cwd=live.ROOT, env=env, stdout=out, stderr=out)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _wait(condition, timeout: float, what: str, scheduler: Scheduler):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if scheduler.process.poll() is not None:
            raise AssertionError(f"the scheduler exited while waiting for {what}:\n{scheduler.log.read_text()[-4000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}:\n{scheduler.log.read_text()[-4000:]}")


def _tender_with_bids(world: live.World) -> tuple[str, datetime]:
    """The world's tender with one submitted bid per bidder (rows), its window over half an hour
    ago, and its window-end effect owed. Its public id and window end."""
    from support.auth import test_uow

    from app import create_app
    from app.extensions import db
    from bidding.accounts.models import Account
    from bidding.bids.models import Bid, BidState, new_bid_id
    from bidding.opening.effects import WINDOW_END
    from bidding.scheduling import schedule_effect
    from bidding.tenders.models import Tender
    deadline = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    live.set_deadline(world, deadline)                          # opening an hour later, window 30 min
    app = create_app(world.settings)
    try:
        with app.app_context():
            accounts = {a.party_id: a.id for a in db.session.query(Account).filter(Account.party_id.isnot(None))}
            for bidder in world.bidders:
                db.session.add(Bid(public_id=new_bid_id(), tender_id=world.tender_id, party_id=bidder.party_id,
                                   submitted_by=accounts[bidder.party_id], state=BidState.SUBMITTED, size=1000,
                                   sha256=os.urandom(32).hex(), sm3=os.urandom(32).hex(), envelope_format="cms",
                                   content_type="authEnvelopedData", cipher="aes-256-gcm",
                                   received_at=deadline - timedelta(minutes=10)))
            db.session.commit()
            tender = db.session.get(Tender, world.tender_id)
            uow = test_uow(app)
            with uow:
                schedule_effect(uow, WINDOW_END, tender.id, tender.window_end)
                uow.commit()
            return tender.public_id, tender.window_end
    finally:
        live.test_setup().dispose_app(app)


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_of_the_scheduler_while_a_window_closes(live_db_url, tmp_path):
    world = live.make_world(live_db_url, tmp_path / "world", BIDS)
    public_id, window_end = _tender_with_bids(world)
    engine = create_engine(world.settings["SQLALCHEMY_DATABASE_URI"])

    def query(sql: str, **params):  # type: ignore[no-untyped-def]
        with engine.connect() as conn:
            return conn.execute(text(sql), {"t": world.tender_id, "p": public_id, **params}).all()

    effect = lambda: query("SELECT state, attempts, due_at FROM scheduled_effect "
                           "WHERE kind = 'opening.window_end' AND subject_id = :t")[0]
    closed_events = lambda: query("SELECT count(*) FROM audit_entry WHERE action = 'opening.window_closed' "
                                  "AND object_id = :p")[0][0]
    bid_states = lambda: dict(query("SELECT state, count(*) FROM bid WHERE tender_id = :t GROUP BY state"))
    try:
        hold = tmp_path / "holding"
        first = Scheduler(world, tmp_path / "scheduler-1.log", hold=hold)
        try:
            _wait(hold.exists, 120, "close_window to hold before its commit", first)
            assert effect()[:2] == ("running", 1)
            first.process.send_signal(signal.SIGKILL)
            assert first.process.wait(10) == -signal.SIGKILL
        finally:
            first.stop()
        assert closed_events() == 0                               # the whole close died with the process
        assert bid_states() == {"submitted": BIDS}
        assert query("SELECT count(*) FROM opening_hall WHERE tender_id = :t AND closed_at IS NOT NULL")[0][0] == 0

        second = Scheduler(world, tmp_path / "scheduler-2.log")
        try:
            _wait(lambda: effect()[0] == "done", 120, "the window-end effect done after the lease", second)
            time.sleep(1.0)                                       # a few more rounds: nothing runs again
        finally:
            second.stop()
        state, attempts, due_at = effect()
        assert (state, attempts) == ("done", 2)
        assert _utc(due_at) == window_end                          # at its time, not before
        assert closed_events() == 1
        assert bid_states() == {"invalid": BIDS}                   # R15 once: not decrypted in time → invalid
        [(closed_at, distinct)] = query("SELECT max(closed_at), count(DISTINCT closed_at) FROM bid_opening "
                                        "WHERE tender_id = :t")
        assert distinct == 1                                      # every bid closed by one transaction
        hall_closed = query("SELECT closed_at FROM opening_hall WHERE tender_id = :t")[0][0]
        assert _utc(hall_closed) >= window_end and _utc(closed_at) == _utc(hall_closed)
        results = query("SELECT party_id, count(*) FROM outbox_message WHERE subject LIKE :s GROUP BY party_id",
                        s="开标解密结果%")
        assert len(results) == BIDS and {n for _, n in results} == {1}
    finally:
        engine.dispose()


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
