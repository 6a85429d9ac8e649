"""Binding and certificate log-in through the JSON API (the doors the bind page and the log-in
page's certificate card use), with real signatures made by pki.signature with the party's key: no
agent at this level. The challenge is bound to the test client's session and origin; the app
validates with the trust list of a development CA and the CRLs in its CRL_DIR."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from support.bindings import crls_at, file_holder
from sqlalchemy import select

from app.extensions import db
from bidding.accounts.models import Account, Role
from bidding.accounts.services import create_account
from bidding.audit.models import AuditEntry
from bidding.certificates.login import recover_account, reset_password_with_certificate
from pki.identity import PartyIdentity
from pki.signature import sign
from support.auth import PASSWORD, AuthActions, make_accounts, test_uow


@pytest.fixture
def api_app(make_app, db_url, clock, ca):
    """The app trusting the session's development CA, with its CRLs republished at the clock's now."""
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, DEVCA_DIR=str(ca.state_dir),
                   CRL_DIR=str(ca.state_dir / "crl"), TRUST_ANCHORS_DIR=str(ca.anchors_dir))
    make_accounts(app, ("supplier", "supplier2", "agency", "operator"))
    crls_at(ca, clock.now())
    return app


def _party_code(app, username: str) -> tuple[int, str, str]:
    with app.app_context():
        account = db.session.scalars(select(Account).where(Account.username == username)).one()
        return account.party.id, account.party.name, account.party.credit_code


def _holder(app, ca, clock, username: str = "supplier", algorithm: str = "sm2"):
    _, name, code = _party_code(app, username)
    return file_holder(ca, "netca", PartyIdentity("institution", name, credit_code=code), algorithm=algorithm,
                       at=clock.now() - timedelta(days=1))


def _signed(client, holder, clock, purpose: str, **headers) -> dict:
    """A challenge for ``purpose`` from the API, signed with the holder's key: the request body."""
    issued = client.post("/api/v1/challenges", json={"purpose": purpose}, headers=headers)
    assert issued.status_code == 201, issued.json
    message = base64.b64decode(issued.json["message"])
    assert json.loads(message)["purpose"] == purpose and json.loads(message)["origin"] == issued.json["origin"]
    der = sign(message, key=holder.key, certificate=holder.cert, chain=holder.chain, detached=True,
               signing_time=clock.now())
    return {"challenge": issued.json["id"], "signature": base64.b64encode(der).decode()}


def _bind(client, holder, clock):
    return client.post("/api/v1/certificates", json=_signed(client, holder, clock, "bind"))


def _logged_in(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                     .order_by(AuditEntry.id)).all()
        return [json.loads(e.details) for e in entries]


def test_bind_through_the_api_then_log_in_with_the_certificate(api_app, ca, clock):
    holder = _holder(api_app, ca, clock, algorithm="rsa")
    client = _logged_in(api_app, "supplier")
    bound = _bind(client, holder, clock)
    assert bound.status_code == 201, bound.json
    assert bound.json["algorithm"] == "rsa" and bound.json["state"] == "active" and bound.json["may_stamp"] is True
    listed = client.get("/api/v1/certificates")
    assert [s["binding"]["id"] for s in listed.json] == [bound.json["id"]]
    page = client.get("/certificates")
    assert page.status_code == 200 and bound.json["serial"] in page.get_data(as_text=True)
    assert client.get("/certificates/bind").status_code == 200

    anonymous = api_app.test_client()
    body = _signed(anonymous, holder, clock, "login")
    assert anonymous.get("/api/v1/me").status_code == 401
    logged_in = anonymous.post("/api/v1/session/certificate", json=body)
    assert logged_in.status_code == 200, logged_in.json
    assert logged_in.json["account"]["username"] == "supplier" and logged_in.json["csrf_token"]
    assert anonymous.get("/api/v1/me").json["username"] == "supplier"
    assert anonymous.get("/account").status_code == 200
    ok = _audit(api_app, "account.login")[-1]
    assert ok["method"] == "certificate" and ok["outcome"] == "ok" and ok["serial"] == bound.json["serial"]

    replay = api_app.test_client().post("/api/v1/session/certificate", json=body)   # same bytes, used challenge
    assert replay.status_code == 400 and replay.json["error"]["code"] in ("challenge_used", "challenge_wrong_session")
    again = anonymous.post("/api/v1/session/certificate", json=body)                 # the session was rotated too
    assert again.status_code == 400 and again.json["error"]["code"] in ("challenge_used", "challenge_wrong_session")


def test_a_replayed_challenge_is_refused(api_app, ca, clock):
    holder = _holder(api_app, ca, clock)
    client = _logged_in(api_app, "supplier")
    body = _signed(client, holder, clock, "bind")
    assert client.post("/api/v1/certificates", json=body).status_code == 201
    replay = client.post("/api/v1/certificates", json=body)
    assert replay.status_code == 400 and replay.json["error"]["code"] == "challenge_used"
    assert "不能重复使用" in replay.json["error"]["message"]


