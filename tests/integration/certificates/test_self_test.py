"""The encryption/decryption self-test (加解密测试, R11) through its JSON API: the platform seals random
data to the certificate, the local agent (``bidtool agent`` in this process, with the supplier's RSA
encryption key file) unwraps the content key and re-encrypts it to the platform's transport
certificate, the platform opens it and compares. Also: a wrong PIN as the agent reports it, an
expired certificate refused before anything is sealed, a forged answer, a test of another session."""
from __future__ import annotations

import base64
import io
import json
import os
from datetime import timedelta

import pytest
from support.bindings import CA_T0, PASSWORD, crls_at
from sqlalchemy import select
from support.agent import AgentClient, start_agent
from support.auth import AuthActions, make_accounts

from app.extensions import db
from bidding.accounts.models import Account
from bidding.audit.models import AuditEntry
from pki.certs import load_certificate
from pki.envelope import encrypt_stream, unwrap_content_key
from pki.identity import PartyIdentity
from pki.keyops import FileKey
from pki.keys import load_pkcs12

ORIGIN = "http://127.0.0.1:5000"


def _identity(app, username: str) -> PartyIdentity:
    with app.app_context():
        party = db.session.scalars(select(Account).where(Account.username == username)).one().party
        return PartyIdentity("institution", party.name, credit_code=party.credit_code)


@pytest.fixture
def st(make_app, db_url, clock, ca, tmp_path):
    """The app (the session CA's trust list and CRLs, a transport certificate in PLATFORM_CERT_DIR),
    the supplier's RSA encryption certificate as a PKCS#12 key file, and a logged-in client."""
    platform_dir = tmp_path / "platform"
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, DEVCA_DIR=str(ca.state_dir),
                   CRL_DIR=str(ca.state_dir / "crl"), TRUST_ANCHORS_DIR=str(ca.anchors_dir),
                   PLATFORM_CERT_DIR=str(platform_dir))
    make_accounts(app, ("supplier", "supplier2"))
    ca.ensure_service_certificate("transport", platform_dir, _identity(app, "supplier"),
                                  at=clock.now() - timedelta(days=1))
    rec = ca.issue("netca", _identity(app, "supplier"), algorithm="rsa", purpose="encryption", password=PASSWORD,
                   at=clock.now() - timedelta(days=1))
    crls_at(ca, clock.now())
    key_path = tmp_path / "encryption-rsa.p12"
    key_path.write_bytes(ca.path(rec.key_file).read_bytes())
    client = app.test_client()
    AuthActions(client).login("supplier")
    return app, client, rec, key_path, FileKey(load_pkcs12(key_path.read_bytes(), PASSWORD)[0]), platform_dir


@pytest.fixture
def agent(st, tmp_path, ca):
    _, _, rec, key_path, _, _ = st
    server, thread = start_agent(["agent", "--port", "0", "--origin", ORIGIN, "--state-dir", str(tmp_path / "agent"),
                                  "--key", str(key_path), "--cert", str(ca.path(rec.cert_file))])
    yield AgentClient(server.port, server)
    server.shutdown()
    server.server_close()
    thread.join(10)


def _der(ca, rec) -> bytes:
    return ca.certificate(rec.serial).dump()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _start(client, der: bytes):
    return client.post("/api/v1/self-test", json={"certificate": _b64(der)})


def _audits(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "certificate.self_test")).all()]


def test_success_through_the_agent(st, agent, ca):
    app, client, rec, _, _, _ = st
    der = _der(ca, rec)
    started = _start(client, der)
    assert started.status_code == 201, started.json
    unwrapped = agent.post("/v1/unwrap", {"certificate": agent.cert_id(der), "pin": PASSWORD.decode(),
                                          "recipient_info": started.json["recipient_info"],
                                          "transport_certificate": started.json["transport_certificate"]})
    assert unwrapped.status == 200, unwrapped.body
    done = client.post(f"/api/v1/self-test/{started.json['id']}", json={"envelope": unwrapped.json["envelope"]})
    assert done.status_code == 200, done.json
    assert done.json["ok"] is True and done.json["outcome"] == "success"
    assert "数字证书加解密测试成功" in done.json["message"]
    assert [a["outcome"] for a in _audits(app)] == ["success"]
    again = client.post(f"/api/v1/self-test/{started.json['id']}", json={"envelope": unwrapped.json["envelope"]})
    assert again.status_code == 404 and again.json["error"]["code"] == "self_test_unknown"   # used once


