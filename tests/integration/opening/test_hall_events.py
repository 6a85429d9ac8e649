"""签到 and objections as hall events (docs/opening.md "The hall"): sign-in only for a bidder, from 30
minutes before the opening until the window ends, once; every hall action is an audit entry of the
tender (``opening.*``) whose details carry ``hall_seq`` 1, 2, 3 … and ``hall_prev_sha256`` linking it
to the hall event before, as the audit log itself shows them; a refused action records nothing."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from .test_hall_visibility import OPENING, WINDOW, hall_world, post  # noqa: F401  (fixture)

from bidding.audit.models import AuditEntry
from pki.receipts.audit_chain import entry_content, entry_digests
from pki.receipts.transcript import TranscriptEvent


def hall_entries(world) -> list[AuditEntry]:
    from app.extensions import db
    with world.app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "tender",
                                                           AuditEntry.object_id == world.tender,
                                                           AuditEntry.action.like("opening.%"))
                                  .order_by(AuditEntry.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def test_sign_in_window(hall_world):  # noqa: F811  (the fixture imported above)
    world = hall_world
    sign_in_from = OPENING - timedelta(minutes=30)
    world.at(sign_in_from - timedelta(microseconds=1))
    early = post(world, "supplier2", "/sign-in")
    assert early.status_code == 409 and early.json["error"]["code"] == "sign_in_not_open"
    assert "2026-11-23" in early.json["error"]["message"]          # says when it opens, in Beijing time
    world.at(sign_in_from)
    assert post(world, "supplier2", "/sign-in").status_code == 201
    again = post(world, "supplier2", "/sign-in")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_signed_in"
    not_bidder = post(world, "supplier", "/sign-in")                # registered, no bid
    assert not_bidder.status_code == 403 and not_bidder.json["error"]["code"] == "sign_in_only_bidders"
    assert post(world, "agency", "/sign-in").status_code == 403
    world.at(OPENING + WINDOW - timedelta(microseconds=1))
    assert post(world, "supplier3", "/sign-in").status_code == 201  # the window's last instant
    world.at(OPENING + WINDOW)
    late = post(world, "supplier3", "/sign-in")
    assert late.status_code == 409 and late.json["error"]["code"] in ("sign_in_not_open", "already_signed_in")
    assert [e.action for e in hall_entries(world)] == ["opening.signed_in", "opening.signed_in"]


def test_every_hall_action_is_a_linked_hall_event(hall_world):  # noqa: F811
    world = hall_world
    world.at(OPENING - timedelta(minutes=10))
    assert post(world, "supplier2", "/sign-in").status_code == 201
    world.at(OPENING + timedelta(minutes=1))
    assert post(world, "supplier3", "/sign-in").status_code == 201
    assert post(world, "supplier", "/objections", {"text": "第一项异议"}).status_code == 201
    assert post(world, "supplier2", "/objections", {"text": "第二项异议\n另起一行"}).status_code == 201
    assert post(world, "supplier", "/objections", {"text": ""}).status_code in (400, 422)   # nothing recorded
    assert post(world, "agency", "/objections/2/answer", {"text": "答复第二项"}).status_code == 200
    assert post(world, "agency", "/objections/1/answer", {"text": "答复第一项"}).status_code == 200

    entries = hall_entries(world)
    details = [json.loads(e.details) for e in entries]
    assert [e.action for e in entries] == ["opening.signed_in", "opening.signed_in", "opening.objection_raised",
                                          "opening.objection_raised", "opening.objection_answered",
                                          "opening.objection_answered"]
    assert [d["hall_seq"] for d in details] == [1, 2, 3, 4, 5, 6]
    assert details[0]["hall_prev_sha256"] is None
    for before, entry, detail in zip(entries, entries[1:], details[1:]):
        assert detail["hall_prev_sha256"] == before.sha256
    for entry in entries:             # each as the audit log hashed it
        assert entry_digests(entry_content(TranscriptEvent.from_entry(entry).content())) == (entry.sha256, entry.sm3)
    assert details[0]["bidder"] == "测试供应商乙"
    assert (details[3]["seq"], details[3]["by"], details[3]["text"]) == (2, "测试供应商乙", "第二项异议\n另起一行")
    assert (details[4]["seq"], details[4]["answer"]) == (2, "答复第二项")
    assert all(e.operator.startswith("user:") and e.address for e in entries)      # R19: who and from where
