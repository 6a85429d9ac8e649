"""PDFs the agency uploads (招标文件, 更正公告): accepted by their bytes (``%PDF-`` at the start, as
licences are: :mod:`bidding.parties.licences`), within a size limit, readable by the same bounded
reader that stamps them, not encrypted, not signed already (the platform's stamp must be the first
signature, or the stamped file would not verify), with the page the seal goes on. The seal box is
chosen here: the file has no template with a signature block."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bidding.documents.pdf.base import SealBox
from bidding.tenders.errors import TenderPdfRefused, TenderPdfTooLarge
from pki.pdf.errors import PdfError
from pki.pdf.pagetree import walk_pages
from pki.pdf.reading import guarded, open_reader

MAX_TENDER_PDF_BYTES = 32 * 1024 * 1024
SEAL_SIZE = 119.06             # 42 mm, a round official seal
SEAL_MARGIN = 72.0             # one inch from the page's right and bottom edges
_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class CheckedPdf:
    """An uploaded PDF that passed the checks, not stored yet; ``seal_box`` is where the stamp goes."""

    data: bytes
    sha256: str
    filename: str
    page_count: int
    seal_box: SealBox


def check_pdf(data: bytes, filename: str, *, field: str, max_bytes: int = MAX_TENDER_PDF_BYTES,
              seal_page: int = 0) -> CheckedPdf:
    """The upload if it is a PDF the platform can stamp (see the module docstring); the seal goes on
    ``seal_page`` (1-based, 0 = the last page), lower right. :class:`TenderPdfTooLarge` or
    :class:`TenderPdfRefused` (``details["field"] = field``) otherwise."""
    if len(data) > max_bytes:
        raise TenderPdfTooLarge(f"文件不得超过 {max_bytes // (1024 * 1024)} MiB (the file may have at most {max_bytes} "
                                f"bytes)", field=field, max_bytes=max_bytes)
    if not data.startswith(_MAGIC):
        raise TenderPdfRefused(field=field)
    try:
        reader = open_reader(data)
        if reader.encrypted:
            raise TenderPdfRefused("加密的 PDF 不能签章，请上传未加密的文件 (an encrypted PDF cannot be stamped)",
                                   field=field)
        if guarded(lambda: list(reader.embedded_signatures), "reading its signatures"):
            raise TenderPdfRefused("该 PDF 已含电子签名，请上传未签章的原件，由平台加盖印章 (the PDF is signed already: "
                                   "upload the unsigned original)", field=field)
        pages = guarded(lambda: walk_pages(reader.root.raw_get("/Pages")), "walking its pages")
    except PdfError as exc:
        raise TenderPdfRefused(f"无法读取该 PDF：{exc.message}", field=field, reason=exc.code) from None
    if not pages:
        raise TenderPdfRefused("该 PDF 没有页面 (the PDF has no pages)", field=field)
    if not 0 <= seal_page <= len(pages):
        raise TenderPdfRefused(f"盖章页码须在 1 至 {len(pages)} 之间（0 表示最后一页） (the seal page must be 1 to "
                               f"{len(pages)}, or 0 for the last)", field="seal_page")
    index = len(pages) - 1 if seal_page == 0 else seal_page - 1
    x1, y1, x2, y2 = pages[index].box()
    if x2 - x1 < SEAL_SIZE + SEAL_MARGIN or y2 - y1 < SEAL_SIZE + SEAL_MARGIN:
        raise TenderPdfRefused("页面太小，放不下印章 (the page is too small for the seal)", field=field)
    box = SealBox(page=index + 1, x=round(x2 - SEAL_MARGIN - SEAL_SIZE, 2), y=round(y1 + SEAL_MARGIN, 2),
                  size=SEAL_SIZE)
    name = Path((filename or "document.pdf").replace("\\", "/")).name[:200] or "document.pdf"
    return CheckedPdf(data, hashlib.sha256(data).hexdigest(), name, len(pages), box)