def test_wrong_pin_is_reported_with_tries_left(st, agent, ca):
    _, client, rec, _, _, _ = st
    der = _der(ca, rec)
    started = _start(client, der)
    unwrapped = agent.post("/v1/unwrap", {"certificate": agent.cert_id(der), "pin": "not-the-pin",
                                          "recipient_info": started.json["recipient_info"],
                                          "transport_certificate": started.json["transport_certificate"]})
    assert unwrapped.status == 400 and unwrapped.error_code == "pin_incorrect"
    assert unwrapped.json["error"]["details"]["remaining"] == 9


def test_expired_certificate_is_refused(st, ca, clock):
    app, client, _, _, _, _ = st
    old = ca.issue("netca", _identity(app, "supplier"), algorithm="rsa", purpose="encryption", password=PASSWORD,
                   not_before=CA_T0 + timedelta(hours=1), not_after=clock.now() - timedelta(days=1))
    refused = _start(client, _der(ca, old))
    assert refused.status_code == 400 and refused.json["error"]["code"] == "certificate_expired"


def test_untrusted_or_garbage_certificate_is_refused(st):
    _, client, _, _, _, _ = st
    refused = _start(client, b"not a certificate")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "certificate_invalid"


def _agent_role(started: dict, key: FileKey, cert, content_key: bytes | None = None) -> str:
    """Do what the agent does (unwrap, re-encrypt to the transport certificate), optionally with
    another content key: the forged answer."""
    if content_key is None:
        content_key = unwrap_content_key(base64.b64decode(started["recipient_info"]), key, cert)
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(content_key), out,
                   recipients=[load_certificate(base64.b64decode(started["transport_certificate"]))])
    return _b64(out.getvalue())


def test_forged_answer_is_a_failure(st, ca):
    app, client, rec, _, key, _ = st
    started = _start(client, _der(ca, rec)).json
    forged = _agent_role(started, key, ca.certificate(rec.serial), content_key=os.urandom(32))
    done = client.post(f"/api/v1/self-test/{started['id']}", json={"envelope": forged})
    assert done.status_code == 200 and done.json["ok"] is False
    assert done.json["outcome"] == "content_key_wrong"
    assert [a["outcome"] for a in _audits(app)] == ["content_key_wrong"]


def test_answer_not_for_the_transport_key_is_a_failure(st, ca):
    _, client, rec, _, _, _ = st
    started = _start(client, _der(ca, rec)).json
    out = io.BytesIO()      # sealed to the supplier's own certificate, not the platform's
    encrypt_stream(io.BytesIO(os.urandom(32)), out, recipients=[ca.certificate(rec.serial)])
    done = client.post(f"/api/v1/self-test/{started['id']}", json={"envelope": _b64(out.getvalue())})
    assert done.status_code == 200 and done.json["outcome"] == "answer_unreadable"


def test_pki_plays_the_agent_and_succeeds(st, ca):
    _, client, rec, _, key, _ = st
    started = _start(client, _der(ca, rec)).json
    done = client.post(f"/api/v1/self-test/{started['id']}",
                       json={"envelope": _agent_role(started, key, ca.certificate(rec.serial))})
    assert done.json["ok"] is True


def test_test_of_another_session_is_refused(st, ca):
    app, client, rec, _, key, _ = st
    started = _start(client, _der(ca, rec)).json
    other = app.test_client()
    AuthActions(other).login("supplier2")
    answer = _agent_role(started, key, ca.certificate(rec.serial))
    refused = other.post(f"/api/v1/self-test/{started['id']}", json={"envelope": answer})
    assert refused.status_code == 404 and refused.json["error"]["code"] == "self_test_unknown"
    assert client.post(f"/api/v1/self-test/{started['id']}", json={"envelope": answer}).json["ok"] is True


def test_expired_test_is_refused(st, ca, clock):
    _, client, rec, _, key, _ = st
    started = _start(client, _der(ca, rec)).json
    clock.advance(minutes=6)
    done = client.post(f"/api/v1/self-test/{started['id']}",
                       json={"envelope": _agent_role(started, key, ca.certificate(rec.serial))})
    assert done.status_code == 400 and done.json["error"]["code"] == "self_test_expired"


def test_page_for_staff(st):
    _, client, _, _, _, _ = st
    page = client.get("/certificates/self-test")
    assert page.status_code == 200 and "数字证书加解密测试" in page.get_data(as_text=True)
    assert "/certificates/self-test" in client.get("/certificates").get_data(as_text=True)
