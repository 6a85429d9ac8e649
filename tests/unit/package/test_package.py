"""The bid package's manifest and archive, without the cryptography around them."""
from __future__ import annotations

import io
import tarfile
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from bidding.bids.archive import write_archive
from bidding.bids.errors import PackageError
from bidding.bids.manifest import Manifest, build_manifest, safe_name, validate_price

from support.packages import open_archive

AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def bid_files(tmp_path):
    a = tmp_path / "技术标.pdf"
    a.write_bytes(b"%PDF-1.7 technical" * 1000)
    b = tmp_path / "quote.xlsx"
    b.write_bytes(b"")
    return [a, b]


def _archive(manifest, files, signature=b"SIG"):
    buf = io.BytesIO()
    write_archive(buf, manifest, signature, files)
    buf.seek(0)
    return buf


def test_manifest_lists_sizes_and_both_digests(bid_files):
    m = build_manifest(bid_files, tender_id="GD-2026-001", bidder_code="91110108551385082Q",
                       price="1234567.80", created_at=AT)
    assert [f.name for f in m.files] == ["技术标.pdf", "quote.xlsx"]
    assert m.files[1].size == 0
    assert m.files[1].sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert m.files[1].sm3 == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
    assert Manifest.parse(m.canonical()) == m
    assert m.price == Decimal("1234567.80")


def test_non_canonical_manifest_is_refused(bid_files):
    m = build_manifest(bid_files, tender_id="T1", bidder_code="X", price="1", created_at=AT)
    with pytest.raises(PackageError, match="canonical"):
        Manifest.parse(m.canonical().replace(b'{"bidder"', b'{ "bidder"'))


def test_archive_round_trip(bid_files, tmp_path):
    m = build_manifest(bid_files, tender_id="T1", bidder_code="X", price="1", created_at=AT)
    manifest, signature, files = open_archive(_archive(m, bid_files), tmp_path / "out")
    assert manifest == m and signature == b"SIG"
    assert [p.read_bytes() for p in files] == [p.read_bytes() for p in bid_files]


def test_file_changed_after_manifest_is_detected(bid_files, tmp_path):
    m = build_manifest(bid_files, tender_id="T1", bidder_code="X", price="1", created_at=AT)
    buf = _archive(m, bid_files).getvalue()
    at = buf.index(b"%PDF-1.7 technical")
    tampered = buf[:at] + b"X" + buf[at + 1:]
    with pytest.raises(PackageError, match="digest mismatch"):
        open_archive(io.BytesIO(tampered), tmp_path / "out")


def test_path_traversal_entry_is_refused(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("files/../../evil")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    buf.seek(0)
    with pytest.raises(PackageError):
        open_archive(buf, tmp_path / "out")
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("name", ["", "..", "a/b", "a\\b", "x\x00y", "tab\tname"])
def test_unsafe_names(name):
    with pytest.raises(PackageError):
        safe_name(name)


@pytest.mark.parametrize("amount,currency", [("-1", "CNY"), ("1.234", "CNY"), ("abc", "CNY"),
                                             ("NaN", "CNY"), ("1", "XXX")])
def test_bad_prices(amount, currency):
    with pytest.raises(PackageError):
        validate_price(amount, currency)


def test_missing_file_and_empty_package(tmp_path):
    with pytest.raises(PackageError, match="no such file"):
        build_manifest([tmp_path / "nope"], tender_id="T1", bidder_code="X", price="1", created_at=AT)
    with pytest.raises(PackageError, match="at least one"):
        build_manifest([], tender_id="T1", bidder_code="X", price="1", created_at=AT)


@pytest.mark.parametrize("sizes", [[0], [1, 511, 512, 513], [10239, 10240, 10241], [123_457]])
@pytest.mark.parametrize("names", [["a.bin"], ["技术标.pdf"], ["n" * 95]])
def test_archive_size_is_exact(tmp_path, sizes, names):
    """The envelope is written as DER while the archive streams through it, so the size computed
    in advance must be exact for every shape of name and size."""
    from bidding.bids.archive import archive_size
    files = []
    for i, size in enumerate(sizes):
        p = tmp_path / f"{i}-{names[0]}"
        p.write_bytes(b"x" * size)
        files.append(p)
    m = build_manifest(files, tender_id="T1", bidder_code="X", price="1", created_at=AT)
    for sig in (b"", b"S" * 3000):
        assert len(_archive(m, files, sig).getvalue()) == archive_size(m, sig)


def test_declared_items_travel_in_the_manifest_and_are_absent_when_there_are_none(bid_files):
    plain = build_manifest(bid_files, tender_id="GD-2026-001", bidder_code="91110108551385082Q",
                           price="1234567.80", created_at=AT)
    assert b'"items"' not in plain.canonical()                 # packages made before items stay byte-identical
    items = (("交货期", "合同签订后30日"), ("质保期", "3年"))
    m = build_manifest(bid_files, tender_id="GD-2026-001", bidder_code="91110108551385082Q",
                       price="1234567.80", created_at=AT, items=items)
    data = m.canonical()
    assert '"items":[{"name":"交货期","value":"合同签订后30日"}'.encode() in data
    assert Manifest.parse(data).items == items
    empty = data.replace('"items":[{"name":"交货期","value":"合同签订后30日"},{"name":"质保期","value":"3年"}]'.encode(),
                         b'"items":[]')
    with pytest.raises(PackageError):                          # an empty list is not the canonical "none"
        Manifest.parse(empty)


@pytest.mark.parametrize("items", [
    [("交货期", "30日"), ("交货期", "40日")],                    # a name twice
    [("", "30日")], [("交货期", "")], [(" 交货期", "30日")],     # empty or padded
    [("交货期", "30\n日")],                                      # a control character
    [("名" * 41, "x")], [("x", "值" * 201)],                     # too long
    [(f"item{i}", "x") for i in range(31)],                      # too many
])
def test_bad_items_are_refused(bid_files, items):
    with pytest.raises(PackageError):
        build_manifest(bid_files, tender_id="GD-2026-001", bidder_code="91110108551385082Q", price="1",
                       created_at=AT, items=items)
