"""The PKCS#11 module of the process: settings, loading, the process-wide lock, reinitialising.

- Concurrent calls crash the process (python-pkcs11 runs SoftHSM without locking and releases the
  GIL): :func:`locked` holds one process-wide lock around *every* PKCS#11 call.
- SoftHSM reads ``SOFTHSM2_CONF`` once per ``C_Initialize``: :func:`reinitialize` reinitialises the
  library, which invalidates every open session (their keys then raise
  :class:`~pki.pkcs11.errors.TokenSessionClosed`).
- A forked child must initialise the library again and gets a fresh lock.
- ``C_Login``/``C_Logout`` are called through ctypes (:class:`Library`), because python-pkcs11 leaves a
  session open when ``C_Login`` fails.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pkcs11
from pkcs11 import exceptions as p11err

from pki.pkcs11.errors import TokenError
from pki.pkcs11.uri import Pkcs11Uri

if TYPE_CHECKING:
    from pki.pkcs11.session import TokenSession

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

# C_Login user types and the return values this package tells apart.
CKU_SO, CKU_USER = 0, 1
CKR_OK = 0x0
CKR_WRONG_PIN = {0xA0, 0xA1, 0xA2}          # PIN_INCORRECT, PIN_INVALID, PIN_LEN_RANGE
CKR_PIN_LOCKED = 0xA4
CKR_USER_ALREADY_LOGGED_IN = 0x100
CKR_NAMES = {0xA0: "CKR_PIN_INCORRECT", 0xA1: "CKR_PIN_INVALID", 0xA2: "CKR_PIN_LEN_RANGE",
             0xA3: "CKR_PIN_EXPIRED", 0xA4: "CKR_PIN_LOCKED", 0x100: "CKR_USER_ALREADY_LOGGED_IN",
             0x102: "CKR_USER_PIN_NOT_INITIALIZED", 0x104: "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
             0xB7: "CKR_SESSION_READ_ONLY_EXISTS", 0xE0: "CKR_TOKEN_NOT_PRESENT"}

# One lock for every PKCS#11 call in the process (python-pkcs11 runs SoftHSM without locking and
# releases the GIL: two threads in the library at once crash the interpreter). Rebound in a forked
# child, so other modules take it through locked(), never by importing the name.
_LOCK = threading.RLock()


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Hold the process-wide PKCS#11 lock (reentrant)."""
    with _LOCK:
        yield


# ------------------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class TokenSettings:
    """Process-wide token settings. ``pin_state_dir`` holds the PIN failure counters; by default, for
    SoftHSM, ``pin-state/`` beside the configured token directory."""

    module: str = os.environ.get("PKI_PKCS11_MODULE", DEFAULT_MODULE)
    allow_raw_rsa: bool = True
    pin_state_dir: Path | None = None
    max_pin_attempts: int = 10


_settings = TokenSettings()


def configure(**changes: Any) -> TokenSettings:
    """Change settings (``module``, ``allow_raw_rsa``, ``pin_state_dir``, ``max_pin_attempts``)."""
    global _settings
    with _LOCK:
        if "pin_state_dir" in changes and changes["pin_state_dir"] is not None:
            changes["pin_state_dir"] = Path(changes["pin_state_dir"])
        _settings = replace(_settings, **changes)
        return _settings


def settings() -> TokenSettings:
    """The current settings."""
    return _settings


# -------------------------------------------------------------------------------------- library

class Library:
    """A loaded PKCS#11 module: python-pkcs11's handle plus ctypes entry points for login."""

    def __init__(self, path: str):
        self.path = path
        self.lib = pkcs11.lib(path)
        # dlopen of the same path returns the same instance, so these calls share the library state.
        self.c = ctypes.CDLL(path)
        for name, args in (("C_Login", [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_ulong]),
                           ("C_Logout", [ctypes.c_ulong])):
            fn = getattr(self.c, name)
            fn.argtypes, fn.restype = args, ctypes.c_ulong
        self.pid = os.getpid()

    def login(self, handle: int, user_type: int, pin: str) -> int:
        data = pin.encode("utf-8")
        return self.c.C_Login(handle, user_type, data, len(data))

    def logout(self, handle: int) -> int:
        return self.c.C_Logout(handle)


_libraries: dict[str, Library] = {}
#: The process's logged-in sessions, one per token: (module path, manufacturer, model, serial).
sessions: dict[tuple[str, str, str, str], "TokenSession"] = {}


def load_library(module: str | None = None) -> Library:
    """The loaded module (``settings().module`` by default), initialised again in a forked child."""
    path = os.path.abspath(module or _settings.module)
    with _LOCK:
        entry = _libraries.get(path)
        if entry is None:
            if not os.path.isfile(path):
                raise TokenError(f"找不到 PKCS#11 模块 (PKCS#11 module not found: {path})")
            entry = _libraries[path] = Library(path)
        elif entry.pid != os.getpid():      # forked child: PKCS#11 must be initialised again
            _invalidate(path)
            with contextlib.suppress(p11err.PKCS11Error):
                entry.lib.finalize()
            entry.lib.initialize()
            entry.pid = os.getpid()
        return entry


_MODULE_DIRS = ("/usr/lib/softhsm", "/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib/x86_64-linux-gnu",
                "/usr/lib/pkcs11", "/usr/lib", "/usr/local/lib")


def module_for(uri: Pkcs11Uri, module: str | None) -> str:
    """The module path: ``module``, else the URI's module-path or module-name, else the setting."""
    if module:
        return module
    if uri.module_path:
        return uri.module_path
    if uri.module_name:
        name = uri.module_name
        if "/" in name:
            raise TokenError(f"module-name 不能含路径 (module-name must not contain '/': {name})")
        for folder in _MODULE_DIRS:
            for candidate in (f"{name}.so", f"lib{name}.so"):
                if os.path.isfile(os.path.join(folder, candidate)):
                    return os.path.join(folder, candidate)
        raise TokenError(f"找不到 PKCS#11 模块 (no module named {name!r} in {', '.join(_MODULE_DIRS)})")
    return _settings.module


def reinitialize(module: str | None = None) -> None:
    """Finalise and initialise the module again (SoftHSM then rereads ``SOFTHSM2_CONF``).
    Every open session of that module is invalidated."""
    path = os.path.abspath(module or _settings.module)
    with _LOCK:
        entry = _libraries.get(path)
        if entry is None:
            return
        _invalidate(path)
        entry.lib.reinitialize()


def close_sessions() -> None:
    """Log out of and close every cached session (shutdown, tests)."""
    with _LOCK:
        for session in list(sessions.values()):
            session._close()


def _invalidate(path: str) -> None:
    for key, session in list(sessions.items()):
        if key[0] == path:
            session._valid = False
            del sessions[key]


def _reinit_lock_after_fork() -> None:
    global _LOCK
    _LOCK = threading.RLock()


os.register_at_fork(after_in_child=_reinit_lock_after_fork)


__all__ = ["DEFAULT_MODULE", "TokenSettings", "configure", "settings", "locked", "load_library", "module_for",
           "reinitialize", "close_sessions", "Library"]
