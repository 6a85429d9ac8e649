"""The audit log (R19: every step records its time, network address and operator; the record can't be
altered).

Every state change calls :func:`record` in the same transaction as the change itself, so the entry
exists exactly when the change does. Entries form a hash chain: each holds the SHA-256 and SM3 digests
of the previous entry and its own digests over its canonical content (which includes the previous
digests). :func:`verify_chain` recomputes everything and names the first entry that does not fit.

Writers are serialised by the chain-head row: :func:`record` first *updates* that row (taking the
row lock on PostgreSQL and the database write lock on SQLite) and only then reads the previous
digests, so two concurrent writers can never both append to the same predecessor.

Entries are never updated or deleted by the application: the ORM refuses it here (mapper and session
events raise :class:`~bidding.errors.AuditLogImmutable`) and the database refuses it as well (triggers
made by the migration). An attacker who bypasses both is caught by :func:`verify_chain`.
"""
from __future__ import annotations

import enum
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Mapping

from cryptography.hazmat.primitives import hashes
from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from bidding.clock import Clock
from bidding.errors import AuditError, AuditLogImmutable
from bidding.audit.models import GENESIS_DIGEST, AuditChainHead, AuditEntry

HEAD_ID = 1
_ENTRY = AuditEntry.__table__
_HEAD = AuditChainHead.__table__


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: ``operator`` (e.g. ``party:12``, ``user:3``, ``system``, ``cli:root``)
    and the network ``address`` the request came from (``cli`` / ``scheduler`` off the web)."""

    operator: str
    address: str


SYSTEM = Actor("system", "local")


@dataclass(frozen=True)
class AuditVerification:
    """The result of :func:`verify_chain`. ``count`` is the number of entries found; when not
    ``ok``, ``first_broken_id`` names the first entry (chain position) that does not fit and
    ``reason`` says why (Chinese, English in parentheses)."""

    ok: bool
    count: int
    first_broken_id: int | None = None
    reason: str | None = None


# ---------------------------------------------------------------------------- canonical form

def format_time(at: datetime) -> str:
    """ISO 8601 in UTC with microseconds, e.g. ``2026-11-23T08:00:00.000000Z``."""
    if at.tzinfo is None:
        raise ValueError("naive datetime in the audit log")
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON-serialisable in an audit entry: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, UTF-8 text (no ``\\u`` escapes), no spaces, no NaN."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False, default=_json_default)


def canonical_content(fields: Mapping[str, Any]) -> bytes:
    """The bytes that an entry's digests cover, from its column values (a row mapping or entry)."""
    content = {
        "id": fields["id"],
        "at": format_time(fields["at"]),
        "operator": fields["operator"],
        "address": fields["address"],
        "action": fields["action"],
        "object_type": fields["object_type"],
        "object_id": fields["object_id"],
        "details": json.loads(fields["details"]),
        "prev_sha256": fields["prev_sha256"],
        "prev_sm3": fields["prev_sm3"],
    }
    return canonical_json(content).encode("utf-8")


def digests(content: bytes) -> tuple[str, str]:
    """(SHA-256, SM3) of ``content`` as lowercase hex."""
    h = hashes.Hash(hashes.SM3())
    h.update(content)
    return hashlib.sha256(content).hexdigest(), h.finalize().hex()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {c.key: getattr(entry, c.key) for c in _ENTRY.columns}


# ---------------------------------------------------------------------------- writing

