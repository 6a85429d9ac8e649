"""What the opening (:mod:`bidding.opening`) needs from the application: the keyring of the
per-tender opening keys and the outside things a key release is checked with.

- The CA: ``OPENING_CA`` in the settings (a callable taking the app, returning a
  :class:`bidding.opening.keys.OpeningCa`), default the development CA of ``DEVCA_DIR`` issuing
  role ``opening`` certificates from ``OPENING_CA_PROFILE`` (default: the first profile with an
  RSA chain).
- Where the keys live: ``OPENING_KEY_STORE``: ``"token"`` (the default: generated and used on the
  platform's token, ``PLATFORM_TOKEN_LABEL``, destroyed there at the close) or ``"database"`` (the
  tests' default: encrypted PKCS#8 under ``OPENING_KEY_SECRET``, environment
  ``EBID_OPENING_KEY_SECRET``; when unset, derived from ``SECRET_KEY``).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from app.bids.common import bid_store
from app.certificates.proof import crls
from app.trust import trust_list
from bidding.opening.keys import Keyring, OpeningCa
from pki.errors import PkiError
from bidding.opening.services import OpeningSupport
from pki.devca import DevCA


class OpeningTokenUnavailable(PkiError):
    """The platform's token cannot be opened (no PIN configured, token absent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"平台令牌不可用 (the platform's token is unavailable: {reason})")
        self.code = f"platform_token_{reason}"


class DevCaOpeningCa:
    """:class:`OpeningCa` over the development CA (role ``opening``: keyEncipherment, no EKU)."""

    def __init__(self, ca: DevCA, identity: Any, profile: str | None = None) -> None:
        self.ca, self.identity, self.profile = ca, identity, profile

    def issue_opening_certificate(self, public_key: bytes, *, tender: str, not_before: datetime,
                                  not_after: datetime, at: datetime) -> bytes:
        from pki.devca import SERVICE_ROLES
        profile = self.profile or next(c.profile for c in self.ca.chains() if c.algorithm == "rsa")
        rec = self.ca.issue(profile, self.identity, public_key=public_key, purpose="encryption", platform=True,
                            seal_kind=None, at=at, not_before=not_before, not_after=not_after,
                            extended_key_usage=SERVICE_ROLES["opening"])
        return self.ca.certificate(rec.serial).dump()


def dev_opening_ca(app: Flask) -> DevCaOpeningCa:
    from app.cli.devca import PLATFORM_NAME, _platform_identity
    config = app.config
    ca = DevCA(config["DEVCA_DIR"], config["TRUST_ANCHORS_DIR"], config_dir=config["TRUST_CONFIG_DIR"],
               clock=app.extensions["clock"], base_url=config["PUBLIC_BASE_URL"])
    with app.app_context():
        identity = _platform_identity(f"{PLATFORM_NAME}开标密钥")
    return DevCaOpeningCa(ca, identity, config.get("OPENING_CA_PROFILE"))


def opening_key_secret(app: Flask) -> bytes:
    explicit = app.config.get("OPENING_KEY_SECRET")
    if explicit:
        return explicit.encode("utf-8") if isinstance(explicit, str) else bytes(explicit)
    return hmac.new(str(app.config["SECRET_KEY"]).encode("utf-8"), b"ebid opening-key secret v1",
                    hashlib.sha256).hexdigest().encode("ascii")


def opening_keyring() -> Keyring:
    """The application's keyring, built once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    keyring = app.extensions.get("opening_keyring")
    if keyring is None:
        factory = app.config.get("OPENING_CA") or dev_opening_ca
        ca: OpeningCa = factory(app)
        token = _platform_token if app.config["OPENING_KEY_STORE"] == "token" else None
        keyring = app.extensions["opening_keyring"] = Keyring(ca=ca, secret=opening_key_secret(app), token=token)
    return keyring


def _platform_token() -> Any:
    """The platform's token (``PLATFORM_TOKEN_LABEL``, the one the experts' event keys live on); a
    token that cannot be opened is the platform's fault at the opening."""
    from app.experts.support import platform_token
    from bidding.errors import DomainError
    try:
        return platform_token()
    except DomainError as exc:
        raise OpeningTokenUnavailable(exc.code) from None


def opening_support() -> OpeningSupport:
    """The bid store, the keyring, the trust list and the CRLs at hand."""
    return OpeningSupport(store=bid_store(), keyring=opening_keyring(), trust=trust_list(), crls=tuple(crls()))
