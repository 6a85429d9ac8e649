"""One set of limits for pack and unpack: what pack writes always opens again, and the manifest is
parsed with bounds (no exponent in a price, no float, no long integer, no key or file twice)."""
from __future__ import annotations

import resource
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from bidding.bids import manifest as m
from bidding.bids.errors import PackageError
from bidding.bids.manifest import (MAX_FILE_SIZE, MAX_FILES, MAX_MANIFEST_BYTES, MAX_NAME_BYTES,
                                   MAX_TEXT_CHARS, FileEntry, Manifest, build_manifest, canonical_json)

AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
DIGEST = "f" * 64


def test_max_files_with_the_longest_names_fit_in_max_manifest_bytes():
    """The worst case: every name of MAX_NAME_BYTES '"' (each escaped to two bytes), 19-digit sizes,
    the longest tender id, a bidder name and code of MAX_TEXT_CHARS four-byte characters."""
    names = {f'{i:05d}{chr(34) * (MAX_NAME_BYTES - 5)}' for i in range(MAX_FILES)}
    entries = tuple(FileEntry(n, MAX_FILE_SIZE, DIGEST, DIGEST) for n in sorted(names))
    widest = "\U0001F600" * MAX_TEXT_CHARS
    big = Manifest("T" * 64, widest, Decimal("999999999999999.99"), "CNY", AT, entries, bidder_name=widest)
    data = big.canonical()
    assert 0.98 * MAX_MANIFEST_BYTES < len(data) <= MAX_MANIFEST_BYTES       # it fits, and the bound is tight
    assert Manifest.parse(data) == big


def test_build_refuses_more_than_max_files_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(m, "MAX_FILES", 3)
    files = [tmp_path / f"{i}.txt" for i in range(4)]     # not even there: the count is checked first
    with pytest.raises(PackageError, match="too many files: 4.*MAX_FILES = 3"):
        build_manifest(files, tender_id="T1", bidder_code="X", price="1", created_at=AT)
    for path in files:
        path.write_bytes(b"x")                 # none was read before the count was refused
    assert len(build_manifest(files[:3], tender_id="T1", bidder_code="X", price="1", created_at=AT).files) == 3


def test_parse_refuses_more_than_max_files(monkeypatch, tmp_path):
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    data = build_manifest([tmp_path / "a", tmp_path / "b"], tender_id="T1", bidder_code="X", price="1",
                          created_at=AT).canonical()
    monkeypatch.setattr(m, "MAX_FILES", 1)
    with pytest.raises(PackageError, match="too many files"):
        Manifest.parse(data)


def test_long_names_are_refused_at_pack_time(tmp_path):
    with pytest.raises(PackageError, match=f"longer than {MAX_NAME_BYTES} bytes"):
        m.safe_name("技" * 67)          # 201 bytes of UTF-8
    assert m.safe_name("技" * 66)


def _doc(**changes) -> dict:
    doc = {"format": m.FORMAT, "tender": "T1", "bidder": {"credit_code": "X", "name": ""},
           "price": {"amount": "1.00", "currency": "CNY"}, "created_at": "2026-11-23T10:00:00.000000+00:00",
           "files": [{"name": "a", "size": 1, "sha256": DIGEST, "sm3": DIGEST}]}
    doc.update(changes)
    return doc


def test_a_plain_manifest_parses():
    assert Manifest.parse(canonical_json(_doc())).price == Decimal("1.00")


@pytest.mark.parametrize("amount", ["1E+999999999", "1e3", "1.5E+2", "-1", "01", "1.234", "Infinity", "NaN",
                                    "1" * 16, " 1", "1\n", "١"])
def test_price_must_be_a_plain_bounded_decimal(amount):
    with pytest.raises(PackageError, match="plain decimal"):
        Manifest.parse(canonical_json(_doc(price={"amount": amount, "currency": "CNY"})))


def test_a_huge_exponent_costs_nothing():
    """1E+999999999 printed as a plain decimal is a gigabyte: it must be refused as text."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(3):
        with pytest.raises(PackageError):
            Manifest.parse(canonical_json(_doc(price={"amount": "1E+999999999", "currency": "CNY"})))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000     # KiB


@pytest.mark.parametrize("raw,reason", [
    (b'{"format":"ebid-package/1","format":"ebid-package/1"}', "repeats a key"),
    (canonical_json(_doc(price={"amount": 1.5, "currency": "CNY"})), "float"),
    (canonical_json(_doc(files=[{"name": "a", "size": 10 ** 30, "sha256": DIGEST, "sm3": DIGEST}])), "too long"),
    (canonical_json(_doc(files=[{"name": "a", "size": True, "sha256": DIGEST, "sm3": DIGEST}])), "invalid size"),
    (canonical_json(_doc(files=[{"name": "a", "size": 1, "sha256": DIGEST, "sm3": DIGEST}] * 2)), "lists 'a' twice"),
    (canonical_json(_doc(files=[{"name": "A", "size": 1, "sha256": DIGEST, "sm3": DIGEST},
                                {"name": "a", "size": 1, "sha256": DIGEST, "sm3": DIGEST}])), "differ only in case"),
    (canonical_json(_doc(files=[{"name": "../x", "size": 1, "sha256": DIGEST, "sm3": DIGEST}])), "not allowed"),
    (canonical_json(_doc(files=[])), "lists no files"),
    (canonical_json(_doc(bidder={"credit_code": "X" * (MAX_TEXT_CHARS + 1), "name": ""})), "credit code"),
    (canonical_json(_doc(tender="T1\n")), "tender id"),
    (canonical_json(_doc(extra={"a": 1})), "canonical form"),
    (b"[" * 100_000 + b"]" * 100_000, "unreadable"),
    (b"\xff", "unreadable"),
])
def test_malformed_manifests_are_refused_with_their_reason(raw, reason):
    with pytest.raises(PackageError, match=reason):
        Manifest.parse(raw)


def test_an_oversized_manifest_is_refused_before_parsing():
    with pytest.raises(PackageError, match="too large"):
        Manifest.parse(b" " * (MAX_MANIFEST_BYTES + 1))


@pytest.mark.parametrize("names", [["Plan.pdf", "plan.PDF"], ["Cafe\u0301.pdf", "café.pdf"]])
def test_names_equal_after_folding_are_refused_at_pack_time(tmp_path, names):
    files = []
    for i, name in enumerate(names):
        (tmp_path / str(i)).mkdir()
        files.append(tmp_path / str(i) / name)
        files[-1].write_bytes(b"x")
    with pytest.raises(PackageError, match="duplicate file name"):
        build_manifest(files, tender_id="T1", bidder_code="X", price="1", created_at=AT)
