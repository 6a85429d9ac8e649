"""The expert draw: avoidance recorded, the seed committed with a TSA token before the draw and
revealed after, the draw recomputed from the public record, a wrong seed refused, a decline
calling the next reserve (docs/experts.md)."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from asn1crypto import cms, tsp

from bidding.experts.draw import (
    SeedMismatch,
    commitment,
    draw_order,
    snapshot_of,
    verify_draw,
)


def _record(world):
    return world.client().get(f"/api/v1/tenders/{world.tender_id}/expert-draw")


def test_the_draw_is_recomputed_from_the_revealed_seed(expert_world):
    world = expert_world
    world.after_deadline()
    drawn = world.draw(count=3, reserves=2)
    assert drawn.status_code == 201, drawn.json
    record = drawn.json
    assert record["seed"] is None and record["snapshot"] is None       # not before the evaluation starts
    token = cms.ContentInfo.load(base64.b64decode(record["timestamp_token"]))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    assert info["message_imprint"]["hashed_message"].native == bytes.fromhex(record["commitment"])
    assert info["gen_time"].native <= world.clock.now()

    world.after_opening()
    opened = world.open_list()
    assert opened.status_code == 200, opened.json
    record = _record(world).json
    snapshot, seed = record["snapshot"].encode("utf-8"), bytes.fromhex(record["seed"])
    assert hashlib.sha256(snapshot).hexdigest() == record["snapshot_sha256"]
    order = verify_draw(snapshot, seed, record["commitment"], tender=world.tender)
    listed = [world.experts[next(k for k, n in world.names.items() if n == e["name"])] for e in opened.json]
    assert listed == order[:5]
    assert [e["state"] for e in opened.json] == ["called"] * 3 + ["standby"] * 2


def test_a_seed_that_does_not_match_its_commitment_is_refused():
    snapshot = snapshot_of([{"id": i, "region": "广州"} for i in (5, 1, 3, 9)])
    assert [e["id"] for e in snapshot.entries] == [1, 3, 5, 9]
    seed = bytes(range(32))
    committed = commitment(seed, tender="ZB-1", snapshot_sha256=snapshot.sha256)
    assert sorted(verify_draw(snapshot.data, seed, committed, tender="ZB-1")) == [1, 3, 5, 9]
    assert verify_draw(snapshot.data, seed, committed, tender="ZB-1") == draw_order(seed, snapshot.data)
    with pytest.raises(SeedMismatch):
        verify_draw(snapshot.data, bytes(32), committed, tender="ZB-1")
    with pytest.raises(SeedMismatch):
        verify_draw(snapshot.data, seed, committed, tender="ZB-2")
    other = snapshot_of([{"id": i, "region": "广州"} for i in (1, 3, 5)])
    with pytest.raises(SeedMismatch):
        verify_draw(other.data, seed, committed, tender="ZB-1")


def test_the_documented_order_for_a_fixed_seed():
    """A vector for docs/experts.md: seed 00 01 … 1f over ids 1–10 (anyone re-implementing checks it)."""
    snapshot = snapshot_of([{"id": i, "region": "广州"} for i in range(1, 11)])
    assert snapshot.sha256 == "62bda9ad990ceb48c58dacc0aa4d5c2a3bbbf4eadd04f981952167c04e4b9fa8"
    assert draw_order(bytes(range(32)), snapshot.data) == [5, 1, 9, 7, 3, 4, 2, 10, 8, 6]


def test_avoidance_is_recorded_and_the_avoided_are_never_drawn(expert_world):
    world = expert_world
    world.after_deadline()
    assert world.draw(count=3, reserves=2).status_code == 201
    world.after_opening()
    assert world.open_list().status_code == 200
    record = _record(world).json
    exclusions = {world.key_of(e["expert_id"]): e["reasons"] for e in record["exclusions"]}
    assert exclusions == {"bidder_employee": ["bidder_employee"], "purchaser_employee": ["purchaser_employee"],
                          "conflicted": ["declared_conflict"]}
    ids = {e["id"] for e in json.loads(record["snapshot"])}
    assert ids == {world.experts[f"e{i}"] for i in range(1, 7)}      # neither the avoided nor another speciality


@pytest.mark.parametrize("moment", ["before_deadline"])
def test_the_draw_waits_for_the_bid_deadline(expert_world, moment):
    answer = expert_world.draw()
    assert answer.status_code == 409 and answer.json["error"]["code"] == "draw_not_allowed"
    assert _record(expert_world).status_code == 404


def test_only_the_tenders_agency_draws_once_and_needs_enough_experts(expert_world):
    world = expert_world
    world.after_deadline()
    for username, status in (("purchaser", 403), ("supplier", 403), ("operator", 403)):
        assert world.draw(client=world.client(username)).status_code == status, username
    too_many = world.draw(count=5, reserves=2)
    assert too_many.status_code == 409 and too_many.json["error"]["code"] == "pool_too_small"
    bad = world.client("agency").post(f"/api/v1/tenders/{world.tender_id}/expert-draw",
                                      json={"speciality": "", "count": 0})
    assert bad.status_code in (400, 422)
    assert world.draw().status_code == 201
    again = world.draw()
    assert again.status_code == 409 and again.json["error"]["code"] == "draw_exists"
    assert world.client("agency").post("/api/v1/tenders/999/expert-draw",
                                       json={"speciality": "信息化", "count": 1}).status_code == 404


def test_a_decline_calls_the_next_reserve_in_order(expert_world):
    world = expert_world
    world.after_deadline()
    assert world.draw(count=3, reserves=2).status_code == 201
    called = _called(world)
    assert len(called) == 3
    first = called[0]
    client = world.expert_client(first)
    assignments = client.get("/api/v1/expert-session/assignments").json
    assert [a["state"] for a in assignments] == ["called"]
    declined = client.post(f"/api/v1/expert-session/assignments/{assignments[0]['id']}", json={"accept": False})
    assert declined.status_code == 200 and declined.json["state"] == "declined"
    again = client.post(f"/api/v1/expert-session/assignments/{assignments[0]['id']}", json={"accept": True})
    assert again.status_code == 409 and again.json["error"]["code"] == "assignment_closed"
    now_called = _called(world)
    assert len(now_called) == 3 and first not in now_called
    world.after_opening()
    listed = world.open_list().json
    assert [e["state"] for e in listed] == ["declined", "called", "called", "called", "standby"]
    assert listed[3]["name"] == world.names[(set(now_called) - set(called)).pop()]


def test_an_expert_sees_and_answers_only_its_own_assignments(expert_world):
    world = expert_world
    world.after_deadline()
    assert world.draw(count=3, reserves=2).status_code == 201
    called = _called(world)
    mine = world.expert_client(called[0]).get("/api/v1/expert-session/assignments").json
    outsider = world.expert_client("builder")
    assert outsider.get("/api/v1/expert-session/assignments").json == []
    answer = outsider.post(f"/api/v1/expert-session/assignments/{mine[0]['id']}", json={"accept": True})
    assert answer.status_code == 404
    assert world.client().get("/api/v1/expert-session/assignments").status_code == 401


def _called(world) -> list[str]:
    """Keys of the experts whose assignment is 'called' (read from the database, as the platform does)."""
    from sqlalchemy import select

    from app.extensions import db
    from bidding.experts.models import AssignmentState, ExpertAssignment
    with world.app.app_context():
        ids = db.session.scalars(select(ExpertAssignment.expert_id).where(
            ExpertAssignment.state == AssignmentState.CALLED).order_by(ExpertAssignment.position))
        return [world.key_of(i) for i in ids]
