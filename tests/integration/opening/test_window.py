"""The decryption window decides who gets a RecipientInfo: nobody 1 ms before ``opening_at``, the
bidder from ``opening_at`` on, nobody from ``window_end`` on (docs/opening.md "Time")."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from support.opening import OPENING, WINDOW, release, submit_bid

from bidding.opening.models import BidOpening, OpeningKey


def _rows(world):
    from app.extensions import db
    with world.app.app_context():
        return (db.session.scalar(select(func.count()).select_from(OpeningKey)),
                db.session.scalar(select(func.count()).select_from(BidOpening)))


def test_recipient_info_only_inside_the_window(opening_world, tmp_path):
    world = opening_world
    submit_bid(world, tmp_path, "supplier3")
    world.at(OPENING - timedelta(milliseconds=1))
    early = release(world, "supplier3")
    assert early.status_code == 409 and early.json["error"]["code"] == "opening_not_started"
    assert _rows(world) == (0, 0)                  # no opening key exists before the opening

    world.at(OPENING)
    given = release(world, "supplier3")
    assert given.status_code == 200, given.json
    assert given.json["bid"] == world.bidders["supplier3"].bid
    assert given.json["recipient_infos"] and given.json["context"]
    assert _rows(world) == (1, 1)

    world.at(OPENING + WINDOW)
    late = release(world, "supplier3")
    assert late.status_code == 409 and late.json["error"]["code"] == "opening_window_closed"
    world.at(OPENING + WINDOW + timedelta(hours=5))
    assert release(world, "supplier3").json["error"]["code"] == "opening_window_closed"


def test_no_bid_to_open(opening_world, tmp_path):
    world = opening_world
    world.at(OPENING)
    answer = release(world, "supplier2")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "no_bid_to_open"
    agency = world.client("agency").post(f"/api/v1/tenders/{world.tender_id}/opening/release")
    assert agency.status_code == 403


def test_two_releases_at_the_window_start_make_one_key(opening_world, tmp_path):
    """Two bidders ask at the same instant, each in its own request and transaction: one opening key,
    both answers name it."""
    import threading
    world = opening_world
    for name in ("supplier2", "supplier3"):
        submit_bid(world, tmp_path, name)
    clients = {name: world.client(name) for name in ("supplier2", "supplier3")}
    world.at(OPENING)
    barrier, answers = threading.Barrier(2), {}

    def ask(name: str) -> None:
        barrier.wait()
        answers[name] = clients[name].post(f"/api/v1/tenders/{world.tender_id}/opening/release")

    threads = [threading.Thread(target=ask, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert {a.status_code for a in answers.values()} == {200}, [a.json for a in answers.values()]
    assert len({a.json["opening_certificate"] for a in answers.values()}) == 1
    assert _rows(world) == (1, 2)
