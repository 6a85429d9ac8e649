"""Building the platform's time-stamping authority (one per process, on first use).

``pki.timestamps.TimeStampAuthority.respond(request_der) -> response_der`` does the RFC 3161 work; here we
only decide *which* authority answers: ``TSA_FACTORY`` in the settings (a callable taking the Flask
app) if given, else :func:`build_default_tsa` (key and certificate files).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

from bidding.errors import DomainError


class TimeStampResponder(Protocol):
    def respond(self, request_der: bytes) -> bytes:
        """Answer one DER TimeStampReq with a DER TimeStampResp (a rejection is a response too)."""


class TsaUnavailable(DomainError):
    code = "tsa_unavailable"
    message = "时间戳服务尚未配置 (the time-stamping authority is not configured)"
    http_status = 503


_lock = threading.Lock()
log = logging.getLogger(__name__)


def time_stamp_authority() -> TimeStampResponder:
    """The application's authority, built once (thread-safe) and cached on the app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    authority = app.extensions.get("tsa")
    if authority is None:
        with _lock:
            authority = app.extensions.get("tsa")
            if authority is None:
                factory = app.config.get("TSA_FACTORY") or build_default_tsa
                authority = factory(app)
                app.extensions["tsa"] = authority
    return authority


TSA_FILES = ("tsa.pem", "tsa.key.pem")


def build_default_tsa(app: Flask) -> Any:
    """The platform TSA from files under ``TSA_DIR`` (default ``<DEVCA_DIR>/tsa``):

    - ``tsa.pem``: the TSA certificate (critical EKU timeStamping only, RFC 3161 §2.3),
    - ``tsa.key.pem``: its private key (PKCS#8; dev only: a token key in production),
    - ``chain.pem`` (optional): the CA certificates sent when a request asks for them.

    Serial numbers are random (:class:`pki.timestamps.RandomSerials`): nothing is shared between
    worker processes or hosts, and nothing in ``TSA_DIR`` is written.

    TODO(wiring): ``flask devca init`` should issue these files from the development CA; a
    production set-up points ``TSA_DIR`` elsewhere or sets ``TSA_FACTORY`` to use a token key.
    """
    directory = Path(app.config.get("TSA_DIR") or Path(app.config["DEVCA_DIR"]) / "tsa")
    missing = [name for name in TSA_FILES if not (directory / name).is_file()]
    if missing:
        log.error("TSA files missing in %s: %s (run `flask devca init`)", directory, missing)
        raise TsaUnavailable()
    from pki.certs import load_certificate, load_certificates
    from pki.keyops import FileKey
    from pki.keys import load_private_key
    from pki.timestamps import RandomSerials, TimeStampAuthority
    chain_file = directory / "chain.pem"
    chain = load_certificates(chain_file.read_bytes()) if chain_file.is_file() else []
    return TimeStampAuthority(
        FileKey(load_private_key((directory / "tsa.key.pem").read_bytes())),
        load_certificate((directory / "tsa.pem").read_bytes()), chain,
        policy_oid=app.config["TSA_POLICY_OID"], clock=app.extensions["clock"],
        serials=RandomSerials())
