"""The agent's HTTP service on 127.0.0.1 (standard library :class:`ThreadingHTTPServer`).

Every request passes, in this order:

1. ``Host`` must be ``127.0.0.1:<port>`` or ``localhost:<port>``: a page on a name that some DNS
   server points at 127.0.0.1 (DNS rebinding) is refused even though its request arrives here.
2. ``Origin`` must be one of the configured platform origins; a request without ``Origin`` only when
   the agent was started with ``--allow-no-origin`` (command-line clients on this machine). A refused
   origin gets 403 and no CORS header, so its page cannot even read the refusal.
3. A CORS preflight (``OPTIONS``) of an allowed origin is answered with that origin (never ``*``),
   ``Vary: Origin``, the methods and the ``Content-Type`` header, and
   ``Access-Control-Allow-Private-Network: true`` when Chromium's older Private Network Access
   preflight asks for it.
4. A ``POST`` must be ``application/json`` with a ``Content-Length`` (no chunked bodies) not above
   the endpoint's limit; the body is read only up to that limit (413 otherwise).

Answers are JSON; a refusal is ``{"error": {"code", "message"}}`` with a 4xx status (503 when the
token is missing). Bodies, PINs and keys never reach the log: one line per request names the
method, path, status and origin.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bidtool.agent.config import AgentConfig, normalise_origin
from bidtool.agent.errors import (
    INTERNAL,
    AgentError,
    BadRequest,
    HostRefused,
    LengthRequired,
    MethodNotAllowed,
    NotFound,
    OriginRefused,
    PayloadTooLarge,
    UnsupportedMediaType,
    from_pki,
)
from bidtool.agent.operations import Operations
from bidtool.agent.protocol import (
    AGENT_VERSION,
    MAX_BODY,
    MAX_SIGN_BODY,
    PinRequest,
    SignRequest,
    UnwrapRequest,
    parse_json,
)
from pki.errors import PkiError

log = logging.getLogger("bidtool.agent")

BIND_ADDRESS = "127.0.0.1"
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"

Handler = Callable[[Operations, dict[str, Any]], dict[str, Any]]
#: path → (method, body limit, handler)
ROUTES: dict[str, tuple[str, int, Handler]] = {
    "/v1/info": ("GET", 0, lambda ops, _: ops.info()),
    "/v1/certificates": ("GET", 0, lambda ops, _: ops.certificates()),
    "/v1/sign": ("POST", MAX_SIGN_BODY, lambda ops, body: ops.sign(SignRequest.parse(body))),
    "/v1/unwrap": ("POST", MAX_BODY, lambda ops, body: ops.unwrap(UnwrapRequest.parse(body))),
    "/v1/pin": ("POST", MAX_BODY, lambda ops, body: ops.change_pin(PinRequest.parse(body))),
}


class AgentServer(ThreadingHTTPServer):
    """Listens on 127.0.0.1 only; ``port`` 0 picks a free port (tests)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: AgentConfig, operations: Operations):
        self.config = config
        self.operations = operations
        self.origins = frozenset(config.origins)
        super().__init__((BIND_ADDRESS, config.port), AgentHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{BIND_ADDRESS}:{self.port}"


class AgentHandler(BaseHTTPRequestHandler):
    server: AgentServer
    protocol_version = "HTTP/1.1"
    server_version = f"ebid-agent/{AGENT_VERSION}"
    sys_version = ""
    timeout = 30            # a client that stops sending does not hold a thread for ever

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    # -- the checks, in order ---------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        self._cors_origin: str | None = None
        try:
            self._check_host()
            self._cors_origin = self._check_origin()
            path = urlsplit(self.path).path
            if path not in ROUTES:
                raise NotFound()
            route_method, limit, handler = ROUTES[path]
            if method == "OPTIONS":
                self._preflight(route_method)
                return
            if method != route_method:
                raise MethodNotAllowed(f"{path} 只接受 {route_method} ({path} accepts {route_method} only)")
            body = self._json_body(limit) if method == "POST" else {}
            self._send(200, handler(self.server.operations, body))
        except AgentError as exc:
            self._send(exc.status, exc.to_json())
        except PkiError as exc:
            err = from_pki(exc)
            self._send(err.status, err.to_json())
        except Exception as exc:  # noqa: BLE001 — a bug: a generic answer, the type in the log, no traceback
            log.error("internal error in %s %s: %s", method, urlsplit(self.path).path, type(exc).__name__)
            self._send(INTERNAL.status, INTERNAL.to_json())

    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.port
        if host not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            raise HostRefused()

    def _check_origin(self) -> str | None:
        """The allowed origin to name in CORS headers (None: no Origin, allowed by configuration)."""
        origins = self.headers.get_all("Origin") or []
        if not origins:
            if self.server.config.allow_no_origin:
                return None
            raise OriginRefused("请求缺少 Origin (a request without Origin is refused: start the agent with "
                                "--allow-no-origin for command-line clients)")
        normal = normalise_origin(origins[0]) if len(origins) == 1 else None
        if normal is None or normal not in self.server.origins or origins[0] != normal:
            raise OriginRefused()
        return normal

    def _preflight(self, method: str) -> None:
        requested = (self.headers.get("Access-Control-Request-Method") or "").strip()
        if requested and requested != method:
            raise MethodNotAllowed()
        headers = {h.strip().lower() for h in (self.headers.get("Access-Control-Request-Headers") or "").split(",")}
        if headers - {"", "content-type"}:
            raise BadRequest("只允许 Content-Type 请求头 (only the Content-Type request header is allowed)")
        extra = {"Access-Control-Allow-Methods": ALLOWED_METHODS,
                 "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                 "Access-Control-Max-Age": PREFLIGHT_MAX_AGE}
        if (self.headers.get("Access-Control-Request-Private-Network") or "").strip().lower() == "true":
            extra["Access-Control-Allow-Private-Network"] = "true"
        self._send(204, None, extra)

    def _json_body(self, limit: int) -> dict[str, Any]:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise LengthRequired()
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self.close_connection = True
            raise UnsupportedMediaType()
        text = self.headers.get("Content-Length")
        if text is None:
            self.close_connection = True
            raise LengthRequired()
        if not text.isdigit():
            self.close_connection = True
            raise BadRequest("Content-Length 无效 (invalid Content-Length)")
        length = int(text)
        if length > limit:
            self.close_connection = True            # the body is not read: drop the connection
            raise PayloadTooLarge(f"请求过大，最多 {limit} 字节 (the request is larger than {limit} bytes)")
        body = self.rfile.read(length)
        if len(body) != length:
            self.close_connection = True
            raise BadRequest("请求不完整 (the request body ended early)")
        return parse_json(body)

    # -- answers --------------------------------------------------------------------------------
    def _send(self, status: int, body: dict[str, Any] | None, extra: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        if self._cors_origin is not None:
            self.send_header("Access-Control-Allow-Origin", self._cors_origin)
        self.send_header("Vary", "Origin")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long) as JSON too."""
        self._cors_origin = None
        self.close_connection = True
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
        err = AgentError(f"请求无效 (invalid HTTP request: {phrase})", status=code)
        err.code = "bad_http_request"
        try:
            self._send(code, err.to_json())
        except OSError:
            pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        headers = getattr(self, "headers", None)
        origin = headers.get("Origin", "-") if headers else "-"
        log.info('%s "%s %s" %s origin=%s', self.client_address[0], getattr(self, "command", None) or "-",
                 urlsplit(getattr(self, "path", "") or "").path, code, origin)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.client_address[0], format % args)
