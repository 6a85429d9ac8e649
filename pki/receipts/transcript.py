"""The opening transcript (开标记录 transcript): every event of an opening hall, in audit-chain order,
with the chain's digests, signed by the platform's receipt certificate and timestamped.

The signed content is the RFC 8785 canonical JSON::

    {"events":[{"action":"opening.started","address":"10.0.0.5","at":"2026-12-01T12:00:00.000000Z",
                "details":"{\\"window_minutes\\":30}","id":41,"object_id":"T-2026-001","object_type":"tender",
                "operator":"system","prev_sha256":"…","prev_sm3":"…","sha256":"…","sm3":"…"}, …],
     "tender":"T-2026-001","type":"opening-transcript","version":1}

Each event is one audit-log entry exactly as hashed (time, kind = ``action``, actor = ``operator`` and
``address``, ``object_type``/``object_id``, ``details`` as the stored canonical text) with its previous
and own SHA-256/SM3. :func:`verify_transcript` re-walks the chain by the audit log's own rule
(:mod:`pki.receipts.audit_chain`): every event's digests recomputed from its content, positions
strictly increasing, and wherever two events are neighbours in the log (positions n and n+1) the
second's "previous" digests must be the first's own. So nothing can be added, dropped, changed or
reordered between neighbours without breaking a digest, and the signature and token fix the whole.

Positions may skip entries of other business that happened meanwhile (the audit log is one chain
for the whole platform): those are reported as ``gaps``. So that a hall event cannot hide in a gap,
the hall links its own events when it records them: each event's details carry ``hall_seq`` (1, 2, 3,
… within the hall) and ``hall_prev_sha256`` (the previous hall event's own SHA-256; null for the
first). Inside the hashed content, these make the hall's events a chain of their own, fixed at the
moment each was recorded: a transcript whose events all carry them is checked to start at 1, count
up without a hole and link each event to the one before (``hall_linked``). Without them, what fell
in a gap can only be checked against the audit log itself.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


from pki.certs import AnyCertificate
from pki.keyops import KeyOps
from pki.receipts.audit_chain import (GENESIS_DIGEST, AuditEntryContent, audit_json, audit_time, details_problem,
                                      entry_content, entry_digests, parse_audit_time)
from pki.receipts.canonical import JsonRefused, canonical_json, read_canonical
from pki.receipts.errors import TranscriptInvalid
from pki.receipts.receipt import identifier_problem, member_problems, wrong_type
from pki.receipts.statement import SignedStatementResult, StatementCheck, sign_statement, verify_statement
from pki.timestamps import TsaSource
from pki.validation import Rejection

TRANSCRIPT_TYPE = "opening-transcript"
TRANSCRIPT_VERSION = 1
MEMBERS = frozenset({"type", "version", "tender", "events"})
EVENT_MEMBERS = frozenset({"id", "at", "operator", "address", "action", "object_type", "object_id", "details",
                           "prev_sha256", "prev_sm3", "sha256", "sm3"})
#: An opening has hundreds of events; these bound what a verifier holds in memory.
MAX_EVENTS = 50_000
MAX_TRANSCRIPT_JSON = 32 * 1024 * 1024
#: Text columns of the audit log and their widths (bidding/audit/models.py).
TEXT_LIMITS = {"operator": 200, "address": 100, "action": 100, "object_type": 100, "object_id": 100}
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: The hall's own links, inside each event's details (see the module's docstring).
HALL_SEQ, HALL_PREV = "hall_seq", "hall_prev_sha256"


@dataclass(frozen=True)
class TranscriptEvent:
    """One event: an audit entry's hashed fields and its own digests."""

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
    sha256: str
    sm3: str

    @classmethod
    def from_entry(cls, entry: Any) -> "TranscriptEvent":
        """From an audit entry: a mapping or an object with the audit log's attributes (``at`` a
        datetime or its text, ``details`` the stored canonical text or a mapping)."""
        get = entry.get if isinstance(entry, Mapping) else (lambda name: getattr(entry, name, None))
        at, details = get("at"), get("details")
        if isinstance(at, datetime):
            at = audit_time(at)
        if isinstance(details, Mapping):
            details = audit_json(dict(details))
        return cls(**{name: get(name) for name in EVENT_MEMBERS - {"at", "details"}}, at=at, details=details)

    @property
    def time(self) -> datetime | None:
        return parse_audit_time(self.at)

    def content(self) -> AuditEntryContent:
        return AuditEntryContent(self.id, self.at, self.operator, self.address, self.action, self.object_type,
                                 self.object_id, self.details, self.prev_sha256, self.prev_sm3)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EVENT_MEMBERS}


