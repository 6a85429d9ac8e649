"""Notices (站内通知) are marked read, one or all, by the staff of the party (or the account) they are
addressed to, and by nobody else: another party's notice is "not found" to a staff account, through
the service, the party page's POST routes (CSRF-checked like every form) and the JSON API. The party
page and the API say how many are unread."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from support.auth import PASSWORD, AuthActions, make_accounts, test_uow

from app.extensions import db
from bidding.accounts.models import Account
from bidding.audit.models import AuditEntry
from bidding.parties.errors import NoticeNotFound
from bidding.parties.models import Notice
from bidding.parties.notices import (
    add_notice,
    mark_all_notices_read,
    mark_notice_read,
    notices_for_account,
    unread_count,
)


def _account(username: str) -> Account:
    return db.session.scalars(select(Account).where(Account.username == username)).one()


def _notices(app) -> dict[str, int]:
    """Two notices to the first supplier (one to its party, one to its account), one to the second
    supplier's party; text → id."""
    make_accounts(app, ("supplier", "supplier2", "agency"))
    with app.app_context():
        uow = test_uow(app)
        first, second = _account("supplier"), _account("supplier2")
        with uow:
            made = [add_notice(uow, "甲单位：请签署入驻承诺书", party_id=first.party_id),
                    add_notice(uow, "甲账户：口令将于 30 天后到期", account_id=first.id),
                    add_notice(uow, "乙单位：资格审查结果已发布", party_id=second.party_id)]
            uow.commit()
        return {n.text: n.id for n in made}


