"""Certificate log-in refusals with their reasons: an expired certificate and one of a CA outside the
trust list are refused, each with its code and Chinese message, at the domain
(``login_with_certificate``) and through ``POST /api/v1/session/certificate`` (the door the log-in
page's certificate card uses); every refusal is audited, uses up its challenge and logs nobody in.

A certificate not issued for this platform (without the CA profile's platform policy OID) logs in
where its CA's profile allows it (R4, GD FAQ 10–11: another platform's certificate from a trusted CA
may log in); what it may not do is stamp: its binding says so, a seal is refused on it, and
validation for stamping names the missing policy. Where the profile says ``login_requires_policy``
(HBCA's does), the same certificate is refused at binding and at log-in with its reason. The revoked, unbound and
replayed cases are in test_login_and_bind_api.py."""
from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.auth import PASSWORD, AuthActions, make_accounts
from support.bindings import CA_T0, ORIGIN, SESSION, crls_at, file_holder, party, prove
from support.devca import credit_code

from app import context
from app.extensions import db
from bidding.accounts.models import Account, Role
from bidding.accounts.services import create_account
from bidding.audit.models import AuditEntry
from bidding.certificates.challenges import issue_challenge
from bidding.certificates.errors import (
    CertificateExpired,
    CertificateNotForThisPlatform,
    CertificateUntrusted,
    SealNeedsPlatformCertificate,
)
from bidding.certificates.login import login_with_certificate
from bidding.certificates.models import Challenge
from bidding.certificates.services import attach_seal, bind_certificate
from pki.devca import DevCA
from pki.identity import PartyIdentity
from pki.seal import make_seal
from pki.trust import TrustList
from pki.signature import sign


def _institution(seed: int, name: str) -> PartyIdentity:
    return PartyIdentity("institution", name, credit_code=credit_code(seed))


def _staff(name: str, seed: int, username: str):
    """A supplier registered through register_party with one staff account."""
    supplier = party(name, seed)
    create_account(context.uow(), username=username, role=Role.SUPPLIER_STAFF, password=PASSWORD,
                   party_id=supplier.id)
    return supplier


def _bind(ca, trust, clock, supplier, holder):
    challenge, der = prove(holder, clock)
    return bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust,
                            crls=crls_at(ca, clock.now()))


def _log_in(ca, trust, clock, holder):
    challenge, der = _login_proof(holder, clock)
    return login_with_certificate(context.uow(), challenge, SESSION, ORIGIN, der, trust=trust,
                                  crls=crls_at(ca, clock.now()), address="192.0.2.7")


def _login_proof(holder, clock) -> tuple[int, bytes]:
    issued = issue_challenge(context.uow(), "login", SESSION, ORIGIN)
    return issued.id, sign(issued.message, key=holder.key, certificate=holder.cert, chain=holder.chain,
                           detached=True, signing_time=clock.now())


def _refusals() -> list[dict]:
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.login_refused")
                                 .order_by(AuditEntry.id)).all()
    return [json.loads(e.details) for e in entries]


def _logins() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "account.login"))


def _unused_challenges() -> int:
    return db.session.scalar(select(func.count()).select_from(Challenge).where(Challenge.used_at.is_(None)))


