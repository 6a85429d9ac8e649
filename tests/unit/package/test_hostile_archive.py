"""Archives the packer cannot have written are refused from their headers alone, before the
manifest is parsed or a file is written: duplicates, wrong order, links, trailing data."""
from __future__ import annotations

import io
import tarfile
from datetime import datetime, timezone

import pytest

from bidding.bids.archive import scan_archive
from bidding.bids.errors import PackageError, PackageIntegrityError
from bidding.bids.manifest import FileEntry, Manifest, collision_key

from support.packages import open_archive, tar_of

AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
DATA = b"technical offer"
ENTRY = FileEntry("plan.pdf", len(DATA), "0" * 64, "0" * 64)


def _manifest(*entries: FileEntry, price: str = "880000.00") -> bytes:
    from decimal import Decimal
    return Manifest("T-1", "X", Decimal(price), "CNY", AT, entries or (ENTRY,)).canonical()


GOOD, FORGED = _manifest(), _manifest(price="1.00")


@pytest.mark.parametrize("members,reason", [
    ([("manifest.json", FORGED), ("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/plan.pdf", DATA)],
     "'manifest.json' twice"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/plan.pdf", DATA), ("manifest.json", FORGED)],
     "'manifest.json' twice"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("manifest.sig", b"T"), ("files/plan.pdf", DATA)],
     "'manifest.sig' twice"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/plan.pdf", DATA), ("files/plan.pdf", b"evil")],
     "'files/plan.pdf' twice"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/plan.pdf", DATA), ("files/PLAN.pdf", b"evil")],
     "twice, or two names that differ only in case"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/Cafe\u0301.pdf", DATA)],
     "file name not allowed"),                                  # not NFC: the manifest could not list it
    ([("manifest.sig", b"S"), ("manifest.json", GOOD), ("files/plan.pdf", DATA)], "expected 'manifest.json'"),
    ([("manifest.json", GOOD), ("files/plan.pdf", DATA), ("manifest.sig", b"S")], "expected 'manifest.sig'"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("plan.pdf", DATA)], "unexpected entry"),
    ([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/sub/plan.pdf", DATA)], "not allowed"),
])
def test_ambiguous_archives_are_refused_from_their_headers(tmp_path, members, reason):
    with pytest.raises(PackageIntegrityError) as refused:
        scan_archive(tar_of(members))
    assert reason in str(refused.value)


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.FIFOTYPE,
                                  tarfile.CONTTYPE])
def test_links_and_special_entries_are_refused(kind):
    link = tarfile.TarInfo("files/plan.pdf")
    link.type, link.linkname = kind, "/etc/passwd"
    with pytest.raises(PackageIntegrityError, match="non-regular"):
        scan_archive(tar_of([("manifest.json", GOOD), ("manifest.sig", b"S"), link]))


def test_a_huge_extended_header_is_refused_before_it_is_read():
    buf = tar_of([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/" + "n" * 300, DATA)])
    raw = bytearray(buf.getvalue())
    at = raw.index(b"././@PaxHeader")
    size_field = slice(at + 124, at + 136)
    raw[size_field] = b"%011o\0" % (1 << 30)
    raw[at + 148:at + 156] = b" " * 8
    raw[at + 148:at + 156] = b"%06o\0 " % sum(raw[at:at + 512])
    with pytest.raises(PackageIntegrityError, match="extended tar header"):
        scan_archive(io.BytesIO(bytes(raw)))


def test_data_after_the_end_of_the_archive_is_refused():
    first = tar_of([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/plan.pdf", DATA)]).getvalue()
    second = tar_of([("files/plan.pdf", b"evil")]).getvalue()
    with pytest.raises(PackageIntegrityError, match="after the end"):
        scan_archive(io.BytesIO(first + second))


def test_an_oversized_manifest_is_refused_unread(monkeypatch):
    from bidding.bids import archive
    monkeypatch.setattr(archive, "MAX_MANIFEST_BYTES", 100)
    with pytest.raises(PackageError, match="manifest.json 过大 .*at most 100"):
        scan_archive(tar_of([("manifest.json", GOOD), ("manifest.sig", b"S"), ("files/plan.pdf", DATA)]))


def test_a_file_longer_or_different_from_the_manifest_is_refused(tmp_path):
    import hashlib

    from cryptography.hazmat.primitives import hashes
    sm3 = hashes.Hash(hashes.SM3())
    sm3.update(DATA)
    entry = FileEntry("plan.pdf", len(DATA), hashlib.sha256(DATA).hexdigest(), sm3.finalize().hex())
    manifest = _manifest(entry)
    open_archive(tar_of([("manifest.json", manifest), ("manifest.sig", b"S"), ("files/plan.pdf", DATA)]),
                 tmp_path / "ok")
    with pytest.raises(PackageIntegrityError, match="size mismatch"):
        open_archive(tar_of([("manifest.json", manifest), ("manifest.sig", b"S"), ("files/plan.pdf", DATA + b"!")]),
                     tmp_path / "long")
    with pytest.raises(PackageIntegrityError, match="digest mismatch"):
        open_archive(tar_of([("manifest.json", manifest), ("manifest.sig", b"S"),
                             ("files/plan.pdf", DATA.upper())]), tmp_path / "altered")


def test_collision_key_folds_case_and_unicode_form():
    assert collision_key("Plan.PDF") == collision_key("plan.pdf")
    assert collision_key("Cafe\u0301") == collision_key("café")
    assert collision_key("STRASSE") == collision_key("straße")
    assert collision_key("a.pdf") != collision_key("b.pdf")
