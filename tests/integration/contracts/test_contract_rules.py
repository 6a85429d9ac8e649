"""The contract's rules, refusal by refusal: the purchaser's terms (each field, in Chinese, naming
it, nothing changed), one contract per award, only a notified award, only the tender's purchaser
drafts; the order of the stamps (the winner cannot stamp first); the winner refuses with a reason
and the purchaser revises (a new document, revision 2); filing only after both stamps and only by
the purchaser; who sees what: the two parties (the winner once sent), a supervisor the filed
contract, nobody else (the other bidder, another purchaser, the agency)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support.auth import test_uow
from support.contracts import TERMS

from app.extensions import db
from bidding.award.models import Award, AwardState
from bidding.contracts import services
from bidding.contracts.models import Contract
from bidding.documents.models import Document
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from pki.identity import credit_code_check_char

INVALID_TERMS = [
    ({"payment_terms": "  \n "}, "payment_terms"),
    ({"payment_terms": "付款"}, "payment_terms"),
    ({"payment_terms": "分期\u0007付款方式"}, "payment_terms"),
    ({"delivery_place": " "}, "delivery_place"),
    ({"delivery_place": "一"}, "delivery_place"),
    ({"delivery_date": "2026-11-01"}, "delivery_date"),
    ({"delivery_date": "2033-01-01"}, "delivery_date"),
]


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Contract)) + \
            db.session.scalar(select(func.count()).select_from(Document))


def test_terms_one_contract_per_award_and_who_drafts(contract_world):
    world = contract_world
    purchaser = world.client("purchaser")
    before = _count(world.app)
    for changes, field in INVALID_TERMS:
        answer = world.draft(purchaser, **changes)
        assert answer.status_code == 400, (changes, answer.json)
        assert answer.json["error"]["code"] == "contract_invalid"
        assert answer.json["error"]["details"]["field"] == field, (changes, answer.json)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.json["error"]["message"])
    assert world.draft(purchaser, delivery_date="明年").status_code == 422          # not a date: the schema
    assert world.draft(purchaser, delivery_place="x" * 101).status_code == 422
    with world.app.app_context():
        with pytest.raises(Exception) as refused:                                   # the service's own bound
            services.check_terms(test_uow(world.app), services.ContractTerms(**{**TERMS, "delivery_place": "x" * 101}))
        assert refused.value.details["field"] == "delivery_place"
    assert world.draft(purchaser, award_id=424242).json["error"]["code"] == "contract_award_not_found"
    assert world.draft(world.client("supplier")).status_code == 403                 # role
    assert world.draft(world.client("agency")).status_code == 403
    assert _count(world.app) == before
    with world.app.app_context():
        award = db.session.get(Award, world.award_id)
        award.state = AwardState.CONFIRMED                                          # the notice not stamped yet
        db.session.commit()
    assert world.draft(purchaser).json["error"]["code"] == "contract_award_not_notified"
    with world.app.app_context():
        db.session.get(Award, world.award_id).state = AwardState.NOTIFIED
        db.session.commit()
        code17 = "11440100ACC000099"
        other = register_party(test_uow(world.app), name="另一家采购单位", kind=PartyKind.PURCHASER,
                               credit_code=code17 + credit_code_check_char(code17)).id
        with pytest.raises(Exception) as refused:                                   # not the tender's purchaser
            services.draft_contract(test_uow(world.app), world.app.config["FILE_STORE"], world.award_id, other,
                                    services.ContractTerms(**TERMS), verify_url=lambda p: f"http://x/verify?doc={p}")
        assert refused.value.code == "contract_only_purchaser"
    first = world.draft(purchaser)
    assert first.status_code == 201, first.json
    again = world.draft(purchaser)
    assert again.status_code == 409 and again.json["error"]["code"] == "contract_exists"
    assert [a["award_id"] for a in purchaser.get("/api/v1/contracts/awards").json] == []


def test_order_refusal_revision_and_filing(contract_world):
    world = contract_world
    purchaser, contract = world.drafted()
    url = f"/api/v1/contracts/{contract['id']}"
    first_document = contract["document"]["public_id"]
    supplier = world.client("supplier")
    early = world.stamp(supplier, "supplier", first_document)                      # the winner cannot stamp first
    assert early.status_code == 409 and early.json["error"]["code"] == "document_not_your_turn", early.json
    assert purchaser.post(f"{url}/filing").json["error"]["code"] == "contract_state"
    assert world.stamp(purchaser, "purchaser", first_document).status_code == 201
    assert world.stamp(purchaser, "purchaser", first_document).status_code == 409   # once
    assert purchaser.put(f"{url}/terms", json=TERMS).json["error"]["code"] == "contract_state"
    assert purchaser.post(f"{url}/filing").status_code == 409
    assert purchaser.post(f"{url}/refusal", json={"reason": "采购人不能拒签"}).status_code == 403
    short = supplier.post(f"{url}/refusal", json={"reason": " 否 "})
    assert short.status_code == 400 and short.json["error"]["code"] == "contract_reason_required"
    refused = supplier.post(f"{url}/refusal", json={"reason": "交付期限与投标文件承诺的 60 日不符，请修改"})
    assert refused.status_code == 200 and refused.json["state"] == "refused"
    assert "交付期限与投标文件承诺的 60 日不符" in world.last_notice("purchaser")
    assert world.stamp(supplier, "supplier", first_document).status_code == 409    # refused: no stamp

    revised = purchaser.put(f"{url}/terms", json={**TERMS, "delivery_date": "2027-02-28"})
    assert revised.status_code == 200, revised.json
    body = revised.json
    assert body["state"] == "draft" and body["revision"] == 2 and body["refusal_reason"] is None
    assert body["number"].endswith("-2") and body["document"]["public_id"] != first_document
    new_document = body["document"]["public_id"]
    assert supplier.get(url).status_code == 200                                     # sent once: it follows it
    assert supplier.get(f"/documents/{new_document}.pdf").status_code == 403        # not the new draft yet
    assert supplier.get(f"/documents/{first_document}.pdf").status_code == 200      # the refused one stays
    assert world.stamp(purchaser, "purchaser", new_document).status_code == 201
    assert world.stamp(supplier, "supplier", new_document).status_code == 201
    assert supplier.post(f"{url}/filing").status_code == 403                        # the purchaser files
    filed = purchaser.post(f"{url}/filing")
    assert filed.status_code == 200 and filed.json["state"] == "filed"
    assert purchaser.post(f"{url}/filing").json["error"]["code"] == "contract_state"
    history = supplier.get(f"{url}/history").json
    assert [e["action"] for e in history] == ["drafted", "stamped_by_purchaser", "refused", "revised",
                                             "stamped_by_purchaser", "stamped_by_supplier", "filed"]
    assert history[2]["reason"] == "交付期限与投标文件承诺的 60 日不符，请修改"
    assert [e["revision"] for e in history] == [1, 1, 1, 2, 2, 2, 2]


def test_who_sees_the_contract(contract_world):
    world = contract_world
    purchaser, contract = world.drafted()
    url = f"/api/v1/contracts/{contract['id']}"
    loser, agency, supervisor = world.client("supplier2"), world.client("agency"), world.client("supervisor")
    assert loser.get(url).status_code == 403 and loser.get("/api/v1/contracts").json == []
    assert agency.get(url).status_code == 403 and agency.get("/api/v1/contracts").status_code == 403
    assert supervisor.get(url).status_code == 403 and supervisor.get("/api/v1/contracts").json == []
    assert world.stamp(purchaser, "purchaser", contract["document"]["public_id"]).status_code == 201
    supplier = world.client("supplier")
    assert world.stamp(supplier, "supplier", contract["document"]["public_id"]).status_code == 201
    # the other bidder's seal cannot go on it: it is no signer of the document
    assert world.stamp(loser, "supplier2", contract["document"]["public_id"]).json["error"]["code"] \
        == "document_not_a_signer"
    assert loser.get(f"{url}/history").status_code == 403
    assert loser.post(f"{url}/refusal", json={"reason": "不是我们的合同"}).status_code == 403
    assert loser.get(f"/documents/{contract['document']['public_id']}.pdf").status_code == 403
    assert supervisor.get(url).status_code == 403                                   # signed, not filed
    assert purchaser.post(f"{url}/filing").status_code == 200
    assert [c["id"] for c in supervisor.get("/api/v1/contracts").json] == [contract["id"]]
    assert supervisor.get(f"{url}/history").status_code == 200
    page = supervisor.get(f"/contracts/{contract['id']}")
    assert page.status_code == 200 and "已备案" in page.get_data(as_text=True)
    assert supervisor.get(f"/documents/{contract['document']['public_id']}.pdf").status_code == 403
    assert loser.get(f"/contracts/{contract['id']}").status_code == 403
    with world.app.app_context():
        code17 = "11440100ACC000098"
        other = register_party(test_uow(world.app), name="另一家采购单位", kind=PartyKind.PURCHASER,
                               credit_code=code17 + credit_code_check_char(code17))
        from types import SimpleNamespace
        viewer = SimpleNamespace(role=None, party_id=other.id)
        uow = test_uow(world.app)
        assert services.list_contracts(uow, viewer) == []
        for action in (lambda: services.get_contract(uow, contract["id"], viewer),
                       lambda: services.history(uow, contract["id"], viewer),
                       lambda: services.file_contract(uow, contract["id"], other.id),
                       lambda: services.refuse_contract(uow, contract["id"], other.id, "不是我们的合同")):
            with pytest.raises(Exception) as refused:
                action()
            assert refused.value.code == "contract_access_denied"


def test_the_pages(contract_world):
    """Drafting through the form (errors beside the field), the detail page per party and state."""
    world = contract_world
    purchaser = world.client("purchaser")
    listing = purchaser.get("/contracts").get_data(as_text=True)
    assert "待起草合同" in listing and "测试供应商甲" in listing
    assert purchaser.get(f"/tenders/{world.tender_id}/contract").headers["Location"].endswith(
        f"/contracts/draft/{world.award_id}")
    form = purchaser.get(f"/contracts/draft/{world.award_id}")
    assert form.status_code == 200 and "900,000.00 元（玖拾万元整）" in form.get_data(as_text=True)
    bad = purchaser.post(f"/contracts/draft/{world.award_id}", data={**TERMS, "delivery_date": "2026-01-01"})
    assert bad.status_code == 400 and "交付日期不能早于今天" in bad.get_data(as_text=True)
    made = purchaser.post(f"/contracts/draft/{world.award_id}", data=TERMS)
    assert made.status_code == 302
    location = made.headers["Location"]
    page = purchaser.get(location).get_data(as_text=True)
    assert 'id="stamp-panel"' in page and "骑缝章" in page and "草稿（待采购人签章）" in page
    assert purchaser.get(f"/tenders/{world.tender_id}/contract").headers["Location"].endswith(location)
    supplier = world.client("supplier")
    assert supplier.get(location).status_code == 403
    with world.app.app_context():
        contract = db.session.scalars(select(Contract)).one()
        public_id = db.session.get(Document, contract.document_id).public_id
    assert world.stamp(purchaser, "purchaser", public_id).status_code == 201
    page = supplier.get(location).get_data(as_text=True)
    assert 'id="refuse-form"' in page and 'id="stamp-panel"' in page
    assert supplier.post(f"{location}/refuse", data={"reason": ""}).status_code == 400
    assert supplier.post(f"{location}/refuse", data={"reason": "付款比例与采购文件不符"}).status_code == 302
    page = purchaser.get(location).get_data(as_text=True)
    assert "付款比例与采购文件不符" in page and 'id="revise-link"' in page
    revise = purchaser.post(f"{location}/revise", data={**TERMS, "payment_terms": "验收合格后一次付清全部合同金额。"})
    assert revise.status_code == 302
    tender_page = purchaser.get(f"/tenders/{world.tender_id}").get_data(as_text=True)
    assert 'id="contract-link"' in tender_page
