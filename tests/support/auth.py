"""Accounts and log-in for tests: parties and accounts of every role made through the services,
and :class:`AuthActions`, which logs a test client in and out (as flaskr's tutorial does)."""
from __future__ import annotations

from dataclasses import dataclass

from bidding.accounts import passwords
from bidding.accounts.models import Role
from bidding.accounts.services import add_account, check_new_password
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


_HASHES: dict[tuple[int, int, str], str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """The platform's own argon2id hash of ``password``, made once per test process: argon2id is
    slow on purpose (about 0.4 s a hash), and the accounts the tests make share a few passwords."""
    key = (passwords.HASHER.time_cost, passwords.HASHER.memory_cost, password)   # the hasher in force
    if key not in _HASHES:
        _HASHES[key] = passwords.hash_password(password)
    return _HASHES[key]


def make_accounts(app, usernames=tuple(ACCOUNTS), password: str = PASSWORD) -> dict[str, int]:
    """Accounts (and the parties they need) through the services (:func:`create_test_account`);
    returns user name → account id."""
    parties: dict[str, int] = {}
    ids: dict[str, int] = {}
    for username in usernames:
        role, party_key = ACCOUNTS[username]
        if party_key and party_key not in parties:
            parties[party_key] = make_party(app, party_key)
        ids[username] = create_test_account(app, username=username, role=role, password=password,
                                            display_name=f"{role.label}{username}",
                                            party_id=parties.get(party_key) if party_key else None)
    return ids


def create_test_account(app, *, username: str, role: Role, password: str = PASSWORD, display_name: str | None = None,
                        party_id: int | None = None) -> int:
    """``create_account``'s steps (the password policy, then ``add_account`` with its audit entry)
    with the password's hash made once per process (:func:`password_hash`); the account's id."""
    check_new_password(username, password)
    with app.app_context():
        uow = test_uow(app)
        with uow:
            account = add_account(uow, username=username, role=role, password_hash=password_hash(password),
                                  display_name=display_name, party_id=party_id)
            uow.commit()
            return account.id


@dataclass
class AuthActions:
    """Log a test client in and out through the pages (CSRF off in the testing settings)."""

    client: object

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"username": username, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/logout")
