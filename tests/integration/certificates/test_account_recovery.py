"""R20, account and password recovery with a bound certificate, through the page (/login links to
/login/recover, whose script drives the agent) and the JSON API it calls: ``POST
/api/v1/recovery/accounts`` gives the user names of the certificate's party, ``POST
/api/v1/recovery/password`` sets a new password (the rules of a password change), each proven by a
fresh signed "login" challenge of the same session. Real signatures by pki.signature with the
party's key; no agent at this level (the browser test has one)."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from support.auth import PASSWORD, AuthActions, make_accounts, test_uow
from support.bindings import crls_at, file_holder

from app.extensions import db
from bidding.accounts.models import Account, Role
from bidding.accounts.services import create_account
from bidding.audit.models import AuditEntry
from pki.identity import PartyIdentity
from pki.signature import sign

NEW_PASSWORD = "recovered-password-77"


@pytest.fixture
def recovery_app(make_app, db_url, clock, ca):
    """The app trusting the session's development CA; the first supplier has two staff accounts."""
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, DEVCA_DIR=str(ca.state_dir),
                   CRL_DIR=str(ca.state_dir / "crl"), TRUST_ANCHORS_DIR=str(ca.anchors_dir))
    make_accounts(app, ("supplier", "supplier2"))
    with app.app_context():
        party_id = _account("supplier").party_id
        create_account(test_uow(app), username="supplier-b", role=Role.SUPPLIER_STAFF, password=PASSWORD,
                       party_id=party_id)
    crls_at(ca, clock.now())
    return app


def _account(username: str) -> Account:
    return db.session.scalars(select(Account).where(Account.username == username)).one()


def _holder(app, ca, clock, username: str = "supplier"):
    with app.app_context():
        party = _account(username).party
        ident = PartyIdentity("institution", party.name, credit_code=party.credit_code)
    return file_holder(ca, "netca", ident, algorithm="sm2", at=clock.now() - timedelta(days=1))


def _signed(client, holder, clock, purpose: str = "login") -> dict:
    issued = client.post("/api/v1/challenges", json={"purpose": purpose})
    assert issued.status_code == 201, issued.json
    der = sign(base64.b64decode(issued.json["message"]), key=holder.key, certificate=holder.cert,
               chain=holder.chain, detached=True, signing_time=clock.now())
    return {"challenge": issued.json["id"], "signature": base64.b64encode(der).decode()}


def _bind(app, holder, clock, username: str = "supplier") -> None:
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    assert client.post("/api/v1/certificates", json=_signed(client, holder, clock, "bind")).status_code == 201


def _logs_in(app, username: str, password: str) -> bool:
    return AuthActions(app.test_client()).login(username, password).status_code == 302


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) for e in
                db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def test_the_log_in_page_links_to_the_recovery_page(recovery_app):
    client = recovery_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/login/recover"' in login and "忘记账号/密码？用证书找回" in login
    page = client.get("/login/recover")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "用数字证书找回账号和口令" in text
    assert 'id="recovery-panel"' in text and 'data-agent-url="http://127.0.0.1:8765"' in text
    assert 'data-min-password="10"' in text and "js/recovery.js" in text and "js/agent-client.js" in text
    assert "bidtool agent --origin http://localhost" in text          # how to start the agent, for this origin