def _read_at(app) -> dict[str, object]:
    with app.app_context():
        result = {n.text: n.read_at for n in db.session.scalars(select(Notice))}
        db.session.remove()
        return result


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) for e in
                db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def _client(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


# -- the service --------------------------------------------------------------------------------------
def test_one_and_all_notices_are_marked_read_for_the_own_party_only(app, clock):
    ids = _notices(app)
    with app.app_context():
        supplier, other = _account("supplier"), _account("supplier2")
        assert unread_count(notices_for_account(test_uow(app), supplier)) == 2
        assert [n.text for n in notices_for_account(test_uow(app), other)] == ["乙单位：资格审查结果已发布"]

        with pytest.raises(NoticeNotFound) as refused:                      # another party's notice
            mark_notice_read(test_uow(app), supplier, ids["乙单位：资格审查结果已发布"])
        assert refused.value.code == "notice_not_found" and refused.value.http_status == 404
        with pytest.raises(NoticeNotFound):                                 # another account's notice
            mark_notice_read(test_uow(app), other, ids["甲账户：口令将于 30 天后到期"])
        with pytest.raises(NoticeNotFound):
            mark_notice_read(test_uow(app), supplier, 999_999)

        notice = mark_notice_read(test_uow(app), supplier, ids["甲单位：请签署入驻承诺书"])
        assert notice.read_at == clock.now()
        clock.advance(minutes=5)
        mark_notice_read(test_uow(app), supplier, ids["甲单位：请签署入驻承诺书"])     # again: unchanged
        assert mark_all_notices_read(test_uow(app), supplier) == 1
        assert mark_all_notices_read(test_uow(app), supplier) == 0
        assert unread_count(notices_for_account(test_uow(app), supplier)) == 0
        assert unread_count(notices_for_account(test_uow(app), other)) == 1
    read = _read_at(app)
    assert read["甲单位：请签署入驻承诺书"] is not None and read["甲单位：请签署入驻承诺书"] < read["甲账户：口令将于 30 天后到期"]
    assert read["乙单位：资格审查结果已发布"] is None
    assert [e["party_id"] for e in _audit(app, "notice.read")] == [_party_of(app, "supplier")]
    assert [e["notices"] for e in _audit(app, "notice.read_all")] == [[ids["甲账户：口令将于 30 天后到期"]]]


def _party_of(app, username: str) -> int:
    with app.app_context():
        return _account(username).party_id


# -- the party page -----------------------------------------------------------------------------------
def test_the_party_page_counts_unread_notices_and_marks_them_read(app):
    ids = _notices(app)
    client = _client(app, "supplier")
    page = client.get("/party").get_data(as_text=True)
    assert "2 条未读" in page and page.count("标为已读") == 3            # two buttons and "全部标为已读"
    assert "乙单位" not in page

    done = client.post(f"/party/notices/{ids['甲单位：请签署入驻承诺书']}/read")
    assert done.status_code == 302 and done.headers["Location"].endswith("/party#notices")
    page = client.get("/party").get_data(as_text=True)
    assert "1 条未读" in page and f'id="notice-{ids["甲单位：请签署入驻承诺书"]}"' in page

    foreign = client.post(f"/party/notices/{ids['乙单位：资格审查结果已发布']}/read")
    assert foreign.status_code == 404 and "通知不存在" in foreign.get_data(as_text=True)
    assert _read_at(app)["乙单位：资格审查结果已发布"] is None

    everything = client.post("/party/notices/read", follow_redirects=True)
    text = everything.get_data(as_text=True)
    assert everything.status_code == 200 and "已将 1 条通知标为已读" in text and "0 条未读" in text
    assert "全部标为已读" not in text

    other = _client(app, "supplier2").get("/party").get_data(as_text=True)
    assert "1 条未读" in other and "甲单位" not in other and "甲账户" not in other


def test_marking_read_needs_the_csrf_token(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, WTF_CSRF_ENABLED=True)
    ids = _notices(app)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "supplier", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    notice = ids["甲单位：请签署入驻承诺书"]
    refused = client.post(f"/party/notices/{notice}/read")
    assert refused.status_code == 400 and "安全令牌" in refused.get_data(as_text=True)
    assert client.post("/party/notices/read").status_code == 400
    assert _read_at(app)["甲单位：请签署入驻承诺书"] is None
    page = client.get("/party").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/party/notices/{notice}/read", data={"csrf_token": token}).status_code == 302
    assert _read_at(app)["甲单位：请签署入驻承诺书"] is not None


# -- the API --------------------------------------------------------------------------------------------
def test_the_api_lists_counts_and_marks_only_the_own_notices(app):
    ids = _notices(app)
    client = _client(app, "supplier")
    listed = client.get("/api/v1/notices")
    assert listed.status_code == 200 and listed.json["unread"] == 2
    assert sorted(n["text"] for n in listed.json["notices"]) == ["甲单位：请签署入驻承诺书", "甲账户：口令将于 30 天后到期"]
    assert client.get("/api/v1/party").json["unread_notices"] == 2

    one = client.post(f"/api/v1/notices/{ids['甲单位：请签署入驻承诺书']}/read")
    assert one.status_code == 200 and one.json["read_at"] and one.json["id"] == ids["甲单位：请签署入驻承诺书"]
    foreign = client.post(f"/api/v1/notices/{ids['乙单位：资格审查结果已发布']}/read")
    assert foreign.status_code == 404 and foreign.json["error"]["code"] == "notice_not_found"
    assert client.post("/api/v1/notices/read").json == {"marked": 1}
    assert client.get("/api/v1/notices").json["unread"] == 0

    other = _client(app, "supplier2")
    assert [n["text"] for n in other.get("/api/v1/notices").json["notices"]] == ["乙单位：资格审查结果已发布"]
    assert other.post(f"/api/v1/notices/{ids['甲账户：口令将于 30 天后到期']}/read").status_code == 404
    assert other.get("/api/v1/notices").json["unread"] == 1
    agency = _client(app, "agency")
    assert agency.get("/api/v1/notices").json == {"unread": 0, "notices": []}
    assert agency.post("/api/v1/notices/read").json == {"marked": 0}
    assert _read_at(app)["乙单位：资格审查结果已发布"] is None
