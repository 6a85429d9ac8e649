"""The per-tender opening key (开标密钥, docs/opening.md "The per-tender opening key").

Made when the decryption window opens (by the first release or the window-start effect, whichever
comes first), never before: before the opening the platform holds no key that opens a bid. An
RSA-2048 key and its certificate from the platform's CA (dev CA role ``opening``: keyUsage
keyEncipherment, valid from a day before the opening until a day after the window). The key is
generated on the platform's token (:attr:`Keyring.token`: sensitive, never extractable; it decrypts
there) and destroyed on the token when the window closes. Where the settings keep opening keys in
the database instead (``OPENING_KEY_STORE = "database"``, the tests' default), it is encrypted
PKCS#8 (:func:`pki.keys.dump_private_key`: ``cryptography``'s best available encryption) under
``OPENING_KEY_SECRET``, erased at the close.

Two requests at the window's start make one key: the row is unique per tender; the loser of the
insert (a savepoint) takes the winner's row.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bidding.opening.errors import OpeningPlatformError
from bidding.opening.models import OpeningKey
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256, load_certificate
from pki.errors import PkiError
from pki.keyops import FileKey, KeyOps
from pki.keys import dump_private_key, load_private_key
from pki.pkcs11 import TokenSession

log = logging.getLogger(__name__)

#: How far the opening certificate's validity reaches beyond the window on each side (the bidders'
#: machines check it against their own clocks).
VALIDITY_MARGIN = timedelta(days=1)


class OpeningCa(Protocol):
    """The platform's CA as the opening needs it: certify ``public_key`` (SPKI DER) as tender
    ``tender``'s opening certificate (role ``opening``); the certificate's DER."""

    def issue_opening_certificate(self, public_key: bytes, *, tender: str, not_before: datetime,
                                  not_after: datetime, at: datetime) -> bytes: ...


@dataclass(frozen=True)
class Keyring:
    """What the opening's use cases are handed: the CA, the platform's token (``token``: the
    logged-in session, where opening keys are generated and used; None keeps them in the database)
    and the secret database-kept keys are encrypted under."""

    ca: OpeningCa
    secret: bytes
    token: Callable[[], TokenSession] | None = None

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ValueError("OPENING_KEY_SECRET must be at least 16 bytes")


def find_opening_key(uow: UnitOfWork, tender_id: int) -> OpeningKey | None:
    return uow.session.scalars(select(OpeningKey).where(OpeningKey.tender_id == tender_id)
                               .execution_options(populate_existing=True)).one_or_none()


def ensure_opening_key(uow: UnitOfWork, tender: Tender, keyring: Keyring) -> OpeningKey:
    """The tender's opening key, made now if missing (call only in the window: the caller checks
    the phase). Runs in the caller's transaction; a CA failure is the platform's
    (:class:`OpeningPlatformError`)."""
    existing = find_opening_key(uow, tender.id)
    if existing is not None:
        return existing
    now = uow.clock.now()
    try:
        made = _on_token(keyring, tender) if keyring.token is not None else None
    except PkiError as exc:
        log.error("opening key of %s not generated on the token: %s", tender.public_id, exc.code)
        raise OpeningPlatformError("平台令牌暂时无法生成开标密钥 (the platform's token could not generate the opening "
                                   "key)", reason=exc.code) from None
    if made is None:
        key = rsa.generate_private_key(65537, 2048)
        spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        held = {"encrypted_key_pem": dump_private_key(key, keyring.secret)}
    else:
        spki, held = made
    try:
        der = keyring.ca.issue_opening_certificate(spki, tender=tender.public_id,
                                                   not_before=tender.opening_at - VALIDITY_MARGIN,
                                                   not_after=tender.window_end + VALIDITY_MARGIN, at=now)
        cert = load_certificate(der)
    except PkiError as exc:
        log.error("opening certificate of %s not issued: %s", tender.public_id, exc.code)
        _discard(keyring, held)
        raise OpeningPlatformError("平台 CA 暂时无法签发开标证书 (the platform's CA could not issue the opening "
                                   "certificate)", reason=exc.code) from None
    row = OpeningKey(tender_id=tender.id, certificate_der=cert.dump(), fingerprint_sha256=fingerprint_sha256(cert),
                     created_at=now, **held)
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
    except IntegrityError:
        _discard(keyring, held)                         # made by a concurrent request: theirs counts
        winner = find_opening_key(uow, tender.id)
        assert winner is not None
        return winner
    uow.audit("opening.key_created", object_type="tender", object_id=tender.public_id,
              certificate_sha256=row.fingerprint_sha256, serial=format(cert.serial_number, "X"),
              on_token=row.token_label)
    return row


def _on_token(keyring: Keyring, tender: Tender) -> tuple[bytes, dict[str, str]]:
    """A key pair generated on the platform's token: (SPKI DER, the row's token columns)."""
    session = keyring.token()
    key_id = secrets.token_bytes(8)
    key = session.generate_keypair("rsa2048", label=f"opening-{tender.public_id}-{key_id.hex()}", key_id=key_id)
    return key.public_key_info().dump(), {"token_label": session.label, "token_key_id": key_id.hex()}


def _discard(keyring: Keyring, held: dict) -> None:
    """Destroy a token key that will not be used (its certificate failed, or a concurrent request won)."""
    if keyring.token is not None and held.get("token_key_id"):
        try:
            keyring.token().destroy_objects(key_id=bytes.fromhex(held["token_key_id"]))
        except PkiError as exc:
            log.warning("unused opening key %s left on the token: %s", held["token_key_id"], exc.code)


def opening_private_key(row: OpeningKey | None, keyring: Keyring) -> tuple[KeyOps, object]:
    """(key, certificate) of an opening key still held; its absence or damage is the platform's
    fault (:class:`OpeningPlatformError`)."""
    if row is None or not row.held:
        raise OpeningPlatformError("开标密钥不存在或已销毁 (the opening key is missing or destroyed)",
                                   reason="opening_key_missing")
    try:
        if row.token_key_id is not None:
            if keyring.token is None:
                raise OpeningPlatformError("开标密钥在平台令牌上，但平台令牌未配置 (the opening key is on the platform's "
                                           "token, which is not configured)", reason="opening_token_missing")
            key: KeyOps = keyring.token().find_key(key_id=bytes.fromhex(row.token_key_id))
        else:
            key = FileKey(load_private_key(row.encrypted_key_pem, keyring.secret))
        return key, load_certificate(row.certificate_der)
    except PkiError as exc:
        log.error("opening key of tender %s unreadable: %s", row.tender_id, exc.code)
        raise OpeningPlatformError("开标密钥无法读取 (the opening key cannot be read)",
                                   reason="opening_key_unreadable") from None


def destroy_opening_key(uow: UnitOfWork, tender: Tender, keyring: Keyring | None = None) -> bool:
    """Destroy the private key (on the token, or the encrypted copy here; the certificate stays,
    for the record); True if one was destroyed now. In the caller's transaction: the token's
    objects go first, and a token that cannot destroy them leaves the row saying so (logged)."""
    row = find_opening_key(uow, tender.id)
    if row is None or not row.held:
        return False
    destroyed_on_token = None
    if row.token_key_id is not None:
        try:
            if keyring is None or keyring.token is None:
                raise OpeningPlatformError("platform token not configured", reason="opening_token_missing")
            destroyed_on_token = keyring.token().destroy_objects(key_id=bytes.fromhex(row.token_key_id))
        except (PkiError, OpeningPlatformError) as exc:
            log.error("opening key of %s not destroyed on the token: %s", tender.public_id,
                      getattr(exc, "code", type(exc).__name__))
    row.encrypted_key_pem, row.destroyed_at = None, uow.clock.now()
    uow.audit("opening.key_destroyed", object_type="tender", object_id=tender.public_id,
              certificate_sha256=row.fingerprint_sha256, token_objects=destroyed_on_token)
    return True


__all__ = [
    "VALIDITY_MARGIN",
    "Keyring",
    "OpeningCa",
    "destroy_opening_key",
    "ensure_opening_key",
    "find_opening_key",
    "opening_private_key",
]
