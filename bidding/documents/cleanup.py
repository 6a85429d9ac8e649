"""Removing prepared PDFs that will never be signed (定期清理).

:func:`~bidding.documents.services.prepare_stamp` keeps the prepared PDF as ``stamping/<sha256>``
in the file store for ten minutes; :func:`~bidding.documents.services.complete_stamp` discards it.
A session that expired unsigned (the signer closed the page) leaves its file behind, and so does a
crash between a stamp's commit and its discard. :func:`purge_stale_prepared` removes those files:
only files that a stamp session names and that no live session (unsigned, unexpired) names. A file
no session names at all is left alone: a prepare may have written it and not committed yet.
"""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from bidding.documents import store
from bidding.documents.models import StampSession
from bidding.uow import UnitOfWork

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_BATCH = 500


def purge_stale_prepared(uow: UnitOfWork, file_store: Path) -> int:
    """Remove the prepared PDFs of expired or completed stamp sessions; returns how many. Reads the
    database only (no commit); harmless at any time and any number of times."""
    folder = Path(file_store) / store.PREPARED
    if not folder.is_dir():
        return 0
    present = sorted(p.name for p in folder.iterdir() if _SHA256.match(p.name))
    now = uow.clock.now()
    removed = 0
    for start in range(0, len(present), _BATCH):
        sessions = uow.session.execute(
            select(StampSession.prepared_sha256, StampSession.completed_at, StampSession.expires_at)
            .where(StampSession.prepared_sha256.in_(present[start:start + _BATCH]))).all()
        named = {s.prepared_sha256 for s in sessions}
        live = {s.prepared_sha256 for s in sessions if s.completed_at is None and s.expires_at > now}
        for sha256 in sorted(named - live):
            store.discard(file_store, store.PREPARED, sha256)
            removed += 1
    return removed
