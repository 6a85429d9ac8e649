"""The encryption/decryption self-test page (加解密测试, R11) and what its API needs from the web
layer: where the pending test is kept (the Flask session, signed by the server: the client can read
the envelope and the SHA-256 of the random value, which are no secret, and cannot change them) and
the platform's transport key (``transport.pem`` / ``transport.key.pem`` in ``PLATFORM_CERT_DIR``,
default ``<DEVCA_DIR>/platform``, made by ``flask setup-dev``). The test itself is
``bidding.certificates.selftest``; the JSON is ``app/api/selftest.py``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, render_template, session

from app.auth.access import roles_required
from app.certificates.proof import request_origin
from bidding.accounts.models import Role
from bidding.certificates.selftest import (
    PendingSelfTest,
    SelfTestUnavailable,
    SelfTestUnknown,
)
from pki.certs import load_certificate
from pki.errors import PkiError
from pki.keyops import FileKey
from pki.keys import load_private_key

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
SESSION_KEY = "certificate_self_test"       # one pending test per session: a new one replaces it


@roles_required(*STAFF)
def self_test():  # type: ignore[no-untyped-def]
    """The page: the agent's encryption certificates, PIN, one button."""
    return render_template("certificates/self_test.html", agent_url=current_app.config["AGENT_URL"],
                           platform_origin=request_origin())


def keep_pending(pending: PendingSelfTest) -> None:
    session[SESSION_KEY] = pending.to_dict()


def take_pending(test_id: str) -> PendingSelfTest:
    """The session's pending test ``test_id``, removed from the session (a test is used once)."""
    data = session.get(SESSION_KEY)
    if not data or data.get("id") != test_id:
        raise SelfTestUnknown(id=test_id)
    session.pop(SESSION_KEY, None)
    return PendingSelfTest.from_dict(data)


def transport_directory() -> Path:
    return Path(current_app.config.get("PLATFORM_CERT_DIR") or Path(current_app.config["DEVCA_DIR"]) / "platform")


def transport_certificate_der() -> bytes:
    return _transport()[0].dump()


def transport_credentials() -> tuple[Any, FileKey]:
    """(certificate, key) of the platform's transport certificate, read at each use."""
    return _transport()


def _transport() -> tuple[Any, FileKey]:
    directory = transport_directory()
    try:
        cert = load_certificate((directory / "transport.pem").read_bytes())
        key = FileKey(load_private_key((directory / "transport.key.pem").read_bytes()))
    except (OSError, PkiError):
        raise SelfTestUnavailable(directory=str(directory)) from None
    return cert, key
