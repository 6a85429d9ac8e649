"""Two parties each add their cross-page seal (a contract): the first signature still validates after
the second signer's slices and signature under the platform's difference policy, which accepts
exactly seal-slice additions; any other change after the first signature is flagged (a text
annotation, a page appended, a content stream changed or added, a slice off the page's edge, one byte
changed). pyHanko's default policy flags the second signer's slices (STACK.md): shown here too."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from pki.pdf import SealPlacement, StampSpec, stamp_with_key, verify_pdf
from pki.pdf.pagetree import walk_pages
from pki.pdf.slices import SliceOp, slice_stream


def stamp(world, pdf: bytes, party, x: float, *, cross_page: bool = True, validation: bool = True) -> bytes:
    return stamp_with_key(pdf, party.key, party.certificate,
                          StampSpec(party.seal_png, SealPlacement(page=0, x=x, y=70), cross_page=cross_page),
                          chain=[party.intermediate], signing_time=world.now, timestamper=world.tsa,
                          validation=world.validation() if validation else None)


@pytest.fixture
def parties(world):
    return world.party("合同采购人单位", "rsa", 301), world.party("合同供应商有限公司", "ec", 302)


@pytest.fixture
def contract(world, parties):
    """The 3-page contract with the purchaser's cross-page seal (first signature) only."""
    return stamp(world, world.docs[3], parties[0], 80)


