"""What the certificate use cases need from the web layer: the session key a challenge is bound to,
the origin it is bound to, the trust list and the CRLs.

- **Session key.** A random value (32 bytes, URL-safe) kept in the Flask session under
  :data:`SESSION_KEY`, made on the first challenge. The domain stores only its SHA-256, so a challenge
  fetched by one browser cannot be used by another. Log-in rotates the session (``start_session``
  empties it), so a key never outlives the session it was made for.
- **Origin.** The request's ``Origin`` header, which browsers send on every ``fetch()`` POST (same
  origin included); a client that sends none (a command-line client, the test client) is the
  platform's own origin, ``scheme://host`` of the request. The challenge's bytes name that origin,
  and its use must come from the same origin, so a signature made for another site is useless here.
- **CRLs.** Every ``*.crl`` file in ``CRL_DIR`` (what ``/crl/<name>.crl`` serves; the development CA
  writes them there). None there: the validator cannot tell the revocation status, and the use cases
  (``revocation="require"``) refuse with "revocation status unknown".
"""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app, request, session

from app.trust import trust_list

SESSION_KEY = "certificate_challenge_key"


def session_key() -> str:
    """This session's challenge key, made on first use."""
    key = session.get(SESSION_KEY)
    if not key:
        key = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return key


def request_origin() -> str:
    """The origin the request came from (module docstring)."""
    origin = (request.headers.get("Origin") or "").strip()
    if origin and origin != "null":
        return origin
    return f"{request.scheme}://{request.host}"


def crls() -> list[bytes]:
    """Every CRL in ``CRL_DIR`` (DER), read at each use: the CA republishes them."""
    directory = Path(current_app.config["CRL_DIR"])
    if not directory.is_dir():
        return []
    return [path.read_bytes() for path in sorted(directory.glob("*.crl")) if path.is_file()]


def proof_settings() -> dict:
    """The keyword arguments every certificate use case takes from the application."""
    return {"trust": trust_list(), "crls": crls()}
