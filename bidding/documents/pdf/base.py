"""What every document shares: the A4 page (header with the platform's name, footer with the
document's platform id, page x / y and the verification link as text and QR code), the signature
block at the end with one blank box per signer where the seal goes, and the build that turns a
story of flowables into :class:`RenderedDocument`.

The seal boxes are not guessed: each box is a :class:`SealSpot` flowable that records, when it is
drawn, the page it is on and its absolute position (PDF points, origin bottom-left), so the stamping
code places the seal exactly where the page shows its label.

Determinism: reportlab runs in invariant mode (no time stamps), the file's /ID is seeded from the
document id and date (not from reportlab's clock, which SOURCE_DATE_EPOCH moves), the creation date
is the document's own date from its data, nothing random is drawn; the same data and the same
reportlab/font give the same bytes. Rendering holds one process-wide lock: reportlab keeps
per-document font state in module-level objects and is not documented as thread-safe.
"""
from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from types import MappingProxyType

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bidding.documents.pdf.errors import InvalidDocumentData
from bidding.documents.pdf.fonts import cjk_font
from bidding.documents.pdf.styles import MUTED, RULE, base_table_style, styles
from bidding.documents.pdf.text import as_beijing, clip, markup, printable

PLATFORM_NAME = "电子招投标平台"
SEAL_SIZE = 42 * mm              # a round official seal (公章) is 40–42 mm across
MARGIN_X = 20 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 32 * mm
QR_SIZE = 22 * mm

_DOCUMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
_VERIFY_URL = re.compile(r"https?://[\x21-\x7e]{1,400}")
_ROLE = re.compile(r"(purchaser|agency|supplier|expert:[1-9][0-9]{0,2})")
_render_lock = threading.Lock()


@dataclass(frozen=True)
class SealBox:
    """Where a seal goes: ``page`` (1-based) and the square's lower-left corner ``x``, ``y`` and side
    ``size``, in PDF points from the page's lower-left corner."""

    page: int
    x: float
    y: float
    size: float

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2), the form pyHanko's ``SigFieldSpec(box=…)`` takes."""
        return (self.x, self.y, self.x + self.size, self.y + self.size)


@dataclass(frozen=True)
class Signatory:
    """A party that seals the document: ``role`` is the seal box's key (``purchaser``, ``agency``,
    ``supplier``, ``expert:<n>``), ``title`` the label above the box (采购人（盖章）), ``name`` who."""

    role: str
    title: str
    name: str


@dataclass(frozen=True)
class RenderedDocument:
    """The generated PDF and the box of each signer's seal, by role."""

    pdf: bytes
    seal_boxes: Mapping[str, SealBox]
    page_count: int
    page_size: tuple[float, float]


class SealSpot(Flowable):
    """A blank square where one seal goes; records its page and absolute position when drawn.
    Light corner marks are drawn just outside the square, so the square itself stays white."""

    def __init__(self, role: str, size: float, sink: dict[str, SealBox]) -> None:
        super().__init__()
        self.role, self.size, self._sink = role, size, sink
        self.hAlign = "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        canv = self.canv
        x, y = canv.absolutePosition(0, 0)
        self._sink[self.role] = SealBox(canv.getPageNumber(), round(x, 2), round(y, 2), self.size)
        gap, arm, s = 2.5, 9.0, self.size
        canv.saveState()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.6)
        for cx, cy, dx, dy in ((-gap, -gap, 1, 1), (s + gap, -gap, -1, 1), (-gap, s + gap, 1, -1), (s + gap, s + gap, -1, -1)):
            canv.line(cx, cy, cx + dx * arm, cy)
            canv.line(cx, cy, cx, cy + dy * arm)
        canv.restoreState()


