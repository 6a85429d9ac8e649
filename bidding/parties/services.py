"""Use cases of the parties area. Each runs in one unit of work and writes one audit entry."""
from __future__ import annotations

import re

from sqlalchemy import select

from bidding.parties.errors import InvalidHandler, InvalidPartyData, NoPartyOfAccount, PartyAlreadyRegistered
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
        party = add_party(uow, name=name, kind=kind, credit_code=credit_code, source=source)
        uow.commit()
        return party


def add_party(uow: UnitOfWork, *, name: str, kind: PartyKind, credit_code: str | None,
              source: str | None = None) -> Party:
    """The step of :func:`register_party` inside the caller's transaction (no commit); the name and
    code were checked by the caller."""
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
    return party


def find_party(uow: UnitOfWork, *, kind: PartyKind, name: str, credit_code: str | None) -> Party | None:
    """The party with this credit code, or (without one) of this kind and name; None when unknown."""
    query = (select(Party).where(Party.credit_code == credit_code) if credit_code else
             select(Party).where(Party.kind == kind, Party.name == name, Party.credit_code.is_(None)))
    return uow.session.scalars(query).first()


# -- the certificate handler (经办人), R5 -----------------------------------------------------------
_ID_LAST4 = re.compile(r"^\d{3}[\dX]$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def update_certificate_handler(uow: UnitOfWork, party_id: int | None, *, name: str, id_last4: str,
                               phone: str) -> Party:
    """Record a new person handling the party's certificates (经办人: name, last 4 characters of the
    ID number, phone). R5: this changes no certificate and no binding; the change is audited with the
    previous handler."""
    name = (name or "").strip()
    id_last4 = (id_last4 or "").strip().upper()
    phone = (phone or "").strip().replace(" ", "")
    if not name or len(name) > 50:
        raise InvalidHandler("经办人姓名须为 1–50 个字符 (the name must have 1–50 characters)", field="name")
    if not _ID_LAST4.match(id_last4):
        raise InvalidHandler("身份证号码后 4 位须为 3 位数字加 1 位数字或 X (the last 4 characters of the ID number: "
                             "3 digits and a digit or X)", field="id_last4")
    if not _PHONE.match(phone):
        raise InvalidHandler("联系电话须为 11 位手机号或带区号的固定电话 (a mobile number of 11 digits or a landline "
                             "with its area code)", field="phone")
    with uow:
        party = uow.session.get(Party, party_id) if party_id is not None else None
        if party is None:
            raise NoPartyOfAccount()
        before = {"name": party.handler_name, "id_last4": party.handler_id_last4, "phone": party.handler_phone}
        party.handler_name, party.handler_id_last4, party.handler_phone = name, id_last4, phone
        uow.audit("party.handler_changed", party, before=before,
                  after={"name": name, "id_last4": id_last4, "phone": phone})
        uow.commit()
        return party
