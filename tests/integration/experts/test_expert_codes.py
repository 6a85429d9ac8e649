"""One-time codes (R12): 6 digits, 10 minutes, 5 tries, one use, hashed at rest, rate-limited;
an unknown contact is told nothing."""
from __future__ import annotations

from sqlalchemy import select


def _request(client, world, key):
    return client.post("/api/v1/expert-session/codes", json={"contact": world.contacts[key]})


def _sign_in(client, world, key, code):
    return client.post("/api/v1/expert-session", json={"contact": world.contacts[key], "code": code})


def test_a_code_signs_in_once_and_is_kept_only_as_a_hash(expert_world):
    from app.extensions import db
    from bidding.experts.models import ExpertCode
    world = expert_world
    client = world.client()
    assert _request(client, world, "e1").status_code == 202
    code = world.last_code("e1")
    with world.app.app_context():
        stored = db.session.scalars(select(ExpertCode.code_hash)).all()
    assert len(stored) == 1 and stored[0].startswith("$argon2id$") and code not in stored[0]
    signed_in = _sign_in(client, world, "e1", code)
    assert signed_in.status_code == 200 and signed_in.json["name"] == world.names["e1"]
    assert client.get("/api/v1/expert-session/assignments").status_code == 200
    reused = _sign_in(world.client(), world, "e1", code)
    assert reused.status_code == 400 and reused.json["error"]["code"] == "code_expired"
    assert client.delete("/api/v1/expert-session").status_code == 204
    assert client.get("/api/v1/expert-session/assignments").status_code == 401


def test_a_code_expires_after_ten_minutes(expert_world):
    world = expert_world
    client = world.client()
    assert _request(client, world, "e2").status_code == 202
    code = world.last_code("e2")
    world.clock.advance(minutes=10)
    late = _sign_in(client, world, "e2", code)
    assert late.status_code == 400 and late.json["error"]["code"] == "code_expired"


def test_five_wrong_codes_lock_the_code(expert_world):
    world = expert_world
    client = world.client()
    assert _request(client, world, "e3").status_code == 202
    code = world.last_code("e3")
    wrong = "000000" if code != "000000" else "111111"
    answers = [_sign_in(client, world, "e3", wrong) for _ in range(5)]
    assert [a.json["error"]["code"] for a in answers] == ["code_invalid"] * 4 + ["code_expired"]
    assert [a.json["error"]["details"].get("remaining") for a in answers[:4]] == [4, 3, 2, 1]
    locked = _sign_in(client, world, "e3", code)
    assert locked.status_code == 400 and locked.json["error"]["code"] == "code_expired"
    assert _sign_in(client, world, "e3", "abc").json["error"]["code"] == "code_expired"


def test_code_requests_are_rate_limited_and_unknown_contacts_get_nothing(expert_world):
    from app.extensions import db
    from bidding.notify import OutboxMessage
    world = expert_world
    client = world.client()
    assert _request(client, world, "e4").status_code == 202
    again = _request(client, world, "e4")
    assert again.status_code == 429 and again.json["error"]["code"] == "code_rate_limited"
    for _ in range(4):
        world.clock.advance(seconds=61)
        assert _request(client, world, "e4").status_code == 202
    world.clock.advance(seconds=61)
    assert _request(client, world, "e4").status_code == 429          # five an hour
    world.clock.advance(hours=1)
    assert _request(client, world, "e4").status_code == 202
    with world.app.app_context():
        before = db.session.query(OutboxMessage).count()
    unknown = client.post("/api/v1/expert-session/codes", json={"contact": "13999999999"})
    assert unknown.status_code == 202
    assert _sign_in(client, world, "e4", "123456").status_code == 400
    bad = client.post("/api/v1/expert-session", json={"contact": "13999999999", "code": "123456"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "code_invalid"
    with world.app.app_context():
        assert db.session.query(OutboxMessage).count() == before


def test_an_expert_session_ends_after_two_hours(expert_world):
    world = expert_world
    client = world.expert_client("e5")
    assert client.get("/api/v1/expert-session/assignments").status_code == 200
    world.clock.advance(hours=2, seconds=1)
    assert client.get("/api/v1/expert-session/assignments").status_code == 401


def test_an_inactive_expert_cannot_sign_in(expert_world):
    from support.auth import test_uow

    from app.extensions import db
    from bidding.accounts.models import Account
    from bidding.experts.pool import set_expert_active
    world = expert_world
    with world.app.app_context():
        set_expert_active(test_uow(world.app), db.session.get(Account, world.accounts["operator"]),
                          world.experts["e6"], False)
    client = world.client()
    assert _request(client, world, "e6").status_code == 202
    assert _sign_in(client, world, "e6", "123456").json["error"]["code"] == "code_invalid"
