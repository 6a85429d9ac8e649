"""The per-tender opening key (开标密钥, docs/opening.md "The per-tender opening key").

Made when the decryption window opens (by the first release or the window-start effect, whichever
comes first), never before: before the opening the platform holds no key that opens a bid. An
RSA-2048 key, its certificate from the platform's CA (dev CA role ``opening``: keyUsage
keyEncipherment, valid from a day before the opening until a day after the window), the private key
kept as encrypted PKCS#8 (:func:`pki.keys.dump_private_key`: ``cryptography``'s best available
encryption) under ``OPENING_KEY_SECRET``; erased when the window closes.

Two requests at the window's start make one key: the row is unique per tender; the loser of the
insert (a savepoint) takes the winner's row.
"""
from __future__ import annotations

import logging
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
from pki.keyops import FileKey
from pki.keys import dump_private_key, load_private_key

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
    """What the opening's use cases are handed: the CA and the secret the private keys are kept under."""

    ca: OpeningCa
    secret: bytes

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
    key = rsa.generate_private_key(65537, 2048)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        der = keyring.ca.issue_opening_certificate(spki, tender=tender.public_id,
                                                   not_before=tender.opening_at - VALIDITY_MARGIN,
                                                   not_after=tender.window_end + VALIDITY_MARGIN, at=now)
        cert = load_certificate(der)
    except PkiError as exc:
        log.error("opening certificate of %s not issued: %s", tender.public_id, exc.code)
        raise OpeningPlatformError("平台 CA 暂时无法签发开标证书 (the platform's CA could not issue the opening "
                                   "certificate)", reason=exc.code) from None
    row = OpeningKey(tender_id=tender.id, certificate_der=cert.dump(), fingerprint_sha256=fingerprint_sha256(cert),
                     encrypted_key_pem=dump_private_key(key, keyring.secret), created_at=now)
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
    except IntegrityError:
        winner = find_opening_key(uow, tender.id)       # made by a concurrent request: theirs counts
        assert winner is not None
        return winner
    uow.audit("opening.key_created", object_type="tender", object_id=tender.public_id,
              certificate_sha256=row.fingerprint_sha256, serial=format(cert.serial_number, "X"))
    return row


def opening_private_key(row: OpeningKey | None, keyring: Keyring) -> tuple[FileKey, object]:
    """(key, certificate) of an opening key still held; its absence or damage is the platform's
    fault (:class:`OpeningPlatformError`)."""
    if row is None or row.encrypted_key_pem is None:
        raise OpeningPlatformError("开标密钥不存在或已销毁 (the opening key is missing or destroyed)",
                                   reason="opening_key_missing")
    try:
        return FileKey(load_private_key(row.encrypted_key_pem, keyring.secret)), load_certificate(row.certificate_der)
    except PkiError as exc:
        log.error("opening key of tender %s unreadable: %s", row.tender_id, exc.code)
        raise OpeningPlatformError("开标密钥无法读取 (the opening key cannot be read)",
                                   reason="opening_key_unreadable") from None


def destroy_opening_key(uow: UnitOfWork, tender: Tender) -> bool:
    """Erase the encrypted private key (the certificate stays, for the record); True if one was
    erased now. In the caller's transaction."""
    row = find_opening_key(uow, tender.id)
    if row is None or row.encrypted_key_pem is None:
        return False
    row.encrypted_key_pem, row.destroyed_at = None, uow.clock.now()
    uow.audit("opening.key_destroyed", object_type="tender", object_id=tender.public_id,
              certificate_sha256=row.fingerprint_sha256)
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
