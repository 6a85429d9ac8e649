"""Hall events (开标大厅事件): every hall action is an audit entry (``opening.*``, object ``tender``
and its public id) whose details carry ``hall_seq`` (1, 2, … per tender) and ``hall_prev_sha256``
(the previous hall event's entry SHA-256, null for the first), so the transcript
(:func:`pki.receipts.transcript.walk_hall_links`) shows a dropped, added or moved event.

The tender's :class:`OpeningHall` row is the lock: taken before the sequence number is read, so two
events of one tender are numbered one after the other, whatever the number of workers.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bidding.audit.models import AuditEntry
from bidding.opening.locks import lock_or_make
from bidding.opening.models import OpeningHall
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork
from pki.receipts.transcript import HALL_PREV, HALL_SEQ


def lock_hall(session: Session, tender_id: int) -> OpeningHall:
    """The tender's hall row, made if missing, locked until the transaction ends
    (:func:`bidding.opening.locks.lock_or_make`)."""
    return lock_or_make(session, OpeningHall, "tender_id", tender_id,
                        lambda: OpeningHall(tender_id=tender_id, hall_seq=0))


def record_hall_event(uow: UnitOfWork, tender: Tender, action: str, details: dict[str, Any] | None = None
                      ) -> AuditEntry:
    """Record hall event ``action`` (``opening.…``) of ``tender`` in the caller's transaction."""
    if HALL_SEQ in (details or {}) or HALL_PREV in (details or {}):
        raise ValueError("hall_seq and hall_prev_sha256 are the hall's own")
    hall = lock_hall(uow.session, tender.id)
    seq = hall.hall_seq + 1
    entry = uow.audit(action, object_type="tender", object_id=tender.public_id,
                      **{**(details or {}), HALL_SEQ: seq, HALL_PREV: hall.last_sha256})
    hall.hall_seq = seq
    hall.last_sha256 = entry.sha256
    uow.session.flush()
    return entry


__all__ = ["lock_hall", "record_hall_event"]
