"""The opening hall as each role sees it (docs/opening.md "The hall"): before the opening time nobody
learns who bid (the agency only how many); from the opening every viewer sees each bid's bidder,
sign-in and decryption state; prices, currencies and the manifest's items only at 唱标, once the
window has closed; objections with their answers for everyone in the hall. An unregistered supplier,
an operator and another agency are not in the hall; an anonymous visitor must log in.

Two bids (the second supplier's, decrypted; the third supplier's, never decrypted: R15 at the
close); the first supplier is registered without a bid."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.auth import PASSWORD, test_uow
from support.bids import CLOCK_T
from support.opening import open_bid_of, submit_bid
from support.tenders import make_extra

from bidding.accounts.models import Role
from bidding.accounts.services import create_account
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from pki.identity import credit_code_check_char

DEADLINE = CLOCK_T + timedelta(hours=1)       # the tender's times, moved close to the CA's fresh CRLs
OPENING = CLOCK_T + timedelta(hours=2)
WINDOW = timedelta(minutes=30)
NAMES = ("测试供应商乙", "测试供应商丙")          # the bidders (supplier2, supplier3)
VIEWERS = ("agency", "purchaser", "supervisor", "supplier", "supplier2", "supplier3")


def set_times(world, deadline=DEADLINE, opening=OPENING) -> None:
    from app.extensions import db
    from bidding.tenders.models import Tender
    with world.app.app_context():
        tender = db.session.get(Tender, world.tender_id)
        tender.bid_deadline, tender.opening_at = deadline, opening
        db.session.commit()


def outsider(app) -> None:
    """``supplier4``: a supplier not registered for the tender."""
    code17 = "91440101MA5ACC006"
    with app.app_context():
        party = register_party(test_uow(app), name="测试供应商丁", kind=PartyKind.SUPPLIER,
                               credit_code=code17 + credit_code_check_char(code17))
        create_account(test_uow(app), username="supplier4", role=Role.SUPPLIER_STAFF, password=PASSWORD,
                       display_name="供应商丁", party_id=party.id)


@pytest.fixture
def hall_world(opening_world, tmp_path):
    world = opening_world
    submit_bid(world, tmp_path, "supplier2", price="1234567.80")
    submit_bid(world, tmp_path, "supplier3", price="1198000.00")
    set_times(world)
    outsider(world.app)
    make_extra(world.app, "agency2")
    world.clients = {}
    return world


def client(world, who):
    if who not in world.clients:
        world.clients[who] = world.client(who)
    return world.clients[who]


def state(world, who):
    answer = client(world, who).get(f"/api/v1/tenders/{world.tender_id}/opening")
    assert answer.status_code == 200, answer.json
    return answer.json


def post(world, who, path, body=None):
    return client(world, who).post(f"/api/v1/tenders/{world.tender_id}/opening{path}", json=body or {})


def test_who_is_in_the_hall(hall_world):
    world = hall_world
    world.at(OPENING - timedelta(minutes=5))
    roles = {who: state(world, who)["viewer"] for who in VIEWERS}
    assert {who: v["role"] for who, v in roles.items()} == {
        "agency": "agency", "purchaser": "purchaser", "supervisor": "supervisor", "supplier": "supplier",
        "supplier2": "bidder", "supplier3": "bidder"}
    assert roles["supervisor"]["read_only"] and roles["purchaser"]["read_only"] and not roles["agency"]["read_only"]
    for who in ("supplier4", "agency2"):
        answer = client(world, who).get(f"/api/v1/tenders/{world.tender_id}/opening")
        assert answer.status_code == 403 and answer.json["error"]["code"] == "opening_hall_not_visible", who
        assert client(world, who).get(f"/tenders/{world.tender_id}/opening").status_code == 403
    assert world.client("operator").get(f"/api/v1/tenders/{world.tender_id}/opening").status_code == 403
    anonymous = world.app.test_client()
    assert anonymous.get(f"/api/v1/tenders/{world.tender_id}/opening").status_code == 401
    assert anonymous.get(f"/tenders/{world.tender_id}/opening").status_code in (302, 303)
    assert world.client("agency").get("/api/v1/tenders/999999/opening").status_code == 404
    page = client(world, "supervisor").get(f"/tenders/{world.tender_id}/opening")
    assert page.status_code == 200 and "只读" in page.get_data(as_text=True)


def test_before_the_opening_nobody_learns_who_bid(hall_world):
    world = hall_world
    world.at(OPENING - timedelta(minutes=20))
    assert post(world, "supplier2", "/sign-in").status_code == 201
    for who in VIEWERS:
        seen = state(world, who)
        text = json.dumps(seen, ensure_ascii=False)
        assert seen["bids"] is None and seen["results"] is None, who
        for name in NAMES + ("测试供应商甲",):
            assert name not in text, (who, name)
        page = client(world, who).get(f"/tenders/{world.tender_id}/opening").get_data(as_text=True)
        assert not any(name in page for name in NAMES), who
        assert (seen["bid_count"], seen["signed_in_count"]) == ((2, 1) if who == "agency" else (None, None)), who
    own = state(world, "supplier2")["viewer"]
    assert own["own_bid"] == world.bidders["supplier2"].bid and own["signed_in"] and not own["may_sign_in"]
    other = state(world, "supplier3")["viewer"]
    assert other["may_sign_in"] and not other["signed_in"] and not other["may_decrypt"]
    assert state(world, "supplier")["viewer"]["own_bid"] is None


def test_during_the_window_states_and_after_it_prices(hall_world):
    world = hall_world
    world.at(OPENING - timedelta(minutes=1))
    assert post(world, "supplier3", "/sign-in").status_code == 201
    world.at(OPENING + timedelta(minutes=3))
    answer = open_bid_of(world, "supplier2")
    assert answer.status_code == 200, answer.json
    for who in VIEWERS:
        seen = state(world, who)
        assert seen["phase"] == "opening" and seen["bid_count"] == 2 and seen["signed_in_count"] == 1
        assert [(b["bidder"], b["signed_in"], b["state"]) for b in seen["bids"]] == [
            ("测试供应商乙", False, "decrypted"), ("测试供应商丙", True, "awaiting")], who
        assert seen["results"] is None, who
        assert "1234567.80" not in json.dumps(seen), who
    assert [b["own"] for b in state(world, "supplier3")["bids"]] == [False, True]
    assert state(world, "supplier3")["viewer"]["may_decrypt"] and not state(world, "supplier2")["viewer"]["may_decrypt"]

    world.at(OPENING + WINDOW)                       # the window's end: 唱标, with or without the close's effect
    for who in VIEWERS:
        seen = state(world, who)
        assert seen["phase"] == "opened"
        results = seen["results"]
        assert [(r["bidder"], r["state"], r["price"], r["currency"]) for r in results] == [
            ("测试供应商乙", "decrypted", "1234567.80", "CNY"), ("测试供应商丙", "invalid", None, None)], who
        declared, files = results[0]["items"][:2], results[0]["items"][2:]
        assert [(i["name"], i["value"]) for i in declared] == [("交货期", "合同签订后30日"), ("质保期", "3年")]
        assert {i["value"].split("（")[0] for i in files} == {"商务标.txt", "技术标.txt"}
        assert results[1]["items"] == []
        assert not seen["viewer"]["may_decrypt"] and not seen["viewer"]["may_sign_in"]
    assert state(world, "agency")["viewer"]["may_make_record"]
    assert not any(state(world, w)["viewer"]["may_make_record"] for w in VIEWERS if w != "agency")


def test_objections_are_seen_by_everyone_in_the_hall(hall_world):
    world = hall_world
    world.at(OPENING - timedelta(minutes=1))
    early = post(world, "supplier", "/objections", {"text": "开标前的异议"})
    assert early.status_code == 409 and early.json["error"]["code"] == "objection_not_open"
    world.at(OPENING + timedelta(minutes=2))
    raised = post(world, "supplier", "/objections", {"text": "解密时限是否已按招标文件公告？"})
    assert raised.status_code == 201, raised.json
    assert raised.json["seq"] == 1 and raised.json["by"] == "测试供应商甲" and raised.json["own"]
    for who in VIEWERS:
        objections = state(world, who)["objections"]
        assert [(o["seq"], o["by"], o["answer"]) for o in objections] == [(1, "测试供应商甲", None)], who
        assert objections[0]["own"] == (who == "supplier")
    assert state(world, "agency")["viewer"]["may_answer"]
    assert not state(world, "supervisor")["viewer"]["may_answer"]
    assert not state(world, "supervisor")["viewer"]["may_object"]
    assert state(world, "supplier2")["viewer"]["may_object"] and state(world, "supplier")["viewer"]["may_object"]
    for who, status in (("supervisor", 403), ("purchaser", 403), ("supplier2", 403)):
        assert post(world, who, "/objections/1/answer", {"text": "答复"}).status_code == status, who
    for who in ("supervisor", "purchaser", "agency"):
        assert post(world, who, "/objections", {"text": "异议"}).status_code == 403, who
    answered = post(world, "agency", "/objections/1/answer", {"text": "已按招标文件公告，解密时限 30 分钟。"})
    assert answered.status_code == 200 and answered.json["answer"].startswith("已按招标文件公告")
    assert post(world, "agency", "/objections/1/answer", {"text": "再次答复"}).json["error"]["code"] == \
        "objection_already_answered"
    assert post(world, "agency", "/objections/7/answer", {"text": "答复"}).status_code == 404
    for who in VIEWERS:
        assert state(world, who)["objections"][0]["answer"] == "已按招标文件公告，解密时限 30 分钟。"


def test_bad_input_changes_nothing(hall_world):
    world = hall_world
    world.at(OPENING + timedelta(minutes=2))
    for body in ({"text": ""}, {"text": "  \n "}, {"text": "x" * 1001}, {}, {"text": 5}, {"text": "a\x00b"}):
        answer = post(world, "supplier", "/objections", body)
        assert answer.status_code in (400, 422), (body, answer.status_code)
        assert answer.json["error"]["message"], body
    assert state(world, "agency")["objections"] == []
