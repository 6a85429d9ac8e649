"""The housekeeping destroys the experts' expired event keys on the platform's (real SoftHSM) token
(bidding.experts.sweep): through the scheduler's own wiring (``register_handlers`` + ``run_due``), a
key goes once its certificate has been expired for more than the grace, not before, and the one
destruction is in the audit log; a token that cannot be opened, or another token than the key's,
destroys nothing and records nothing, and the next run with the right token does it."""
from __future__ import annotations

import json
from datetime import timedelta

from pkcs11 import Attribute, ObjectClass
from sqlalchemy import select
from support.auth import test_uow
from support.experts import TOKEN_LABEL, TOKEN_PIN, TOKEN_SO_PIN, b64

from app.scheduler import register_handlers, run_due
from bidding import housekeeping
from bidding.audit.models import AuditEntry
from bidding.experts.errors import SigningUnavailable
from bidding.experts.models import EventCertificate
from bidding.experts.sweep import DESTROYED, GRACE, sweep_event_keys
from bidding.scheduling import EffectState, ScheduledEffect
from pki import pkcs11 as tokens

CONTENT = "评分表：投标人甲 85 分".encode()


def _sign(world, key: str) -> int:
    """Expert ``key`` signs ``CONTENT`` (an event certificate and its key on the token are made if
    it has none valid); the id of the certificate it signed with."""
    client = world.expert_client(key)
    requested = client.post("/api/v1/expert-session/signature-requests", json={"title": "评分表", "content": b64(CONTENT)})
    assert requested.status_code == 201, requested.json
    signed = client.post(f"/api/v1/expert-session/signature-requests/{requested.json['id']}",
                         json={"code": world.last_code(key), "content": b64(CONTENT)})
    assert signed.status_code == 201, signed.json
    from app.extensions import db
    with world.app.app_context():
        return db.session.scalars(select(EventCertificate.id).where(EventCertificate.expert_id == world.experts[key])
                                  .order_by(EventCertificate.id.desc())).first()


def _on_token() -> dict[str, set]:
    """CKA_ID (hex) → the classes of the objects with it on the platform's token."""
    found: dict[str, set] = {}
    with tokens.open_token(TOKEN_LABEL, pin=TOKEN_PIN).raw() as raw:
        for obj in raw.get_objects({}):
            found.setdefault(bytes(obj[Attribute.ID]).hex(), set()).add(obj[Attribute.CLASS])
    return found


def _key_id(app, certificate_id: int) -> str:
    from app.extensions import db
    with app.app_context():
        return db.session.get(EventCertificate, certificate_id).key_id_hex


def _destroyed(app) -> dict[str, dict]:
    """The sweep's audit entries: certificate id → details."""
    from app.extensions import db
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == DESTROYED).order_by(AuditEntry.id)).all()
        assert all(r.object_type == "expert_event_certificate" for r in rows)
        ids = [r.object_id for r in rows]
        assert len(ids) == len(set(ids)), ids                       # each destruction recorded once
        return {r.object_id: json.loads(r.details) for r in rows}


def _purges_done(app) -> int:
    from app.extensions import db
    with app.app_context():
        return db.session.query(ScheduledEffect).filter(ScheduledEffect.kind == housekeeping.PURGE,
                                                         ScheduledEffect.state == EffectState.DONE).count()


def test_the_housekeeping_destroys_expired_event_keys_after_the_grace(expert_world):
    world, app = expert_world, expert_world.app
    app.config["HOUSEKEEPING_INTERVAL_SECONDS"] = 3600
    first = _sign(world, "e1")                                       # valid t0 .. t0+2h
    world.clock.advance(hours=1)
    second = _sign(world, "e2")                                      # valid t0+1h .. t0+3h
    keys = {first: _key_id(app, first), second: _key_id(app, second)}
    everything = {ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY, ObjectClass.CERTIFICATE}
    assert _on_token() == {keys[first]: everything, keys[second]: everything}

    register_handlers(app)                                           # the scheduler's wiring: a purge owed now
    assert run_due(app).failed == []
    assert _purges_done(app) == 1
    assert set(_on_token()) == set(keys.values()) and _destroyed(app) == {}      # nothing has expired

    world.clock.advance(hours=1, minutes=10)                         # the first expired 10 minutes ago
    assert GRACE > timedelta(minutes=10)
    assert run_due(app).failed == []
    assert _purges_done(app) == 2
    assert set(_on_token()) == set(keys.values()) and _destroyed(app) == {}      # still within the grace

    world.clock.advance(hours=1)                                     # the first 70 min ago, the second 10
    assert run_due(app).failed == []
    assert _purges_done(app) == 3
    assert set(_on_token()) == {keys[second]}
    recorded = _destroyed(app)
    assert set(recorded) == {str(first)}
    assert recorded[str(first)]["token_objects"] == 3                # private and public key, certificate
    assert recorded[str(first)]["expert_id"] == world.experts["e1"]

    world.clock.advance(hours=1)
    assert run_due(app).failed == []
    assert _purges_done(app) == 4
    assert _on_token() == {}
    assert set(_destroyed(app)) == {str(first), str(second)}         # the first not recorded again

    world.clock.advance(hours=1)                                     # a run with nothing left to do
    assert run_due(app).failed == []
    assert _purges_done(app) == 5
    assert set(_destroyed(app)) == {str(first), str(second)}
    from app.extensions import db
    from bidding.experts.models import ExpertSignature
    with app.app_context():                                          # the record stays: certificates, signatures
        assert db.session.query(EventCertificate).count() == 2
        assert db.session.query(ExpertSignature).count() == 2


def test_an_unavailable_or_other_token_destroys_and_records_nothing(expert_world, tmp_path):
    from devsetup.softhsm import init_softhsm_token
    world, app = expert_world, expert_world.app
    init_softhsm_token(tmp_path / "hsm", "ebid-other", TOKEN_SO_PIN, TOKEN_PIN)   # beside the platform's
    certificate = _sign(world, "e1")
    key_id = _key_id(app, certificate)
    world.clock.advance(hours=2)
    world.clock.advance(seconds=GRACE.total_seconds() + 1)

    def unavailable():
        raise SigningUnavailable(reason="pin_missing")

    from app.extensions import db
    with app.app_context():
        assert sweep_event_keys(test_uow(app), unavailable) == 0
        assert sweep_event_keys(test_uow(app), lambda: tokens.open_token("ebid-other", pin=TOKEN_PIN)) == 0
        db.session.remove()
    assert set(_on_token()) == {key_id} and _destroyed(app) == {}

    with app.app_context():
        assert sweep_event_keys(test_uow(app), lambda: tokens.open_token(TOKEN_LABEL, pin=TOKEN_PIN)) == 1
        assert sweep_event_keys(test_uow(app), lambda: tokens.open_token(TOKEN_LABEL, pin=TOKEN_PIN)) == 0
        db.session.remove()
    assert _on_token() == {}
    assert set(_destroyed(app)) == {str(certificate)}