def test_recover_the_user_names_then_reset_one_password(recovery_app, ca, clock):
    holder = _holder(recovery_app, ca, clock)
    _bind(recovery_app, holder, clock)
    victim_session = recovery_app.test_client()                  # supplier-b is logged in somewhere else
    assert AuthActions(victim_session).login("supplier-b").status_code == 302
    for _ in range(5):                                           # … and locked out by wrong passwords
        AuthActions(recovery_app.test_client()).login("supplier-b", "wrong-password-0")
    assert not _logs_in(recovery_app, "supplier-b", PASSWORD)

    client = recovery_app.test_client()                          # anonymous: who cannot log in
    names = client.post("/api/v1/recovery/accounts", json=_signed(client, holder, clock))
    assert names.status_code == 200, names.json
    assert names.json == {"usernames": ["supplier", "supplier-b"]}
    assert _audit(recovery_app, "account.recovery")[-1]["usernames"] == ["supplier", "supplier-b"]

    reset = client.post("/api/v1/recovery/password", json={**_signed(client, holder, clock), "username": "supplier-b",
                                                            "new_password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.json
    assert reset.json == {"username": "supplier-b"}
    assert client.get("/api/v1/me").status_code == 401           # recovery logs nobody in
    assert victim_session.get("/api/v1/me").status_code == 401   # every session of the account ended
    assert not _logs_in(recovery_app, "supplier-b", PASSWORD)
    assert _logs_in(recovery_app, "supplier-b", NEW_PASSWORD)    # the lock-out is lifted too
    assert _logs_in(recovery_app, "supplier", PASSWORD)          # the other account is untouched
    entry = _audit(recovery_app, "account.password_reset")[-1]
    assert entry["method"] == "certificate" and entry["username"] == "supplier-b"


def test_the_password_rules_and_the_party_are_enforced(recovery_app, ca, clock):
    holder = _holder(recovery_app, ca, clock)
    _bind(recovery_app, holder, clock)
    client = recovery_app.test_client()
    weak = client.post("/api/v1/recovery/password", json={**_signed(client, holder, clock), "username": "supplier",
                                                           "new_password": "short"})
    assert weak.status_code == 400 and weak.json["error"]["code"] == "password_weak"
    assert "至少 10 个字符" in weak.json["error"]["message"]
    same = client.post("/api/v1/recovery/password", json={**_signed(client, holder, clock), "username": "supplier-b",
                                                           "new_password": "SUPPLIER-B"})   # 10 characters
    assert same.status_code == 400 and same.json["error"]["code"] == "password_weak"
    foreign = client.post("/api/v1/recovery/password", json={**_signed(client, holder, clock),
                                                              "username": "supplier2", "new_password": NEW_PASSWORD})
    assert foreign.status_code == 403 and foreign.json["error"]["code"] == "certificate_account_mismatch"
    assert "不属于证书所属主体" in foreign.json["error"]["message"]
    assert _logs_in(recovery_app, "supplier", PASSWORD) and _logs_in(recovery_app, "supplier2", PASSWORD)
    assert _audit(recovery_app, "account.password_reset") == []


def test_an_unbound_certificate_a_replay_and_bad_input_are_refused(recovery_app, ca, clock):
    holder = _holder(recovery_app, ca, clock)
    client = recovery_app.test_client()
    unbound = client.post("/api/v1/recovery/accounts", json=_signed(client, holder, clock))
    assert unbound.status_code == 403 and unbound.json["error"]["code"] == "certificate_not_bound"
    assert "尚未绑定" in unbound.json["error"]["message"]

    _bind(recovery_app, holder, clock)
    body = _signed(client, holder, clock)
    assert client.post("/api/v1/recovery/accounts", json=body).status_code == 200
    replay = client.post("/api/v1/recovery/accounts", json=body)
    assert replay.status_code == 400 and replay.json["error"]["code"] == "challenge_used"
    stolen = recovery_app.test_client().post("/api/v1/recovery/accounts", json=_signed(client, holder, clock))
    assert stolen.status_code == 400 and stolen.json["error"]["code"] == "challenge_wrong_session"
    bind_challenge = client.post("/api/v1/recovery/accounts", json=_signed(client, holder, clock, "bind"))
    assert bind_challenge.status_code == 400 and bind_challenge.json["error"]["code"].startswith("challenge_")

    garbled = client.post("/api/v1/recovery/accounts", json={"challenge": body["challenge"], "signature": "%%%"})
    assert garbled.status_code == 400 and "base64" in garbled.json["error"]["message"]
    missing = client.post("/api/v1/recovery/password", json={"challenge": 1, "signature": "AA=="})
    assert missing.status_code == 422 and set(missing.json["error"]["details"]["fields"]["json"]) == {
        "username", "new_password"}


def test_recovery_shares_the_log_in_rate_limit(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_accounts(app, ("supplier",))
    client = app.test_client()
    body = {"challenge": 1, "signature": "AA=="}
    answers = [client.post("/api/v1/recovery/accounts", json=body).status_code,
               client.post("/api/v1/recovery/password", json={**body, "username": "supplier",
                                                              "new_password": NEW_PASSWORD}).status_code,
               AuthActions(client).login("supplier", "wrong-password-1").status_code,
               client.post("/api/v1/recovery/accounts", json=body).status_code]
    assert 429 not in answers[:3] and answers[3] == 429