# -- the domain ---------------------------------------------------------------------------------------
def test_an_expired_bound_certificate_no_longer_logs_in(app, clock, ca, trust):
    holder = file_holder(ca, "netca", _institution(401, "到期公司"), algorithm="rsa", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = _staff("到期公司", 401, "expired-staff")
        _bind(ca, trust, clock, supplier, holder)
        assert _log_in(ca, trust, clock, holder).username == "expired-staff"      # valid today
        clock.advance(days=400)                                                    # a one-year certificate
        logins = _logins()
        with pytest.raises(CertificateExpired) as refused:
            _log_in(ca, trust, clock, holder)
        error = refused.value
        assert error.code == "certificate_expired" and error.http_status == 400
        assert "过期" in error.message and "expired on 2027-11-22" in error.message
        assert [r["code"] for r in error.details["reasons"]] == ["expired"]
        assert _refusals()[-1]["outcome"] == "certificate_expired" and _refusals()[-1]["method"] == "certificate"
        assert _logins() == logins and _unused_challenges() == 0       # refused, and the challenge is spent


def test_a_certificate_of_a_ca_outside_the_trust_list_does_not_log_in(app, clock, ca, trust, tmp_path):
    """Same profile names and subject as a trusted CA's, other keys: the platform does not trust it."""
    stranger = DevCA(tmp_path / "state", tmp_path / "anchors")
    stranger.init(["netca"], at=CA_T0)
    trusted = file_holder(ca, "netca", _institution(402, "冒名公司"), algorithm="rsa", at=clock.now() - timedelta(days=1))
    forged = file_holder(stranger, "netca", _institution(402, "冒名公司"), algorithm="rsa",
                         at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = _staff("冒名公司", 402, "untrusted-staff")
        _bind(ca, trust, clock, supplier, trusted)          # the party's real certificate is bound
        with pytest.raises(CertificateUntrusted) as refused:
            _log_in(ca, trust, clock, forged)
        error = refused.value
        assert error.code == "certificate_untrusted" and "信任" in error.message
        assert "untrusted_issuer" in [r["code"] for r in error.details["reasons"]]
        assert _refusals()[-1]["outcome"] == "certificate_untrusted"
        assert _logins() == 0 and _unused_challenges() == 0


def test_a_certificate_of_another_platform_logs_in_but_may_not_stamp_r4(app, clock, ca, trust):
    ident = _institution(403, "外平台登录公司")
    holder = file_holder(ca, "bjca", ident, algorithm="rsa", platform=False, at=clock.now() - timedelta(days=1))
    policy = trust.profile("bjca").policy_oid
    with app.test_request_context():
        supplier = _staff("外平台登录公司", 403, "foreign-staff")
        binding = _bind(ca, trust, clock, supplier, holder)
        assert binding.may_stamp is False and policy in binding.stamp_refusal

        account = _log_in(ca, trust, clock, holder)          # log-in does not ask for the platform policy
        assert account.username == "foreign-staff" and account.party_id == supplier.id

        with pytest.raises(SealNeedsPlatformCertificate) as refused:     # … stamping does
            attach_seal(context.uow(), supplier.id, binding.id, make_seal(ident), trust=trust)
        assert refused.value.code == "seal_needs_platform_certificate" and "本平台专用" in refused.value.message
        stamping = trust.validate(holder.cert, clock.now(), "stamping", crls=crls_at(ca, clock.now()),
                                  revocation="require")
        assert not stamping.ok and "policy_missing" in stamping.codes
        assert trust.validate(holder.cert, clock.now(), "login", crls=crls_at(ca, clock.now()),
                              revocation="require").ok


def _strict(trust, profile_id: str):
    """``trust`` with ``profile_id``'s profile asking for the platform policy at log-in too."""
    return TrustList([replace(p, login_requires_policy=True) if p.id == profile_id else p for p in trust.profiles])


def test_where_the_profile_allows_no_other_platform_the_certificate_neither_binds_nor_logs_in(app, clock, ca, trust):
    holder = file_holder(ca, "bjca", _institution(404, "严格策略公司"), algorithm="rsa", platform=False,
                         at=clock.now() - timedelta(days=1))
    strict = _strict(trust, "bjca")
    with app.test_request_context():
        supplier = _staff("严格策略公司", 404, "strict-staff")
        with pytest.raises(CertificateNotForThisPlatform) as refused:
            _bind(ca, strict, clock, supplier, holder)
        error = refused.value
        assert error.code == "certificate_not_for_this_platform" and error.http_status == 400
        assert "本平台" in error.message and "policy_missing" in [r["code"] for r in error.details["reasons"]]

        _bind(ca, trust, clock, supplier, holder)          # bound while the profile still allowed it …
        logins, unused = _logins(), _unused_challenges()
        with pytest.raises(CertificateNotForThisPlatform):  # … and refused at log-in once it does not
            _log_in(ca, strict, clock, holder)
        assert _refusals()[-1]["outcome"] == "certificate_not_for_this_platform"
        assert _logins() == logins and _unused_challenges() == unused     # the log-in challenge is spent
        platform = file_holder(ca, "bjca", _institution(404, "严格策略公司"), algorithm="rsa",
                               at=clock.now() - timedelta(days=1))
        _bind(ca, strict, clock, supplier, platform)       # one issued for this platform binds …
        assert _log_in(ca, strict, clock, platform).username == "strict-staff"      # … and logs in


# -- through the API (the log-in page's certificate card) ------------------------------------------------
@pytest.fixture
def api_app(make_app, db_url, clock, ca):
    """The app trusting the session's development CA, with its CRLs republished at the clock's now."""
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, DEVCA_DIR=str(ca.state_dir),
                   CRL_DIR=str(ca.state_dir / "crl"), TRUST_ANCHORS_DIR=str(ca.anchors_dir))
    make_accounts(app, ("supplier",))
    crls_at(ca, clock.now())
    return app


def _supplier_identity(app) -> PartyIdentity:
    with app.app_context():
        account = db.session.scalars(select(Account).where(Account.username == "supplier")).one()
        return PartyIdentity("institution", account.party.name, credit_code=account.party.credit_code)


def _signed(client, holder, clock, purpose: str) -> dict:
    issued = client.post("/api/v1/challenges", json={"purpose": purpose})
    assert issued.status_code == 201, issued.json
    der = sign(base64.b64decode(issued.json["message"]), key=holder.key, certificate=holder.cert,
               chain=holder.chain, detached=True, signing_time=clock.now())
    return {"challenge": issued.json["id"], "signature": base64.b64encode(der).decode()}


def _bound(app, holder, clock) -> dict:
    client = app.test_client()
    assert AuthActions(client).login("supplier").status_code == 302
    bound = client.post("/api/v1/certificates", json=_signed(client, holder, clock, "bind"))
    assert bound.status_code == 201, bound.json
    return bound.json


def _certificate_login(app, holder, clock):
    client = app.test_client()
    answer = client.post("/api/v1/session/certificate", json=_signed(client, holder, clock, "login"))
    return client, answer


def test_api_refuses_an_expired_certificate_with_its_reason(api_app, ca, clock):
    holder = file_holder(ca, "netca", _supplier_identity(api_app), algorithm="sm2", at=clock.now() - timedelta(days=1))
    _bound(api_app, holder, clock)
    clock.advance(days=400)
    crls_at(ca, clock.now())
    client, refused = _certificate_login(api_app, holder, clock)
    assert refused.status_code == 400, refused.json
    error = refused.json["error"]
    assert error["code"] == "certificate_expired" and "过期" in error["message"]
    assert [r["code"] for r in error["details"]["reasons"]] == ["expired"]
    assert client.get("/api/v1/me").status_code == 401


def test_api_refuses_a_certificate_of_an_untrusted_ca_with_its_reason(api_app, ca, clock, tmp_path):
    stranger = DevCA(tmp_path / "stranger-state", tmp_path / "stranger-anchors")
    stranger.init(["netca"], at=CA_T0)
    ident = _supplier_identity(api_app)
    _bound(api_app, file_holder(ca, "netca", ident, algorithm="rsa", at=clock.now() - timedelta(days=1)), clock)
    forged = file_holder(stranger, "netca", ident, algorithm="rsa", at=clock.now() - timedelta(days=1))
    client, refused = _certificate_login(api_app, forged, clock)
    assert refused.status_code == 400, refused.json
    error = refused.json["error"]
    assert error["code"] == "certificate_untrusted" and "受信任的 CA" in error["message"]
    assert client.get("/api/v1/me").status_code == 401


def test_api_logs_in_with_another_platforms_certificate_which_may_not_stamp(api_app, ca, clock):
    holder = file_holder(ca, "bjca", _supplier_identity(api_app), algorithm="rsa", platform=False,
                         at=clock.now() - timedelta(days=1))
    bound = _bound(api_app, holder, clock)
    assert bound["may_stamp"] is False and "2.25." in bound["stamp_refusal"]
    client, answer = _certificate_login(api_app, holder, clock)
    assert answer.status_code == 200, answer.json
    assert client.get("/api/v1/me").json["username"] == "supplier"
    listed = client.get("/api/v1/certificates").json
    assert [(s["binding"]["may_stamp"], s["binding"]["seal_kind"]) for s in listed] == [(False, None)]