def test_a_challenge_of_another_session_or_origin_is_refused(api_app, ca, clock):
    holder = _holder(api_app, ca, clock)
    assert _bind(_logged_in(api_app, "supplier"), holder, clock).status_code == 201
    first, second = api_app.test_client(), api_app.test_client()
    body = _signed(first, holder, clock, "login")
    stolen = second.post("/api/v1/session/certificate", json=body)
    assert stolen.status_code == 400 and stolen.json["error"]["code"] == "challenge_wrong_session"
    assert second.get("/api/v1/me").status_code == 401
    body = _signed(first, holder, clock, "login")
    elsewhere = first.post("/api/v1/session/certificate", json=body, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 400 and elsewhere.json["error"]["code"] == "challenge_wrong_origin"
    # a challenge asked from a named origin is bound to it and used from it
    body = _signed(first, holder, clock, "login", Origin="https://ebid.example.gov.cn")
    assert first.post("/api/v1/session/certificate", json=body,
                      headers={"Origin": "https://ebid.example.gov.cn"}).status_code == 200
    refusals = _audit(api_app, "account.login_refused")
    assert [r["outcome"] for r in refusals] == ["challenge_wrong_session", "challenge_wrong_origin"]
    assert all(r["method"] == "certificate" for r in refusals)


def test_a_certificate_of_another_party_is_refused(api_app, ca, clock):
    holder = _holder(api_app, ca, clock, "supplier")
    refused = _bind(_logged_in(api_app, "supplier2"), holder, clock)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "certificate_of_another_party"
    assert "测试供应商甲" in refused.json["error"]["message"]


def test_an_unbound_certificate_is_refused_at_log_in(api_app, ca, clock):
    holder = _holder(api_app, ca, clock)
    client = api_app.test_client()
    refused = client.post("/api/v1/session/certificate", json=_signed(client, holder, clock, "login"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "certificate_not_bound"
    assert "尚未绑定" in refused.json["error"]["message"]
    assert client.get("/api/v1/me").status_code == 401
    assert _audit(api_app, "account.login_refused")[-1]["outcome"] == "certificate_not_bound"


def test_a_revoked_certificate_is_refused_at_log_in(api_app, ca, clock):
    holder = _holder(api_app, ca, clock)
    assert _bind(_logged_in(api_app, "supplier"), holder, clock).status_code == 201
    ca.revoke(holder.record.serial, "key_compromise", at=clock.now() - timedelta(hours=1))
    crls_at(ca, clock.now())
    client = api_app.test_client()
    refused = client.post("/api/v1/session/certificate", json=_signed(client, holder, clock, "login"))
    assert refused.status_code == 400 and refused.json["error"]["code"] == "certificate_revoked", refused.json
    assert client.get("/api/v1/me").status_code == 401


def test_another_party_cannot_see_the_bindings(api_app, ca, clock):
    holder = _holder(api_app, ca, clock)
    bound = _bind(_logged_in(api_app, "supplier"), holder, clock)
    assert bound.status_code == 201
    other = _logged_in(api_app, "supplier2")
    assert other.get("/api/v1/certificates").json == []
    assert bound.json["serial"] not in other.get("/certificates").get_data(as_text=True)
    assert _logged_in(api_app, "agency").get("/api/v1/certificates").json == []
    operator = _logged_in(api_app, "operator")
    assert operator.get("/api/v1/certificates").status_code == 403
    assert operator.get("/certificates").status_code == 403


def test_several_accounts_of_the_party_need_the_user_name(api_app, ca, clock):
    party_id, _, _ = _party_code(api_app, "supplier")
    with api_app.app_context():
        create_account(test_uow(api_app), username="supplier-b", role=Role.SUPPLIER_STAFF, password=PASSWORD,
                       party_id=party_id)
    holder = _holder(api_app, ca, clock)
    assert _bind(_logged_in(api_app, "supplier"), holder, clock).status_code == 201
    client = api_app.test_client()
    choose = client.post("/api/v1/session/certificate", json=_signed(client, holder, clock, "login"))
    assert choose.status_code == 400 and choose.json["error"]["code"] == "certificate_account_choice"
    foreign = client.post("/api/v1/session/certificate",
                          json={**_signed(client, holder, clock, "login"), "username": "supplier2"})
    assert foreign.status_code == 403 and foreign.json["error"]["code"] == "certificate_account_mismatch"
    chosen = client.post("/api/v1/session/certificate",
                         json={**_signed(client, holder, clock, "login"), "username": "supplier-b"})
    assert chosen.status_code == 200 and chosen.json["account"]["username"] == "supplier-b"


def test_r20_recover_the_user_names_and_reset_the_password(api_app, ca, clock):
    holder = _holder(api_app, ca, clock)
    assert _bind(_logged_in(api_app, "supplier"), holder, clock).status_code == 201
    with api_app.test_request_context():
        from bidding.certificates.challenges import issue_challenge
        from app.certificates.proof import proof_settings
        settings = proof_settings()

        def proof():
            issued = issue_challenge(test_uow(api_app), "login", "recovery-session", "http://localhost")
            der = sign(issued.message, key=holder.key, certificate=holder.cert, chain=holder.chain,
                       signing_time=clock.now())
            return issued.id, "recovery-session", "http://localhost", der

        assert recover_account(test_uow(api_app), *proof(), **settings) == ["supplier"]
        reset_password_with_certificate(test_uow(api_app), *proof(), username="supplier",
                                        new_password="a-new-password-42", **settings)
    assert AuthActions(api_app.test_client()).login("supplier").status_code == 401
    assert AuthActions(api_app.test_client()).login("supplier", "a-new-password-42").status_code == 302
