"""PINs: where they come from, and the count of wrong ones (R9).

The user PIN of SoftHSM never locks, so the platform counts failures itself: :class:`PinCounter`
keeps them in a file shared by every process on the host, 10 wrong PINs lock the token, and
unlocking is a service request done with the SO PIN (:func:`unlock_with_so_pin`).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pkcs11 import exceptions as p11err

from pki.files import write_atomic
from pki.pkcs11.errors import (PinIncorrect, PinRequired, SoPinIncorrect, TokenError, TokenLocked,
                               TokenLoginError)
from pki.pkcs11.library import (CKR_NAMES, CKR_OK, CKR_PIN_LOCKED, CKR_WRONG_PIN, CKU_SO, Library,
                                load_library, locked, module_for, sessions, settings)
from pki.pkcs11.lookup import find_token, token_key, token_uri
from pki.pkcs11.uri import Pkcs11Uri


@dataclass(frozen=True)
class PinStatus:
    """Failure count of a token's user PIN."""

    failures: int
    remaining: int
    locked: bool


class PinCounter:
    """Persistent count of wrong user PINs for one token (R9), shared by every process on the host.

    A JSON file written atomically (temporary file, fsync, rename); an ``flock`` on a companion
    file serialises the read-modify-write across processes.
    """

    def __init__(self, state_dir: Path, token_key: str, *, label: str, max_attempts: int):
        state_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(token_key.encode("utf-8")).hexdigest()[:32]
        self.path = state_dir / f"pin-{name}.json"
        self._lock_path = state_dir / f"pin-{name}.lock"
        self.label = label
        self.max_attempts = max_attempts

    @contextlib.contextmanager
    def transaction(self) -> Iterator["PinCounter"]:
        with open(self._lock_path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def status(self) -> PinStatus:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            failures = int(data["failures"])
        except FileNotFoundError:
            failures = 0
        except (ValueError, KeyError, TypeError) as exc:
            # Fail closed: an unreadable counter must not reopen a locked token.
            raise TokenError(f"PIN 计数文件损坏 (PIN failure counter unreadable: {self.path})") from exc
        return PinStatus(failures=failures, remaining=max(self.max_attempts - failures, 0),
                         locked=failures >= self.max_attempts)

    def record_failure(self) -> PinStatus:
        return self._write(self.status().failures + 1)

    def lock(self) -> PinStatus:
        return self._write(max(self.status().failures, self.max_attempts))

    def reset(self) -> PinStatus:
        return self._write(0)

    def _write(self, failures: int) -> PinStatus:
        text = json.dumps({"label": self.label, "failures": failures}, ensure_ascii=False)
        write_atomic(self.path, text.encode("utf-8"), mode=0o600)
        return PinStatus(failures=failures, remaining=max(self.max_attempts - failures, 0),
                         locked=failures >= self.max_attempts)


def _pin_state_dir(module_path: str) -> Path:
    configured = settings().pin_state_dir
    if configured is not None:
        return configured
    if "softhsm" in os.path.basename(module_path):
        conf = Path(os.environ.get("SOFTHSM2_CONF", "/etc/softhsm/softhsm2.conf"))
        try:
            for line in conf.read_text(encoding="utf-8").splitlines():
                name, eq, value = line.partition("=")
                if eq and name.strip() == "directories.tokendir":
                    return Path(value.strip()).parent / "pin-state"
        except OSError as exc:
            raise TokenError(f"无法读取 SoftHSM 配置 (cannot read {conf}: {exc})") from exc
    raise TokenError("未配置 PIN 计数目录 (no pin_state_dir configured: call "
                     "pki.pkcs11.configure(pin_state_dir=…))")


def counter_for(lib: Library, token: Any) -> PinCounter:
    """The failure counter of ``token``."""
    return PinCounter(_pin_state_dir(lib.path), "|".join(token_key(lib, token)[1:]),
                      label=token.label, max_attempts=settings().max_pin_attempts)


def pin_status(token: str | Pkcs11Uri, *, module: str | None = None) -> PinStatus:
    """How many wrong PINs the token has seen and whether it is locked."""
    uri = token_uri(token)
    lib = load_library(module or uri.module_path)
    with locked():
        counter = counter_for(lib, find_token(lib, uri))
    with counter.transaction():
        return counter.status()


def count_login(counter: PinCounter, status: PinStatus, rv: int) -> None:
    """Account for the result ``rv`` of a user ``C_Login`` (R9; caller holds the counter's
    transaction, ``status`` is what it read before the attempt). A wrong PIN counts and may lock
    the token; ``CKR_PIN_LOCKED`` locks it; other failures raise :class:`TokenLoginError`; success
    clears earlier failures."""
    if rv == CKR_OK:
        if status.failures:
            counter.reset()
        return
    if rv in CKR_WRONG_PIN:
        status = counter.record_failure()
        if status.locked:
            raise TokenLocked(status.failures)
        raise PinIncorrect(status.remaining)
    if rv == CKR_PIN_LOCKED:
        raise TokenLocked(counter.lock().failures)
    raise TokenLoginError(f"登录令牌失败 (login failed: {CKR_NAMES.get(rv, hex(rv))})")


# -------------------------------------------------------------------------- where a PIN comes from

def _read_pin_source(source: str) -> str:
    path = source[len("file:"):] if source.startswith("file:") else source
    if path.startswith("//"):          # file:///run/pin
        path = path[2:]
        if not path.startswith("/"):
            raise TokenError(f"pin-source 只支持本机文件 (pin-source must be a local file: {source})")
    if not path.startswith("/"):
        raise TokenError(f"pin-source 必须是绝对路径 (pin-source must be an absolute path: {source})")
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise TokenError(f"无法读取 pin-source (cannot read pin-source {path}: {exc.strerror})") from exc


def pin_for(uri: Pkcs11Uri, pin: str | None) -> str:
    """The PIN: ``pin``, else the URI's pin-value, else the file its pin-source names."""
    if pin is not None:
        return pin
    if uri.pin_value is not None:
        return uri.pin_value
    if uri.pin_source is not None:
        return _read_pin_source(uri.pin_source)
    raise PinRequired("需要 PIN 码 (a PIN is needed: pass pin=, or pin-value / pin-source in the URI)")


# ------------------------------------------------------------------------------------ unlocking

def unlock_with_so_pin(token: str | Pkcs11Uri, so_pin: str, new_user_pin: str,
                       *, module: str | None = None) -> None:
    """Service unlock (R9): log in as SO, set a new user PIN (``C_InitPIN``), clear the counter."""
    uri = token_uri(token)
    lib = load_library(module_for(uri, module))
    with locked():
        tok = find_token(lib, uri)
        cached = sessions.get(token_key(lib, tok))
        if cached is not None:
            cached._close()                # SO login needs the user logged out
        counter = counter_for(lib, tok)
        session = tok.open(rw=True)
        try:
            rv = lib.login(session.handle, CKU_SO, so_pin)
            if rv in CKR_WRONG_PIN:
                raise SoPinIncorrect("SO PIN 码错误 (wrong SO PIN)")
            if rv == CKR_PIN_LOCKED:
                raise TokenLoginError("SO PIN 已锁定，令牌须重新初始化 (the SO PIN is locked: the token "
                                      "must be reinitialised)")
            if rv != CKR_OK:
                raise TokenLoginError(f"SO 登录失败 (SO login failed: {CKR_NAMES.get(rv, hex(rv))})")
            try:
                session.init_pin(new_user_pin)
            except p11err.PKCS11Error as exc:
                raise TokenError(f"设置用户 PIN 失败 (C_InitPIN failed: {type(exc).__name__})") from exc
            finally:
                lib.logout(session.handle)
        finally:
            session.close()
        with counter.transaction():
            counter.reset()


__all__ = ["PinStatus", "PinCounter", "counter_for", "pin_status", "count_login", "pin_for",
           "unlock_with_so_pin"]
