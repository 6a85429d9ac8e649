"""The bid receipt (投标回执): what the platform received, when, signed and timestamped at once.

The signed content is the RFC 8785 canonical JSON of exactly these members::

    {"action":"submitted","bid":"B-17","bidder":"91440101MA5ABCDE1X","received_at":"2026-12-01T11:59:59.999Z",
     "replaces":null,"sha256":"<64 hex>","size":123456,"sm3":"<64 hex>","tender":"T-2026-001",
     "type":"bid-receipt","version":1}

``size``, ``sha256`` and ``sm3`` describe the bid's envelope exactly as stored; ``received_at`` is
the instant its last byte arrived (UTC, milliseconds, R17); ``action`` is ``submitted`` (a new or a
replacing bid: ``replaces`` names the bid it replaces) or ``withdrawn`` (the receipt names the bid
withdrawn and its envelope). :func:`issue_receipt` signs it (:mod:`pki.receipts.statement`);
:func:`verify_receipt` checks signature, certificate role, timestamp and every field, and re-derives
the canonical bytes to compare them with what was signed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


from pki.certs import AnyCertificate
from pki.keyops import KeyOps
from pki.receipts.canonical import JsonRefused, canonical_json, read_canonical
from pki.receipts.errors import ReceiptFieldsInvalid
from pki.receipts.statement import SignedStatementResult, StatementCheck, sign_statement, verify_statement
from pki.timestamps import TsaSource
from pki.validation import Rejection

RECEIPT_TYPE = "bid-receipt"
RECEIPT_VERSION = 1
ACTIONS = ("submitted", "withdrawn")
MEMBERS = frozenset({"type", "version", "tender", "bid", "bidder", "action", "replaces", "size", "sha256", "sm3",
                     "received_at"})
#: Longest identifiers, in characters (tender ids as for tenders; bidder as in the bid manifest).
ID_LIMITS = {"tender": 64, "bid": 64, "replaces": 64, "bidder": 200}
#: Largest envelope size JSON carries exactly (RFC 8785 / I-JSON integers).
MAX_SIZE = 2**53 - 1
#: How long after ``received_at`` the token may be made (signing and time-stamping under load).
DEFAULT_TOLERANCE = timedelta(seconds=60)
#: A receipt is a few hundred bytes: anything much larger is not one.
MAX_RECEIPT_JSON = 4096

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MILLIS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", re.ASCII)


@dataclass(frozen=True)
class ReceiptFields:
    """What a receipt says. ``received_at`` is kept to the millisecond (later digits are dropped,
    never rounded up: a bid received before the deadline never reads as received at it)."""

    tender: str
    bid: str
    bidder: str
    size: int
    sha256: str
    sm3: str
    received_at: datetime
    action: str = "submitted"
    replaces: str | None = None

    def __post_init__(self) -> None:
        at = self.received_at
        if isinstance(at, datetime) and at.tzinfo is not None:
            at = at.astimezone(timezone.utc)
            object.__setattr__(self, "received_at", at.replace(microsecond=at.microsecond // 1000 * 1000))

    def to_json(self) -> dict[str, Any]:
        """The JSON object (before canonicalisation)."""
        return {"type": RECEIPT_TYPE, "version": RECEIPT_VERSION, "tender": self.tender, "bid": self.bid,
                "bidder": self.bidder, "action": self.action, "replaces": self.replaces, "size": self.size,
                "sha256": self.sha256, "sm3": self.sm3, "received_at": format_millis(self.received_at)}

    def canonical(self) -> bytes:
        """The RFC 8785 bytes the platform signs; :class:`ReceiptFieldsInvalid` if a field is wrong."""
        problems = field_problems(self)
        if problems:
            raise ReceiptFieldsInvalid(f"投标回执字段有误 (invalid receipt fields): {'; '.join(problems)}",
                                       problems=problems)
        return canonical_json(self.to_json())


@dataclass(frozen=True)
class ReceiptCheck(SignedStatementResult):
    """The answer of :func:`verify_receipt`: ``ok`` only when every check holds; ``fields`` whenever
    the JSON could be read (also when the signature fails, to say what the document claims)."""

    ok: bool
    fields: ReceiptFields | None
    reasons: tuple[Rejection, ...]
    statement: StatementCheck = field(repr=False)

    @property
    def content(self) -> bytes | None:
        return self.statement.content


# -- issuing -------------------------------------------------------------------------------------------
def issue_receipt(fields: ReceiptFields, *, key: KeyOps, certificate: AnyCertificate,
                  chain: Sequence[AnyCertificate] = (), tsa: TsaSource,
                  signing_time: datetime | None = None) -> bytes:
    """The receipt (SignedData DER) for ``fields``, signed with the platform's receipt certificate
    and timestamped by ``tsa`` (URL or responder). ``chain``: the intermediate CA certificates to
    carry. Raises :class:`ReceiptFieldsInvalid`, :class:`NotReceiptCertificate`,
    :class:`pki.signature.SigningError` or :class:`pki.signature.TimestampError`."""
    return sign_statement(fields.canonical(), key=key, certificate=certificate, chain=chain, tsa=tsa,
                          signing_time=signing_time)


# -- verifying -----------------------------------------------------------------------------------------
def verify_receipt(der: bytes, *, trust_roots: Sequence[AnyCertificate],
                   intermediates: Sequence[AnyCertificate] = (), tsa_roots: Sequence[AnyCertificate],
                   crls: Sequence[bytes] = (), at: datetime | None = None,
                   tolerance: timedelta = DEFAULT_TOLERANCE) -> ReceiptCheck:
    """Check a receipt: one signer, the platform's receipt certificate (EKU), chain, a valid token
    over that signer's signature, the token's time within ``tolerance`` after ``received_at``, and
    the JSON: exactly the members of the format with their types, byte for byte its canonical form.

    ``trust_roots`` for the platform's certificate, ``tsa_roots`` for the TSA's (they may be the
    same list); ``at``: validate the chain then (default: the token's time). Raises
    :class:`pki.signature.SignatureFormatError` only for bytes that are no SignedData."""
    statement = verify_statement(der, trust_roots=trust_roots, intermediates=intermediates, tsa_roots=tsa_roots,
                                 crls=crls, at=at)
    reasons = list(statement.reasons)
    fields = None
    if statement.content is not None:
        fields, problems = parse_receipt_json(statement.content)
        reasons += problems
    if fields is not None:
        reasons += time_reasons(fields.received_at, statement, tolerance)
    return ReceiptCheck(ok=not reasons, fields=fields, reasons=tuple(reasons), statement=statement)


def parse_receipt_json(content: bytes) -> tuple[ReceiptFields | None, list[Rejection]]:
    """The fields of a receipt's JSON, or None and why not."""
    if len(content) > MAX_RECEIPT_JSON:
        return None, [_malformed(f"{len(content)} bytes, more than a receipt ({MAX_RECEIPT_JSON})")]
    try:
        value = read_canonical(content)
    except JsonRefused as refused:
        if refused.code == "not_canonical":
            return None, [Rejection("not_canonical", f"回执内容不是规范 JSON（RFC 8785） (the receipt is not in "
                                                     f"canonical JSON form, RFC 8785: {refused.detail})")]
        return None, [_malformed(refused.detail)]
    if not isinstance(value, dict):
        return None, [_malformed("not a JSON object")]
    if (value.get("type"), value.get("version")) != (RECEIPT_TYPE, RECEIPT_VERSION):
        return None, [wrong_type("投标回执", "a bid receipt", value, RECEIPT_TYPE, RECEIPT_VERSION)]
    problems = member_problems(value, MEMBERS)
    if not problems:
        received_at = parse_millis(value["received_at"])
        if received_at is None:
            problems.append(f"received_at {value['received_at']!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
        else:
            fields = ReceiptFields(**{k: value[k] for k in MEMBERS - {"type", "version", "received_at"}},
                                   received_at=received_at)
            problems += field_problems(fields)
    if problems:
        return None, [_malformed("; ".join(problems))]
    return fields, []


def wrong_type(zh: str, en: str, value: Mapping[str, Any], expected_type: str, expected_version: int) -> Rejection:
    """The refusal of a document of another type or version than ``expected_type`` / ``expected_version``."""
    found = f"type {value.get('type')!r}, version {value.get('version')!r}"
    return Rejection("wrong_type", f"不是{zh}（{found}） (not {en}: {found}; expected {expected_type!r} "
                                   f"version {expected_version})")


def member_problems(value: Mapping[str, Any], expected: frozenset[str]) -> list[str]:
    """Missing and unknown members of a JSON object."""
    problems = []
    missing, extra = sorted(expected - value.keys()), sorted(value.keys() - expected)
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if extra:
        problems.append(f"unknown {', '.join(extra)}")
    return problems


def field_problems(fields: ReceiptFields) -> list[str]:
    """Everything wrong with the fields' types and values (empty when they fit the format)."""
    problems = []
    for name, limit in ID_LIMITS.items():
        value = getattr(fields, name)
        if name == "replaces" and value is None:
            continue
        problem = identifier_problem(value, limit)
        if problem:
            problems.append(f"{name} {problem}")
    if fields.action not in ACTIONS:
        problems.append(f"action must be one of {', '.join(ACTIONS)}")
    elif fields.action == "withdrawn" and fields.replaces is not None:
        problems.append("a withdrawal replaces nothing")
    if type(fields.size) is not int or not 1 <= fields.size <= MAX_SIZE:
        problems.append(f"size must be an integer from 1 to {MAX_SIZE}")
    for name in ("sha256", "sm3"):
        value = getattr(fields, name)
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            problems.append(f"{name} must be 64 lowercase hexadecimal digits")
    at = fields.received_at
    if not isinstance(at, datetime) or at.tzinfo is None:
        problems.append("received_at must be a timezone-aware datetime")
    return problems


def identifier_problem(value: Any, limit: int) -> str | None:
    """Why ``value`` is no identifier string of at most ``limit`` characters (None when it is)."""
    if not isinstance(value, str):
        return "must be a string"
    if not 1 <= len(value) <= limit:
        return f"must have 1 to {limit} characters"
    if value != value.strip() or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        return "must not have control characters or surrounding spaces"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be Unicode text (no lone surrogates)"
    return None


def time_reasons(received_at: datetime, statement: StatementCheck, tolerance: timedelta) -> list[Rejection]:
    """The token's time (and the signing-time attribute, if any) must follow ``received_at``
    within ``tolerance``, allowing for the token's accuracy and its whole-second resolution."""
    stamp = statement.timestamp
    if stamp is None or stamp.gen_time is None:
        return []           # a missing or unreadable token is refused already
    slack = timedelta(seconds=(stamp.accuracy_seconds or 0) + 1)
    reasons = []
    if not received_at - slack <= stamp.gen_time <= received_at + tolerance + slack:
        reasons.append(Rejection("timestamp_time", f"时间戳时间 {stamp.gen_time.isoformat()} 与收到时间 "
                                                   f"{format_millis(received_at)} 不符 (the token's time is not "
                                                   f"within {tolerance.total_seconds():g} s after received_at)"))
    signing_time = statement.signature.signing_time
    if signing_time is not None and not received_at - slack <= signing_time <= stamp.gen_time + slack:
        reasons.append(Rejection("signing_time", f"签名时间 {signing_time.isoformat()} 不在收到时间与时间戳之间 "
                                                 f"(the signing time is not between received_at and the token)"))
    return reasons


def format_millis(at: datetime) -> str:
    """``2026-12-01T11:59:59.999Z``: UTC, milliseconds (later digits dropped)."""
    at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_millis(text: Any) -> datetime | None:
    """The moment ``text`` names in exactly the :func:`format_millis` form, else None."""
    if not isinstance(text, str) or not _MILLIS.fullmatch(text):
        return None
    try:
        at = datetime.strptime(text[:-1], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return at if format_millis(at) == text else None


def _malformed(detail: str) -> Rejection:
    return Rejection("fields_invalid", f"回执内容不合格式 (the receipt's content breaks the format: {detail})")


__all__ = ["RECEIPT_TYPE", "RECEIPT_VERSION", "ACTIONS", "MEMBERS", "DEFAULT_TOLERANCE", "ReceiptFields",
           "ReceiptCheck", "issue_receipt", "verify_receipt", "parse_receipt_json", "format_millis",
           "parse_millis", "field_problems", "identifier_problem", "member_problems", "wrong_type", "time_reasons"]
