"""Refusals of the accounts area."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bidding.errors import Conflict, DomainError, InvalidInput

BEIJING = timezone(timedelta(hours=8))


class LoginFailed(DomainError):
    """Unknown user, wrong password or inactive account: one message, so that nobody learns which."""

    code = "login_failed"
    message = "用户名或口令错误 (wrong user name or password)"
    http_status = 401


class AccountLocked(DomainError):
    """Too many consecutive failures: the account is refused until ``unlocks_at``."""

    code = "account_locked"
    http_status = 403

    def __init__(self, unlocks_at: datetime) -> None:
        local = unlocks_at.astimezone(BEIJING)
        self.unlocks_at = unlocks_at
        super().__init__(
            f"连续登录失败次数过多，账户已锁定，请于北京时间 {local:%Y-%m-%d %H:%M} 后再试 "
            f"(too many failed log-ins: the account is locked until "
            f"{unlocks_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)",
            unlocks_at=unlocks_at.astimezone(timezone.utc).isoformat())


class InvalidAccountData(InvalidInput):
    code = "account_data_invalid"
    message = "账户信息有误 (the account's data is invalid)"


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "该用户名已被使用 (this user name is taken)"


class WeakPassword(InvalidInput):
    code = "password_weak"
    message = "新口令至少 10 个字符，且不得与用户名相同 (the new password needs at least 10 characters and must differ from the user name)"


class WrongPassword(InvalidInput):
    code = "password_wrong"
    message = "原口令错误 (the current password is wrong)"