@dataclass(frozen=True)
class ChainHead:
    """The last event's position and digests: compare with the audit log at that position."""

    id: int
    sha256: str
    sm3: str


@dataclass(frozen=True)
class TranscriptCheck(SignedStatementResult):
    """The answer of :func:`verify_transcript`; ``events`` whenever the JSON could be read."""

    ok: bool
    tender: str | None
    events: tuple[TranscriptEvent, ...]
    gaps: tuple[tuple[int, int], ...]
    hall_linked: bool
    reasons: tuple[Rejection, ...]
    statement: StatementCheck = field(repr=False)

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def first_at(self) -> datetime | None:
        return self.events[0].time if self.events else None

    @property
    def last_at(self) -> datetime | None:
        return self.events[-1].time if self.events else None

    @property
    def head(self) -> ChainHead | None:
        last = self.events[-1] if self.events else None
        return ChainHead(last.id, last.sha256, last.sm3) if last else None


# -- building ------------------------------------------------------------------------------------------
def build_transcript(events: Iterable[Any], *, tender: str, key: KeyOps, certificate: AnyCertificate,
                     chain: Sequence[AnyCertificate] = (), tsa: TsaSource,
                     signing_time: datetime | None = None) -> bytes:
    """The signed, timestamped transcript (SignedData DER) of ``events`` — audit entries of the
    opening hall in chain order (see :meth:`TranscriptEvent.from_entry`). Refuses
    (:class:`TranscriptInvalid`) events that do not verify under the audit rule, so the platform
    never signs a broken chain."""
    evs = [e if isinstance(e, TranscriptEvent) else TranscriptEvent.from_entry(e) for e in events]
    problems = []
    if identifier_problem(tender, 64):
        problems.append(f"tender {identifier_problem(tender, 64)}")
    problems += [r.message for r in _count_reasons(len(evs))]
    for event in evs:
        problems += event_problems(event.to_json())
    if not problems:
        problems += [r.message for r in walk_chain(evs)[0] + walk_hall_links(evs)[0]]
    if problems:
        raise TranscriptInvalid(f"开标记录无法生成 (the transcript cannot be made): {'; '.join(problems[:5])}",
                                problems=problems)
    try:
        content = canonical_json({"type": TRANSCRIPT_TYPE, "version": TRANSCRIPT_VERSION, "tender": tender,
                                  "events": [e.to_json() for e in evs]})
    except ValueError as exc:       # e.g. a lone surrogate in a text: no UTF-8, no canonical form
        raise TranscriptInvalid(f"开标记录无法生成 (the transcript cannot be made: {exc})") from exc
    if len(content) > MAX_TRANSCRIPT_JSON:
        raise TranscriptInvalid(f"开标记录过大 (the transcript is larger than {MAX_TRANSCRIPT_JSON} bytes)")
    return sign_statement(content, key=key, certificate=certificate, chain=chain, tsa=tsa,
                          signing_time=signing_time)


# -- verifying -----------------------------------------------------------------------------------------
def verify_transcript(der: bytes, *, trust_roots: Sequence[AnyCertificate],
                      intermediates: Sequence[AnyCertificate] = (), tsa_roots: Sequence[AnyCertificate],
                      crls: Sequence[bytes] = (), at: datetime | None = None) -> TranscriptCheck:
    """Check a transcript: the signature as for a receipt (one signer, receipt certificate, chain,
    token over the signature), the JSON strictly (members, types, canonical form), the token made
    after the last event, and the audit chain re-walked event by event. Raises
    :class:`pki.signature.SignatureFormatError` only for bytes that are no SignedData."""
    statement = verify_statement(der, trust_roots=trust_roots, intermediates=intermediates, tsa_roots=tsa_roots,
                                 crls=crls, at=at)
    reasons = list(statement.reasons)
    tender, events, gaps, linked = None, (), (), False
    if statement.content is not None:
        tender, events, problems = parse_transcript_json(statement.content)
        reasons += problems
        if events and not problems:
            chain_reasons, gaps = walk_chain(events)
            hall_reasons, linked = walk_hall_links(events)
            reasons += chain_reasons + hall_reasons
            reasons += _time_reasons(events[-1], statement)
    return TranscriptCheck(ok=not reasons, tender=tender, events=tuple(events), gaps=tuple(gaps),
                           hall_linked=linked, reasons=tuple(reasons), statement=statement)


