"""Notices through the pluggable notifier: ``notify`` writes the in-platform notice and one outbox
message per recipient; ``flask scheduler --once`` delivers them through the configured notifier
(retrying a failure with back-off); operators read the outbox at ``/operator/outbox`` and
``/api/v1/operator/outbox``, nobody else."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bidding.accounts.models import Role
from bidding.accounts.services import create_account
from bidding.audit.models import AuditEntry
from bidding.errors import InvalidInput
from bidding.notify import MessageState, OutboxMessage, notify
from bidding.parties.models import Notice, PartyKind
from bidding.parties.services import register_party
from bidding.scheduling import ScheduledEffect
from support.auth import PASSWORD, AuthActions, make_accounts, test_uow

AMENDMENT = dict(subject="招标文件澄清", text="项目 ZB-2026-001 的招标文件已澄清，请查看。", link="/tenders/1")


@pytest.fixture
def accounts(app):
    ids = make_accounts(app, ("supplier", "supplier2", "operator", "agency", "purchaser", "supervisor"))
    with app.app_context():
        from app.extensions import db
        from bidding.accounts.models import Account
        party_id = db.session.get(Account, ids["supplier"]).party_id
        second = create_account(test_uow(app), username="supplier-b", role=Role.SUPPLIER_STAFF, password=PASSWORD,
                                display_name="供应商经办人乙", party_id=party_id)
        ids["supplier-b"], ids["supplier_party"] = second.id, party_id
    return ids


def _notify(app, **kwargs):
    with app.app_context():
        uow = test_uow(app)
        with uow:
            notification = notify(uow, **kwargs)
            uow.commit()
            return notification.notice.id, [m.id for m in notification.messages]


def _messages(app) -> list[OutboxMessage]:
    with app.app_context():
        from app.extensions import db
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return messages


def test_a_notice_and_a_message_per_recipient(app, accounts):
    notice_id, message_ids = _notify(app, party_id=accounts["supplier_party"], **AMENDMENT)
    _, (to_operator,) = _notify(app, account_id=accounts["operator"], subject="系统", text="测试消息")
    with app.app_context():
        loner = register_party(test_uow(app), name="无账户的专家", kind=PartyKind.EXPERT).id
    _, (to_loner,) = _notify(app, party_id=loner, subject="开标开始", text="项目已开标。")
    with app.app_context():
        from app.extensions import db
        notices = db.session.scalars(select(Notice).order_by(Notice.id)).all()
        assert [(n.party_id, n.account_id, n.text) for n in notices] == [
            (accounts["supplier_party"], None, "招标文件澄清：项目 ZB-2026-001 的招标文件已澄清，请查看。"),
            (None, accounts["operator"], "系统：测试消息"), (loner, None, "开标开始：项目已开标。")]
        effects = db.session.scalars(select(ScheduledEffect).order_by(ScheduledEffect.id)).all()
        assert [(e.kind, e.subject_id) for e in effects] == [("notify.deliver", i)
                                                             for i in (*message_ids, to_operator, to_loner)]
    messages = _messages(app)
    assert [(m.notice_id, m.account_id, m.state) for m in messages[:2]] == [
        (notice_id, accounts["supplier"], MessageState.QUEUED), (notice_id, accounts["supplier-b"], MessageState.QUEUED)]
    assert messages[0].recipient == "测试供应商甲 · 供应商经办人supplier（supplier）"
    assert (messages[3].party_id, messages[3].account_id, messages[3].recipient) == (loner, None, "无账户的专家")


def test_notify_refuses_what_it_cannot_send(app, accounts):
    with app.app_context():
        uow = test_uow(app)
        for kwargs in (dict(subject="s", text="t"),                                          # nobody
                       dict(party_id=accounts["supplier_party"], account_id=accounts["operator"], subject="s", text="t"),
                       dict(party_id=accounts["supplier_party"], subject=" ", text="t"),
                       dict(party_id=accounts["supplier_party"], subject="s", text="t", link="javascript:alert(1)"),
                       dict(account_id=999999, subject="s", text="t")):
            with pytest.raises(InvalidInput):
                notify(uow, **kwargs)
            uow.rollback()


def test_the_scheduler_delivers_through_the_outbox_notifier(app, accounts, runner, clock):
    _, message_ids = _notify(app, party_id=accounts["supplier_party"], **AMENDMENT)
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0 and "2 项完成 done" in result.output, result.output
    messages = _messages(app)
    assert {(m.state, m.channel, m.reference, m.delivered_at) for m in messages} == {
        (MessageState.DELIVERED, "outbox", f"outbox:{m.id}", clock.now()) for m in messages}
    assert runner.invoke(args=["scheduler", "--once"]).output.startswith("scheduler: 0 项完成")   # once
    with app.app_context():
        from app.extensions import db
        delivered = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.delivered")).all()
        assert sorted(int(e.object_id) for e in delivered) == message_ids
        assert {e.operator for e in delivered} == {"system:scheduler"}


class FlakyNotifier:
    """A notifier whose gateway is down for the first attempt of every message."""

    name = "flaky-sms"

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.tried: set[int] = set()

    def deliver(self, message):
        if message.message_id not in self.tried:
            self.tried.add(message.message_id)
            raise ConnectionError("短信网关无响应 (SMS gateway timed out)")
        self.sent.append(message.message_id)
        return f"sms-{message.message_id}"


def test_a_pluggable_notifier_failing_is_retried_with_back_off(make_app, db_url, clock):
    notifier = FlakyNotifier()
    app = make_app(db_url, CLOCK=clock, NOTIFIER=lambda app: notifier)
    ids = make_accounts(app, ("operator",))
    _, (message_id,) = _notify(app, account_id=ids["operator"], subject="开标开始", text="项目已开标。")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["scheduler", "--once"]).exit_code == 1
    assert _messages(app)[0].state == MessageState.QUEUED
    client = app.test_client()
    AuthActions(client).login("operator")
    api = client.get("/api/v1/operator/outbox").get_json()
    assert (api[0]["state"], api[0]["attempts"]) == ("queued", 1)
    assert "SMS gateway timed out" in api[0]["last_error"]
    assert "短信网关无响应" in client.get("/operator/outbox").get_data(as_text=True)
    clock.advance(seconds=30)
    assert runner.invoke(args=["scheduler", "--once"]).exit_code == 0
    message = _messages(app)[0]
    assert (message.state, message.channel, message.reference, notifier.sent) == (
        MessageState.DELIVERED, "flaky-sms", f"sms-{message_id}", [message_id])


def test_operators_read_the_outbox_page_and_api(app, accounts, runner):
    _notify(app, party_id=accounts["supplier_party"], **AMENDMENT)
    _notify(app, account_id=accounts["agency"], subject="开标开始", text="项目 ZB-2026-001 已开标。")
    runner.invoke(args=["scheduler", "--once"])
    _notify(app, account_id=accounts["agency"], subject="开标结果", text="结果已公布。")     # still queued
    client = app.test_client()
    AuthActions(client).login("operator")
    page = client.get("/operator/outbox")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('id="outbox-message-') == 4 and "招标文件澄清" in html and "/tenders/1" in html
    assert 'href="/operator/outbox"' in html                          # the operator's nav link
    queued = client.get("/operator/outbox?state=queued").get_data(as_text=True)
    assert queued.count('id="outbox-message-') == 1 and "开标结果" in queued
    assert client.get("/operator/outbox?state=nonsense").status_code == 400
    api = client.get("/api/v1/operator/outbox").get_json()
    assert [m["state"] for m in api] == ["queued", "delivered", "delivered", "delivered"]      # newest first
    assert api[0]["subject"] == "开标结果" and api[3]["link"] == "/tenders/1"
    assert len(client.get("/api/v1/operator/outbox?limit=1&state=delivered").get_json()) == 1
    assert client.get("/api/v1/operator/outbox?limit=0").status_code in (400, 422)


@pytest.mark.parametrize("username", ["supplier", "agency", "purchaser", "supervisor", "supplier2"])
def test_other_roles_are_refused(app, accounts, username):
    client = app.test_client()
    AuthActions(client).login(username)
    assert client.get("/operator/outbox").status_code == 403
    assert client.get("/api/v1/operator/outbox").status_code == 403


def test_anonymous_is_sent_to_log_in(app):
    client = app.test_client()
    page = client.get("/operator/outbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.get("/api/v1/operator/outbox").status_code == 401


def test_recipients_see_the_notice_in_the_platform(app, accounts):
    _notify(app, party_id=accounts["supplier_party"], **AMENDMENT)
    for username in ("supplier", "supplier-b"):
        client = app.test_client()
        AuthActions(client).login(username)
        notices = client.get("/api/v1/notices").get_json()
        assert notices["unread"] == 1 and notices["notices"][0]["text"].startswith("招标文件澄清：")
    other = app.test_client()
    AuthActions(other).login("supplier2")
    assert other.get("/api/v1/notices").get_json()["unread"] == 0
