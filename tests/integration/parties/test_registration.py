"""Registration (主体入库) through the API and the pages: a valid application is kept with its licence
in the file store; an operator approves (party + first account in one transaction: the applicant
logs in with its own password and sees the notice) or rejects with a reason (the applicant's status
page says so). Refusals say why and change nothing: no row, no audit entry, no file."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from registration_helpers import (
    APPLICANT_PASSWORD,
    EXE,
    PDF,
    PNG,
    code,
    counts,
    form,
    multipart,
)
from sqlalchemy import select
from support.auth import AuthActions, make_accounts, test_uow

from app.extensions import db
from bidding.accounts.models import Account, Role
from bidding.audit import verify_chain
from bidding.parties.errors import OperatorsOnly
from bidding.parties.models import Notice, Party, PartyKind, Registration, RegistrationState
from bidding.parties.registrations import review_registration


@pytest.fixture
def accounts(app):
    return make_accounts(app, ("operator", "supplier"))


def _submit(client, values=None, licence=PDF, filename="licence.pdf"):
    return client.post("/api/v1/registrations", data=multipart(values or form(), licence, filename),
                       content_type="multipart/form-data")


def _operator(app):
    client = app.test_client()
    assert AuthActions(client).login("operator").status_code == 302
    return client


def test_a_valid_registration_is_kept_with_its_licence(app, client, accounts):
    before = counts(app)
    response = _submit(client, licence=PNG, filename="执照.png")
    assert response.status_code == 201, response.json
    body = response.json
    reg = body["registration"]
    assert (reg["state"], reg["kind"], reg["credit_code"], reg["username"]) == ("submitted", "supplier", code(1),
                                                                                  "applicant1")
    assert reg["licence_media_type"] == "image/png" and reg["licence_sha256"] == hashlib.sha256(PNG).hexdigest()
    assert "password" not in reg and "password_hash" not in reg
    stored = Path(app.config["FILE_STORE"]) / "licences" / reg["licence_sha256"]
    assert stored.read_bytes() == PNG
    assert counts(app) == (before[0] + 1, before[1], before[2], before[3], before[4] + 1, before[5] + 1)
    with app.app_context():
        row = db.session.get(Registration, reg["id"])
        assert row.password_hash.startswith("$argon2id$") and APPLICANT_PASSWORD not in row.password_hash
        assert row.status_token_sha256 not in body["status_url"]
    page = client.get(body["status_url"])
    assert page.status_code == 200 and "待审核" in page.text and "申请供应商1有限公司" in page.text
    assert client.get(f"/register/{reg['id']}/status?t=wrong").status_code == 404
    assert client.get(f"/register/{reg['id']}/status").status_code == 404


def test_approval_creates_the_party_and_the_account_and_tells_the_applicant(app, client, accounts):
    submitted = _submit(client, form(2, kind="agency")).json
    operator = _operator(app)
    response = operator.post(f"/api/v1/registrations/{submitted['registration']['id']}/review", json={"approve": True})
    assert response.status_code == 200, response.json
    assert response.json["state"] == "approved" and response.json["party_id"]
    with app.app_context():
        party = db.session.get(Party, response.json["party_id"])
        assert (party.name, party.kind, party.credit_code) == ("申请供应商2有限公司", PartyKind.AGENCY, code(2))
        account = db.session.scalars(select(Account).where(Account.username == "applicant2")).one()
        assert (account.role, account.party_id) == (Role.AGENCY_STAFF, party.id)
        assert db.session.get(Registration, submitted["registration"]["id"]).password_hash is None
        notice = db.session.scalars(select(Notice).where(Notice.party_id == party.id)).one()
        assert "审核通过" in notice.text
        assert verify_chain(db.session).ok
    applicant = app.test_client()
    assert AuthActions(applicant).login("applicant2", APPLICANT_PASSWORD).status_code == 302
    page = applicant.get("/party")
    assert page.status_code == 200 and "审核通过" in page.text and code(2) in page.text
    own = applicant.get("/api/v1/party").json
    assert own["party"]["credit_code"] == code(2) and "审核通过" in own["notices"][0]["text"]
    assert "已通过" in client.get(submitted["status_url"]).text
    again = operator.post(f"/api/v1/registrations/{submitted['registration']['id']}/review", json={"approve": False,
                                                                                                   "reason": "x"})
    assert again.status_code == 409 and again.json["error"]["code"] == "registration_reviewed"


def test_rejection_needs_a_reason_and_notifies_the_applicant(app, client, accounts):
    submitted = _submit(client, form(3)).json
    rid = submitted["registration"]["id"]
    operator = _operator(app)
    before = counts(app)
    refused = operator.post(f"/api/v1/registrations/{rid}/review", json={"approve": False, "reason": "  "})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "reason_required"
    assert counts(app) == before
    page = operator.post(f"/operator/registrations/{rid}/review", data={"decision": "reject", "reason": ""})
    assert page.status_code == 400 and "驳回注册申请须填写理由" in page.text
    done = operator.post(f"/operator/registrations/{rid}/review",
                         data={"decision": "reject", "reason": "营业执照不清晰，请重新上传"})
    assert done.status_code == 302
    with app.app_context():
        reg = db.session.get(Registration, rid)
        assert reg.state == RegistrationState.REJECTED and reg.party_id is None and reg.password_hash is None
        assert db.session.scalars(select(Party).where(Party.credit_code == code(3))).first() is None
    status = client.get(submitted["status_url"]).text
    assert "未通过" in status and "营业执照不清晰" in status
    # the code is free again: the applicant may apply anew
    assert _submit(client, form(3)).status_code == 201


@pytest.mark.parametrize("case", ["check_character", "registered_code", "pending_code", "taken_username",
                                  "oversize", "exe_as_pdf", "weak_password", "bad_phone"])
def test_refusals_change_nothing(app, client, accounts, case):
    _submit(client, form(4))                                  # a pending application
    values, licence, filename = form(5), PDF, "licence.pdf"
    expected = {"check_character": (400, "credit_code"), "registered_code": (409, "credit_code"),
                "pending_code": (409, "credit_code"), "taken_username": (409, "username"),
                "oversize": (413, None), "exe_as_pdf": (400, None), "weak_password": (400, "password"),
                "bad_phone": (400, "contact_phone")}[case]
    if case == "check_character":
        good = code(5)
        values["credit_code"] = good[:17] + ("0" if good[17] != "0" else "1")
    elif case == "registered_code":
        with app.app_context():
            values["credit_code"] = db.session.scalars(select(Party.credit_code).where(Party.name == "测试供应商甲")).one()
    elif case == "pending_code":
        values["credit_code"] = code(4)
    elif case == "taken_username":
        values["username"] = "supplier"
    elif case == "oversize":
        licence = PDF + b"\x00" * (10 * 1024 * 1024 + 1 - len(PDF))
    elif case == "exe_as_pdf":
        licence = EXE
    elif case == "weak_password":
        values["password"] = "short"
    elif case == "bad_phone":
        values["contact_phone"] = "12345"
    before = counts(app)
    response = _submit(client, values, licence, filename)
    status, field = expected
    assert response.status_code == status, response.json
    assert response.json["error"]["message"]
    if field:
        assert response.json["error"]["details"]["field"] == field
    assert counts(app) == before


def test_the_page_shows_field_errors_in_chinese_and_keeps_nothing(app, client, accounts):
    before = counts(app)
    good = code(6)
    values = form(6, credit_code=good[:17] + ("0" if good[17] != "0" else "1"), confirm=APPLICANT_PASSWORD)
    response = client.post("/register", data=multipart(values), content_type="multipart/form-data")
    assert response.status_code == 400 and "校验位错误" in response.text and 'id="credit_code-error"' in response.text
    response = client.post("/register", data=multipart(form(6, confirm=APPLICANT_PASSWORD), EXE, "setup.pdf"), content_type="multipart/form-data")
    assert response.status_code == 400 and "营业执照须为 PDF、PNG 或 JPEG 文件" in response.text
    assert counts(app) == before
    response = client.post("/register", data=multipart(form(6, confirm=APPLICANT_PASSWORD)),
                           content_type="multipart/form-data")
    assert response.status_code == 302 and "/register/" in response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200


def test_only_operators_review(app, client, accounts):
    rid = _submit(client, form(7)).json["registration"]["id"]
    supplier = app.test_client()
    AuthActions(supplier).login("supplier")
    before = counts(app)
    assert supplier.post(f"/api/v1/registrations/{rid}/review", json={"approve": True}).status_code == 403
    assert supplier.get("/api/v1/registrations").status_code == 403
    assert client.post(f"/api/v1/registrations/{rid}/review", json={"approve": True}).status_code == 401
    with app.app_context():      # the domain checks the acting account's role too, whatever the door
        account = db.session.scalars(select(Account).where(Account.username == "supplier")).one()
        with pytest.raises(OperatorsOnly):
            review_registration(test_uow(app), account, rid, True)
    assert counts(app) == before


def test_the_operator_lists_filters_and_downloads_the_licence(app, client, accounts):
    first = _submit(client, form(8)).json["registration"]
    _submit(client, form(9), PNG, "scan.png")
    operator = _operator(app)
    operator.post(f"/api/v1/registrations/{first['id']}/review", json={"approve": False, "reason": "重复申请"})
    listed = operator.get("/api/v1/registrations?state=submitted").json
    assert [r["credit_code"] for r in listed] == [code(9)]
    page = operator.get("/operator/registrations?state=rejected")
    assert page.status_code == 200 and code(8) in page.text and code(9) not in page.text
    detail = operator.get(f"/operator/registrations/{first['id']}")
    assert detail.status_code == 200 and "重复申请" in detail.text
    download = operator.get(f"/operator/registrations/{first['id']}/licence")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
