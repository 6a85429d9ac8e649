"""Who stands where to a tender, and loading a tender for someone: its agency and its purchaser see
it from its creation (drafts included); everyone else, anonymous visitors too, only once it is
published, and a draft is then "not found" (its existence is not confirmed)."""
from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Role
from bidding.tenders.errors import NotTheAgency, NotThePurchaser, TenderNotFound
from bidding.tenders.models import Tender, TenderRegistration
from bidding.uow import UnitOfWork

ROW_ID_MAX = 2**31 - 1


class Relation(str, enum.Enum):
    """What the acting account is to a tender."""

    AGENCY = "agency"            # the tender's agency's staff
    PURCHASER = "purchaser"      # the tender's purchaser's staff
    BIDDER = "bidder"            # staff of a supplier registered for it
    SUPPLIER = "supplier"        # staff of a supplier not registered (yet)
    PUBLIC = "public"            # anyone else, anonymous included


def relation(uow: UnitOfWork, tender: Tender, account: Any | None) -> Relation:
    """The account's relation to the tender (``account`` None: anonymous)."""
    if account is None or getattr(account, "party_id", None) is None:
        return Relation.PUBLIC
    role, party_id = account.role, account.party_id
    if role == Role.AGENCY_STAFF and party_id == tender.agency_id:
        return Relation.AGENCY
    if role == Role.PURCHASER_STAFF and party_id == tender.purchaser_id:
        return Relation.PURCHASER
    if role == Role.SUPPLIER_STAFF:
        return Relation.BIDDER if registration_of(uow, tender.id, party_id) is not None else Relation.SUPPLIER
    return Relation.PUBLIC


def registration_of(uow: UnitOfWork, tender_id: int, party_id: int | None) -> TenderRegistration | None:
    if party_id is None:
        return None
    return uow.session.scalars(select(TenderRegistration).where(
        TenderRegistration.tender_id == tender_id, TenderRegistration.party_id == party_id)).first()


def load_tender(uow: UnitOfWork, tender_id: Any, *, for_update: bool = False) -> Tender:
    """The tender with this id (:class:`TenderNotFound` otherwise, also for ids no row can have)."""
    try:
        key = int(tender_id)
    except (TypeError, ValueError):
        raise TenderNotFound(tender=str(tender_id)[:40]) from None
    tender = uow.session.get(Tender, key, with_for_update=for_update) if 0 < key <= ROW_ID_MAX else None
    if tender is None:
        raise TenderNotFound(tender=key)
    return tender


def visible_tender(uow: UnitOfWork, tender_id: Any, account: Any | None) -> Tender:
    """The tender if the account may see it: published, or its agency's or purchaser's."""
    tender = load_tender(uow, tender_id)
    if tender.published_at is None and relation(uow, tender, account) not in (Relation.AGENCY, Relation.PURCHASER):
        raise TenderNotFound(tender=tender.id)
    return tender


def agency_tender(uow: UnitOfWork, tender_id: Any, agency_party_id: int, *, for_update: bool = False) -> Tender:
    """The tender if ``agency_party_id`` is its agency (a draft of another party: not found)."""
    tender = load_tender(uow, tender_id, for_update=for_update)
    if tender.agency_id != agency_party_id:
        if tender.published_at is None and tender.purchaser_id != agency_party_id:
            raise TenderNotFound(tender=tender.id)
        raise NotTheAgency(tender=tender.id)
    return tender


def purchaser_tender(uow: UnitOfWork, tender_id: Any, purchaser_party_id: int, *, for_update: bool = False) -> Tender:
    """The tender if ``purchaser_party_id`` is its purchaser (a draft of another party: not found)."""
    tender = load_tender(uow, tender_id, for_update=for_update)
    if tender.purchaser_id != purchaser_party_id:
        if tender.published_at is None and tender.agency_id != purchaser_party_id:
            raise TenderNotFound(tender=tender.id)
        raise NotThePurchaser(tender=tender.id)
    return tender
