"""In-platform notices (站内通知): to a party (its staff read them on the party page), an account,
or a registration's applicant (on the application's status page)."""
from __future__ import annotations

from sqlalchemy import or_, select

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
    conditions = [Notice.account_id == account.id]
    if account.party_id is not None:
        conditions.append(Notice.party_id == account.party_id)
    return list(uow.session.scalars(select(Notice).where(or_(*conditions))
                                    .order_by(Notice.created_at.desc(), Notice.id.desc())))


def notices_for_registration(uow: UnitOfWork, registration_id: int) -> list[Notice]:
    return list(uow.session.scalars(select(Notice).where(Notice.registration_id == registration_id)
                                    .order_by(Notice.created_at.desc(), Notice.id.desc())))
