"""The verification page takes PDFs from anyone: bounded work, and nothing but a PdfError (or a report
saying what is wrong with a signature) for garbage, truncated files, flipped bytes, deep nesting,
loops, absurd counts and decompression bombs."""
from __future__ import annotations

import random
import re
import time
import zlib

import pytest

from pki.pdf import (MAX_PDF_BYTES, PdfError, PdfTooComplex, PdfTooLarge, PdfUnreadable, PdfVerification,
                     SealPlacement, StampSpec, stamp_with_key, verify_pdf)

#: Generous: each case takes well under a second here; the bound is about "not hanging".
SECONDS = 20


def raw_pdf(objects: dict[int, bytes], *, trailer: bytes = b"") -> bytes:
    """A classic PDF (xref table) from ``{number: object body}``; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[number]) if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R " % size + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def page_objects(extra_catalog: bytes = b"") -> dict[int, bytes]:
    return {1: b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b">>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"}


def outcome(pdf: bytes, world):
    """The verification's result or the PdfError it raised, after checking it took bounded time."""
    started = time.monotonic()
    try:
        result = verify_pdf(pdf, trust=world.trust, crls=world.crls())
    except PdfError as exc:
        result = exc
    assert time.monotonic() - started < SECONDS
    return result


@pytest.fixture(scope="module")
def stamped(world):
    a, b = world.party("恶意输入测试甲", "rsa", 601), world.party("恶意输入测试乙", "sm2", 602)
    pdf = world.docs[3]
    for party, x in ((a, 80), (b, 330)):
        pdf = stamp_with_key(pdf, party.key, party.certificate,
                             StampSpec(party.seal_png, SealPlacement(x=x), cross_page=True),
                             chain=[party.intermediate], signing_time=world.now, timestamper=world.tsa,
                             validation=world.validation())
    assert verify_pdf(pdf, trust=world.trust, crls=world.crls()).ok()
    return pdf


@pytest.mark.parametrize("data", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + bytes(100), bytes(range(256)) * 4096,
                                  b"%PDF-1.7\n" + bytes(random.Random(1).randbytes(200_000)),
                                  b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF"],
                         ids=["empty", "text", "png", "binary", "pdf-header-noise", "no-xref"])
def test_garbage_is_unreadable(world, data):
    assert isinstance(outcome(data, world), PdfUnreadable)


def test_too_large(world):
    result = outcome(b"%PDF-1.7\n" + bytes(MAX_PDF_BYTES), world)
    assert isinstance(result, PdfTooLarge) and result.code == "pdf_too_large"


def test_truncated_files(world, stamped):
    revisions = [m.end() for m in re.finditer(rb"%%EOF\r?\n?", stamped)]
    for cut in [10, 1000, len(stamped) // 3, len(stamped) // 2, len(stamped) - 200, len(stamped) - 1, *revisions[:-1]]:
        result = outcome(stamped[:cut], world)
        assert isinstance(result, (PdfError, PdfVerification)), (cut, result)
    # cut right after the first signature's revision: a complete, signed document again
    first = outcome(stamped[:revisions[1]], world)
    assert isinstance(first, PdfVerification) and len(first.signatures) == 1 and first.signatures[0].intact


def test_flipped_bytes_never_escape_as_other_errors(world, stamped):
    rng = random.Random(14)
    original = len(world.docs[3])          # every signature covers the original document
    for _ in range(30):
        at = rng.randrange(len(stamped))
        damaged = stamped[:at] + bytes([stamped[at] ^ (1 << rng.randrange(8))]) + stamped[at + 1:]
        result = outcome(damaged, world)
        assert isinstance(result, (PdfError, PdfVerification)), (at, result)
        if isinstance(result, PdfVerification) and at < original:
            assert not result.ok(), at


def test_a_damaged_signature_is_reported_not_raised(world, stamped):
    contents = re.search(rb"/Contents <([0-9A-Fa-f]+)>", stamped)
    zeroed = stamped[:contents.start(1)] + b"0" * len(contents.group(1)) + stamped[contents.end(1):]
    report = outcome(zeroed, world)
    assert isinstance(report, PdfVerification)
    assert not report.signatures[0].ok() and any("无法解析" in p for p in report.signatures[0].problems)

    byte_range = re.search(rb"/ByteRange \[([0-9 ]+)\]", stamped)
    numbers = byte_range.group(1)
    odd = b"0 10 20 30".ljust(len(numbers))
    moved = stamped[:byte_range.start(1)] + odd + stamped[byte_range.end(1):]
    report = outcome(moved, world)
    assert isinstance(report, PdfVerification)
    first = report.signatures[0]
    assert not first.intact and not first.ok() and any("字节范围" in p for p in first.problems)


@pytest.mark.parametrize("nest", [b"[" * 100_000 + b"]" * 100_000, b"<< /A " * 50_000 + b"1" + b" >>" * 50_000],
                         ids=["arrays", "dictionaries"])
def test_deep_nesting(world, nest):
    result = outcome(raw_pdf(page_objects(b"/Nested " + nest + b" ")), world)
    assert isinstance(result, (PdfTooComplex, PdfUnreadable)), result


def test_loops(world):
    looped_pages = page_objects()
    looped_pages[2] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 >>"
    looped_pages[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>"
    looped_pages[4] = b"<< /FT /Sig /T (a) /Kids [4 0 R] >>"
    assert isinstance(outcome(raw_pdf(looped_pages), world), (PdfError, PdfVerification))


def test_absurd_xref_counts(world):
    pdf = raw_pdf(page_objects())
    claimed = pdf.replace(b"xref\n0 4\n", b"xref\n0 400000000\n").replace(b"/Size 4", b"/Size 400000000")
    assert isinstance(outcome(claimed, world), PdfError)


def test_a_decompression_bomb_in_the_validation_data(world):
    bomb = zlib.compress(bytes(200 * 1024 * 1024), 9)
    objects = page_objects(b"/DSS << /CRLs [4 0 R] >> ")
    objects[4] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    result = outcome(raw_pdf(objects), world)
    assert isinstance(result, PdfVerification) and result.signatures == ()


def test_ten_thousand_empty_signature_fields(world):
    count = 10_000
    objects = page_objects(b"/AcroForm << /Fields [" + b" ".join(b"%d 0 R" % (10 + i) for i in range(count)) + b"] >> ")
    for i in range(count):
        objects[10 + i] = b"<< /FT /Sig /T (Empty%d) >>" % i
    pdf = raw_pdf(objects)
    empty = outcome(pdf, world)
    assert isinstance(empty, PdfVerification) and empty.signatures == ()

    party = world.party("大量签名域单位", "ec", 603)
    signed = stamp_with_key(pdf, party.key, party.certificate, StampSpec(party.seal_png, SealPlacement(x=100, y=100)),
                            signing_time=world.now, timestamper=world.tsa)
    report = outcome(signed, world)
    assert isinstance(report, PdfVerification)
    (seal,) = report.signatures
    assert seal.field_name == f"Seal{count + 1}" and seal.ok(), seal.problems
