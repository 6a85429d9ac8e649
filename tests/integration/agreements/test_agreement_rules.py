"""The rules of delegation agreements, refusal by refusal: the terms (each field, in Chinese, naming
the field), who may draft, refuse, file and revise, in which state; only the two parties see an
agreement and its history, the agency once it was sent; notices to the other side; the filed
agreement check the tenders area relies on."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.agreements import TERMS, client_as, draft
from support.auth import test_uow
from support.stamping import stamp_via_api

from app.extensions import db
from bidding.agreements import services
from bidding.agreements.errors import NoFiledAgreement
from bidding.agreements.models import DelegationAgreement
from bidding.documents.models import Document
from bidding.parties.models import Notice, PartyKind
from bidding.parties.services import register_party
from pki.identity import credit_code_check_char


INVALID_TERMS = [
    ({"project_name": "   "}, "project_name"),
    ({"scope": "\n \n"}, "scope"),
    ({"budget": "0"}, "budget"),
    ({"budget": "0.00"}, "budget"),
    ({"fee": "1300000.00"}, "fee"),
    ({"fee": None, "fee_terms": ""}, "fee_terms"),
    ({"term_start": "2027-01-01", "term_end": "2026-12-31"}, "term_end"),
    ({"term_start": "2026-01-01", "term_end": "2026-11-22"}, "term_end"),
    ({"term_end": "2032-11-30"}, "term_end"),
    ({"agency_id": 99999}, "agency_id"),
]


def test_terms_are_checked_field_by_field(world):
    app, _, parties = world
    purchaser = client_as(app, "purchaser")
    before = _agreements(app)
    for changes, field in INVALID_TERMS:
        answer = purchaser.post("/api/v1/agreements", json={**TERMS, "agency_id": parties["agency"], **changes})
        assert answer.status_code == 400, (changes, answer.json)
        assert answer.json["error"]["code"] == "agreement_invalid"
        assert answer.json["error"]["details"]["field"] == field, (changes, answer.json)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.json["error"]["message"])
    not_an_agency = purchaser.post("/api/v1/agreements", json={**TERMS, "agency_id": parties["supplier"]})
    assert not_an_agency.json["error"]["details"]["field"] == "agency_id"
    assert "代理机构" in not_an_agency.json["error"]["message"]
    assert _agreements(app) == before


def test_the_service_reads_typed_text_as_a_form_does(world):
    app, _, parties = world
    with app.test_request_context():
        uow = test_uow(app)
        for value, field in (("abc", "budget"), ("12.345", "budget"), ("-5", "budget"), (1.5, "budget")):
            with pytest.raises(Exception) as refused:
                services.check_terms(uow, services.AgreementTerms(**{**TERMS, "agency_id": parties["agency"],
                                                                      field: value}))
            assert refused.value.details["field"] == field
        for agency in ("", "x", parties["supplier"], 99999):
            with pytest.raises(Exception) as refused:
                services.check_terms(uow, services.AgreementTerms(**{**TERMS, "agency_id": agency}))
            assert refused.value.details["field"] == "agency_id"
        with pytest.raises(Exception) as refused:
            services.check_terms(uow, services.AgreementTerms(**{**TERMS, "agency_id": parties["agency"],
                                                                  "procurement_method": "拍卖"}))
        assert refused.value.details["field"] == "procurement_method"
        checked = services.check_terms(uow, services.AgreementTerms(**{**TERMS, "agency_id": parties["agency"],
                                                                         "budget": "1,200,000.5"}))
        assert str(checked.budget) == "1200000.50"


def test_who_may_do_what(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    url = f"/api/v1/agreements/{agreement['id']}"
    agency, supplier = client_as(app, "agency"), client_as(app, "supplier")
    # roles: only purchasers draft and revise, only agencies refuse, suppliers nothing
    assert agency.post("/api/v1/agreements", json={**TERMS, "agency_id": parties["agency"]}).status_code == 403
    assert supplier.get(url).status_code == 403
    assert purchaser.post(f"{url}/refusal", json={"reason": "不同意"}).status_code == 403
    assert agency.put(f"{url}/terms", json={**TERMS, "agency_id": parties["agency"]}).status_code == 403
    # the agency sees nothing of a draft
    assert agency.get(url).status_code == 403
    assert agency.get(f"{url}/history").status_code == 403
    assert agency.post(f"{url}/refusal", json={"reason": "不同意"}).status_code == 403
    assert agency.get("/api/v1/agreements").json == []
    # filing needs both stamps
    assert purchaser.post(f"{url}/filing").json["error"]["code"] == "agreement_state"
    assert stamp_via_api(purchaser, agreement["document"]["public_id"], bound["purchaser"], purchaser_signer).status_code == 201
    assert [a["id"] for a in agency.get("/api/v1/agreements").json] == [agreement["id"]]
    assert purchaser.put(f"{url}/terms", json={**TERMS, "agency_id": parties["agency"]}).json["error"]["code"] == "agreement_state"
    short = agency.post(f"{url}/refusal", json={"reason": " 否 "})
    assert short.status_code == 400 and short.json["error"]["code"] == "agreement_reason_required"
    assert agency.post(f"{url}/filing").status_code == 409
    assert stamp_via_api(agency, agreement["document"]["public_id"], bound["agency"], agency_signer).status_code == 201
    assert agency.post(f"{url}/refusal", json={"reason": "现在不能拒签了"}).json["error"]["code"] == "agreement_state"
    assert purchaser.post(f"{url}/filing").status_code == 200
    assert purchaser.post(f"{url}/filing").json["error"]["code"] == "agreement_state"
    assert client_as(app, "supplier").get("/api/v1/agreements").status_code == 403


def test_another_agency_sees_nothing(world, bound, purchaser_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    assert stamp_via_api(purchaser, agreement["document"]["public_id"], bound["purchaser"], purchaser_signer).status_code == 201
    with app.app_context():
        code17 = "91440101MA5ACC009"
        other = register_party(test_uow(app), name="另一家代理机构", kind=PartyKind.AGENCY,
                               credit_code=code17 + credit_code_check_char(code17)).id
        uow = test_uow(app)
        assert services.list_agreements(uow, other) == []
        for action in (lambda: services.get_agreement(uow, agreement["id"], other),
                       lambda: services.history(uow, agreement["id"], other),
                       lambda: services.refuse_agreement(uow, agreement["id"], other, "不是我们的协议"),
                       lambda: services.file_agreement(uow, agreement["id"], other)):
            with pytest.raises(Exception) as refused:
                action()
            assert refused.value.code == "agreement_access_denied"
        with pytest.raises(Exception) as refused:
            services.get_agreement(uow, 424242, parties["purchaser"])
        assert refused.value.code == "agreement_not_found"


def test_refuse_revise_and_send_again(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    url = f"/api/v1/agreements/{agreement['id']}"
    first_document = agreement["document"]["public_id"]
    agency = client_as(app, "agency")
    assert stamp_via_api(purchaser, first_document, bound["purchaser"], purchaser_signer).status_code == 201
    assert "请查看并签章或拒签" in _last_notice(app, parties["agency"])
    refused = agency.post(f"{url}/refusal", json={"reason": "代理服务费应由采购人支付，请修改"})
    assert refused.status_code == 200 and refused.json["state"] == "refused"
    assert refused.json["refusal_reason"] == "代理服务费应由采购人支付，请修改"
    assert "代理服务费应由采购人支付" in _last_notice(app, parties["purchaser"])
    revised = purchaser.put(f"{url}/terms", json={**TERMS, "agency_id": parties["agency"],
                                                   "fee_terms": "由采购人支付"})
    assert revised.status_code == 200, revised.json
    body = revised.json
    assert body["state"] == "draft" and body["revision"] == 2 and body["refusal_reason"] is None
    assert body["number"].endswith("-2") and body["document"]["public_id"] != first_document
    assert agency.get(url).status_code == 200                    # it was sent once: the agency follows it
    assert agency.get(f"/documents/{body['document']['public_id']}.pdf").status_code == 403   # not the new draft yet
    assert agency.get(f"/documents/{first_document}.pdf").status_code == 200                  # the refused one stays
    assert stamp_via_api(purchaser, body["document"]["public_id"], bound["purchaser"], purchaser_signer).status_code == 201
    assert stamp_via_api(agency, body["document"]["public_id"], bound["agency"], agency_signer).status_code == 201
    assert agency.post(f"{url}/filing").json["state"] == "filed"
    assert "已由 测试代理机构 备案" in _last_notice(app, parties["purchaser"])
    history = agency.get(f"{url}/history").json
    assert [e["action"] for e in history] == ["drafted", "stamped_by_purchaser", "refused", "revised",
                                             "stamped_by_purchaser", "stamped_by_agency", "filed"]
    assert history[2]["reason"] == "代理服务费应由采购人支付，请修改"
    assert [e["revision"] for e in history] == [1, 1, 1, 2, 2, 2, 2]


def test_filed_agreement_check(world, bound, purchaser_signer, agency_signer, clock):
    app, _, parties = world
    agency_id, purchaser_id = parties["agency"], parties["purchaser"]
    with app.app_context():
        with pytest.raises(NoFiledAgreement) as refused:
            services.require_filed_agreement(test_uow(app), agency_id, purchaser_id)
        assert refused.value.http_status == 403 and "委托协议" in refused.value.message
    purchaser, agreement = draft(app, parties, term_start="2026-12-01", term_end="2027-06-30")
    agency = client_as(app, "agency")
    stamp_via_api(purchaser, agreement["document"]["public_id"], bound["purchaser"], purchaser_signer)
    stamp_via_api(agency, agreement["document"]["public_id"], bound["agency"], agency_signer)
    assert agency.post(f"/api/v1/agreements/{agreement['id']}/filing").status_code == 200
    with app.app_context():
        uow = test_uow(app)
        now = clock.now()
        assert not services.has_filed_agreement(uow, agency_id, purchaser_id, now)           # the term starts 12-01
        assert services.has_filed_agreement(uow, agency_id, purchaser_id, now + timedelta(days=8))
        assert not services.has_filed_agreement(uow, purchaser_id, agency_id, now + timedelta(days=8))
        assert not services.has_filed_agreement(uow, agency_id, parties["supplier"], now + timedelta(days=8))
        assert services.has_filed_agreement(uow, agency_id, purchaser_id, _beijing_midnight(2027, 6, 30))
        assert not services.has_filed_agreement(uow, agency_id, purchaser_id, _beijing_midnight(2027, 7, 1))


def _beijing_midnight(y: int, m: int, d: int):
    from datetime import datetime, timezone
    return datetime(y, m, d, 0, 30, tzinfo=timezone(timedelta(hours=8)))


def _agreements(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DelegationAgreement)) + \
            db.session.scalar(select(func.count()).select_from(Document))


def _last_notice(app, party_id: int) -> str:
    with app.app_context():
        return db.session.scalars(select(Notice.text).where(Notice.party_id == party_id)
                                  .order_by(Notice.id.desc())).first() or ""