class _PageFurniture:
    """Header and footer of every page; drawn when the total number of pages is known."""

    def __init__(self, *, title: str, document_id: str, verify_url: str, pagesize: tuple[float, float]) -> None:
        self.title, self.document_id, self.verify_url = title, document_id, verify_url
        self.width, self.height = pagesize
        self.page_count = 0
        self._qr_defined = False

    def draw(self, canv: Canvas, page: int, total: int) -> None:
        font, w, h = cjk_font(), self.width, self.height
        canv.saveState()
        canv.setFillColor(MUTED)
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.setFont(font, 9)
        canv.drawString(MARGIN_X, h - 15 * mm, PLATFORM_NAME)
        canv.drawRightString(w - MARGIN_X, h - 15 * mm, printable(clip(self.title, 40)))
        canv.line(MARGIN_X, h - 17 * mm, w - MARGIN_X, h - 17 * mm)

        top = MARGIN_BOTTOM - 4 * mm
        canv.line(MARGIN_X, top, w - MARGIN_X, top)
        qr_x, qr_y = w - MARGIN_X - QR_SIZE, top - QR_SIZE - 1 * mm
        text_right = qr_x - 3 * mm
        canv.drawString(MARGIN_X, top - 5 * mm, f"文件编号：{self.document_id}")
        canv.drawRightString(text_right, top - 5 * mm, f"第 {page} 页 / 共 {total} 页")
        canv.setFont(font, 8)
        canv.drawString(MARGIN_X, top - 10 * mm, "扫描右侧二维码或访问以下地址，核验本文件及其电子签章：")
        size = min(8.0, (text_right - MARGIN_X) / stringWidth(self.verify_url, font, 1))
        canv.setFont(font, size)
        canv.drawString(MARGIN_X, top - 15 * mm, self.verify_url)
        self._draw_qr(canv, qr_x, qr_y)
        canv.restoreState()

    def _draw_qr(self, canv: Canvas, x: float, y: float) -> None:
        if not self._qr_defined:                 # one form XObject, placed on every page
            canv.beginForm("VerifyQR", 0, 0, QR_SIZE, QR_SIZE)
            _draw_qr_modules(canv, self.verify_url, QR_SIZE)
            canv.endForm()
            self._qr_defined = True
        canv.saveState()
        canv.translate(x, y)
        canv.doForm("VerifyQR")
        canv.restoreState()


