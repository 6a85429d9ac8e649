"""Use cases of the accounts area. Each runs in one unit of work and writes one audit entry; no
password ever reaches the audit log or the database (only its argon2id hash)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bidding.accounts import passwords
from bidding.accounts.errors import (AccountLocked, InvalidAccountData, LoginFailed, UsernameTaken,
                                     WeakPassword, WrongPassword)
from bidding.accounts.models import Account, Role
from bidding.errors import NotFound
from bidding.parties.models import Party
from bidding.uow import UnitOfWork

USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5               # consecutive failures that lock the account …
LOCK_DURATION = timedelta(minutes=15)   # … for this long


def create_account(uow: UnitOfWork, *, username: str, role: Role, password: str,
                   display_name: str | None = None, party_id: int | None = None) -> Account:
    """Create an account. A staff role needs a party of the matching kind; an operator or
    supervisor has none. The password follows :func:`check_new_password`."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise InvalidAccountData("用户名须为 3–64 个字符，仅限小写字母、数字和 . _ - "
                                 "(a user name has 3–64 characters: a-z, 0-9, '.', '_', '-')")
    display_name = (display_name or username).strip()
    if not display_name or len(display_name) > 100:
        raise InvalidAccountData("显示名称须为 1–100 个字符 (the display name must have 1–100 characters)")
    check_new_password(username, password)
    with uow:
        account = add_account(uow, username=username, role=role, password_hash=passwords.hash_password(password),
                              display_name=display_name, party_id=party_id)
        uow.commit()
        return account