def record(session: Session, clock: Clock, actor: Actor, action: str, *,
           object_type: str | None = None, object_id: object = None,
           details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction (the caller commits).

    ``action`` names what happened (``party.registered``, ``bid.submitted`` …), ``object_type`` and
    ``object_id`` what it happened to, ``details`` any JSON-able facts worth keeping (datetimes,
    enums, Decimals and bytes are converted). Never put secrets or bid plaintext in ``details``.
    """
    if not action:
        raise ValueError("an audit entry needs an action")
    if not actor.operator or not actor.address:
        raise ValueError("an audit entry needs an operator and a network address")
    details_text = canonical_json(dict(details or {}))
    at = clock.now()
    if at.tzinfo is None:
        raise ValueError("the clock returned a naive datetime")
    at = at.astimezone(timezone.utc)

    # Lock first, read second: the UPDATE takes the row lock (PostgreSQL) / write lock (SQLite).
    locked = session.execute(
        update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(entries=_HEAD.c.entries + 1))
    if locked.rowcount != 1:
        raise AuditError("审计链头缺失，数据库未完成迁移 (the audit chain head row is missing: "
                         "run the migrations)")
    head = session.execute(
        select(_HEAD.c.entries, _HEAD.c.last_sha256, _HEAD.c.last_sm3)
        .where(_HEAD.c.id == HEAD_ID)).one()

    entry = AuditEntry(
        id=head.entries, at=at, operator=actor.operator, address=actor.address, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        details=details_text, prev_sha256=head.last_sha256, prev_sm3=head.last_sm3)
    entry.sha256, entry.sm3 = digests(canonical_content(_fields(entry)))
    session.add(entry)
    session.flush()
    session.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID)
                    .values(last_sha256=entry.sha256, last_sm3=entry.sm3))
    return entry


# ---------------------------------------------------------------------------- verifying

def verify_chain(session: Session) -> AuditVerification:
    """Recompute the whole chain from the database (bypassing the ORM's identity map).

    Detects: a changed entry (its digests no longer match its content), a changed digest (the next
    entry's "previous" digests no longer match), a deleted entry (a gap in the positions), a deleted
    tail (the chain head counts more entries than exist) and a chain head that does not match the
    last entry.
    """
    head = session.execute(select(_HEAD).where(_HEAD.c.id == HEAD_ID)).one_or_none()
    if head is None:
        return AuditVerification(False, 0, None, "审计链头缺失 (the chain head row is missing)")
    prev_sha256, prev_sm3 = GENESIS_DIGEST, GENESIS_DIGEST
    count = 0
    rows = session.execute(select(_ENTRY).order_by(_ENTRY.c.id).execution_options(yield_per=500))
    for row in rows.mappings():
        expected = count + 1
        count += 1
        if row["id"] != expected:
            return AuditVerification(False, count, row["id"],
                                     f"第 {expected} 至 {row['id'] - 1} 条记录缺失 "
                                     f"(entries {expected}..{row['id'] - 1} are missing)")
        if (row["prev_sha256"], row["prev_sm3"]) != (prev_sha256, prev_sm3):
            return AuditVerification(False, count, row["id"],
                                     "前一条记录的摘要不符 (the previous entry's digests do not match)")
        try:
            sha256, sm3 = digests(canonical_content(row))
        except (ValueError, TypeError) as exc:
            return AuditVerification(False, count, row["id"],
                                     f"记录内容无法解析 (the entry cannot be read: {exc})")
        if (sha256, sm3) != (row["sha256"], row["sm3"]):
            return AuditVerification(False, count, row["id"],
                                     "记录内容与摘要不符，记录已被修改 (the entry was altered: its "
                                     "content does not match its digests)")
        prev_sha256, prev_sm3 = row["sha256"], row["sm3"]
    if head.entries != count:
        if head.entries > count:
            return AuditVerification(False, count, count + 1,
                                     f"链尾记录缺失：应有 {head.entries} 条，实有 {count} 条 "
                                     f"(the tail is missing: {head.entries} expected, {count} found)")
        return AuditVerification(False, count, head.entries + 1,
                                 f"链头记录数 {head.entries} 少于实有的 {count} 条 (the chain head "
                                 f"counts {head.entries} entries, {count} found)")
    if (head.last_sha256, head.last_sm3) != (prev_sha256, prev_sm3):
        return AuditVerification(False, count, count or None,
                                 "链头摘要与最后一条记录不符 (the chain head does not match the "
                                 "last entry)")
    return AuditVerification(True, count)


# ---------------------------------------------------------------------------- immutability

@event.listens_for(AuditEntry, "before_update", propagate=True)
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogImmutable()


@event.listens_for(AuditEntry, "before_delete", propagate=True)
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogImmutable()


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """``update(AuditEntry)`` / ``delete(AuditEntry)`` run through a session skip the mapper events."""
    if not (state.is_update or state.is_delete):
        return
    if (getattr(state.statement, "table", None) is _ENTRY
            or any(m.class_ is AuditEntry for m in state.all_mappers)):
        raise AuditLogImmutable()
