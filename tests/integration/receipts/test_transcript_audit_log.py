"""The audit log the domain writes (``bidding.audit``) and the rule ``pki`` restates agree: every
entry's digests recompute under :mod:`pki.receipts.audit_chain`, on SQLite and PostgreSQL, and a
transcript built from the hall's entries as the database returns them verifies, gaps and all."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from bidding.audit import Actor, canonical_content
from bidding.audit.models import AuditEntry
from bidding.uow import UnitOfWork
from pki.receipts import TranscriptEvent, build_transcript, entry_content, entry_digests, verify_transcript
from pki.receipts.transcript import walk_chain

from support.receipts import TENDER

HALL = Actor("system", "scheduler")
BIDDER = Actor("party:3", "198.51.100.23")


def _record_day(app, clock) -> None:
    """An opening hall among other business; hall events linked as the hall records them."""
    steps = [
        (BIDDER, "party.updated", "party", "3", {"name": "甲公司", "score": 1.0}),
        (HALL, "opening.started", "tender", TENDER, {"at": clock.now(), "window": timedelta(minutes=30).seconds}),
        (BIDDER, "opening.decrypted", "tender", TENDER, {"bid": "B-17", "price": Decimal("1234567.80"),
                                                         "key": b"\x01\x02", "tags": {"rsa"}}),
        (BIDDER, "account.login", None, None, {"ok": True}),
        (BIDDER, "opening.objection", "tender", TENDER, {"text": "报价\n有误？\u2028", "nested": {"a": [1, None]}}),
        (HALL, "opening.closed", "tender", TENDER, {}),
    ]
    previous_hall = None
    seq = 0
    with app.app_context():
        for actor, action, object_type, object_id, details in steps:
            with UnitOfWork(db.session, clock, actor) as uow:
                if action.startswith("opening."):
                    seq += 1
                    details = {**details, "hall_seq": seq, "hall_prev_sha256": previous_hall}
                entry = uow.audit(action, object_type=object_type, object_id=object_id, **details)
                if action.startswith("opening."):
                    previous_hall = entry.sha256
                uow.commit()
            clock.advance(seconds=1, microseconds=123)


def _entries(app) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


def test_domain_entries_verify_under_pkis_rule(app, clock):
    _record_day(app, clock)
    entries = _entries(app)
    assert len(entries) >= 6
    for entry in entries:
        event = TranscriptEvent.from_entry(entry)
        ours = entry_content(event.content())
        theirs = canonical_content({c.key: getattr(entry, c.key) for c in AuditEntry.__table__.columns})
        assert ours == theirs
        assert entry_digests(ours) == (entry.sha256, entry.sm3)


def test_transcript_of_the_hall_from_the_database(app, clock, rpki, tsa):
    _record_day(app, clock)
    entries = _entries(app)
    hall = [e for e in entries if e.action.startswith("opening.")]
    signer = rpki.receipt["sm2"]
    der = build_transcript(hall, tender=TENDER, key=signer.key, certificate=signer.cert, chain=signer.chain[:1],
                           tsa=tsa)
    check = verify_transcript(der, trust_roots=[rpki.root_cert("sm2")], tsa_roots=[rpki.root_cert("rsa")])
    assert check.ok, check.reasons
    assert check.count == 4 and check.hall_linked and check.tender == TENDER
    ids = [e.id for e in hall]
    assert [e.id for e in check.events] == ids
    assert check.gaps == ((ids[1], ids[2]),) and ids[1] + 2 == ids[2]      # the log-in between
    assert check.head.sha256 == hall[-1].sha256 and check.head.sm3 == hall[-1].sm3
    assert check.first_at == hall[0].at and check.last_at == hall[-1].at
    # every entry of the day, in order, is one chain without gaps
    assert walk_chain([TranscriptEvent.from_entry(e) for e in entries]) == ([], [])
