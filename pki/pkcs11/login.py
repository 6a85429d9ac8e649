"""Logging in: :func:`open_token` and :func:`open_key`, one logged-in session per token and process.

python-pkcs11 leaves a session open when ``C_Login`` fails, so login is done with ``C_Login``
through ctypes on a session this module owns and closes; every wrong PIN is counted (R9,
:mod:`pki.pkcs11.pins`), also when a session is already open.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from pki.pkcs11.errors import TokenError, TokenLocked
from pki.pkcs11.key import TokenKey
from pki.pkcs11.library import (CKR_OK, CKR_USER_ALREADY_LOGGED_IN, CKU_USER, Library, load_library, locked,
                                module_for, sessions)
from pki.pkcs11.lookup import find_token, token_key, token_uri
from pki.pkcs11.pins import count_login, counter_for, pin_for
from pki.pkcs11.session import TokenSession
from pki.pkcs11.uri import Pkcs11Uri

# Cached sessions remember a keyed digest of their PIN, never the PIN.
_PIN_DIGEST_KEY = os.urandom(32)


def _pin_digest(pin: str) -> bytes:
    return hmac.new(_PIN_DIGEST_KEY, pin.encode("utf-8"), hashlib.sha256).digest()


def _login(lib: Library, token: Any, pin: str) -> TokenSession:
    """The process's logged-in session for ``token``, logging in if needed (caller holds the lock).

    A cached session is reused only for the PIN that opened it; any other PIN is tried on the token
    (after logging the cached session out) and counted, so holding a session never bypasses R9.
    """
    key = token_key(lib, token)
    counter = counter_for(lib, token)
    with counter.transaction():
        status = counter.status()
        cached = sessions.get(key)
        if status.locked:
            if cached is not None:
                cached._close()
            raise TokenLocked(status.failures)
        digest = _pin_digest(pin)
        if cached is not None and cached._valid and hmac.compare_digest(cached._pin_digest, digest):
            return cached
        if cached is not None:
            cached._close()
        session = token.open(rw=True)           # unauthenticated; login below on this handle
        try:
            rv = lib.login(session.handle, CKU_USER, pin)
            if rv == CKR_USER_ALREADY_LOGGED_IN:    # someone else in the process: verify the PIN anyway
                lib.logout(session.handle)
                rv = lib.login(session.handle, CKU_USER, pin)
        except BaseException:
            session.close()
            raise
        if rv != CKR_OK:
            session.close()
        count_login(counter, status, rv)        # raises for a failed login
        opened = TokenSession(lib, token, session, digest)
        sessions[key] = opened
        return opened


def open_token(token: str | Pkcs11Uri, *, pin: str | None = None,
               module: str | None = None) -> TokenSession:
    """Log in to a token named by label or ``pkcs11:`` URI (PIN from ``pin`` or the URI)."""
    uri = token_uri(token)
    pin = pin_for(uri, pin)
    lib = load_library(module_for(uri, module))
    with locked():
        return _login(lib, find_token(lib, uri), pin)


def open_key(uri: str | Pkcs11Uri, pin: str | None = None, module: str | None = None) -> TokenKey:
    """The private key a ``pkcs11:`` URI names (``object=`` label and/or ``id=``)."""
    parsed = token_uri(uri)
    if parsed.type not in (None, "private"):
        raise TokenError(f"URI 必须指向私钥 (the URI must name a private key, not type={parsed.type})")
    if parsed.object is None and parsed.id is None:
        raise TokenError("URI 必须给出 object 或 id (the URI must give object= or id= of the key)")
    session = open_token(parsed, pin=pin, module=module)
    return session.find_key(label=parsed.object, key_id=parsed.id)


__all__ = ["open_token", "open_key"]
