"""The certificate service desk (证书服务) over the session's development CA: renewal within the R7
window only (the date it opens, documents past 365 days), the new certificate bound in place of the
old; lost-key replacement (R8) revokes the old certificate onto the CRL (checked with `openssl crl`)
and keeps the validity; the R10 guard refuses a renewal naming the pending item and changes nothing;
PIN unlock of a locked SoftHSM token (R9, R21) at once for the registered handler, after an
operator's approval otherwise; another party's staff is refused."""
from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from support.bindings import ORIGIN, SESSION, Holder, counts, crls_at, file_holder, prove
from sqlalchemy import func, select

from app import context
from app.extensions import db
from bidding.accounts.models import Account
from bidding.certificates import desk
from bidding.certificates.ca_gateway import DevCaGateway, Handler
from bidding.certificates.desk_models import RequestState, ServiceKind, ServiceRequest
from bidding.certificates.errors import BindingOfAnotherParty, CertificateChangeBlocked
from bidding.certificates.guard import PendingItem, register_pending_provider, unregister_pending_provider
from bidding.certificates.models import BindingState, CertificateBinding
from bidding.certificates.services import bind_certificate
from bidding.parties.services import update_certificate_handler
from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity
from pki.trust import add_years
from support.auth import AuthActions, make_accounts

PIN, SO_PIN = "desk-pin-2468", "desk-so-1357"
LABEL = "desk-supplier"


@pytest.fixture
def desk_app(make_app, db_url, clock, ca):
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, DEVCA_DIR=str(ca.state_dir),
                   CRL_DIR=str(ca.state_dir / "crl"), TRUST_ANCHORS_DIR=str(ca.anchors_dir),
                   DEVCA_TOKEN_SECRETS={LABEL: (SO_PIN, PIN)})
    make_accounts(app, ("supplier", "supplier2", "operator"))
    return app


@pytest.fixture
def gateway(ca) -> DevCaGateway:
    return DevCaGateway(ca, key_password=b"desk-test-key", token_secrets={LABEL: (SO_PIN, PIN)})


def _account(username: str) -> Account:
    return db.session.scalars(select(Account).where(Account.username == username)).one()


def _identity(account: Account) -> PartyIdentity:
    return PartyIdentity("institution", account.party.name, credit_code=account.party.credit_code)


def _bind(ca, trust, clock, holder: Holder, account: Account) -> CertificateBinding:
    challenge, der = prove(holder, clock)
    return bind_certificate(context.uow(), account.party_id, der, challenge, SESSION, ORIGIN, trust=trust,
                            crls=crls_at(ca, clock.now()), seal=holder.seal(ca) if holder.record.seal_kind else None)


def _file_bound(ca, trust, clock, username: str, *, days_left: float) -> CertificateBinding:
    account = _account(username)
    now = clock.now()
    holder = file_holder(ca, "netca", _identity(account), algorithm="rsa", at=now - timedelta(days=1),
                         not_before=now - timedelta(days=1), not_after=now + timedelta(days=days_left),
                         seal_kind="公章")
    return _bind(ca, trust, clock, holder, account)


def _requests() -> int:
    return db.session.scalar(select(func.count()).select_from(ServiceRequest))


def test_renewal_opens_90_days_before_expiry_and_extends_from_the_old_expiry_r7(desk_app, clock, ca, trust, gateway):
    with desk_app.test_request_context():
        old = _file_bound(ca, trust, clock, "supplier", days_left=200)
        supplier = _account("supplier")
        before, issued = counts(), len(ca.records())
        with pytest.raises(desk.RenewalNotYetOpen) as refused:
            desk.request_renewal(context.uow(), gateway, supplier, old.id, 1, trust=trust)
        opens = old.not_after - timedelta(days=90)
        assert f"renewal opens on {opens:%Y-%m-%d}" in refused.value.message
        assert refused.value.details["opens_on"] == f"{opens:%Y-%m-%d}"
        assert (counts(), len(ca.records()), _requests()) == (before, issued, 0)

        clock.advance(days=150)                  # 50 days left: inside the window
        done = desk.request_renewal(context.uow(), gateway, supplier, old.id, 2, trust=trust)
        assert (done.kind, done.state) == (ServiceKind.RENEWAL, RequestState.DONE)
        old = db.session.get(CertificateBinding, old.id)
        new = db.session.get(CertificateBinding, done.new_binding_id)
        assert old.state == BindingState.SUPERSEDED and old.superseded_by_id == new.id
        assert new.state == BindingState.ACTIVE and new.party_id == old.party_id
        assert new.not_after == add_years(old.not_after, 2)          # R7: from the old expiry
        assert (new.seal_kind, new.seal_image, new.is_main_key) == (old.seal_kind, old.seal_image, True)
        assert ca.record(int(new.serial, 16)).replaces == int(old.serial, 16)


