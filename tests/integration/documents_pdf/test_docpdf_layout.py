"""Where things land on the page, read back from the PDF: each seal box lies on the page where its
label and signer's name were drawn, inside the margins, blank (white) before stamping; long tables
continue over pages with their header repeated; the footer's QR code is the verification link."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from conftest import AGENCY, DOC_ID, EXPERTS, KINDS, PURCHASER, SUPPLIER_A, VERIFY_URL, opening_entries, render, sample
from reportlab.graphics.barcode import qrencoder

from bidding.documents import pdf as docs
from bidding.documents.pdf.base import MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, QR_SIZE

BIG_PANEL = tuple(docs.ExpertRef(n, f"专家{n:02d}号") for n in range(1, 26))


def big_panel_report() -> docs.RenderedDocument:
    fn, data = sample("evaluation_report")
    return fn(replace(data, experts=BIG_PANEL, dissent=()), document_id=DOC_ID, verify_url=VERIFY_URL)


def signer_name(role: str, experts=EXPERTS) -> str:
    if role.startswith("expert:"):
        return {e.number: e.name for e in experts}[int(role.split(":")[1])]
    return {"purchaser": PURCHASER.name, "agency": AGENCY.name, "supplier": SUPPLIER_A.name}[role]


def check_boxes(doc: docs.RenderedDocument, reader, experts=EXPERTS) -> None:
    width, height = doc.page_size
    boxes = list(doc.seal_boxes.items())
    for role, box in boxes:
        assert 1 <= box.page <= doc.page_count
        assert MARGIN_X - 1 <= box.x and box.x + box.size <= width - MARGIN_X + 1, role
        assert MARGIN_BOTTOM - 1 <= box.y and box.y + box.size <= height - MARGIN_TOP + 1, role
        assert box.rect == (box.x, box.y, box.x + box.size, box.y + box.size)
        # the signer's name, and above it a label ending in 盖章/签名, right above the box, same column
        words = reader.words(box.page)
        top = height - (box.y + box.size)                       # the box's top edge, y from the page top
        column = [w for w in words if abs(w[1] - box.x) < 80 and 0 <= top - w[4] < 60]
        texts = "".join(w[0] for w in sorted(column, key=lambda w: w[2]))
        assert signer_name(role, experts) in texts, (role, texts)
        assert texts.split(signer_name(role, experts))[0].endswith(("盖章", "签名")), (role, texts)
        # nothing written inside the box
        assert not [w for w in words if w[1] < box.x + box.size and w[3] > box.x
                    and w[2] < top + box.size and w[4] > top], role
    for i, (role_a, a) in enumerate(boxes):                       # no two boxes overlap
        for role_b, b in boxes[i + 1:]:
            if a.page == b.page:
                assert (a.x + a.size <= b.x or b.x + b.size <= a.x or a.y + a.size <= b.y
                        or b.y + b.size <= a.y), (role_a, role_b)


def check_blank(doc: docs.RenderedDocument, reader) -> None:
    height = doc.page_size[1]
    for role, box in doc.seal_boxes.items():
        image = reader.raster(box.page, dpi=72)
        inset = 2
        left, upper = round(box.x) + inset, round(height - box.y - box.size) + inset
        crop = image.crop((left, upper, left + int(box.size) - 2 * inset, upper + int(box.size) - 2 * inset))
        darkest = min(low for low, _high in crop.getextrema())
        assert darkest >= 250, (role, darkest)


@pytest.mark.parametrize("kind", KINDS)
def test_seal_boxes_where_their_labels_are_and_blank(kind, read_pdf) -> None:
    doc = render(kind)
    reader = read_pdf(doc.pdf)
    check_boxes(doc, reader)
    check_blank(doc, reader)


def test_a_large_panel_signs_over_several_pages(read_pdf) -> None:
    doc = big_panel_report()
    reader = read_pdf(doc.pdf)
    assert set(doc.seal_boxes) == {f"expert:{n}" for n in range(1, 26)} | {"agency"}
    assert len({box.page for box in doc.seal_boxes.values()}) >= 2
    check_boxes(doc, reader, experts=BIG_PANEL)
    check_blank(doc, reader)


def test_signature_block_corners_mark_each_box(read_pdf) -> None:
    """The marks are drawn just outside the box, so a viewer sees where the seal goes."""
    doc = render("award_notice")
    box = doc.seal_boxes["agency"]
    image = read_pdf(doc.pdf).raster(box.page, dpi=144)
    scale, height = 2, doc.page_size[1]
    x, y = (box.x - 2.5) * scale, (height - box.y + 2.5) * scale           # lower-left corner mark
    patch = image.crop((int(x) - 2, int(y) - 20, int(x) + 20, int(y) + 2))
    assert min(low for low, _high in patch.getextrema()) < 200


def test_fifty_bidders_continue_over_pages_with_the_header_repeated(read_pdf, capsys) -> None:
    fn, data = sample("opening_record")
    data = replace(data, entries=opening_entries(50))
    started = time.perf_counter()
    doc = fn(data, document_id=DOC_ID, verify_url=VERIFY_URL)
    elapsed = time.perf_counter() - started
    reader = read_pdf(doc.pdf)
    assert doc.page_count >= 3
    table_pages = 0
    for page in range(1, doc.page_count + 1):
        text = "".join(reader.text(page).split())
        if "投标单位" in text:
            table_pages += 1
            assert "投标报价（元）" in text and "解密结果" in text and "递交时间" in text, page
    assert table_pages >= 2
    flat = reader.flat_text()
    for i in range(1, 51):
        assert flat.count(f"投标单位{i:03d}有限公司") == 1, i
    assert "共递交投标文件50份" in flat and "解密成功30份" in flat
    with capsys.disabled():
        print(f"\n  opening record, 50 bidders: {doc.page_count} pages, {elapsed * 1000:.0f} ms")


def test_footer_qr_code_is_the_verification_link(read_pdf) -> None:
    doc = render("award_notice")
    dpi = 288
    scale = dpi / 72
    image = read_pdf(doc.pdf).raster(1, dpi=dpi).convert("L")
    width, height = doc.page_size
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(VERIFY_URL)
    code.make()
    count = code.getModuleCount()
    unit = QR_SIZE / (count + 8)
    x0 = width - MARGIN_X - QR_SIZE
    y0 = MARGIN_BOTTOM - 4 * 72 / 25.4 - QR_SIZE - 72 / 25.4               # see base._PageFurniture.draw
    wrong = 0
    for row in range(-4, count + 4):                                      # the quiet zone too
        for column in range(-4, count + 4):
            px = (x0 + (column + 4.5) * unit) * scale
            py = (height - (y0 + QR_SIZE - (row + 4.5) * unit)) * scale
            dark = image.getpixel((int(px), int(py))) < 128
            expected = 0 <= row < count and 0 <= column < count and code.isDark(row, column)
            wrong += dark != expected
    assert wrong == 0
