"""Use cases of the parties area. Each runs in one unit of work and writes one audit entry."""
from __future__ import annotations

from sqlalchemy import select

from bidding.parties.errors import InvalidPartyData, PartyAlreadyRegistered
from bidding.parties.models import Party, PartyKind
from bidding.uow import UnitOfWork
from pki.identity import IdentityError, validate_credit_code

#: Kinds that are organisations and so must carry a unified social credit code.
ORGANISATION_KINDS = frozenset({PartyKind.SUPPLIER, PartyKind.AGENCY, PartyKind.PURCHASER})


def register_party(uow: UnitOfWork, *, name: str, kind: PartyKind, credit_code: str | None = None,
                   source: str | None = None) -> Party:
    """Register a party (主体入库). An organisation needs a valid GB 32100 credit code that no other
    party holds; an expert or the operator may have none. Refusals change nothing."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidPartyData("主体名称须为 1–200 个字符 (the name must have 1–200 characters)")
    if credit_code is not None:
        try:
            credit_code = validate_credit_code(credit_code)
        except IdentityError as exc:
            raise InvalidPartyData(str(exc)) from exc
    elif kind in ORGANISATION_KINDS:
        raise InvalidPartyData(f"{kind.label}须提供统一社会信用代码 (a {kind.value} needs its unified social "
                               "credit code)")
    with uow:
        if credit_code is not None and uow.session.scalars(
                select(Party.id).where(Party.credit_code == credit_code)).first() is not None:
            raise PartyAlreadyRegistered(credit_code=credit_code)
        party = Party(name=name, kind=kind, credit_code=credit_code, created_at=uow.clock.now())
        uow.session.add(party)
        uow.session.flush()
        details = {"name": name, "kind": kind, "credit_code": credit_code}
        if source:
            details["source"] = source
        uow.audit("party.registered", party, **details)
        uow.commit()
        return party


def find_party(uow: UnitOfWork, *, kind: PartyKind, name: str, credit_code: str | None) -> Party | None:
    """The party with this credit code, or (without one) of this kind and name; None when unknown."""
    query = (select(Party).where(Party.credit_code == credit_code) if credit_code else
             select(Party).where(Party.kind == kind, Party.name == name, Party.credit_code.is_(None)))
    return uow.session.scalars(query).first()