def test_renewal_400_days_after_expiry_needs_documents_r7(desk_app, clock, ca, trust, gateway):
    with desk_app.test_request_context():
        old = _file_bound(ca, trust, clock, "supplier", days_left=10)
        clock.advance(days=410)
        before = counts()
        with pytest.raises(desk.RenewalNeedsPapers) as refused:
            desk.request_renewal(context.uow(), gateway, _account("supplier"), old.id, 1, trust=trust)
        assert "documents are needed" in refused.value.message
        assert (counts(), _requests()) == (before, 0)


def test_lost_key_replacement_revokes_the_old_certificate_on_the_crl_r8(desk_app, clock, ca, trust, gateway):
    with desk_app.test_request_context():
        old = _file_bound(ca, trust, clock, "supplier", days_left=200)
        done = desk.request_key_replacement(context.uow(), gateway, _account("supplier"), old.id, trust=trust)
        old = db.session.get(CertificateBinding, old.id)
        new = db.session.get(CertificateBinding, done.new_binding_id)
        assert old.state == BindingState.REVOKED and old.superseded_by_id == new.id
        assert new.state == BindingState.ACTIVE and new.not_after == old.not_after       # the validity stays
        assert new.fingerprint_sha256 != old.fingerprint_sha256 and new.seal_kind == old.seal_kind
        assert ca.record(int(new.serial, 16)).key_file                                   # a new key file
    crl = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(ca.crl_path("netca", "rsa")), "-text",
                          "-noout"], capture_output=True, text=True, check=True).stdout
    listed = [line.split(":", 1)[1].strip().lstrip("0") for line in crl.splitlines() if "Serial Number:" in line]
    assert old.serial.lstrip("0") in listed
    assert new.serial.lstrip("0") not in listed


@pytest.fixture
def pending_bid():
    held: dict[str, list[PendingItem]] = {}

    def provider(uow, binding):
        return held.get(binding.serial, [])

    register_pending_provider(provider)
    try:
        yield held
    finally:
        unregister_pending_provider(provider)


def test_a_renewal_held_by_a_pending_item_is_refused_naming_it_r10(desk_app, clock, ca, trust, gateway, pending_bid):
    with desk_app.test_request_context():
        old = _file_bound(ca, trust, clock, "supplier", days_left=30)
        pending_bid[old.serial] = [PendingItem("test-bid", "B-7", "测试项目投标文件", clock.now() + timedelta(days=3),
                                               "请在截止前撤回投标文件，续期后重新加密提交")]
        before, issued = counts(), len(ca.records())
        with pytest.raises(CertificateChangeBlocked) as refused:
            desk.request_renewal(context.uow(), gateway, _account("supplier"), old.id, 1, trust=trust)
        assert "测试项目投标文件" in refused.value.message and "撤回" in refused.value.message
        assert refused.value.details["items"][0]["id"] == "B-7"
        assert (counts(), len(ca.records()), _requests()) == (before, issued, 0)
        assert db.session.get(CertificateBinding, old.id).state == BindingState.ACTIVE


def test_another_partys_staff_cannot_ask_for_service(desk_app, clock, ca, trust, gateway):
    with desk_app.test_request_context():
        old = _file_bound(ca, trust, clock, "supplier", days_left=30)
        with pytest.raises(BindingOfAnotherParty):
            desk.request_renewal(context.uow(), gateway, _account("supplier2"), old.id, 1, trust=trust)
        binding_id = old.id
    client = desk_app.test_client()
    AuthActions(client).login("supplier2")
    assert client.get(f"/certificates/{binding_id}/service").status_code == 403
    answer = client.post(f"/api/v1/certificates/{binding_id}/service-requests", json={"kind": "renewal", "years": 1})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "binding_of_another_party"
    with desk_app.app_context():
        assert _requests() == 0


def test_renewal_through_the_api_and_the_page(desk_app, clock, ca, trust):
    with desk_app.test_request_context():
        old = _file_bound(ca, trust, clock, "supplier", days_left=200)
        binding_id = old.id
    client = desk_app.test_client()
    AuthActions(client).login("supplier")
    refused = client.post(f"/api/v1/certificates/{binding_id}/service-requests", json={"kind": "renewal", "years": 1})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "renewal_not_open"
    page = client.post(f"/certificates/{binding_id}/service", data={"kind": "renewal", "years": "1"})
    assert page.status_code == 409 and "renewal opens on" in page.get_data(as_text=True)
    clock.advance(days=150)
    done = client.post(f"/api/v1/certificates/{binding_id}/service-requests", json={"kind": "renewal", "years": 1})
    assert done.status_code == 201 and done.json["state"] == "done" and done.json["new_binding_id"]
    listed = client.get("/api/v1/service-requests").json
    assert [r["id"] for r in listed] == [done.json["id"]]


