"""One-time challenges (一次性挑战): the bytes a party's key signs to prove it holds the key, for
binding a certificate now and for certificate log-in next.

What is signed is a short canonical JSON text (UTF-8, keys sorted, no spaces)::

    {"challenge":"<id>","issued_at":"2026-11-23T08:00:00.000000Z","nonce":"<64 hex>",
     "origin":"https://ebid.example","purpose":"bind","type":"ebid-challenge/1"}

so a signature over it names this platform's purpose, origin and moment and cannot be reused for
another purpose, at another site, or later. The nonce is 32 bytes from :mod:`secrets`.

A challenge is refused when it is unknown, already used (replay), issued to another session
(only SHA-256 of the session key the caller passes is kept) or another origin, or older than
:data:`CHALLENGE_LIFETIME` by the injected clock. The boundary: a challenge exactly two minutes
old is still accepted; one microsecond more is refused. It is marked used by a conditional UPDATE in
the caller's transaction, so of two concurrent uses only one can succeed; when the caller's use case
is refused later and rolls back, the challenge stays unused (and dies within two minutes anyway).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bidding.certificates.errors import (
    ChallengeContentMismatch,
    ChallengeExpired,
    ChallengeReplayed,
    ChallengeUnknown,
    ChallengeWrongOrigin,
    ChallengeWrongSession,
)
from bidding.certificates.models import Challenge, ChallengePurpose
from bidding.errors import InvalidInput
from bidding.uow import UnitOfWork

CHALLENGE_LIFETIME = timedelta(minutes=2)
CHALLENGE_TYPE = "ebid-challenge/1"
NONCE_BYTES = 32


@dataclass(frozen=True)
class IssuedChallenge:
    """What the page hands to the local agent: the id to send back and the exact bytes to sign."""

    id: int
    message: bytes
    issued_at: datetime
    expires_at: datetime


def session_hash(session_key: str | bytes) -> str:
    """SHA-256 (hex) of the caller's session key: the key itself is never stored."""
    if isinstance(session_key, str):
        session_key = session_key.encode("utf-8")
    if not session_key:
        raise InvalidInput("缺少会话标识 (no session key given)")
    return hashlib.sha256(session_key).hexdigest()


def challenge_message(challenge: Challenge) -> bytes:
    """The canonical bytes of ``challenge`` (module docstring)."""
    issued = challenge.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"type": CHALLENGE_TYPE, "challenge": str(challenge.id), "purpose": challenge.purpose.value,
            "nonce": challenge.nonce, "origin": challenge.origin, "issued_at": issued}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def issue_challenge(uow: UnitOfWork, purpose: ChallengePurpose | str, session_key: str | bytes,
                    origin: str) -> IssuedChallenge:
    """A new one-time challenge for ``purpose`` ("bind" or "login") bound to the session and origin.

    Issuing writes no audit entry: a challenge is only proof material; the act that uses it (the
    binding, the log-in) is audited."""
    with uow:
        issued = new_challenge(uow, purpose, session_key, origin)
        uow.commit()
        return issued


def new_challenge(uow: UnitOfWork, purpose: ChallengePurpose | str, session_key: str | bytes, origin: str, *,
                  nonce: str | None = None, **fields: object) -> IssuedChallenge:
    """:func:`issue_challenge` inside the caller's open transaction; ``nonce`` (default: 32 random
    bytes, hex) and ``fields`` (the "decrypt" challenge's certificate and envelope) as given."""
    try:
        purpose = ChallengePurpose(purpose)
    except ValueError:
        raise InvalidInput(f"未知的挑战用途 {purpose!r} (unknown challenge purpose)") from None
    origin = (origin or "").strip()
    if not origin or len(origin) > 200:
        raise InvalidInput("缺少或过长的站点来源 (the origin is missing or too long)")
    digest = session_hash(session_key)
    now = uow.clock.now()
    challenge = Challenge(nonce=nonce or secrets.token_hex(NONCE_BYTES), purpose=purpose, session_hash=digest,
                          origin=origin, issued_at=now, **fields)
    uow.session.add(challenge)
    uow.session.flush()
    return IssuedChallenge(challenge.id, challenge_message(challenge), now, now + CHALLENGE_LIFETIME)


def consume_challenge(uow: UnitOfWork, challenge_id: int, session_key: str | bytes, origin: str,
                      signed_bytes: bytes | None = None, *, purpose: ChallengePurpose | str | None = None) -> bytes:
    """Use the challenge once, in its own transaction; return its bytes. ``signed_bytes`` (what the
    client says it signed), when given, must be exactly those bytes; ``purpose``, when given, must
    match. Refusals: module docstring; each changes nothing."""
    with uow:
        message = use_challenge(uow, challenge_id, session_key, origin, signed_bytes, purpose=purpose)
        uow.audit("challenge.used", object_type=Challenge.__tablename__, object_id=challenge_id)
        uow.commit()
        return message


def use_challenge(uow: UnitOfWork, challenge_id: int, session_key: str | bytes, origin: str,
                  signed_bytes: bytes | None = None, *, purpose: ChallengePurpose | str | None = None) -> bytes:
    """:func:`consume_challenge` inside the caller's open transaction (a use case that goes on to
    bind or log in commits or rolls back the use with its own change)."""
    digest = session_hash(session_key)
    if isinstance(challenge_id, str) and challenge_id.isdecimal():    # as a form or JSON may carry it
        challenge_id = int(challenge_id)
    challenge = uow.session.get(Challenge, challenge_id) if isinstance(challenge_id, int) else None
    if challenge is None or (purpose is not None and challenge.purpose != ChallengePurpose(purpose)):
        raise ChallengeUnknown(challenge=challenge_id)
    if challenge.used_at is not None:
        raise ChallengeReplayed(challenge=challenge_id)
    if not hmac.compare_digest(challenge.session_hash, digest):
        raise ChallengeWrongSession(challenge=challenge_id)
    if challenge.origin != (origin or "").strip():
        raise ChallengeWrongOrigin(challenge=challenge_id)
    now = uow.clock.now()
    if now - challenge.issued_at > CHALLENGE_LIFETIME:
        raise ChallengeExpired(challenge=challenge_id, issued_at=challenge.issued_at.isoformat())
    message = challenge_message(challenge)
    if signed_bytes is not None and not hmac.compare_digest(bytes(signed_bytes), message):
        raise ChallengeContentMismatch(challenge=challenge_id)
    # conditional: a concurrent use that got here first leaves no row to update
    marked = uow.session.execute(update(Challenge).where(Challenge.id == challenge_id, Challenge.used_at.is_(None))
                                 .values(used_at=now).execution_options(synchronize_session="fetch"))
    if marked.rowcount != 1:
        raise ChallengeReplayed(challenge=challenge_id)
    return message
