"""The small parts of pki.pdf, without files or processes: the slice format both sides agree on, cutting
a seal into slices, reading a seal image, the prepared-stamp record, the report's verdicts."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from PIL import Image

from pki.pdf import (PdfSignatureReport, PdfVerification, PreparedStamp, PreparedStampMismatch, SealImageInvalid,
                     SealPlacement, StampSpec)
from pki.pdf.appearance import cut_slices, load_seal, opaque_share
from pki.pdf.pages import _default_y
from pki.pdf.prepare import _field_name
from pki.pdf.slices import SliceOp, number, on_right_edge, parse_slice_stream, slice_stream
from pki.seal import draw_seal

A4 = (0.0, 0.0, 595.2756, 841.8898)


def test_a_slice_stream_reads_back_exactly():
    op = SliceOp("EbSliceSeal1P7", 592.8756, 360.9449, 2.4, 120)
    data = slice_stream(op)
    assert data == b"Q\nq 2.4 0 0 120 592.8756 360.9449 cm /EbSliceSeal1P7 Do Q\n"
    assert parse_slice_stream(data) == op


@pytest.mark.parametrize("data", [
    b"Q\nq 2.4 0 0 120 592.8756 360.9449 cm /EbSliceSeal1P7 Do Q",          # no final newline
    b"Q\nq 2.4 0 0 120 592.8756 360.9449 cm /Im1 Do Q\n0 0 1 rg\n",          # more after it
    b"Q\nq 2.4 1 0 120 592.8756 360.9449 cm /Im1 Do Q\n",                     # skewed
    b"q 2.4 0 0 120 592.8756 360.9449 cm /Im1 Do Q\n",                        # no Q first
    b"Q\nq 2.4 0 0 120 592.8756 360.9449 cm /Im#20x Do Q\n",                  # escaped name
    b"Q\nq 1e3 0 0 120 592.8756 360.9449 cm /Im1 Do Q\n",                     # exponent
])
def test_anything_else_is_no_slice(data):
    assert parse_slice_stream(data) is None


def test_numbers_are_written_plainly():
    assert [number(v) for v in (0, -0.0, 2.4, 120, 1 / 3, 595.27559)] == [b"0", b"0", b"2.4", b"120", b"0.3333",
                                                                            b"595.2756"]


def test_slices_belong_on_the_right_edge():
    assert on_right_edge(SliceOp("a", 592.8756, 300, 2.4, 120), A4)
    assert not on_right_edge(SliceOp("a", 300, 300, 2.4, 120), A4)           # in the middle
    assert not on_right_edge(SliceOp("a", 590, 300, 2.4, 120), A4)           # short of the edge
    assert not on_right_edge(SliceOp("a", 295.2756, 300, 300, 120), A4)      # wider than a seal
    assert not on_right_edge(SliceOp("a", 592.8756, 800, 2.4, 120), A4)      # off the page


def seal_png(size: int = 300) -> bytes:
    return draw_seal("切片测试有限公司", "合同专用章", size=size)


def test_a_seal_is_cut_into_one_slice_per_page():
    seal = load_seal(seal_png())
    for count in (1, 2, 3, 50, 400):
        parts = cut_slices(seal, count)
        assert len(parts) == count
        assert {p.height for p in parts} == {parts[0].height} and all(p.width >= 2 for p in parts)
        assert all(opaque_share(p) > 0 for p in parts)       # the margins were cut off: every slice shows red
    widths = [p.width for p in cut_slices(seal, 3)]
    assert max(widths) - min(widths) <= 1


def test_seal_images_are_checked():
    assert load_seal(seal_png()).mode == "RGBA"
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="JPEG")
    for bad in (b"", out.getvalue(), seal_png()[:50], b"\x89PNG\r\n\x1a\n" + b"\0" * 40):
        with pytest.raises(SealImageInvalid):
            load_seal(bad)
    huge = io.BytesIO()
    Image.new("RGBA", (3000, 10)).save(huge, format="PNG")
    with pytest.raises(SealImageInvalid, match="2048"):
        load_seal(huge.getvalue())


def test_later_cross_page_seals_go_above_and_below_the_first():
    ys = [_default_y(0, 842, 120, n) for n in range(5)]
    assert ys[0] == 361
    assert ys[1] > ys[0] > ys[2] and ys[3] > ys[1] and ys[4] < ys[2]
    assert all(0 <= y <= 842 - 120 for y in ys)


def test_field_names():
    assert _field_name(None, set()) == "Seal1"
    assert _field_name(None, {"Seal1", "Seal2", "Other"}) == "Seal4"
    assert _field_name("Purchaser", {"Seal1"}) == "Purchaser"


def prepared(**changes) -> PreparedStamp:
    values = dict(prepared_pdf=b"%PDF-1.7 <" + b"0" * 64 + b"> rest", digest=bytes(range(32)),
                  digest_algorithm="sha256",
                  field_name="Seal1", certificate_der=b"0\x03\x02\x01\x01", reserved_start=9, reserved_end=75,
                  signing_time=datetime(2026, 12, 1, 8, tzinfo=timezone.utc))
    values.update(changes)
    return PreparedStamp(**values)


def test_the_prepared_record_is_json_and_comes_back():
    stamp = prepared(cross_page=True)
    record = stamp.to_record()
    assert set(record) == {"version", "digest", "digest_algorithm", "field_name", "certificate", "reserved_start",
                           "reserved_end", "signing_time", "cross_page", "prepared_sha256"}
    assert PreparedStamp.from_record(record, stamp.prepared_pdf) == stamp
    assert stamp.byte_range == (0, 9, 75, len(stamp.prepared_pdf) - 75) and stamp.capacity == 32
    assert stamp.signed_bytes() == b"%PDF-1.7  rest"
    for damaged in ({**record, "version": 2}, {**record, "signing_time": "yesterday"}, {**record, "certificate": "!"}):
        with pytest.raises(PreparedStampMismatch):
            PreparedStamp.from_record(damaged, stamp.prepared_pdf)


def report(**changes) -> PdfSignatureReport:
    values = dict(field_name="Seal1", algorithm="rsa", signer_subject="CN", signer_certificate_der=b"",
                  fingerprint_sha256="", signing_time=None, timestamp_time=None, intact=True, signature_valid=True,
                  trusted=True, certificate_status="good", covers_whole_document=True, modified_after=False,
                  modification="none", cross_page=False, seal_png=None, problems=())
    values.update(changes)
    return PdfSignatureReport(**values)


def test_a_report_is_ok_only_when_everything_holds():
    assert report().ok()
    for bad in ({"intact": False}, {"signature_valid": False}, {"trusted": False}, {"certificate_status": "unknown"},
                {"modified_after": True, "modification": "other"}, {"problems": ("问题",)}):
        assert not report(**bad).ok()
    assert PdfVerification((report(), report(field_name="Seal2")), 3).ok()
    assert not PdfVerification((), 1).ok()                   # no signature: nothing verified
    assert not PdfVerification((report(), report(intact=False)), 3).ok()
    data = PdfVerification((report(seal_png=b"png"),), 2).to_dict()
    assert data["ok"] and data["signatures"][0]["seal_png"] == "cG5n"


def test_the_defaults_of_a_stamp():
    spec = StampSpec(b"png")
    assert spec.placement == SealPlacement(page=0, x=400.0, y=80.0, size=120.0)
    assert not spec.cross_page and spec.field_name is None and spec.cross_page_y is None