# -- PIN unlock (R9, R21) -----------------------------------------------------------------------------------
@pytest.fixture
def token_bound(desk_app, clock, ca, trust, tmp_path, isolated_tokens):
    """The supplier's signing certificate on a SoftHSM token, bound; the token locked by 10 wrong PINs."""
    hsm = init_softhsm_token(tmp_path / "hsm", LABEL, SO_PIN, PIN)
    with desk_app.test_request_context():
        supplier = _account("supplier")
        on_token = issue_to_token(ca, tokens.open_token(hsm.label, pin=PIN), "netca", _identity(supplier),
                                  algorithm="rsa", purpose="signing", label="signing-rsa",
                                  at=clock.now() - timedelta(days=1))
        holder = Holder(on_token.record, ca.certificate(on_token.serial), tokens.open_key(on_token.key_uri, pin=PIN),
                        [ca.chain("netca", "rsa").intermediate])
        binding = _bind(ca, trust, clock, holder, supplier)
        update_certificate_handler(context.uow(), supplier.party_id, name="张经办", id_last4="123X",
                                   phone="13800138000")
        binding_id = binding.id
    tokens.close_sessions()
    for _ in range(9):
        with pytest.raises(tokens.PinIncorrect):
            tokens.open_token(LABEL, pin="wrong-pin")
    with pytest.raises(tokens.TokenLocked):
        tokens.open_token(LABEL, pin="wrong-pin")
    assert tokens.pin_status(LABEL).locked
    return binding_id


def _opens_again() -> None:
    assert tokens.pin_status(LABEL) == tokens.PinStatus(failures=0, remaining=10, locked=False)
    tokens.open_token(LABEL, pin=PIN)


def test_pin_unlock_with_the_registered_handler_is_automatic_r21(desk_app, gateway, token_bound):
    with desk_app.test_request_context():
        done = desk.request_pin_unlock(context.uow(), gateway, _account("supplier"), token_bound,
                                       Handler("张经办", "123x", "138 0013 8000"))
        assert (done.kind, done.state, done.details["token_label"]) == (ServiceKind.UNLOCK_PIN, RequestState.DONE,
                                                                        LABEL)
    _opens_again()


def test_pin_unlock_with_another_handler_waits_for_an_operator_r21(desk_app, gateway, token_bound):
    with desk_app.test_request_context():
        waiting = desk.request_pin_unlock(context.uow(), gateway, _account("supplier"), token_bound,
                                          Handler("李新人", "5678", "13900139000"))
        assert waiting.state == RequestState.AWAITING_REVIEW
        request_id = waiting.id
    assert tokens.pin_status(LABEL).locked                 # nothing done yet
    client = desk_app.test_client()
    AuthActions(client).login("operator")
    listed = client.get("/api/v1/service-requests?state=awaiting_review").json
    assert [r["id"] for r in listed] == [request_id]
    page = client.get("/operator/service-requests")
    assert page.status_code == 200 and "李新人" in page.get_data(as_text=True)
    refused = client.post(f"/api/v1/service-requests/{request_id}/review", json={"approve": False})
    assert refused.status_code == 400                      # a rejection needs a reason
    approved = client.post(f"/operator/service-requests/{request_id}/review", data={"decision": "approve"})
    assert approved.status_code == 302
    with desk_app.app_context():
        decided = db.session.get(ServiceRequest, request_id)
        assert decided.state == RequestState.DONE and decided.decided_by == _account("operator").id
    _opens_again()


def test_subject_change_supersedes_and_revocation_revokes_r5(desk_app, clock, ca, trust, gateway):
    with desk_app.test_request_context():
        supplier = _account("supplier")
        old = _file_bound(ca, trust, clock, "supplier", days_left=200)
        done = desk.request_subject_change(context.uow(), gateway, supplier, old.id, "测试供应商甲（更名）", trust=trust)
        new = db.session.get(CertificateBinding, done.new_binding_id)
        assert db.session.get(CertificateBinding, old.id).state == BindingState.SUPERSEDED
        assert "测试供应商甲（更名）" in new.subject and new.identity_number == old.identity_number
        assert not new.is_main_key                      # the old seal names the old subject (R3)
        assert ca.record(int(old.serial, 16)).status == "revoked"
        revoked = desk.request_revocation(context.uow(), gateway, supplier, new.id, "cessation_of_operation")
        assert revoked.state == RequestState.DONE
        assert db.session.get(CertificateBinding, new.id).state == BindingState.REVOKED
        assert ca.record(int(new.serial, 16)).status == "revoked"
        with pytest.raises(desk.BindingNotActive):
            desk.request_renewal(context.uow(), gateway, supplier, new.id, 1, trust=trust)
