"""The agreement pages: the purchaser drafts through the form (errors in Chinese beside the field),
sees the stamping panel on its turn; the agency sees nothing of a draft, refuses through the form
with a reason; either files; both see the history. Forms carry a CSRF token."""
from __future__ import annotations

import re

from sqlalchemy import select
from support.agreements import TERMS, client_as
from support.auth import PASSWORD
from support.stamping import app_settings, stamp_via_api

from app.extensions import db
from bidding.agreements.models import DelegationAgreement


def _form(parties, **changes) -> dict[str, str]:
    data = {**TERMS, "agency_id": str(parties["agency"]), **changes}
    return {k: "" if v is None else str(v) for k, v in data.items()}


def test_draft_through_the_form(world):
    app, _, parties = world
    purchaser = client_as(app, "purchaser")
    page = purchaser.get("/agreements/new")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "测试代理机构" in text and "起草委托协议" in text
    bad = purchaser.post("/agreements/new", data=_form(parties, budget="十万", fee=""))
    assert bad.status_code == 400
    assert "采购预算须为数字金额" in bad.get_data(as_text=True)
    empty = purchaser.post("/agreements/new", data={})
    assert empty.status_code == 400 and "必填" in empty.get_data(as_text=True)
    made = purchaser.post("/agreements/new", data=_form(parties))
    assert made.status_code == 302
    detail = purchaser.get(made.headers["Location"])
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert 'id="stamp-panel"' in html and "草稿（待采购人签章）" in html
    assert "1,200,000.00 元（壹佰贰拾万元整）" in html
    assert "stamp-candidates" in html
    listing = purchaser.get("/agreements").get_data(as_text=True)
    assert "2027 年度办公设备采购" in listing
    agency = client_as(app, "agency")
    assert "暂无采购人发来的委托协议" in agency.get("/agreements").get_data(as_text=True)
    assert agency.get(made.headers["Location"]).status_code == 403


def test_refuse_file_and_history_pages(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    purchaser = client_as(app, "purchaser")
    location = purchaser.post("/agreements/new", data=_form(parties)).headers["Location"]
    agreement_id = int(re.search(r"/agreements/(\d+)", location).group(1))
    with app.app_context():
        agreement = db.session.get(DelegationAgreement, agreement_id)
        from bidding.documents.models import Document
        public_id = db.session.get(Document, agreement.document_id).public_id
    stamp_via_api(purchaser, public_id, bound["purchaser"], purchaser_signer)
    agency = client_as(app, "agency")
    page = agency.get(location).get_data(as_text=True)
    assert 'id="refuse-form"' in page and 'id="stamp-panel"' in page
    assert 'id="stamp-panel"' not in purchaser.get(location).get_data(as_text=True)
    no_reason = agency.post(f"{location}/refuse", data={"reason": ""})
    assert no_reason.status_code == 400 and "请填写拒签理由" in no_reason.get_data(as_text=True)
    assert purchaser.post(f"{location}/refuse", data={"reason": "采购人不能拒签"}).status_code == 403
    refused = agency.post(f"{location}/refuse", data={"reason": "委托范围写错了：应为 150 台"})
    assert refused.status_code == 302
    shown = purchaser.get(location).get_data(as_text=True)
    assert "委托范围写错了：应为 150 台" in shown and 'id="revise-link"' in shown
    revise_page = purchaser.get(f"{location}/revise")
    assert revise_page.status_code == 200 and "委托范围写错了" in revise_page.get_data(as_text=True)
    revised = purchaser.post(f"{location}/revise", data=_form(parties, scope="台式计算机 150 台"))
    assert revised.status_code == 302
    with app.app_context():
        from bidding.documents.models import Document
        agreement = db.session.get(DelegationAgreement, agreement_id)
        public_id = db.session.get(Document, agreement.document_id).public_id
    stamp_via_api(purchaser, public_id, bound["purchaser"], purchaser_signer)
    stamp_via_api(agency, public_id, bound["agency"], agency_signer)
    page = agency.get(location).get_data(as_text=True)
    assert 'id="file-form"' in page and "双方已签章（待备案）" in page
    assert agency.post(f"{location}/file").status_code == 302
    page = purchaser.get(location).get_data(as_text=True)
    assert "已备案" in page and 'id="file-form"' not in page
    for step in ("采购人起草", "代理机构拒签", "采购人修改后重新起草", "代理机构签章", "备案"):
        assert step in page
    conflict = purchaser.post(f"{location}/file")
    assert conflict.status_code == 409 and "只有双方均已签章" in conflict.get_data(as_text=True)


def test_page_forms_need_their_csrf_token(make_app, db_url, clock, ca):
    from support.auth import make_accounts
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True, **app_settings(ca))
    make_accounts(app, ("purchaser", "agency"))
    with app.app_context():
        from bidding.accounts.models import Account
        agency_party = db.session.scalars(select(Account).where(Account.username == "agency")).one().party_id
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    logged_in = client.post("/login", data={"username": "purchaser", "password": PASSWORD, "csrf_token": token})
    assert logged_in.status_code == 302
    without = client.post("/agreements/new", data={**TERMS, "agency_id": str(agency_party)})
    assert without.status_code == 400 and "安全令牌" in without.get_data(as_text=True)
    form = client.get("/agreements/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    made = client.post("/agreements/new", data={**TERMS, "agency_id": str(agency_party), "csrf_token": token})
    assert made.status_code == 302
