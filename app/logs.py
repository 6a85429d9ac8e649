"""Structured logging: one JSON object per line on stderr, with the request id and client address.

Each request gets an id (the ``X-Request-ID`` header if it is a sane token, else a new one); it is
echoed in the response header, in every log line written during the request and in the access line.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``remote_addr``, ``method`` and ``path`` to records made in a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = getattr(g, "request_id", None)
            record.remote_addr = request.remote_addr
            record.method = request.method
            record.path = request.path
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; extra attributes (``extra={...}``) become fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
                            .strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure_logging(app: Flask) -> None:
    """Install the JSON handler on the root logger (once per process) and the request hooks."""
    root = logging.getLogger()
    if not any(getattr(h, "_ebid", False) for h in root.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestContextFilter())
        handler._ebid = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # chatter on every import
    # Flask's own default handler would print every error a second time, unformatted.
    from flask.logging import default_handler
    app.logger.removeHandler(default_handler)
    access = logging.getLogger("ebid.access")

    @app.before_request
    def _start() -> None:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = getattr(g, "request_started", None)
        access.info("request", extra={
            "status": response.status_code,
            "duration_ms": None if started is None
            else round((time.perf_counter() - started) * 1000, 2)})
        return response
