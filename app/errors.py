"""Turn refusals into answers: domain errors, PKI errors and HTTP errors become 4xx pages (Chinese)
or JSON.

A :class:`pki.errors.PkiError` answers by its ``kind``: input 400, integrity 422, state 409,
unavailable 503; an ``io`` failure is the platform's own (a disk, a file store), so it is a 500
with the generic apology and the detail only in the log.

Every JSON error has one shape, ``{"error": {"code", "message", "details", "request_id"}}``, the
``Error`` schema of the OpenAPI document (``app/api/schemas.py``). A 429 (too many log-in attempts,
Flask-Limiter) is answered like any other HTTP error, in Chinese.

JSON is answered for ``/api/…`` paths, the machine endpoints (``/healthz``, ``/tsa``) and clients
that prefer ``application/json`` over HTML. A 500 is a bug: it is logged with its traceback and the
user sees a plain apology with the request id to quote.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from bidding.errors import DomainError
from pki.errors import PkiError

log = logging.getLogger(__name__)

HTTP_MESSAGES: dict[int, str] = {
    400: "请求无效 (bad request)",
    401: "请先登录 (please log in first)",
    403: "无权访问此页面 (forbidden)",
    404: "页面不存在 (page not found)",
    405: "不支持此请求方法 (method not allowed)",
    409: "当前状态不允许此操作 (conflict)",
    413: "上传内容过大 (request too large)",
    415: "不支持的内容类型 (unsupported media type)",
    422: "输入有误 (unprocessable input)",
    429: "请求过于频繁，请稍后再试 (too many requests)",
    503: "服务暂不可用 (service unavailable)",
}
CSRF_MESSAGE = ("表单已过期或缺少安全令牌，请刷新页面后重试 "
                "(the form's CSRF token is missing or expired: reload the page and try again)")
INTERNAL_MESSAGE = "服务器内部错误，请将请求编号告知平台运营方 (internal error: quote the request id)"
_JSON_PREFIXES = ("/api/", "/healthz", "/tsa")
#: HTTP status of each :data:`pki.errors.ErrorKind` (``io`` is answered as an internal error).
PKI_KIND_STATUS: dict[str, int] = {"input": 400, "integrity": 422, "state": 409, "unavailable": 503}


def wants_json() -> bool:
    """Whether this request should get a JSON error rather than an HTML page."""
    if request.path.startswith(_JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and (
        request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"])


def error_response(status: int, code: str, message: str,
                   details: dict[str, Any] | None = None) -> tuple[Response | str, int]:
    """An error answer in the form the client wants."""
    request_id = getattr(g, "request_id", None)
    if wants_json():
        body = {"error": {"code": code, "message": message, "details": details or {},
                          "request_id": request_id}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, code=code, message=message,
                           request_id=request_id), status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        log.info("refused: %s", exc.code, extra={"error_code": exc.code})
        return error_response(exc.http_status, exc.code, exc.message, exc.details)

    @app.errorhandler(PkiError)
    def _pki(exc: PkiError):  # type: ignore[no-untyped-def]
        status = PKI_KIND_STATUS.get(exc.kind)
        if status is None:
            log.error("PKI %s failure: %s", exc.kind, exc.code, exc_info=exc, extra={"error_code": exc.code})
            return error_response(500, "internal_error", INTERNAL_MESSAGE)
        log.info("refused (pki): %s", exc.code, extra={"error_code": exc.code})
        return error_response(status, exc.code, exc.message, _json_safe(exc.details))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):  # type: ignore[no-untyped-def]
        log.warning("CSRF refused: %s", exc.description)
        return error_response(400, "csrf", CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        if status >= 500 and status != 503:
            return _internal(exc)
        message = HTTP_MESSAGES.get(status, f"请求无法处理 (HTTP {status})")
        response = app.make_response(error_response(status, f"http_{status}", message, _http_details(exc)))
        for key, value in exc.get_headers():
            if key.lower() in ("allow", "retry-after", "www-authenticate"):
                response.headers[key] = value
        return response

    # Unhandled exceptions reach this only when they are not propagated (i.e. not in tests, where
    # the traceback should fail the test instead).
    @app.errorhandler(InternalServerError)
    def _internal(exc: HTTPException):  # type: ignore[no-untyped-def]
        original = getattr(exc, "original_exception", None) or exc
        log.error("internal error", exc_info=original)
        return error_response(500, "internal_error", INTERNAL_MESSAGE)


def _http_details(exc: HTTPException) -> dict[str, Any]:
    """What a JSON client can use to fix its request: the fields a schema refused (webargs puts
    them in ``exc.data["messages"]``, by location), or the rate limit that was hit."""
    data = getattr(exc, "data", None) or {}
    if isinstance(data, dict) and data.get("messages"):
        return _json_safe({"fields": data["messages"]})
    limit = getattr(exc, "limit", None)
    if exc.code == 429 and limit is not None:
        return {"limit": str(getattr(limit, "limit", limit))}
    return {}


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` with every value JSON can carry as is, the others as text."""
    def safe(value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, (list, tuple)):
            return [safe(v) for v in value]
        if isinstance(value, dict):
            return {str(k): safe(v) for k, v in value.items()}
        return str(value)
    return {str(k): safe(v) for k, v in details.items()}
