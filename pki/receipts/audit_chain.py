"""The audit log's hash-chain rule (R19), restated in ``pki`` so that a transcript can be checked by
anyone, offline, without the domain code.

An audit entry's digests (SHA-256 and SM3, lowercase hex) cover its *content*: the JSON object of
``id``, ``at`` (UTC with microseconds, ``2026-11-23T08:00:00.000000Z``), ``operator``, ``address``,
``action``, ``object_type``, ``object_id``, ``details`` (the entry's details object) and the
previous entry's ``prev_sha256`` / ``prev_sm3`` (64 zeros before the first entry), serialised with
sorted keys, no spaces, UTF-8 without ``\\u`` escapes and no NaN — Python's
``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)``.

That is *not* RFC 8785: a detail ``1.0`` stays ``1.0`` here. The domain's audit log
(``bidding.audit``) writes entries by this rule; ``pki`` may not import it, so the rule is written
twice, and ``tests/integration/receipts/test_transcript_audit_log.py`` proves that entries the
domain writes verify under this one. Details travel as the canonical JSON *text* the audit log stores, so their
bytes survive any JSON reader on the way.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives import hashes

GENESIS_DIGEST = "0" * 64
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z", re.ASCII)


@dataclass(frozen=True)
class AuditEntryContent:
    """The hashed fields of one audit entry, ``at`` and ``details`` as the text the rule hashes."""

    id: int
    at: str
    operator: str
    address: str
    action: str
    object_type: str | None
    object_id: str | None
    details: str
    prev_sha256: str
    prev_sm3: str


def audit_json(value: Any) -> str:
    """The audit log's JSON text of ``value`` (sorted keys, UTF-8, no spaces, no NaN)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def audit_time(at: datetime) -> str:
    """``at`` as the audit log writes it: UTC, microseconds, ``Z``."""
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit entry")
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_audit_time(text: Any) -> datetime | None:
    """The moment ``text`` names in exactly the :func:`audit_time` form, else None."""
    if not isinstance(text, str) or not _AT.fullmatch(text):
        return None
    try:
        at = datetime.strptime(text[:-1], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return at if audit_time(at) == text else None


def entry_content(entry: AuditEntryContent) -> bytes:
    """The bytes an entry's digests cover. Raises :class:`ValueError` when ``details`` is not JSON."""
    content = {
        "id": entry.id,
        "at": entry.at,
        "operator": entry.operator,
        "address": entry.address,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": json.loads(entry.details),
        "prev_sha256": entry.prev_sha256,
        "prev_sm3": entry.prev_sm3,
    }
    return audit_json(content).encode("utf-8")


def entry_digests(content: bytes) -> tuple[str, str]:
    """(SHA-256, SM3) of ``content``, lowercase hex."""
    sm3 = hashes.Hash(hashes.SM3())
    sm3.update(content)
    return hashlib.sha256(content).hexdigest(), sm3.finalize().hex()


def details_problem(details: Any) -> str | None:
    """Why ``details`` is not the audit log's canonical text of a JSON object (None when it is):
    the digests would survive a re-spaced text, so the transcript allows exactly one."""
    if not isinstance(details, str):
        return "details must be the JSON text of an object"
    try:
        value = json.loads(details, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return "details is not JSON"
    if not isinstance(value, dict):
        return "details is not a JSON object"
    try:
        if audit_json(value) != details:
            return "details is not in the audit log's canonical form"
    except ValueError:
        return "details holds NaN or Infinity"
    return None


def _refuse(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


__all__ = ["GENESIS_DIGEST", "AuditEntryContent", "audit_json", "audit_time", "parse_audit_time", "entry_content",
           "entry_digests", "details_problem"]
