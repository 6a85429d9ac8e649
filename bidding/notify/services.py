"""Telling people (通知): :func:`notify` writes the in-platform notice and queues one outbound
message per recipient, in the caller's transaction; :func:`delivery_handler` is the scheduler's
handler that hands a queued message to the notifier; :func:`outbox_entries` is the operator's view.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from bidding.accounts.models import Account, Role
from bidding.errors import InvalidInput, PermissionDenied
from bidding.notify.models import MessageState, OutboxMessage
from bidding.notify.notifier import Notifier, Outgoing
from bidding.parties.models import Notice, Party
from bidding.parties.notices import add_notice
from bidding.scheduling import Effect, EffectHandler, ScheduledEffect, schedule_effect
from bidding.uow import UnitOfWork

#: the effect kind of delivering one outbox message (subject: the message id)
DELIVER = "notify.deliver"
SUBJECT_LENGTH = 200
LINK_LENGTH = 500


@dataclass(frozen=True)
class Notification:
    """What :func:`notify` wrote: the notice and the outbound messages (one per recipient)."""

    notice: Notice
    messages: list[OutboxMessage]


def notify(uow: UnitOfWork, *, party_id: int | None = None, account_id: int | None = None, subject: str,
           text: str, link: str | None = None) -> Notification:
    """Tell a party (its staff share the notice; each active staff account gets a message; a party
    without accounts gets one message to itself) or one account. Inside the caller's transaction: no
    commit, no audit entry of its own (it is part of the change that made it). The messages leave
    through the notifier when the scheduler delivers them."""
    if (party_id is None) == (account_id is None):
        raise InvalidInput("通知须指定一个主体或一个账户 (notify one party or one account)")
    subject, text = subject.strip(), text.strip()
    if not subject or len(subject) > SUBJECT_LENGTH or not text:
        raise InvalidInput("通知须有标题（至多 200 字）和正文 (a notice needs a subject of at most 200 characters and a text)")
    if link is not None and (len(link) > LINK_LENGTH or not link.startswith("/")):
        raise InvalidInput("通知链接须为站内路径 (a notice's link is a path on the platform)")
    recipients = _recipients(uow, party_id, account_id)
    notice = add_notice(uow, f"{subject}：{text}", party_id=party_id, account_id=account_id)
    return Notification(notice, _queue(uow, notice, recipients, subject, text, link))


def notify_contact(uow: UnitOfWork, *, recipient: str, subject: str, text: str) -> Notification:
    """Send one message to someone outside the platform's accounts (an expert's phone or e-mail,
    ``recipient``), through the same outbox and notifier. The in-platform notice keeps only the
    subject (no party or account sees it); the message carries ``text``. Caller's transaction."""
    subject, text, recipient = subject.strip(), text.strip(), recipient.strip()
    if not subject or len(subject) > SUBJECT_LENGTH or not text or not recipient or len(recipient) > SUBJECT_LENGTH:
        raise InvalidInput("通知须有收件人、标题（至多 200 字）和正文 (a message needs a recipient, a subject and a text)")
    notice = add_notice(uow, subject)
    return Notification(notice, _queue(uow, notice, [(None, None, recipient)], subject, text, None))


def _queue(uow: UnitOfWork, notice: Notice, recipients: list[tuple[int | None, int | None, str]], subject: str,
           text: str, link: str | None) -> list[OutboxMessage]:
    """One queued outbox message per recipient, each with its delivery effect."""
    now = uow.clock.now()
    messages = []
    for recipient_party, account, label in recipients:
        message = OutboxMessage(notice_id=notice.id, party_id=recipient_party, account_id=account, recipient=label,
                                subject=subject, text=text, link=link, state=MessageState.QUEUED, created_at=now)
        uow.session.add(message)
        uow.session.flush()
        schedule_effect(uow, DELIVER, message.id, now)
        messages.append(message)
    return messages


def delivery_handler(notifier: Notifier) -> EffectHandler:
    """The handler of :data:`DELIVER` effects: hand the message to ``notifier`` and record it
    delivered (once: a message already delivered is not handed over again)."""
    def deliver(uow: UnitOfWork, effect: Effect) -> None:
        message = uow.session.get(OutboxMessage, effect.subject_id, with_for_update=True)
        if message is None or message.state == MessageState.DELIVERED:
            return
        reference = notifier.deliver(Outgoing(message.id, message.recipient, message.party_id, message.account_id,
                                              message.subject, message.text, message.link))
        message.state = MessageState.DELIVERED
        message.delivered_at = uow.clock.now()
        message.channel = notifier.name
        message.reference = reference
        uow.audit("outbox.delivered", message, recipient=message.recipient, channel=notifier.name,
                  reference=reference, notice_id=message.notice_id)
    return deliver


@dataclass(frozen=True)
class OutboxEntry:
    """A message of the outbox with its delivery's progress (attempts, the last error, next try)."""

    id: int
    recipient: str
    party_id: int | None
    account_id: int | None
    subject: str
    text: str
    link: str | None
    state: MessageState
    created_at: datetime
    delivered_at: datetime | None
    channel: str | None
    reference: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


def outbox_entries(uow: UnitOfWork, account: Account, *, state: MessageState | None = None,
                   limit: int = 200) -> list[OutboxEntry]:
    """The newest ``limit`` messages of the outbox (of ``state`` when given); operators only."""
    if account.role != Role.OPERATOR:
        raise PermissionDenied("仅平台运营人员可查看发件箱 (only operators see the outbox)")
    query = (select(OutboxMessage, ScheduledEffect)
             .outerjoin(ScheduledEffect, and_(ScheduledEffect.kind == DELIVER,
                                              ScheduledEffect.subject_id == OutboxMessage.id))
             .order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 1000))))
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    entries = []
    for message, effect in uow.session.execute(query):
        waiting = effect is not None and message.state == MessageState.QUEUED
        entries.append(OutboxEntry(
            message.id, message.recipient, message.party_id, message.account_id, message.subject, message.text,
            message.link, message.state, message.created_at, message.delivered_at, message.channel,
            message.reference, effect.attempts if effect else 0, effect.last_error if effect else None,
            effect.ready_at if waiting else None))
    return entries


def _recipients(uow: UnitOfWork, party_id: int | None, account_id: int | None) -> list[tuple[int | None, int | None, str]]:
    """(party id, account id, label) of each recipient."""
    if account_id is not None:
        account = uow.session.get(Account, account_id)
        if account is None:
            raise InvalidInput("通知的收件账户不存在 (no such account)", account_id=account_id)
        return [(account.party_id, account.id, _label(account.party, account))]
    party = uow.session.get(Party, party_id)
    if party is None:
        raise InvalidInput("通知的收件主体不存在 (no such party)", party_id=party_id)
    staff = list(uow.session.scalars(select(Account).where(Account.party_id == party.id, Account.active.is_(True))
                                     .order_by(Account.id)))
    if not staff:
        return [(party.id, None, party.name[:SUBJECT_LENGTH])]
    return [(party.id, a.id, _label(party, a)) for a in staff]


def _label(party: Party | None, account: Account) -> str:
    who = f"{account.display_name}（{account.username}）"
    return (f"{party.name} · {who}" if party is not None else who)[:200]
