"""The audit log (R19): an append-only, hash-chained list of every state change.

The rows are written only by :func:`bidding.audit.record`; the ORM refuses to update or delete them
(see the mapper events in :mod:`bidding.audit`) and the database refuses it too (triggers created by
the migration). :class:`AuditChainHead` is one row that serialises writers and remembers the last
entry, so that a deleted tail is noticed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime

GENESIS_DIGEST = "0" * 64
"""The "previous digest" of the first entry, for both SHA-256 and SM3 (both 256 bits)."""


class AuditEntry(Base):
    """One audit record. ``id`` is its position in the chain (1, 2, 3, … without gaps)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    operator: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON text, exactly as hashed
    prev_sha256: Mapped[str] = mapped_column(String(64))
    prev_sm3: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    sm3: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


class AuditChainHead(Base):
    """The single row (id 1) holding the chain's length and last digests; writers lock it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entries: Mapped[int] = mapped_column(Integer)
    last_sha256: Mapped[str] = mapped_column(String(64))
    last_sm3: Mapped[str] = mapped_column(String(64))
