"""Shared by the receipt and transcript tests (imported as ``support.receipts``): their clock, TSA
and the documented OpenSSL recipe, and audit chains made by the audit log's rule as restated in
:mod:`pki.receipts.audit_chain` — an opening hall's events among entries of other business, each
hall event linked to the one before (``hall_seq``, ``hall_prev_sha256``)."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bidding.clock import FrozenClock
from pki.identity import PartyIdentity
from pki.receipts.audit_chain import GENESIS_DIGEST, audit_json, audit_time, entry_content, entry_digests
from pki.receipts.transcript import TranscriptEvent
from pki.timestamps import MemorySerialCounter, TimeStampAuthority

#: The moment of the receipt tests: the TSA's clock (receipts are received 250 ms before it); the
#: platform's certificates are issued an hour earlier.
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ISSUED = NOW - timedelta(hours=1)
TSA_POLICY = "2.25.72332915291831301101814497930267910821.9.1"
PLATFORM = PartyIdentity("institution", "电子招投标平台（测试）", credit_code="91110108551385082Q")
START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
TENDER = "T-2026-001"


DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def docs_recipe() -> str:
    """The sh block of docs/formats.md's receipt section that uses OpenSSL only (tests run it as written)."""
    section = DOCS.read_text(encoding="utf-8").split("## Receipts (投标回执)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    recipe = next(b for b in blocks if "asn1parse" in b)
    assert "bidtool" not in recipe
    return recipe


def make_tsa(rpki: Any, at: datetime = NOW) -> TimeStampAuthority:
    """A TSA with the test PKI's TSA certificate on a clock frozen at ``at``."""
    return TimeStampAuthority(rpki.tsa.key, rpki.tsa.cert, rpki.tsa.chain[:1], TSA_POLICY, FrozenClock(at),
                              serials=MemorySerialCounter(7000))


def chain(entries: list[tuple[str, dict[str, Any]]], *, start: datetime = START, first_id: int = 1,
          prev: tuple[str, str] = (GENESIS_DIGEST, GENESIS_DIGEST), hall_links: bool = True,
          hall_actions: tuple[str, ...] = ("opening.",)) -> list[TranscriptEvent]:
    """Entries ``(action, details)`` chained from ``first_id``; actions starting with one of
    ``hall_actions`` are the hall's and get its links (when ``hall_links``)."""
    out: list[TranscriptEvent] = []
    seq, hall_prev = 0, None
    for n, (action, details) in enumerate(entries):
        details = dict(details)
        hall = action.startswith(hall_actions)
        if hall and hall_links:
            seq += 1
            details.update(hall_seq=seq, hall_prev_sha256=hall_prev)
        event = seal(TranscriptEvent(
            id=first_id + n, at=audit_time(start + timedelta(seconds=n, microseconds=7 * n)),
            operator="system" if n % 2 else f"user:{n}", address="203.0.113.9", action=action,
            object_type="tender" if hall else "party", object_id=TENDER if hall else str(n),
            details=audit_json(details), prev_sha256=prev[0], prev_sm3=prev[1], sha256="", sm3=""))
        out.append(event)
        prev = (event.sha256, event.sm3)
        if hall:
            hall_prev = event.sha256
    return out


def seal(event: TranscriptEvent) -> TranscriptEvent:
    """``event`` with its own digests recomputed from its content."""
    sha256, sm3 = entry_digests(entry_content(event.content()))
    return replace(event, sha256=sha256, sm3=sm3)


def relink(events: list[TranscriptEvent]) -> list[TranscriptEvent]:
    """Recompute every link and digest after an edit (what a forger with the log in hand would do)."""
    out = []
    prev = (events[0].prev_sha256, events[0].prev_sm3)
    for event in events:
        event = seal(replace(event, prev_sha256=prev[0], prev_sm3=prev[1]))
        out.append(event)
        prev = (event.sha256, event.sm3)
    return out


def hall(events: list[TranscriptEvent]) -> list[TranscriptEvent]:
    """The hall's events only (what a transcript lists)."""
    return [e for e in events if e.object_type == "tender"]


#: An opening hall among other business: positions 1..12, the hall's at 2, 3, 4, 7, 8, 11, 12.
HALL_DAY = [
    ("party.registered", {"name": "甲公司"}),
    ("opening.started", {"window_minutes": 30}),
    ("opening.signed_in", {"bidder": "91110108551385082Q"}),
    ("opening.decrypted", {"bid": "B-17", "amount": 1.0}),
    ("account.login", {"ok": True}),
    ("party.registered", {"name": "乙公司"}),
    ("opening.objection", {"text": "报价单位有误？", "by": "B-18"}),
    ("opening.answer", {"text": "已核实，无误"}),
    ("account.login", {"ok": False}),
    ("certificate.bound", {"serial": "1008"}),
    ("opening.announced", {"prices": [["B-17", "1234567.80"]]}),
    ("opening.closed", {}),
]
