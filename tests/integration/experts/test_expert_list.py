"""The drawn list (专家名单加解密): stored only as an envelope to the agency's encryption
certificate; before the evaluation starts nobody, the agency included, reads a name through the
platform; at the start the agency's agent unwraps it (re-encrypted to the transport certificate)."""
from __future__ import annotations

import base64
import io
import json
import os

from support.experts import agent_unwrap, b64

from pki import envelope
from pki.certs import load_certificate


def _names(world) -> list[str]:
    return list(world.names.values())


def test_the_list_cannot_be_read_before_the_evaluation_start(expert_world):
    from app.extensions import db
    from bidding.experts.models import ExpertDraw
    world = expert_world
    world.after_deadline()
    assert world.draw().status_code == 201
    agency = world.client("agency")
    sealed = agency.get(f"/api/v1/tenders/{world.tender_id}/expert-draw/experts")
    assert sealed.status_code == 403 and sealed.json["error"]["code"] == "expert_list_sealed"
    status = agency.get(f"/api/v1/tenders/{world.tender_id}/expert-draw/status")
    assert status.status_code == 200 and status.json["counts"]["called"] == 3
    exposed = [status.get_data(as_text=True), agency.get(f"/tenders/{world.tender_id}/experts").get_data(as_text=True),
               world.client().get(f"/api/v1/tenders/{world.tender_id}/expert-draw").get_data(as_text=True)]
    for username in ("purchaser", "supervisor", "operator", "supplier"):
        client = world.client(username)
        for path in (f"/api/v1/tenders/{world.tender_id}/expert-draw/experts", f"/tenders/{world.tender_id}/experts"):
            answer = client.get(path)
            assert answer.status_code in (403, 404), (username, path)
            exposed.append(answer.get_data(as_text=True))
    for text in exposed:
        assert not any(name in text for name in _names(world))
    with world.app.app_context():
        stored = db.session.query(ExpertDraw).one().list_envelope
    assert not any(name.encode("utf-8") in stored for name in _names(world))
    plain = io.BytesIO()
    envelope.decrypt_stream(io.BytesIO(stored), plain, key=world.agency_key.key, certificate=world.agency_key.cert)
    document = json.loads(plain.getvalue())                        # only the agency's key opens it
    assert document["tender"] == world.tender and len(document["experts"]) == 5

    early = world.open_list()
    assert early.status_code == 409 and early.json["error"]["code"] == "evaluation_not_due"


def test_the_agency_opens_the_list_at_the_evaluation_start(expert_world):
    world = expert_world
    world.after_deadline()
    assert world.draw().status_code == 201
    world.after_opening()
    agency = world.client("agency")
    started = agency.post(f"/api/v1/tenders/{world.tender_id}/expert-list-openings",
                          json={"certificate": b64(world.agency_key.der)})
    assert started.status_code == 201
    forged = io.BytesIO()
    envelope.encrypt_stream(io.BytesIO(os.urandom(32)), forged,
                            recipients=[load_certificate(base64.b64decode(
                                started.json["transport_certificate"]))])
    refused = agency.post(f"/api/v1/tenders/{world.tender_id}/expert-list-openings/{started.json['version']}",
                          json={"envelope": b64(forged.getvalue())})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "expert_list_unreadable"
    assert agency.get(f"/api/v1/tenders/{world.tender_id}/expert-draw/experts").status_code == 403
    opened = agency.post(f"/api/v1/tenders/{world.tender_id}/expert-list-openings/{started.json['version']}",
                         json={"envelope": b64(agent_unwrap(started.json, world.agency_key))})
    assert opened.status_code == 200 and len(opened.json) == 5
    listed = agency.get(f"/api/v1/tenders/{world.tender_id}/expert-draw/experts").json
    assert [e["name"] for e in listed] == [e["name"] for e in opened.json]
    page = agency.get(f"/tenders/{world.tender_id}/experts").get_data(as_text=True)
    assert all(e["name"] in page for e in listed)
    again = world.open_list()
    assert again.status_code == 400
    decline = world.expert_client(world.key_of(_first_called(world))).post(
        f"/api/v1/expert-session/assignments/{_first_assignment(world)}", json={"accept": False})
    assert decline.status_code == 409                              # answers close at the evaluation start


def test_another_agency_or_a_bad_certificate_is_refused(expert_world):
    world = expert_world
    world.after_deadline()
    assert world.draw().status_code == 201
    world.after_opening()
    agency = world.client("agency")
    bad = agency.post(f"/api/v1/tenders/{world.tender_id}/expert-list-openings", json={"certificate": "bm90IGEgY2VydA=="})
    assert bad.status_code == 400
    not_b64 = agency.post(f"/api/v1/tenders/{world.tender_id}/expert-list-openings", json={"certificate": "***"})
    assert not_b64.status_code == 400
    assert world.client("purchaser").post(f"/api/v1/tenders/{world.tender_id}/expert-list-openings",
                                          json={"certificate": b64(world.agency_key.der)}).status_code == 403


def _first_called(world) -> int:
    return _first(world).expert_id


def _first_assignment(world) -> int:
    return _first(world).id


def _first(world):
    from sqlalchemy import select

    from app.extensions import db
    from bidding.experts.models import ExpertAssignment
    with world.app.app_context():
        row = db.session.scalars(select(ExpertAssignment).order_by(ExpertAssignment.position).limit(1)).one()
        db.session.expunge(row)
        return row
