"""Accounts in the domain: argon2id hashes, one message for unknown user and wrong password,
lock-out after five failures (by the injected clock), audited attempts without the password,
staff bound to a party of the matching kind, password change."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from bidding.accounts import passwords
from bidding.accounts.errors import (AccountLocked, InvalidAccountData, LoginFailed, UsernameTaken,
                                     WeakPassword, WrongPassword)
from bidding.accounts.models import Account, Role
from bidding.accounts.services import (LOCK_DURATION, authenticate_password, change_password,
                                       create_account)
from bidding.audit import verify_chain
from bidding.audit.models import AuditEntry
from bidding.errors import NotFound
from support.auth import PASSWORD, make_accounts, make_party, test_uow

pytestmark = pytest.mark.production_hasher     # these tests are about the hash itself: the platform's parameters


@pytest.fixture
def accounts(app):
    return make_accounts(app, ("supplier", "operator"))


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_password_is_stored_as_argon2id_hash(app, accounts):
    with app.app_context():
        account = db.session.get(Account, accounts["supplier"])
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        assert passwords.verify_password(account.password_hash, PASSWORD)
        assert not passwords.needs_rehash(account.password_hash)


def test_unknown_user_and_wrong_password_get_the_same_refusal(app, accounts):
    with app.app_context():
        with pytest.raises(LoginFailed) as unknown:
            authenticate_password(test_uow(app), "nobody", PASSWORD, "198.51.100.7")
        with pytest.raises(LoginFailed) as wrong:
            authenticate_password(test_uow(app), "supplier", "wrong-password", "198.51.100.7")
        assert unknown.value.message == wrong.value.message == "用户名或口令错误 (wrong user name or password)"
        assert unknown.value.code == wrong.value.code == "login_failed"


def test_five_failures_lock_until_the_clock_passes(app, accounts, clock):
    with app.app_context():
        for _ in range(4):
            with pytest.raises(LoginFailed):
                authenticate_password(test_uow(app), "supplier", "wrong-password")
        with pytest.raises(AccountLocked) as locked:
            authenticate_password(test_uow(app), "supplier", "wrong-password")
        unlocks = clock.now() + LOCK_DURATION
        assert locked.value.unlocks_at == unlocks
        assert locked.value.details["unlocks_at"] == unlocks.isoformat()
        assert "2026-11-23 16:15" in locked.value.message      # Beijing time (UTC+8)
        assert "2026-11-23 08:15 UTC" in locked.value.message
        # the right password is refused while locked
        with pytest.raises(AccountLocked):
            authenticate_password(test_uow(app), "supplier", PASSWORD)
        clock.advance(minutes=14, seconds=59)
        with pytest.raises(AccountLocked):
            authenticate_password(test_uow(app), "supplier", PASSWORD)
        clock.advance(seconds=1)
        account = authenticate_password(test_uow(app), "supplier", PASSWORD)
        assert account.failed_logins == 0 and account.locked_until is None
        assert account.last_login_at == clock.now()


def test_success_resets_the_failure_count(app, accounts):
    with app.app_context():
        for _ in range(4):
            with pytest.raises(LoginFailed):
                authenticate_password(test_uow(app), "supplier", "wrong-password")
        assert db.session.get(Account, accounts["supplier"]).failed_logins == 4
        authenticate_password(test_uow(app), "supplier", PASSWORD)
        assert db.session.get(Account, accounts["supplier"]).failed_logins == 0
        for _ in range(4):      # four more are not yet a lock
            with pytest.raises(LoginFailed):
                authenticate_password(test_uow(app), "supplier", "wrong-password")
        authenticate_password(test_uow(app), "supplier", PASSWORD)


def test_every_attempt_is_audited_without_the_password(app, accounts):
    with app.app_context():
        with pytest.raises(LoginFailed):
            authenticate_password(test_uow(app), "nobody", "secret-guess-1", "198.51.100.7")
        with pytest.raises(LoginFailed):
            authenticate_password(test_uow(app), "supplier", "secret-guess-2", "198.51.100.7")
        authenticate_password(test_uow(app), "supplier", PASSWORD, "198.51.100.7")
        refused = _entries("account.login_refused")
        assert [json.loads(e.details)["outcome"] for e in refused] == ["unknown_user", "wrong_password"]
        assert [json.loads(e.details)["username"] for e in refused] == ["nobody", "supplier"]
        ok = _entries("account.login")
        assert len(ok) == 1 and ok[0].object_id == str(accounts["supplier"])
        assert json.loads(ok[0].details)["address"] == "198.51.100.7"
        everything = " ".join(e.details for e in db.session.scalars(select(AuditEntry)))
        for secret in ("secret-guess-1", "secret-guess-2", PASSWORD):
            assert secret not in everything
        assert verify_chain(db.session).ok


def test_staff_needs_a_party_of_the_matching_kind(app):
    supplier = make_party(app, "supplier")
    agency = make_party(app, "agency")
    with app.app_context():
        uow = test_uow(app)
        with pytest.raises(InvalidAccountData, match="party"):
            create_account(uow, username="staff1", role=Role.SUPPLIER_STAFF, password=PASSWORD)
        with pytest.raises(InvalidAccountData, match="belongs to a supplier"):
            create_account(uow, username="staff1", role=Role.SUPPLIER_STAFF, password=PASSWORD, party_id=agency)
        with pytest.raises(NotFound):
            create_account(uow, username="staff1", role=Role.SUPPLIER_STAFF, password=PASSWORD, party_id=9999)
        with pytest.raises(InvalidAccountData, match="has no party"):
            create_account(uow, username="op1", role=Role.OPERATOR, password=PASSWORD, party_id=supplier)
        staff = create_account(uow, username="staff1", role=Role.SUPPLIER_STAFF, password=PASSWORD, party_id=supplier)
        assert staff.party.id == supplier
        with pytest.raises(UsernameTaken):
            create_account(uow, username="staff1", role=Role.OPERATOR, password=PASSWORD)
        assert db.session.scalar(select(Account.username).where(Account.role == Role.OPERATOR)) is None


@pytest.mark.parametrize("username", ["ab", "Upper", "with space", "x" * 65, "中文名"])
def test_user_name_rules(app, username):
    with app.app_context(), pytest.raises(InvalidAccountData):
        create_account(test_uow(app), username=username, role=Role.OPERATOR, password=PASSWORD)


def test_change_password(app, accounts):
    with app.app_context():
        uow = test_uow(app)
        with pytest.raises(WrongPassword):
            change_password(uow, accounts["operator"], old_password="not-it-at-all", new_password="new-password-1")
        with pytest.raises(WeakPassword):
            change_password(uow, accounts["operator"], old_password=PASSWORD, new_password="short")
        with pytest.raises(WeakPassword):
            create_account(uow, username="longusername", role=Role.OPERATOR, password="LongUserName")
        account = change_password(uow, accounts["operator"], old_password=PASSWORD, new_password="new-password-1")
        assert account.session_epoch == 1
        with pytest.raises(LoginFailed):
            authenticate_password(uow, "operator", PASSWORD)
        assert authenticate_password(uow, "operator", "new-password-1").id == accounts["operator"]
        assert len(_entries("account.password_changed")) == 1


def test_old_hash_parameters_are_upgraded_at_log_in(app, accounts):
    from argon2 import PasswordHasher
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with app.app_context():
        account = db.session.get(Account, accounts["operator"])
        account.password_hash = weak
        db.session.commit()
        assert passwords.needs_rehash(weak)
        authenticate_password(test_uow(app), "operator", PASSWORD)
        upgraded = db.session.get(Account, accounts["operator"]).password_hash
        assert upgraded != weak and not passwords.needs_rehash(upgraded)
