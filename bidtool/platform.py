"""The platform's JSON API as bidtool speaks it (``/api/v1``, docs/architecture.md "Sessions and the
API"): a :class:`requests.Session` carrying the session cookie, the ``X-CSRFToken`` header on every
write, and the platform's refusals turned into bidtool's one-line errors and exit codes.

A refusal ``{"error": {code, message}}`` becomes a :class:`PlatformRefusal`: exit 1 (the platform
said no: deadline passed, not registered, certificate not bound …), 2 for the refusals that mean a
signature or a file did not match (:data:`INTEGRITY_CODES`), 3 when the platform could not do it
(5xx) or could not be reached.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from bidtool import session as sessions
from bidtool.errors import EXIT_CRYPTO, EXIT_INPUT, EXIT_IO, ToolError

API = "/api/v1"
TIMEOUT = (10, 300)     # connect, read: a chunk of 8 MiB on a slow line takes a while
INTEGRITY_CODES = {"bid_digest_mismatch", "challenge_content_mismatch", "key_release_signature_invalid",
                   "key_release_mismatch", "wrong_content_key", "bid_package_refused"}


class PlatformRefusal(ToolError):
    """The platform answered with an error: its ``status``, ``code``, ``details``."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None):
        zh, en = split_bilingual(message)
        exit_code = EXIT_IO if status >= 500 else EXIT_CRYPTO if code in INTEGRITY_CODES else EXIT_INPUT
        super().__init__(f"平台拒绝：{zh} (refused by the platform: {en} [{code}, HTTP {status}])", exit_code)
        self.status, self.code_name, self.details = status, code, details or {}


class Unreachable(ToolError):
    """The connection failed or broke: exit 3."""

    def __init__(self, url: str, exc: BaseException):
        super().__init__(f"无法连接平台 {url} (the platform could not be reached: {type(exc).__name__})", EXIT_IO)


def split_bilingual(message: str) -> tuple[str, str]:
    """'中文 (English)：中文 (English)' → the Chinese with the English glosses taken out, and the
    glosses joined; a message in one language is used for both."""
    zh, en, depth, start = [], [], 0, 0
    for i, ch in enumerate(message):
        if ch == "(":
            if depth == 0:
                zh.append(message[start:i])
                start = i
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                group = message[start + 1:i]
                if _CJK.search(group):          # Chinese in parentheses stays in the Chinese text
                    zh.append(f"({group})")
                else:
                    en.append(group)
                start = i + 1
    zh.append(message[start:])
    chinese = re.sub(r"\s+(?=[\u3000-\u303f\uff00-\uffef])", "", " ".join("".join(zh).split()))
    english = "; ".join(" ".join(e.split()) for e in en)
    if not english or not _CJK.search(chinese):
        text = " ".join(message.split())
        return text, _CJK.sub(" ", text).strip() or "see above"
    return chinese, english


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def normalise_platform(url: str) -> str:
    """``scheme://host[:port][/prefix]`` without a trailing slash; anything else is a usage mistake."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ToolError(f"平台地址无效 (invalid --platform {url!r}: give http(s)://host[:port])")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class Platform:
    """One platform, with or without a logged-in session."""

    def __init__(self, base: str, state: sessions.PlatformSession | None = None):
        self.base = normalise_platform(base)
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "bidtool"
        self.http.headers["Accept"] = "application/json"
        self.csrf_token = None
        if state is not None:
            for c in state.cookies:
                self.http.cookies.set(c["name"], c["value"], domain=c.get("domain", ""), path=c.get("path", "/"))
            self.csrf_token = state.csrf_token

    @classmethod
    def logged_in(cls, session_file: Path) -> "Platform":
        state = sessions.load(session_file)
        return cls(state.platform, state)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + (path if path.startswith("/")
                                                                                   else f"{API}/{path}")

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204), **kwargs) -> requests.Response:
        """One request; an answer outside ``ok`` raises :class:`PlatformRefusal`."""
        headers = dict(kwargs.pop("headers", None) or {})
        if method not in ("GET", "HEAD", "OPTIONS") and self.csrf_token:
            headers["X-CSRFToken"] = self.csrf_token
        url = self.url(path)
        try:
            answer = self.http.request(method, url, headers=headers, timeout=kwargs.pop("timeout", TIMEOUT), **kwargs)
        except requests.RequestException as exc:
            raise Unreachable(self.base, exc) from exc
        if answer.status_code not in ok:
            raise refusal(answer)
        return answer

    def get_json(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post_json(self, path: str, body: dict[str, Any] | None = None, **kwargs) -> Any:
        answer = self.request("POST", path, json=body or {}, **kwargs)
        return answer.json() if answer.content else None

    def cookies(self) -> list[dict[str, str]]:
        return [{"name": c.name, "value": c.value or "", "domain": c.domain, "path": c.path} for c in self.http.cookies]


def refusal(answer: requests.Response) -> PlatformRefusal:
    """The platform's error answer as a :class:`PlatformRefusal` (a page or an empty body too)."""
    if answer.status_code == 401:       # whatever the platform's words, the remedy is the same
        return PlatformRefusal(401, "not_logged_in", "未登录或会话已结束，请运行 bidtool login "
                               "(not logged in, or the session ended: run bidtool login)")
    try:
        error = answer.json()["error"]
        return PlatformRefusal(answer.status_code, str(error.get("code")), str(error.get("message") or ""),
                               error.get("details") or {})
    except (ValueError, KeyError, TypeError, AttributeError):
        return PlatformRefusal(answer.status_code, f"http_{answer.status_code}",
                               f"平台返回 HTTP {answer.status_code} (the platform answered HTTP {answer.status_code})")


__all__ = ["Platform", "PlatformRefusal", "Unreachable", "refusal", "normalise_platform", "split_bilingual"]
