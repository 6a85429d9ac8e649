"""Creating a project (采购项目): only an agency, only for a purchaser with whom it has a filed
delegation agreement in force (not a draft, not another agency's, not expired); every field checked
with a Chinese message naming it; a refusal changes nothing. The page says the same as the API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from support.agreements import client_as
from support.auth import test_uow
from support.tenders import PROJECT, create_project, make_extra, recorded_agreement

from app.extensions import db
from bidding.tenders import services
from bidding.tenders.models import Lot, Project, Tender


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Project, Lot, Tender))


def test_only_under_a_filed_agreement_in_force(world, clock):
    app, _, parties = world
    agency = client_as(app, "agency")
    refused = create_project(agency, parties["purchaser"])
    assert refused.status_code == 403 and refused.json["error"]["code"] == "agreement_not_filed"
    assert "没有在有效期内的已备案委托协议" in refused.json["error"]["message"]

    recorded_agreement(app, parties["purchaser"], parties["agency"], state="signed_by_both")    # not filed yet
    assert create_project(agency, parties["purchaser"]).json["error"]["code"] == "agreement_not_filed"
    assert _counts(app) == (0, 0, 0)

    agreement = recorded_agreement(app, parties["purchaser"], parties["agency"])
    made = create_project(agency, parties["purchaser"])
    assert made.status_code == 201, made.json
    assert made.json["project"]["number"].startswith("CG-")
    with app.app_context():
        assert db.session.get(Project, made.json["project"]["id"]).agreement_id == agreement

    agency2_party = make_extra(app, "agency2")                      # another agency: no agreement with this purchaser
    other = client_as(app, "agency2")
    assert create_project(other, parties["purchaser"]).json["error"]["code"] == "agreement_not_filed"
    tender_id = made.json["id"]
    assert other.get(f"/api/v1/tenders/{tender_id}").status_code == 404            # a draft of another agency
    assert other.get(f"/tenders/{tender_id}").status_code == 404
    assert other.get("/api/v1/tenders/mine").json == []
    with app.app_context():
        assert services.tenders_for(test_uow(app), _account(app, "agency2")) == []
        assert [t for t in services.purchasers_for(test_uow(app), agency2_party)] == []

    clock.set(datetime(2027, 12, 1, 1, 0, tzinfo=timezone.utc))        # the agreement's term ended on 2027-11-30
    assert create_project(agency, parties["purchaser"]).json["error"]["code"] == "agreement_not_filed"


def test_roles_and_parties(world):
    app, _, parties = world
    recorded_agreement(app, parties["purchaser"], parties["agency"])
    for username in ("purchaser", "supplier", "operator"):
        assert create_project(client_as(app, username), parties["purchaser"]).status_code == 403
    assert app.test_client().post("/api/v1/projects", json=PROJECT).status_code == 401
    answer = create_project(client_as(app, "agency"), parties["supplier"])        # a supplier is no purchaser
    assert answer.status_code == 400 and answer.json["error"]["details"]["field"] == "purchaser_id"
    assert create_project(client_as(app, "agency"), 424242).json["error"]["details"]["field"] == "purchaser_id"


@pytest.mark.parametrize("changes, field, words", [
    ({"title": "   "}, "title", "请填写项目名称"),
    ({"budget": "0"}, "budget", "须大于 0 元"),
    ({"lots": [{"name": "甲", "budget": "0"}, {"name": "乙", "budget": "1200000"}]}, "lots", "第 1 包的预算须大于 0 元"),
    ({"lots": [{"name": "甲", "budget": "1000000.00"}, {"name": "乙", "budget": "100000.00"}]}, "lots",
     "各包预算之和（1100000.00 元）须等于项目预算（1200000.00 元）"),
    ({"lots": [{"name": "甲", "budget": "600000.00"}, {"name": "甲", "budget": "600000.00"}]}, "lots", "不能重复"),
])
def test_fields_are_checked(world, changes, field, words):
    app, _, parties = world
    recorded_agreement(app, parties["purchaser"], parties["agency"])
    answer = create_project(client_as(app, "agency"), parties["purchaser"], **changes)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "project_invalid" and answer.json["error"]["details"]["field"] == field
    assert words in answer.json["error"]["message"]
    assert _counts(app) == (0, 0, 0)


def test_no_lots_is_one_lot_and_the_page_creates_the_same(world):
    app, _, parties = world
    recorded_agreement(app, parties["purchaser"], parties["agency"])
    agency = client_as(app, "agency")
    made = create_project(agency, parties["purchaser"], lots=[]).json
    assert [(l["seq"], l["name"], l["budget"]) for l in made["project"]["lots"]] == [(1, PROJECT["title"], "1200000.00")]

    page = agency.get("/projects/new")
    assert page.status_code == 200 and "测试采购单位" in page.get_data(as_text=True)
    form = {"purchaser_id": str(parties["purchaser"]), "title": "物业服务采购", "method": "竞争性磋商",
            "budget": "360,000.001", "description": "办公楼物业服务一年",
            "lot_name": ["保洁", "安保", ""], "lot_budget": ["200000", "100000", ""]}
    refused = agency.post("/projects/new", data=form)
    assert refused.status_code == 400 and "采购预算最多两位小数" in refused.get_data(as_text=True)
    form["budget"] = "360,000"
    refused = agency.post("/projects/new", data=form)
    assert refused.status_code == 400 and "须等于项目预算" in refused.get_data(as_text=True)
    form["lot_budget"] = ["200000", "160000", ""]
    created = agency.post("/projects/new", data=form)
    assert created.status_code == 302 and "/tenders/" in created.headers["Location"]
    detail = agency.get(created.headers["Location"]).get_data(as_text=True)
    assert "物业服务采购" in detail and "竞争性磋商" in detail and "保洁" in detail and "上传招标文件" in detail
    assert client_as(app, "purchaser").get(created.headers["Location"]).status_code == 200   # its purchaser sees the draft
    assert client_as(app, "supplier").get(created.headers["Location"]).status_code == 404


def test_the_page_says_when_there_is_no_agreement(world):
    app, _, parties = world
    agency = client_as(app, "agency")
    page = agency.get("/projects/new").get_data(as_text=True)
    assert "没有已备案且在期限内的委托协议" in page
    answer = agency.post("/projects/new", data={"purchaser_id": str(parties["purchaser"]), "title": "x",
                                                "method": "询价", "budget": "100"})
    assert answer.status_code == 400     # not a choice of the form: no agreement, no purchaser to choose


def _account(app, username: str):
    from bidding.accounts.models import Account
    return db.session.scalars(select(Account).where(Account.username == username)).one()


def test_a_second_purchaser_only_with_its_own_agreement(world):
    app, _, parties = world
    purchaser2 = make_extra(app, "purchaser2")
    recorded_agreement(app, parties["purchaser"], parties["agency"])
    agency = client_as(app, "agency")
    assert create_project(agency, purchaser2).json["error"]["code"] == "agreement_not_filed"
    recorded_agreement(app, purchaser2, parties["agency"])
    made = create_project(agency, purchaser2)
    assert made.status_code == 201 and made.json["purchaser"]["name"] == "另一家采购单位"
    choices = agency.get("/api/v1/projects/purchasers").json
    assert sorted(c["purchaser"]["name"] for c in choices) == ["另一家采购单位", "测试采购单位"]
    # the first purchaser does not see the second's project
    assert client_as(app, "purchaser").get(f"/api/v1/tenders/{made.json['id']}").status_code == 404
