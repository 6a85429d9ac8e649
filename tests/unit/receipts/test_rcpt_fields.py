"""The receipt's JSON: exact members, types and values; the time to the millisecond."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from pki.receipts import ReceiptFields, ReceiptFieldsInvalid
from pki.receipts.canonical import canonical_json
from pki.receipts.receipt import format_millis, parse_millis, parse_receipt_json

AT = datetime(2026, 12, 1, 11, 59, 59, 999_999, tzinfo=timezone.utc)
FIELDS = ReceiptFields(tender="T-2026-001", bid="B-17", bidder="91110108551385082Q", size=123456,
                       sha256="ab" * 32, sm3="cd" * 32, received_at=AT)


def test_canonical_bytes():
    assert FIELDS.canonical() == (
        b'{"action":"submitted","bid":"B-17","bidder":"91110108551385082Q",'
        b'"received_at":"2026-12-01T11:59:59.999Z","replaces":null,"sha256":"' + b"ab" * 32 + b'",'
        b'"size":123456,"sm3":"' + b"cd" * 32 + b'","tender":"T-2026-001","type":"bid-receipt","version":1}')


def test_milliseconds_are_cut_never_rounded_up():
    """999.999 ms before the deadline must not read as the deadline itself."""
    assert FIELDS.received_at == AT.replace(microsecond=999_000)
    beijing = timezone(timedelta(hours=8))
    local = ReceiptFields(**{**FIELDS.__dict__, "received_at": datetime(2026, 12, 1, 20, 0, 0, 1500, tzinfo=beijing)})
    assert format_millis(local.received_at) == "2026-12-01T12:00:00.001Z"


def test_parse_round_trip():
    fields, reasons = parse_receipt_json(FIELDS.canonical())
    assert reasons == [] and fields == FIELDS
    withdrawal = replace(FIELDS, action="withdrawn")
    assert parse_receipt_json(withdrawal.canonical()) == (withdrawal, [])
    replacing = replace(FIELDS, bid="B-18", replaces="B-17")
    assert parse_receipt_json(replacing.canonical()) == (replacing, [])


def _with(**changes) -> bytes:
    value = {**FIELDS.to_json(), **changes}
    return canonical_json({k: v for k, v in value.items() if v is not _DROP})


_DROP = object()


@pytest.mark.parametrize("changes, detail", [
    ({"extra": "x"}, "unknown extra"),
    ({"sm3": _DROP}, "missing sm3"),
    ({"size": "123456"}, "size must be an integer"),
    ({"size": True}, "size must be an integer"),
    ({"size": 0}, "size must be an integer from 1"),
    ({"sha256": "AB" * 32}, "sha256 must be 64 lowercase"),
    ({"sm3": "cd" * 31}, "sm3 must be 64 lowercase"),
    ({"tender": ""}, "tender must have 1 to 64"),
    ({"tender": "T" * 65}, "tender must have 1 to 64"),
    ({"bid": 17}, "bid must be a string"),
    ({"bidder": " 9111"}, "bidder must not have control characters or surrounding spaces"),
    ({"bid": "B\u000a17"}, "bid must not have control characters"),
    ({"action": "deleted"}, "action must be one of"),
    ({"action": "withdrawn", "replaces": "B-1"}, "a withdrawal replaces nothing"),
    ({"received_at": "2026-12-01T11:59:59Z"}, "received_at"),               # no milliseconds
    ({"received_at": "2026-12-01T11:59:59.999999Z"}, "received_at"),        # microseconds
    ({"received_at": "2026-12-01T19:59:59.999+08:00"}, "received_at"),     # not UTC
    ({"received_at": "2026-02-30T11:59:59.999Z"}, "received_at"),           # no such day
    ({"received_at": 1764590399999}, "received_at"),
])
def test_fields_are_read_strictly(changes, detail):
    fields, reasons = parse_receipt_json(_with(**changes))
    assert fields is None and [r.code for r in reasons] == ["fields_invalid"]
    assert detail in reasons[0].message


@pytest.mark.parametrize("changes", [{"type": "opening-transcript"}, {"version": 2}])
def test_other_documents_are_named(changes):
    fields, reasons = parse_receipt_json(_with(**changes))
    assert fields is None and [r.code for r in reasons] == ["wrong_type"]


def test_non_canonical_json_is_refused():
    reordered = json.dumps(FIELDS.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
    spaced = json.dumps(FIELDS.to_json(), sort_keys=True, ensure_ascii=False).encode()
    for data in (reordered, spaced):
        fields, reasons = parse_receipt_json(data)
        assert fields is None and [r.code for r in reasons] == ["not_canonical"]
    fields, reasons = parse_receipt_json(b'{"a":1,"a":2}')
    assert [r.code for r in reasons] == ["fields_invalid"] and "duplicate key" in reasons[0].message


def test_issuing_refuses_bad_fields():
    with pytest.raises(ReceiptFieldsInvalid) as refused:
        replace(FIELDS, size=-1, sha256="x").canonical()
    assert refused.value.kind == "input" and len(refused.value.details["problems"]) == 2
    with pytest.raises(ReceiptFieldsInvalid):
        replace(FIELDS, received_at=datetime(2026, 12, 1)).canonical()      # naive


def test_lone_surrogates_are_refused_as_fields_not_as_a_crash():
    with pytest.raises(ReceiptFieldsInvalid, match="lone surrogates"):
        replace(FIELDS, bidder="\ud800").canonical()


def test_parse_millis():
    assert parse_millis("2026-12-01T11:59:59.999Z") == AT.replace(microsecond=999_000)
    for text in ("2026-12-01 11:59:59.999Z", "2026-12-01T11:59:59.999z", "２026-12-01T11:59:59.999Z", None):
        assert parse_millis(text) is None
