"""Opening a PDF that came from someone else with bounded work.

- at most :data:`~pki.pdf.model.MAX_PDF_BYTES`, and it must start like a PDF;
- pyHanko's strict reader (no hybrid cross-reference files, which can show different documents to
  different readers) with decoding limits: no stream may inflate beyond
  :data:`MAX_STREAM_OUTPUT`, nor all of them together beyond :data:`DOCUMENT_DECODE_BASE` or
  :data:`DOCUMENT_DECODE_RATIO` times the file;
- at most :data:`MAX_OBJECTS` objects and :data:`MAX_REVISIONS` revisions;
- every error of the parser on damaged input (and a nesting deep enough to exhaust the recursion
  limit) becomes :class:`~pki.pdf.errors.PdfUnreadable`; nothing else escapes.
"""
from __future__ import annotations

import io
import logging
import struct
import zlib
from collections.abc import Callable
from typing import TypeVar

from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.decode_limits import (DEFAULT_PURPOSE_LIMITS, DecodeLimits, DocumentDecodeBudget,
                                             StreamDecodeLimits)
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from pki.pdf.errors import PdfTooComplex, PdfTooLarge, PdfUnreadable
from pki.pdf.model import MAX_PDF_BYTES

log = logging.getLogger(__name__)

MiB = 1024 * 1024
MAX_STREAM_OUTPUT = 64 * MiB
DOCUMENT_DECODE_BASE = 256 * MiB
DOCUMENT_DECODE_RATIO = 8
MAX_OBJECTS = 500_000
MAX_REVISIONS = 128
#: How far into the file the ``%PDF-`` header may start (ISO 32000 readers allow leading junk).
HEADER_WINDOW = 1024

LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_output_size=MAX_STREAM_OUTPUT),
    per_purpose=dict(DEFAULT_PURPOSE_LIMITS),
    document_budget=DocumentDecodeBudget(base_allowance=DOCUMENT_DECODE_BASE, max_ratio=DOCUMENT_DECODE_RATIO),
)

#: What pyHanko's parser (and the libraries under it) raise on damaged or hostile input.
PARSER_ERRORS: tuple[type[BaseException], ...] = (
    misc.PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError,
    NotImplementedError, ArithmeticError, RecursionError, zlib.error, struct.error, UnicodeError, EOFError,
)

T = TypeVar("T")


def check_size(pdf: bytes) -> None:
    if len(pdf) > MAX_PDF_BYTES:
        raise PdfTooLarge(f"PDF 文件超过 {MAX_PDF_BYTES // MiB} MiB (the PDF is larger than {MAX_PDF_BYTES // MiB} MiB)")
    if b"%PDF-" not in pdf[:HEADER_WINDOW]:
        raise PdfUnreadable("不是 PDF 文件（缺少 %PDF- 文件头） (not a PDF: no %PDF- header)")


def guarded(action: Callable[[], T], what: str) -> T:
    """``action()``, with every parser error turned into :class:`PdfUnreadable` naming ``what``."""
    try:
        return action()
    except (PdfUnreadable, PdfTooComplex, PdfTooLarge):
        raise
    except misc.PdfDecodeLimitError as exc:
        raise PdfTooComplex(f"PDF 中的数据流解压后过大 (a stream of the PDF inflates beyond the limits: {exc})") from None
    except RecursionError:
        raise PdfTooComplex("PDF 对象嵌套过深 (the PDF's objects are nested too deeply)") from None
    except PARSER_ERRORS as exc:
        log.debug("PDF unreadable while %s", what, exc_info=True)
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise PdfUnreadable(f"无法读取 PDF 文件（{what}） (the PDF is unreadable while {what}: {detail})") from None


def _check_counts(reader: PdfFileReader) -> None:
    xrefs = reader.xrefs
    if xrefs.total_revisions > MAX_REVISIONS:
        raise PdfTooComplex(f"PDF 的修订版本超过 {MAX_REVISIONS} 个 (more than {MAX_REVISIONS} revisions)")
    objects = sum(len(xrefs.explicit_refs_in_revision(r)) for r in range(xrefs.total_revisions))
    if objects > MAX_OBJECTS:
        raise PdfTooComplex(f"PDF 对象超过 {MAX_OBJECTS} 个 (more than {MAX_OBJECTS} objects)")


def open_reader(pdf: bytes) -> PdfFileReader:
    """A strict pyHanko reader over ``pdf`` within the limits above."""
    check_size(pdf)

    def read() -> PdfFileReader:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True, decode_limits=LIMITS)
        _check_counts(reader)
        reader.root        # the catalog must be there
        return reader
    return guarded(read, "reading its structure")


def open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer over ``pdf`` (a new revision after its last one), within the same limits."""
    check_size(pdf)

    def read() -> IncrementalPdfFileWriter:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True, decode_limits=LIMITS)
        _check_counts(writer.prev)
        writer.root
        return writer
    return guarded(read, "reading its structure")


__all__ = ["open_reader", "open_writer", "guarded", "check_size", "PARSER_ERRORS", "LIMITS", "MAX_OBJECTS",
           "MAX_REVISIONS"]
