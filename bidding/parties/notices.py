"""In-platform notices (站内通知): to a party (its staff read them on the party page), an account,
or a registration's applicant (on the application's status page).

A notice is read once for everyone it is addressed to: a party's notice marked read by one of its
staff accounts is read for the party (one shared inbox, as a party's mail is). An account marks
only notices it can see (its own and its party's); any other id is "not found", so a notice of
another party is neither changed nor confirmed to exist.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from bidding.parties.errors import NoticeNotFound
from bidding.parties.models import Notice
from bidding.uow import UnitOfWork


def add_notice(uow: UnitOfWork, text: str, *, party_id: int | None = None, account_id: int | None = None,
               registration_id: int | None = None) -> Notice:
    """A notice inside the caller's transaction (no commit, no audit entry of its own: it is part of
    the change that made it)."""
    notice = Notice(party_id=party_id, account_id=account_id, registration_id=registration_id, text=text,
                    created_at=uow.clock.now())
    uow.session.add(notice)
    uow.session.flush()
    return notice


def notices_for_account(uow: UnitOfWork, account) -> list[Notice]:
    """The notices of an account and of its party, newest first."""
    return list(uow.session.scalars(select(Notice).where(_visible_to(account))
                                    .order_by(Notice.created_at.desc(), Notice.id.desc())))


def unread_count(notices: list[Notice]) -> int:
    """How many of ``notices`` nobody has read yet."""
    return sum(1 for n in notices if n.read_at is None)


def mark_notice_read(uow: UnitOfWork, account, notice_id: int) -> Notice:
    """Mark one notice the account can see as read (already read: unchanged, no new audit entry);
    :class:`NoticeNotFound` for any other id."""
    with uow:
        notice = uow.session.scalars(select(Notice).where(Notice.id == notice_id, _visible_to(account))).first()
        if notice is None:
            raise NoticeNotFound(notice=notice_id)
        if notice.read_at is None:
            notice.read_at = uow.clock.now()
            uow.audit("notice.read", notice, account=account.id, party_id=notice.party_id)
            uow.commit()
        return notice


def mark_all_notices_read(uow: UnitOfWork, account) -> int:
    """Mark every unread notice the account can see as read; returns how many were marked."""
    with uow:
        unread = list(uow.session.scalars(select(Notice).where(_visible_to(account), Notice.read_at.is_(None))
                                          .order_by(Notice.id)))
        if not unread:
            return 0
        now = uow.clock.now()
        for notice in unread:
            notice.read_at = now
        uow.audit("notice.read_all", object_type="notice", account=account.id, party_id=account.party_id,
                  notices=[n.id for n in unread])
        uow.commit()
        return len(unread)


def _visible_to(account):
    """The notices addressed to ``account`` or to its party."""
    conditions = [Notice.account_id == account.id]
    if account.party_id is not None:
        conditions.append(Notice.party_id == account.party_id)
    return or_(*conditions)


def notices_for_registration(uow: UnitOfWork, registration_id: int) -> list[Notice]:
    return list(uow.session.scalars(select(Notice).where(Notice.registration_id == registration_id)
                                    .order_by(Notice.created_at.desc(), Notice.id.desc())))