def parse_transcript_json(content: bytes) -> tuple[str | None, list[TranscriptEvent], list[Rejection]]:
    """(tender, events, reasons) of a transcript's JSON: events only when every one is well formed."""
    if len(content) > MAX_TRANSCRIPT_JSON:
        return None, [], [_malformed(f"larger than {MAX_TRANSCRIPT_JSON} bytes")]
    try:
        value = read_canonical(content)
    except JsonRefused as refused:
        if refused.code == "not_canonical":
            return None, [], [Rejection("not_canonical", f"开标记录不是规范 JSON（RFC 8785） (the transcript is not in "
                                                         f"canonical JSON form, RFC 8785: {refused.detail})")]
        return None, [], [_malformed(refused.detail)]
    if not isinstance(value, dict):
        return None, [], [_malformed("not a JSON object")]
    if (value.get("type"), value.get("version")) != (TRANSCRIPT_TYPE, TRANSCRIPT_VERSION):
        return None, [], [wrong_type("开标记录", "an opening transcript", value, TRANSCRIPT_TYPE, TRANSCRIPT_VERSION)]
    problems = member_problems(value, MEMBERS)
    if problems:
        return None, [], [_malformed("; ".join(problems))]
    tender = value["tender"]
    if identifier_problem(tender, 64):
        problems.append(f"tender {identifier_problem(tender, 64)}")
    raw = value["events"]
    if not isinstance(raw, list):
        return None, [], [_malformed("events must be a list")]
    reasons = _count_reasons(len(raw))
    if reasons:
        return None, [], reasons
    for n, item in enumerate(raw, start=1):
        problems += [f"event {n}: {p}" for p in event_problems(item)]
    if problems:
        return None, [], [_malformed("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)"
                                                               if len(problems) > 5 else ""))]
    return tender, [TranscriptEvent(**item) for item in raw], []