def add_account(uow: UnitOfWork, *, username: str, role: Role, password_hash: str,
                display_name: str | None = None, party_id: int | None = None) -> Account:
    """The step of :func:`create_account` inside the caller's transaction (no commit), for a use
    case that creates an account together with other rows (approving a registration); the password
    was checked and hashed by the caller."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise InvalidAccountData("用户名须为 3–64 个字符，仅限小写字母、数字和 . _ - "
                                 "(a user name has 3–64 characters: a-z, 0-9, '.', '_', '-')")
    display_name = (display_name or username).strip()[:100]
    _check_party(uow, role, party_id)
    if uow.session.scalars(select(Account.id).where(Account.username == username)).first():
        raise UsernameTaken(username=username)
    account = Account(username=username, display_name=display_name, role=role, party_id=party_id,
                      password_hash=password_hash, failed_logins=0,
                      created_at=uow.clock.now(), active=True, session_epoch=0)
    uow.session.add(account)
    uow.session.flush()
    uow.audit("account.created", account, username=username, role=role, party_id=party_id)
    return account


def authenticate_password(uow: UnitOfWork, username: str, password: str,
                          address: str | None = None) -> Account:
    """The account whose user name and password these are, or a refusal: :class:`LoginFailed`
    (unknown user, wrong password, inactive account: one message) or :class:`AccountLocked`
    (after :data:`MAX_FAILED_LOGINS` consecutive failures, for :data:`LOCK_DURATION`). Every
    attempt is audited (user name, outcome, address; never the password) and a failure is
    counted even though the answer is a refusal."""
    address = address or uow.actor.address
    with uow:
        now = uow.clock.now()
        account = uow.session.scalars(
            select(Account).where(Account.username == (username or "").strip())
            .with_for_update(of=Account)).first()
        if account is None:
            passwords.burn_time(password or "")
            _refuse(uow, LoginFailed(), None, username, "unknown_user", address)
        if account.is_locked(now):
            _refuse(uow, AccountLocked(account.locked_until), account, username, "locked", address)
        if not passwords.verify_password(account.password_hash, password or "") or not account.active:
            refusal: LoginFailed | AccountLocked = LoginFailed()
            account.failed_logins += 1
            if account.failed_logins >= MAX_FAILED_LOGINS:
                account.failed_logins = 0
                account.locked_until = now + LOCK_DURATION
                refusal = AccountLocked(account.locked_until)
            _refuse(uow, refusal, account, username,
                    "wrong_password" if account.active else "inactive", address)
        if passwords.needs_rehash(account.password_hash):
            account.password_hash = passwords.hash_password(password)
        account.failed_logins = 0
        account.locked_until = None
        account.last_login_at = now
        uow.audit("account.login", account, method="password", outcome="ok", username=account.username,
                  address=address)
        uow.commit()
        return account


def _refuse(uow: UnitOfWork, refusal: Exception, account: Account | None, username: str,
            outcome: str, address: str) -> None:
    """Audit a refused log-in, keep the failure count, and raise ``refusal``."""
    if account is None:
        uow.audit("account.login_refused", object_type="account", method="password", outcome=outcome,
                  username=(username or "")[:64], address=address)
    else:
        uow.audit("account.login_refused", account, method="password", outcome=outcome,
                  username=account.username, failed_logins=account.failed_logins,
                  locked_until=account.locked_until, address=address)
    uow.commit()
    raise refusal


def change_password(uow: UnitOfWork, account_id: int, *, old_password: str, new_password: str) -> Account:
    """Replace the password after checking the current one; every other session of the account
    ends (the session epoch moves on)."""
    with uow:
        account = _load(uow, account_id)
        if not passwords.verify_password(account.password_hash, old_password or ""):
            raise WrongPassword()
        check_new_password(account.username, new_password)
        account.password_hash = passwords.hash_password(new_password)
        account.session_epoch += 1
        uow.audit("account.password_changed", account, username=account.username)
        uow.commit()
        return account


def end_sessions(uow: UnitOfWork, account_id: int) -> None:
    """Log out: every session cookie issued to the account so far stops authenticating."""
    with uow:
        account = _load(uow, account_id)
        account.session_epoch += 1
        uow.audit("account.logout", account, username=account.username)
        uow.commit()


def session_account(uow: UnitOfWork, session_id: str) -> Account | None:
    """The active account of a session user id (``"<id>.<epoch>"``, see ``Account.get_id``), or
    ``None`` when the id is malformed, unknown, inactive or from an ended session."""
    account_id, _, epoch = (session_id or "").partition(".")
    if not (account_id.isdigit() and epoch.isdigit()):
        return None
    account = uow.session.get(Account, int(account_id))
    if account is None or not account.active or account.session_epoch != int(epoch):
        return None
    return account


def check_new_password(username: str, password: str) -> None:
    """At least :data:`MIN_PASSWORD_LENGTH` characters and not the user name."""
    if (len(password or "") < MIN_PASSWORD_LENGTH
            or password.strip().lower() == (username or "").strip().lower()):
        raise WeakPassword()


def _check_party(uow: UnitOfWork, role: Role, party_id: int | None) -> None:
    kind = role.party_kind
    if kind is None:
        if party_id is not None:
            raise InvalidAccountData(f"{role.label}账户不属于任何主体 (a {role.value} account has no party)")
        return
    if party_id is None:
        raise InvalidAccountData(f"{role.label}账户须指定所属{kind.label} (a {role.value} account needs its "
                                 f"{kind.value} party)")
    party = uow.session.get(Party, party_id)
    if party is None:
        raise NotFound(f"主体 #{party_id} 不存在 (party #{party_id} not found)", party_id=party_id)
    if party.kind != kind:
        raise InvalidAccountData(f"{role.label}账户只能属于{kind.label}，主体 #{party_id} 是{party.kind.label} "
                                 f"(a {role.value} account belongs to a {kind.value}, party #{party_id} is a "
                                 f"{party.kind.value})", party_id=party_id)


def _load(uow: UnitOfWork, account_id: int) -> Account:
    account = uow.session.get(Account, account_id)
    if account is None:
        raise NotFound("账户不存在 (account not found)", account_id=account_id)
    return account
