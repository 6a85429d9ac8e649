"""Accounts and log-in for tests: parties and accounts of every role made through the services,
and :class:`AuthActions`, which logs a test client in and out (as flaskr's tutorial does)."""
from __future__ import annotations

from dataclasses import dataclass

from bidding.accounts.models import Role
from bidding.accounts.services import create_account
from bidding.audit import Actor
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from bidding.uow import UnitOfWork
from pki.identity import credit_code_check_char

PASSWORD = "correct-horse-battery"
#: user name → (role, demo party key or None)
ACCOUNTS: dict[str, tuple[Role, str | None]] = {
    "supplier": (Role.SUPPLIER_STAFF, "supplier"),
    "agency": (Role.AGENCY_STAFF, "agency"),
    "purchaser": (Role.PURCHASER_STAFF, "purchaser"),
    "operator": (Role.OPERATOR, None),
    "supervisor": (Role.SUPERVISOR, None),
    "supplier2": (Role.SUPPLIER_STAFF, "supplier2"),
}
PARTIES: dict[str, tuple[PartyKind, str, str]] = {
    "supplier": (PartyKind.SUPPLIER, "测试供应商甲", "91440101MA5ACC001"),
    "agency": (PartyKind.AGENCY, "测试代理机构", "91440101MA5ACC002"),
    "purchaser": (PartyKind.PURCHASER, "测试采购单位", "11440100ACC000003"),
    "supplier2": (PartyKind.SUPPLIER, "测试供应商乙", "91440101MA5ACC004"),
}


def test_uow(app) -> UnitOfWork:
    """A unit of work on ``app``'s session and clock, acting as the test."""
    from app.extensions import db
    return UnitOfWork(db.session, app.extensions["clock"], Actor("test", "local"))


test_uow.__test__ = False  # type: ignore[attr-defined]  (not a test function)


def make_party(app, key: str) -> int:
    kind, name, code17 = PARTIES[key]
    with app.app_context():
        party = register_party(test_uow(app), name=name, kind=kind,
                               credit_code=code17 + credit_code_check_char(code17))
        return party.id


def make_accounts(app, usernames=tuple(ACCOUNTS), password: str = PASSWORD) -> dict[str, int]:
    """Accounts (and the parties they need) through the services; returns user name → account id."""
    parties: dict[str, int] = {}
    ids: dict[str, int] = {}
    for username in usernames:
        role, party_key = ACCOUNTS[username]
        if party_key and party_key not in parties:
            parties[party_key] = make_party(app, party_key)
        with app.app_context():
            account = create_account(test_uow(app), username=username, role=role, password=password,
                                     display_name=f"{role.label}{username}",
                                     party_id=parties.get(party_key) if party_key else None)
            ids[username] = account.id
    return ids


@dataclass
class AuthActions:
    """Log a test client in and out through the pages (CSRF off in the testing settings)."""

    client: object

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"username": username, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/logout")
