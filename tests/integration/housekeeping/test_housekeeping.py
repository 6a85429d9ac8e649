"""The recurring purge (bidding.housekeeping) through the scheduler's own wiring
(``register_handlers`` seeds it, ``run_due`` runs it): it runs once per slot, owes the next one,
is harmless twice, removes the bytes of expired uploads and the prepared PDFs of expired or
completed stamp sessions, and nothing of a live upload or a live stamp session."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from support.auth import test_uow
from support.bids import patch, seal, start

from app.scheduler import register_handlers, run_due
from bidding import housekeeping
from bidding.bids.models import BidUpload, UploadState
from bidding.documents import store as document_store
from bidding.documents.models import Document, DocumentKind, StampSession, new_public_id
from bidding.scheduling import EffectState, ScheduledEffect


def _partial_upload(client, tender_id: int, data: bytes) -> str:
    """An upload with its first 64 KiB received; its id."""
    started = start(client, tender_id, data)
    assert started.status_code == 201, started.json
    assert patch(client, started.json["url"], 0, data[:65536]).status_code == 200
    return started.json["id"]


def _stamp_sessions(app, party_id: int, binding_id: int) -> dict[str, str]:
    """Stamp sessions as rows, each with its prepared file: expired, live, completed; and a file no
    session names (a prepare that has not committed yet). Name → SHA-256 of its file."""
    from app.extensions import db
    files = Path(app.config["FILE_STORE"])
    with app.app_context():
        now = app.extensions["clock"].now()
        document = Document(public_id=new_public_id(), kind=DocumentKind.DELEGATION_AGREEMENT, title="委托协议",
                            created_by_party_id=party_id, created_at=now, current_seq=1)
        db.session.add(document)
        db.session.flush()
        digests = {name: document_store.put(files, document_store.PREPARED, os.urandom(2048))
                   for name in ("expired", "live", "completed", "orphan")}
        shapes = {"expired": (now - timedelta(minutes=20), None), "live": (now + timedelta(minutes=5), None),
                  "completed": (now + timedelta(minutes=5), now - timedelta(minutes=1))}
        for name, (expires_at, completed_at) in shapes.items():
            db.session.add(StampSession(
                document_id=document.id, base_seq=1, party_id=party_id, binding_id=binding_id, role="purchaser",
                field_name="seal-purchaser", digest="00" * 32, digest_algorithm="sha256",
                prepared_sha256=digests[name], prepared_record="{}", created_at=now - timedelta(minutes=30),
                expires_at=expires_at, completed_at=completed_at))
        db.session.commit()
    return digests


def _purges(app) -> list[tuple[EffectState, object]]:
    from app.extensions import db
    with app.app_context():
        rows = db.session.scalars(select(ScheduledEffect).where(ScheduledEffect.kind == housekeeping.PURGE)
                                  .order_by(ScheduledEffect.due_at)).all()
        result = [(r.state, r.due_at) for r in rows]
        db.session.remove()
    return result


def _upload_state(app, upload_id: str) -> UploadState:
    from app.extensions import db
    with app.app_context():
        state = db.session.scalars(select(BidUpload.state).where(BidUpload.public_id == upload_id)).one()
        db.session.remove()
    return state


def test_the_purge_runs_once_per_slot_reschedules_and_spares_live_work(bids, keys):
    app, clock = bids.app, bids.clock
    app.config["HOUSEKEEPING_INTERVAL_SECONDS"] = 3600
    client = bids.client()
    expired = _partial_upload(client, bids.tender_id, seal(os.urandom(200_000), keys["rsa"]))
    clock.advance(hours=23)
    live = _partial_upload(client, bids.tender_id, seal(os.urandom(200_000), keys["rsa"]))
    clock.advance(hours=2)                                   # the first is 25 h old, the second 2 h
    prepared = _stamp_sessions(app, bids.parties["supplier"], bids.bindings["rsa"])
    parts = {name: bids.store() / "uploads" / f"{upload_id}.part" for name, upload_id in
             (("expired", expired), ("live", live))}
    assert all(p.is_file() for p in parts.values())

    register_handlers(app)                                   # a scheduler starts: one purge owed, due now
    register_handlers(app)                                   # … and starts again: still one
    [(state, due)] = _purges(app)
    assert state is EffectState.PENDING and due == housekeeping.slot(clock.now(), timedelta(hours=1))

    assert len(run_due(app).done) == 1
    assert [s for s, _ in _purges(app)] == [EffectState.DONE, EffectState.PENDING]
    assert _purges(app)[1][1] == due + timedelta(hours=1)
    assert not parts["expired"].exists() and _upload_state(app, expired) is UploadState.REFUSED
    assert parts["live"].stat().st_size == 65536 and _upload_state(app, live) is UploadState.RECEIVING
    stamping = Path(app.config["FILE_STORE"]) / document_store.PREPARED
    assert sorted(p.name for p in stamping.iterdir()) == sorted([prepared["live"], prepared["orphan"]])

    assert run_due(app).done == []                           # the next one is not due yet
    register_handlers(app)                                   # a restart adds nothing
    assert len(_purges(app)) == 2

    clock.advance(hours=1)
    assert len(run_due(app).done) == 1                       # the next slot: runs, owes the one after
    assert [s for s, _ in _purges(app)] == [EffectState.DONE, EffectState.DONE, EffectState.PENDING]
    assert parts["live"].stat().st_size == 65536 and _upload_state(app, live) is UploadState.RECEIVING
    assert [p.name for p in stamping.iterdir()] == [prepared["orphan"]]     # the live session has expired since


def test_a_purge_twice_in_a_row_is_harmless(bids, keys):
    app, clock = bids.app, bids.clock
    client = bids.client()
    expired = _partial_upload(client, bids.tender_id, seal(os.urandom(100_000), keys["ec"]))
    clock.advance(hours=25)
    stores = housekeeping.Stores(bids=_bid_store(bids), files=Path(app.config["FILE_STORE"]))
    with app.app_context():
        first = housekeeping.purge(test_uow(app), stores)
        second = housekeeping.purge(test_uow(app), stores)
    assert (first.uploads, second.uploads) == (1, 0) and second.prepared_files == 0
    assert _upload_state(app, expired) is UploadState.REFUSED


def test_off_in_the_testing_settings_unless_asked(bids):
    register_handlers(bids.app)
    assert _purges(bids.app) == []


def _bid_store(bids):
    from bidding.bids.uploads import BidStore
    return BidStore(bids.store())