def event_problems(item: Any) -> list[str]:
    """What is wrong with one event's JSON members and their types (empty when well formed)."""
    if not isinstance(item, dict):
        return ["not a JSON object"]
    problems = member_problems(item, EVENT_MEMBERS)
    if problems:
        return problems
    if type(item["id"]) is not int or not 1 <= item["id"] <= 2**53 - 1:
        problems.append("id must be a positive integer")
    if parse_audit_time(item["at"]) is None:
        problems.append(f"at {item['at']!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    for name, limit in TEXT_LIMITS.items():
        value = item[name]
        optional = name in ("object_type", "object_id")
        if value is None and optional:
            continue
        if not isinstance(value, str) or len(value) > limit or (not value and not optional):
            problems.append(f"{name} must be a {'' if optional else 'non-empty '}string of at most {limit} characters")
    problem = details_problem(item["details"])
    if problem:
        problems.append(problem)
    for name in ("prev_sha256", "prev_sm3", "sha256", "sm3"):
        if not isinstance(item[name], str) or not _HEX64.fullmatch(item[name]):
            problems.append(f"{name} must be 64 lowercase hexadecimal digits")
    return problems


def walk_chain(events: Sequence[TranscriptEvent]) -> tuple[list[Rejection], list[tuple[int, int]]]:
    """Re-walk the audit chain through well-formed ``events``: (reasons, gaps). A gap ``(a, b)``
    says positions a+1 … b−1 of the audit log are not in the transcript."""
    reasons: list[Rejection] = []
    gaps: list[tuple[int, int]] = []
    before: TranscriptEvent | None = None
    for n, event in enumerate(events, start=1):
        where = f"第 {n} 个事件（审计记录 {event.id}） (event {n}, audit entry {event.id})"
        if entry_digests(entry_content(event.content())) != (event.sha256, event.sm3):
            reasons.append(Rejection("entry_altered", f"{where}：内容与摘要不符，记录已被修改 (its content does not "
                                                      f"match its digests: the entry was altered)"))
        if before is None:
            if event.id == 1 and (event.prev_sha256, event.prev_sm3) != (GENESIS_DIGEST, GENESIS_DIGEST):
                reasons.append(Rejection("link_broken", f"{where}：首条记录的前序摘要应为全零 (the first entry of the "
                                                        f"log must follow 64 zeros)"))
        elif event.id <= before.id:
            reasons.append(Rejection("out_of_order", f"{where}：位置不在前一事件 {before.id} 之后，顺序被打乱或重复 "
                                                     f"(not after the previous event's position {before.id}: "
                                                     f"reordered or repeated)"))
        elif event.id == before.id + 1:
            if (event.prev_sha256, event.prev_sm3) != (before.sha256, before.sm3):
                reasons.append(Rejection("link_broken", f"{where}：前序摘要与上一条记录不符，中间有记录被增删或改动 "
                                                        f"(its previous digests are not the previous entry's: "
                                                        f"an entry was added, dropped or changed)"))
        else:
            gaps.append((before.id, event.id))
        before = event
    return reasons, gaps


def walk_hall_links(events: Sequence[TranscriptEvent]) -> tuple[list[Rejection], bool]:
    """Check the hall's own links (``hall_seq``, ``hall_prev_sha256`` in the details): (reasons,
    linked). Events carrying none are not linked (no reason); some carrying them and some not, a
    sequence that does not start at 1 or has a hole, or a link to anything but the event before
    are refused."""
    links = [_hall_link(e) for e in events]
    if all(link is None for link in links):
        return [], False
    reasons: list[Rejection] = []
    before: TranscriptEvent | None = None
    for n, (event, link) in enumerate(zip(events, links), start=1):
        where = f"第 {n} 个事件（审计记录 {event.id}） (event {n}, audit entry {event.id})"
        expected_prev = before.sha256 if before is not None else None
        if link is None or link != (n, expected_prev):
            reasons.append(Rejection("hall_link_broken", f"{where}：开标大厅的事件序号或前序摘要不符，有事件被删除、插入或"
                                                         f"调换 (the hall's sequence number or link does not follow "
                                                         f"the event before: an event was dropped, added or moved)"))
            break
        before = event
    return reasons, not reasons


def _hall_link(event: TranscriptEvent) -> tuple[Any, Any] | None:
    details = json.loads(event.details)
    if HALL_SEQ not in details and HALL_PREV not in details:
        return None
    seq, prev = details.get(HALL_SEQ), details.get(HALL_PREV)
    return (seq if type(seq) is int else None, prev if prev is None or isinstance(prev, str) else False)


def _time_reasons(last: TranscriptEvent, statement: StatementCheck) -> list[Rejection]:
    """The token (and a signing-time, if any) cannot precede the last event it covers."""
    stamp, last_at = statement.timestamp, last.time
    if stamp is None or stamp.gen_time is None or last_at is None:
        return []
    slack = timedelta(seconds=(stamp.accuracy_seconds or 0) + 1)
    reasons = []
    if stamp.gen_time < last_at - slack:
        reasons.append(Rejection("timestamp_time", f"时间戳时间 {stamp.gen_time.isoformat()} 早于最后一个事件 {last.at} "
                                                   f"(the token predates the last event)"))
    signing_time = statement.signature.signing_time
    if signing_time is not None and signing_time < last_at - slack:
        reasons.append(Rejection("signing_time", f"签名时间 {signing_time.isoformat()} 早于最后一个事件 {last.at} "
                                                 f"(the signing time predates the last event)"))
    return reasons


def _count_reasons(count: int) -> list[Rejection]:
    if count == 0:
        return [_malformed("no events")]
    if count > MAX_EVENTS:
        return [_malformed(f"{count} events, more than {MAX_EVENTS}")]
    return []


def _malformed(detail: str) -> Rejection:
    return Rejection("fields_invalid", f"开标记录内容不合格式 (the transcript's content breaks the format: {detail})")


__all__ = ["TRANSCRIPT_TYPE", "TRANSCRIPT_VERSION", "MAX_EVENTS", "MAX_TRANSCRIPT_JSON", "TranscriptEvent",
           "ChainHead", "TranscriptCheck", "HALL_SEQ", "HALL_PREV", "build_transcript", "verify_transcript",
           "parse_transcript_json", "event_problems", "walk_chain", "walk_hall_links"]
