"""The agent's refusals: a stable ``code``, a message (Chinese first, English in parentheses) and
an HTTP status. A :class:`pki.errors.PkiError` becomes one through :func:`from_pki`; anything
else is a bug and is answered with a generic 500, never with a traceback."""
from __future__ import annotations

from typing import Any

from pki.errors import PkiError


class AgentError(Exception):
    """A refusal of the agent, answered as ``{"error": {"code", "message"[, "details"]}}``."""

    code = "agent_error"
    message = "请求被拒绝 (the request was refused)"
    status = 400

    def __init__(self, message: str | None = None, *, status: int | None = None, **details: Any) -> None:
        if message is not None:
            self.message = message
        if status is not None:
            self.status = status
        self.details = details
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(AgentError):
    code = "bad_request"
    message = "请求无效 (invalid request)"


class HostRefused(AgentError):
    code = "host_refused"
    message = "Host 头不是本助手的地址 (the Host header does not name this agent: DNS rebinding refused)"
    status = 403


class OriginRefused(AgentError):
    code = "origin_refused"
    message = "来源未获允许 (this origin may not use the signing agent)"
    status = 403


class NotFound(AgentError):
    code = "not_found"
    message = "没有这个接口 (no such endpoint)"
    status = 404


class MethodNotAllowed(AgentError):
    code = "method_not_allowed"
    message = "不支持该请求方法 (method not allowed)"
    status = 405


class LengthRequired(AgentError):
    code = "length_required"
    message = "请求须带 Content-Length (a Content-Length is needed; chunked bodies are refused)"
    status = 411


class PayloadTooLarge(AgentError):
    code = "payload_too_large"
    message = "请求过大 (the request is too large)"
    status = 413


class UnsupportedMediaType(AgentError):
    code = "unsupported_media_type"
    message = "请求须为 JSON (the request must be application/json)"
    status = 415


class UnknownCertificate(AgentError):
    code = "unknown_certificate"
    message = "找不到该证书 (no such certificate in the agent: list /v1/certificates)"
    status = 404


class UnknownToken(AgentError):
    code = "unknown_token"
    message = "找不到该令牌 (no such token in the agent)"
    status = 404


class UnsuitableCertificate(AgentError):
    code = "certificate_unsuitable"
    message = "证书不能用于此操作 (the certificate cannot be used for this operation)"


class KeyCertificateMismatch(AgentError):
    code = "key_certificate_mismatch"
    message = "私钥与证书不匹配 (the key does not belong to the certificate)"
    status = 422


class KeyFilePasswordIncorrect(AgentError):
    """A wrong password for a key file; ``remaining`` tries are left before it locks (R9)."""

    code = "pin_incorrect"

    def __init__(self, remaining: int) -> None:
        super().__init__(f"口令错误，还可尝试 {remaining} 次 (wrong password: {remaining} "
                         f"attempt{'s' * (remaining != 1)} left before the key file locks)", remaining=remaining)


class KeyFileLocked(AgentError):
    """A key file after too many wrong passwords: its owner restores it (docs/agent.md)."""

    code = "key_locked"
    status = 423

    def __init__(self, failures: int) -> None:
        super().__init__(f"密钥文件已锁定（口令连续错误 {failures} 次），请由证书持有人从备份恢复该密钥文件并设置新口令 "
                         f"(key file locked after {failures} wrong passwords: its owner restores the key file "
                         f"from the backup with a new password; see docs/agent.md)", failures=failures)


#: pki error kind → HTTP status (pki/errors.py).
KIND_STATUS = {"input": 400, "integrity": 422, "state": 409, "unavailable": 503, "io": 500}
#: Codes whose status says more than their kind.
CODE_STATUS = {"token_locked": 423}


def from_pki(exc: PkiError) -> AgentError:
    """The agent's answer to a pki refusal: same code and bilingual message, status by kind."""
    err = AgentError(" ".join(str(exc).split()) or exc.message,
                     status=CODE_STATUS.get(exc.code, KIND_STATUS.get(exc.kind, 400)))
    err.code = exc.code
    remaining = getattr(exc, "remaining", None)
    if remaining is not None:
        err.details = {"remaining": remaining}
    return err


INTERNAL = AgentError("内部错误，请查看助手的日志 (internal error of the agent: see its log)", status=500)
INTERNAL.code = "internal_error"