def revise(pdf: bytes, change) -> bytes:
    """``pdf`` with one more revision made by ``change(writer, pages)`` (pyHanko's incremental writer)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer, walk_pages(writer.root.raw_get("/Pages")))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_text_annotation(writer, pages):
    note = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (100, 100, 120, 120)]),
        generic.NameObject("/Contents"): generic.TextStringObject("本条款作废"),
    }))
    writer.register_annotation(pages[0].ref, note)


def append_page(writer, pages):
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
        generic.NameObject("/Resources"): generic.DictionaryObject(),
        generic.NameObject("/Contents"): writer.add_object(generic.StreamObject(stream_data=b"BT ET\n")),
    }))


def change_content_stream(writer, pages):
    contents = pages[1].page.raw_get("/Contents").get_object()
    original = next(ref for ref in contents if b"BT" in ref.get_object().data)
    stream = original.get_object()
    stream._data = stream.data.replace(b"BT", b"1 0 0 rg BT", 1)     # the text turns red
    stream._encoded_data = None
    if "/Filter" in stream:
        del stream["/Filter"]
    writer.mark_update(original)


def add_white_box(writer, pages):
    """A content stream covering part of the page (not a slice): appended like a slice would be."""
    contents_ref = pages[1].page.raw_get("/Contents")
    box = writer.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 72 500 300 40 re f Q\n"))
    contents_ref.get_object().append(box)
    writer.mark_update(contents_ref)


def add_slice(x: float):
    """A change with exactly the form of a seal slice (pki.pdf.slices) at ``x`` on page 1."""
    def change(writer, pages):
        node = pages[0]
        image = pil_image(Image.new("RGBA", (4, 40), (200, 20, 20, 255)), writer)
        contents_ref = node.page.raw_get("/Contents")
        contents = contents_ref.get_object()
        contents.insert(0, writer.add_object(generic.StreamObject(stream_data=b"q\n")))
        contents.append(writer.add_object(generic.StreamObject(
            stream_data=slice_stream(SliceOp("EbSliceOtherP1", x, 500, 2.4, 120)))))
        writer.mark_update(contents_ref)
        xobjects_ref = node.page.raw_get("/Resources").get_object().raw_get("/XObject")
        xobjects_ref.get_object()[generic.NameObject("/EbSliceOtherP1")] = image
        writer.mark_update(xobjects_ref)
    return change


def add_slice_off_the_edge(writer, pages):
    add_slice(200)(writer, pages)


def test_two_cross_page_seals_both_verify(world, parties, tools):
    both = stamp(world, stamp(world, world.docs[50], parties[0], 80), parties[1], 330)

    report = verify_pdf(both, trust=world.trust, crls=world.crls())
    assert report.ok(), [s.problems for s in report.signatures]
    first, second = report.signatures
    assert first.cross_page and second.cross_page
    assert (first.modification, second.modification) == ("seal_slices", "validation_data")
    assert not first.modified_after

    # pdfsig checks the signatures only (it does not look at later revisions)
    assert [(s.signature, s.certificate) for s in tools.pdfsig(both)] == [
        ("Signature is Valid.", "Certificate is Trusted.")] * 2
    # pyHanko's default policy flags the second signer's slices; with the platform's policy it agrees
    default = tools.pyhanko(both)
    assert default[0]["intact"] and default[0]["trusted"] and default[0]["modification_level"] == "OTHER"
    assert default[1]["bottom_line"]
    assert all(s["bottom_line"] and s["modification_level"] in ("FORM_FILLING", "LTA_UPDATES")
               for s in tools.pyhanko(both, policy="seal")), tools.pyhanko(both, policy="seal")


def test_the_second_seal_without_cross_page_keeps_the_first_valid_for_pyhanko_too(world, parties, contract, tools):
    both = stamp(world, contract, parties[1], 330, cross_page=False)
    assert verify_pdf(both, trust=world.trust, crls=world.crls()).ok()
    assert all(s["bottom_line"] for s in tools.pyhanko(both))


def test_a_text_annotation_after_the_first_signature_is_flagged(world, parties, contract, tools):
    annotated = stamp(world, revise(contract, add_text_annotation), parties[1], 330)
    report = verify_pdf(annotated, trust=world.trust, crls=world.crls())
    first, second = report.signatures
    assert first.modified_after and first.modification == "other" and first.intact and first.signature_valid
    assert any("修改" in p for p in first.problems)
    assert second.ok() and not report.ok()
    assert not tools.pyhanko(annotated, policy="seal")[0]["bottom_line"]


@pytest.mark.parametrize("change", [add_text_annotation, append_page, change_content_stream, add_white_box,
                                    add_slice_off_the_edge], ids=lambda f: f.__name__)
def test_any_other_change_after_the_seals_is_flagged(world, parties, contract, change):
    both = stamp(world, contract, parties[1], 330)
    assert verify_pdf(both, trust=world.trust, crls=world.crls()).ok()

    changed = revise(both, change)
    report = verify_pdf(changed, trust=world.trust, crls=world.crls())
    assert [(s.modification, s.modified_after) for s in report.signatures] == [("other", True)] * 2
    assert all(s.intact and s.signature_valid and s.trusted for s in report.signatures)
    assert not report.ok()


def test_a_slice_is_accepted_by_its_form_on_the_right_edge(world, parties, contract):
    """The policy judges what was added, not who added it: a well-formed slice on the edge passes."""
    report = verify_pdf(revise(contract, add_slice(595.2756 - 2.4)), trust=world.trust, crls=world.crls())
    assert report.signatures[0].modification == "seal_slices" and report.ok(), report.signatures[0].problems


def test_one_byte_changed_after_signing(world, parties, contract, tools):
    both = stamp(world, contract, parties[1], 330)
    at = both.index(b"ReportLab Generated PDF document")
    damaged = both[:at] + b"X" + both[at + 1:]

    report = verify_pdf(damaged, trust=world.trust, crls=world.crls())
    assert [s.intact for s in report.signatures] == [False, False]
    assert all(not s.ok() and any("摘要" in p or "digest" in p for p in s.problems) for s in report.signatures)
    assert [s.signature for s in tools.pdfsig(damaged)] == ["Digest Mismatch."] * 2


def test_a_page_appended_after_signing(world, parties):
    signed = stamp(world, world.docs[3], parties[0], 80, cross_page=False)
    report = verify_pdf(revise(signed, append_page), trust=world.trust, crls=world.crls())
    (seal,) = report.signatures
    assert seal.modified_after and seal.modification == "other" and seal.intact
    assert report.revisions == 4
