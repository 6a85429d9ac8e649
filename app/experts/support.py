"""What the expert area needs from the application: the expert's own session (signed in with a
one-time code, not a log-in account), its unit of work, and the outside things the draw and the
signatures use — the platform TSA, the platform's token and the expert CA.

- The expert session: ``session["expert"] = {"id", "until"}`` (2 hours), set after a sign-in code;
  an account log-in or log-out empties it with the rest of the session.
- The token: ``PLATFORM_TOKEN_LABEL`` with the PIN ``PLATFORM_TOKEN_PIN`` (environment
  ``EBID_PLATFORM_TOKEN_PIN``), else the file ``<instance>/platform_token_pin`` that ``flask setup-dev``
  writes with the token (development). SoftHSM reads ``SOFTHSM2_CONF``, else the demo token directory.
- The CA: ``EXPERT_CA_FACTORY`` (a callable taking the app) or the development CA of ``DEVCA_DIR``
  issuing from ``EXPERT_CA_PROFILE`` (default: the first profile with an EC chain).
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app, request, session

from app import context
from app.pkiweb.tsa import time_stamp_authority
from bidding.audit import Actor
from bidding.experts.errors import ExpertSessionRequired, SigningUnavailable
from bidding.experts.models import Expert
from bidding.experts.signing import SigningSupport
from bidding.uow import UnitOfWork
from pki.devca import EXPERT_EVENT_EKU, EXPERT_EVENT_POLICY, DevCA
from pki.identity import PartyIdentity

EXPERT_SESSION = timedelta(hours=2)
F = TypeVar("F", bound=Callable[..., Any])
PIN_FILE = "platform_token_pin"


# -- the expert's session -------------------------------------------------------------------------
def current_expert_id() -> int | None:
    """The signed-in expert's id, or None (no expert session, or it ran out)."""
    data = session.get("expert")
    if not isinstance(data, dict):
        return None
    try:
        until = datetime.fromisoformat(data["until"])
        expert_id = int(data["id"])
    except (KeyError, TypeError, ValueError):
        return None
    return expert_id if context.clock().now() < until else None


def expert_required(view: F) -> F:
    """Only with an expert session (401 ``expert_session_required`` otherwise), checked before the
    request body is read, as :func:`app.auth.access.roles_required` is for accounts."""
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if current_expert_id() is None:
            raise ExpertSessionRequired()
        return view(*args, **kwargs)
    return checked  # type: ignore[return-value]


def start_expert_session(expert: Expert) -> None:
    """A new session for the expert (nothing of the session before it survives)."""
    session.clear()
    session["expert"] = {"id": expert.id, "until": (context.clock().now() + EXPERT_SESSION).isoformat()}


def end_expert_session() -> None:
    session.pop("expert", None)


def expert_uow() -> UnitOfWork:
    """A unit of work acting as the signed-in expert (or anonymous) for the audit log."""
    from app.extensions import db
    expert_id = current_expert_id()
    actor = Actor(f"expert:{expert_id}" if expert_id else "anonymous", request.remote_addr or "unknown")
    return UnitOfWork(db.session, context.clock(), actor)


# -- outside things -------------------------------------------------------------------------------
def tsa_responder() -> Any:
    """The platform TSA as a responder (bytes -> bytes) for commitments and signatures."""
    authority = time_stamp_authority()
    return authority.respond


def signing_support() -> SigningSupport:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ca = app.extensions.get("expert_ca")
    if ca is None:
        factory = app.config.get("EXPERT_CA_FACTORY") or DevCaExpertCa.for_app
        ca = app.extensions["expert_ca"] = factory(app)
    return SigningSupport(ca=ca, token=platform_token, tsa=tsa_responder())


def platform_token() -> Any:
    """The logged-in session of the platform's token (one per process: pki.pkcs11)."""
    from app.cli.common import softhsm_dir
    from devsetup.softhsm import use_softhsm_dir
    from pki import pkcs11 as tokens
    pin = platform_token_pin()
    if pin is None:
        raise SigningUnavailable(reason="pin_missing")
    if not os.environ.get("SOFTHSM2_CONF") and "softhsm" in os.path.basename(tokens.settings().module):
        use_softhsm_dir(softhsm_dir())
    return tokens.open_token(current_app.config["PLATFORM_TOKEN_LABEL"], pin=pin)


def platform_token_pin(*, create: bool = False) -> str | None:
    """``PLATFORM_TOKEN_PIN``, else the development PIN file (made when ``create``)."""
    configured = current_app.config.get("PLATFORM_TOKEN_PIN")
    if configured:
        return configured
    path = Path(current_app.instance_path) / PIN_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        return None
    pin = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(pin + "\n")
    return pin


def ensure_platform_token() -> tuple[str, bool]:
    """``flask setup-dev``: the platform's SoftHSM token in the demo token directory, created with
    a new PIN when missing; (label, created)."""
    from app.cli.common import softhsm_dir
    from devsetup.softhsm import ensure_softhsm_token, softhsm_tokens
    label = current_app.config["PLATFORM_TOKEN_LABEL"]
    existing = label in softhsm_tokens(softhsm_dir())
    # an existing token keeps its PIN: a new PIN file is made only with a new token
    pin = platform_token_pin(create=not existing) or ""
    _, created = ensure_softhsm_token(softhsm_dir(), label, secrets.token_urlsafe(12), pin)
    return label, created


class DevCaExpertCa:
    """:class:`bidding.experts.signing.ExpertCa` over the development CA: a natural-person signing
    certificate with the expert event EKU and policy (:data:`pki.devca.EXPERT_EVENT_EKU`)."""

    def __init__(self, ca: DevCA, profile: str | None = None) -> None:
        self.ca, self.profile = ca, profile

    @classmethod
    def for_app(cls, app: Any) -> DevCaExpertCa:
        config = app.config
        ca = DevCA(config["DEVCA_DIR"], config["TRUST_ANCHORS_DIR"], config_dir=config["TRUST_CONFIG_DIR"],
                   clock=app.extensions["clock"], base_url=config["PUBLIC_BASE_URL"])
        return cls(ca, config.get("EXPERT_CA_PROFILE"))

    def issue_event_certificate(self, public_key: bytes, *, name: str, id_number: str, not_before: datetime,
                                not_after: datetime) -> tuple[bytes, list[bytes]]:
        profile = self.profile or next(c.profile for c in self.ca.chains() if c.algorithm == "ec")
        rec = self.ca.issue(profile, PartyIdentity("natural_person", name, id_number=id_number), public_key=public_key,
                            purpose="signing", seal_kind=None, at=not_before, not_before=not_before,
                            not_after=not_after, extended_key_usage=[EXPERT_EVENT_EKU],
                            extra_policies=[EXPERT_EVENT_POLICY])
        chain = self.ca.chain(profile, rec.algorithm)
        return self.ca.certificate(rec.serial).dump(), [chain.intermediate.dump()]