def _draw_qr_modules(canv: Canvas, text: str, size: float) -> None:
    """The QR code of ``text`` (level M, four-module quiet zone) as filled rectangles, one per run of
    dark modules in a row. Drawn directly rather than through reportlab.graphics, whose renderer
    selects its default font (an unembedded Helvetica) on the way."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    unit = size / (count + 8)
    path = canv.beginPath()
    for row in range(count):
        column = 0
        while column < count:
            if not code.isDark(row, column):
                column += 1
                continue
            start = column
            while column < count and code.isDark(row, column):
                column += 1
            path.rect((start + 4) * unit, size - (row + 5) * unit, (column - start) * unit, unit)
    canv.saveState()
    canv.setFillColorRGB(0, 0, 0)
    canv.drawPath(path, stroke=0, fill=1)
    canv.restoreState()


class _PageCanvas(Canvas):
    """Keeps each finished page until the document is saved, then draws the page furniture on all
    of them with the total page count (第 x 页 / 共 y 页) and a creation date from the data."""

    def __init__(self, filename, *, furniture: _PageFurniture, created: str, **kwargs) -> None:
        super().__init__(filename, **kwargs)
        self._furniture = furniture
        self._finished: list[dict] = []
        self.setDateFormatter(lambda *_ignored: created)
        # reportlab seeds the file's /ID with its time stamp, which SOURCE_DATE_EPOCH changes even in
        # invariant mode: seed it from the document instead (the metadata is added to it later).
        self._doc.signature = hashlib.md5(f"ebidding:{furniture.document_id}:{created}".encode(),
                                          usedforsecurity=False)

    def showPage(self) -> None:
        self._finished.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._finished)
        self._furniture.page_count = total
        for number, state in enumerate(self._finished, start=1):
            self.__dict__.update(state)
            self._furniture.draw(self, number, total)
            Canvas.showPage(self)
        Canvas.save(self)


def build_document(*, title: str, story: Sequence[Flowable], signatories: Sequence[Signatory], document_id: str,
                   verify_url: str, created: date | datetime, subtitle: str = "", wide: bool = False,
                   signature_note: str = "") -> RenderedDocument:
    """Lay out ``story`` under the document's title, end it with the signature block, and return the
    PDF with the seal boxes. ``created`` (from the data) becomes the PDF's creation date; ``wide``
    turns the pages to landscape (tables with many columns)."""
    _check_ids(document_id, verify_url, signatories)
    font = cjk_font()
    pagesize = landscape(A4) if wide else A4
    furniture = _PageFurniture(title=title, document_id=document_id, verify_url=verify_url, pagesize=pagesize)
    seal_boxes: dict[str, SealBox] = {}
    s = styles()
    flowables: list[Flowable] = [Paragraph(markup(title), s.title)]
    if subtitle:
        flowables.append(Paragraph(markup(subtitle), s.subtitle))
    flowables.extend(story)
    flowables.append(_signature_block(signatories, seal_boxes, columns=4 if wide else 3, note=signature_note))

    stamp = as_beijing(created)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                            topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, invariant=1, initialFontName=font,
                            title=printable(title), author=PLATFORM_NAME, subject=f"{printable(title)} {document_id}",
                            creator="ebidding bidding.documents.pdf", keywords=document_id, lang="zh-CN")
    canvasmaker = partial(_PageCanvas, furniture=furniture, created=f"D:{stamp:%Y%m%d%H%M%S}+08'00'")
    with _render_lock:
        doc.build(flowables, canvasmaker=canvasmaker)
    missing = [sig.role for sig in signatories if sig.role not in seal_boxes]
    if missing:                                   # a layout bug, never the data's fault
        raise RuntimeError(f"seal boxes not drawn: {missing}")
    return RenderedDocument(pdf=buffer.getvalue(), seal_boxes=MappingProxyType(dict(seal_boxes)),
                            page_count=furniture.page_count, page_size=(float(pagesize[0]), float(pagesize[1])))


def _check_ids(document_id: str, verify_url: str, signatories: Sequence[Signatory]) -> None:
    if not isinstance(document_id, str) or not _DOCUMENT_ID.fullmatch(document_id):
        raise InvalidDocumentData(field="document_id")
    if not isinstance(verify_url, str) or not _VERIFY_URL.fullmatch(verify_url):
        raise InvalidDocumentData(field="verify_url")
    roles = [sig.role for sig in signatories]
    if not roles or len(set(roles)) != len(roles) or not all(_ROLE.fullmatch(r) for r in roles):
        raise InvalidDocumentData(field="signatories", roles=roles)


def _signature_block(signatories: Sequence[Signatory], sink: dict[str, SealBox], *, columns: int,
                     note: str) -> Flowable:
    """签章: one cell per signer (label, name, blank seal box), ``columns`` to a row; rows never split."""
    s = styles()
    columns = 2 if len(signatories) <= 2 else columns
    cells = [[Paragraph(markup(sig.title), s.label), Paragraph(markup(clip(sig.name, 48)), s.label),
              Spacer(1, 2 * mm), SealSpot(sig.role, SEAL_SIZE, sink)] for sig in signatories]
    cells += [""] * (-len(cells) % columns)
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    table = Table(rows, colWidths=[f"{100 / columns:.4f}%"] * columns, hAlign="CENTER")
    table.setStyle(TableStyle([c for c in base_table_style() if c[0] != "GRID"] +
                              [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 10)]))
    head = [Spacer(1, 6 * mm), Paragraph("签章", s.heading),
            Paragraph(markup(note or "各方以本平台数字证书加盖电子印章；签章时间以电子签名中的时间戳为准。"), s.note)]
    return KeepTogether(head + [table])
