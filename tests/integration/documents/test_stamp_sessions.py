"""The prepared stamp between its two requests: completed once, not after ten minutes, not when the
document moved on meanwhile, only by its own party, only with a signature over exactly the prepared
digest by exactly the prepared certificate; a refusal changes nothing and the session stays usable.
CSRF: the API's writes need the X-CSRFToken header."""
from __future__ import annotations

from sqlalchemy import func, select
from support.agreements import client_as, draft
from support.auth import PASSWORD
from support.stamping import app_settings, b64

from app.extensions import db
from bidding.audit.models import AuditEntry
from bidding.documents.models import Document, DocumentRevision, StampSession


def _prepare(client, public_id: str, binding_id: int):
    answer = client.post(f"/api/v1/documents/{public_id}/stamp-sessions", json={"binding_id": binding_id})
    assert answer.status_code == 201, answer.json
    return answer.json


def _complete(client, session_id: int, signature: bytes | str):
    body = signature if isinstance(signature, str) else b64(signature)
    return client.post(f"/api/v1/stamp-sessions/{session_id}/signature", json={"signature": body})


def _state(app, public_id: str) -> tuple[int, int, int]:
    with app.app_context():
        document = db.session.scalars(select(Document).where(Document.public_id == public_id)).one()
        return (document.current_seq, db.session.scalar(select(func.count()).select_from(DocumentRevision)),
                db.session.scalar(select(func.count()).select_from(AuditEntry)))


def test_a_session_completes_once(world, bound, purchaser_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    session = _prepare(purchaser, public_id, bound["purchaser"])
    assert session["digest_algorithm"] == "sha256" and len(session["digest"]) == 64
    assert session["base_revision"] == 1 and session["completed_at"] is None
    signature = purchaser_signer.sign_digest(session["digest"])
    done = _complete(purchaser, session["id"], signature)
    assert done.status_code == 201 and done.json["seq"] == 2
    before = _state(app, public_id)
    again = _complete(purchaser, session["id"], signature)
    assert again.status_code == 409 and again.json["error"]["code"] == "stamp_session_completed"
    assert _state(app, public_id) == before
    shown = purchaser.get(f"/api/v1/stamp-sessions/{session['id']}").json
    assert shown["revision"] == 2 and shown["completed_at"] is not None


def test_a_session_expires_after_ten_minutes(world, bound, purchaser_signer, clock):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    session = _prepare(purchaser, public_id, bound["purchaser"])
    clock.advance(minutes=10)
    before = _state(app, public_id)
    late = _complete(purchaser, session["id"], purchaser_signer.sign_digest(session["digest"]))
    assert late.status_code == 409 and late.json["error"]["code"] == "stamp_session_expired"
    assert "10 分钟" in late.json["error"]["message"]
    assert _state(app, public_id) == before


def test_a_session_on_a_revision_that_moved_on(world, bound, purchaser_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    first = _prepare(purchaser, public_id, bound["purchaser"])
    second = _prepare(purchaser, public_id, bound["purchaser"])
    assert _complete(purchaser, second["id"], purchaser_signer.sign_digest(second["digest"])).status_code == 201
    stale = _complete(purchaser, first["id"], purchaser_signer.sign_digest(first["digest"]))
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stamp_session_stale"


def test_only_the_prepared_signature_is_taken(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    session = _prepare(purchaser, public_id, bound["purchaser"])
    before = _state(app, public_id)
    other_digest = purchaser_signer.sign_digest("00" * 32)
    for signature, status, code in ((other_digest, 422, "stamp_signature_refused"),
                                    (agency_signer.sign_digest(session["digest"]), 422, "stamp_signature_refused"),
                                    (b"\x30\x03\x02\x01\x00", 422, "stamp_signature_refused"),
                                    ("not base64!", 400, "invalid_input")):
        answer = _complete(purchaser, session["id"], signature)
        assert answer.status_code == status, answer.json
        assert answer.json["error"]["code"] == code, answer.json
    assert _state(app, public_id) == before
    # another party's session is no session at all, an unknown one neither
    agency = client_as(app, "agency")
    assert _complete(agency, session["id"], agency_signer.sign_digest(session["digest"])).status_code == 404
    assert agency.get(f"/api/v1/stamp-sessions/{session['id']}").status_code == 404
    assert _complete(purchaser, 987654, purchaser_signer.sign_digest(session["digest"])).status_code == 404
    # after all that the right signature still completes it
    assert _complete(purchaser, session["id"], purchaser_signer.sign_digest(session["digest"])).status_code == 201


def test_api_writes_need_the_csrf_header(make_app, db_url, clock, ca, purchaser_signer):
    from support.auth import make_accounts
    from support.stamping import bind
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True, **app_settings(ca))
    make_accounts(app, ("purchaser", "agency"))
    with app.app_context():
        from bidding.accounts.models import Account
        purchaser_party = db.session.scalars(select(Account).where(Account.username == "purchaser")).one().party_id
        agency_party = db.session.scalars(select(Account).where(Account.username == "agency")).one().party_id
    binding = bind(app, purchaser_party, purchaser_signer, ca)
    client = app.test_client()
    token = client.get("/api/v1/csrf").json["csrf_token"]
    login = client.post("/api/v1/session", json={"username": "purchaser", "password": PASSWORD},
                        headers={"X-CSRFToken": token})
    token = login.json["csrf_token"]
    from support.agreements import TERMS
    refused = client.post("/api/v1/agreements", json={**TERMS, "agency_id": agency_party})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    made = client.post("/api/v1/agreements", json={**TERMS, "agency_id": agency_party}, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.json
    public_id = made.json["document"]["public_id"]
    no_token = client.post(f"/api/v1/documents/{public_id}/stamp-sessions", json={"binding_id": binding})
    assert no_token.status_code == 400 and no_token.json["error"]["code"] == "csrf"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StampSession)) == 0
    session = client.post(f"/api/v1/documents/{public_id}/stamp-sessions", json={"binding_id": binding},
                          headers={"X-CSRFToken": token}).json
    signature = b64(purchaser_signer.sign_digest(session["digest"]))
    no_token = client.post(f"/api/v1/stamp-sessions/{session['id']}/signature", json={"signature": signature})
    assert no_token.status_code == 400 and no_token.json["error"]["code"] == "csrf"
    done = client.post(f"/api/v1/stamp-sessions/{session['id']}/signature", json={"signature": signature},
                       headers={"X-CSRFToken": token})
    assert done.status_code == 201, done.json
