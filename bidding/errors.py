"""Domain errors: a refusal with a reason the user can read.

Every refusal in ``bidding/`` is an exception of a class below (or a subclass that a use-case module
defines), never a bare ``False``. Each class carries

- ``code``: a stable machine-readable identifier (used in the JSON API and in tests),
- ``message``: the text shown to the user, Chinese first, English in parentheses,
- ``http_status``: the 4xx status the web layer answers with (``app/errors.py`` does the mapping;
  nothing here knows about HTTP beyond this number).

Subclasses normally only set the three class attributes; pass ``message=`` to say something more
specific, and keyword ``details`` for machine-readable context (shown in JSON answers).
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class of every refusal by the domain. Never means a bug (that is a 500)."""

    code: str = "domain_error"
    message: str = "操作无法完成 (the operation cannot be done)"
    http_status: int = 400

    def __init__(self, message: str | None = None, **details: Any) -> None:
        if message is not None:
            self.message = message
        self.details: dict[str, Any] = details
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(DomainError):
    code = "invalid_input"
    message = "输入有误 (invalid input)"
    http_status = 400


class NotFound(DomainError):
    code = "not_found"
    message = "对象不存在 (not found)"
    http_status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = "无权执行此操作 (permission denied)"
    http_status = 403


class Conflict(DomainError):
    """The request is valid but the object's current state forbids it (deadline passed, locked…)."""

    code = "conflict"
    message = "当前状态不允许此操作 (the current state does not allow this)"
    http_status = 409


class AuditError(DomainError):
    """The audit log cannot take an entry (a set-up problem, not a user's mistake)."""

    code = "audit_error"
    message = "审计日志无法写入 (the audit log cannot be written)"
    http_status = 409


class AuditLogImmutable(AuditError):
    """Raised when any code tries to update or delete an audit entry through the ORM."""

    code = "audit_immutable"
    message = "审计记录不可修改或删除 (audit entries cannot be changed or deleted)"
