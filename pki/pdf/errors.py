"""The refusals of :mod:`pki.pdf`, each a :class:`pki.errors.PkiError` with a stable code and a
message in Chinese (English in parentheses)."""
from __future__ import annotations

from pki.errors import PkiError


class PdfError(PkiError):
    """Base of every deliberate refusal about a PDF or a seal on it."""

    code = "pdf_error"
    message = "PDF 文件无法处理 (the PDF could not be processed)"
    kind = "input"


class PdfUnreadable(PdfError):
    """Not a PDF, or a PDF too damaged to read."""

    code = "pdf_unreadable"
    message = "无法读取 PDF 文件，文件可能已损坏或不是 PDF (the file is not a readable PDF)"


class PdfTooLarge(PdfError):
    """Larger than :data:`pki.pdf.MAX_PDF_BYTES`."""

    code = "pdf_too_large"
    message = "PDF 文件过大 (the PDF is too large)"


class PdfTooComplex(PdfError):
    """Within the size limit, but with more objects, revisions, fields or signatures than any document
    of the platform has: refused before the work grows with them."""

    code = "pdf_too_complex"
    message = "PDF 文件结构过于复杂，拒绝处理 (the PDF's structure is too complex to process)"


class SealImageInvalid(PdfError):
    code = "seal_image_invalid"
    message = "印章图片无效，须为 PNG 图片 (the seal image must be a PNG image)"


class PlacementInvalid(PdfError):
    code = "seal_placement_invalid"
    message = "印章位置无效 (the seal's placement is invalid)"


class StampRefused(PdfError):
    """The document does not allow another signature (a certification signature forbidding changes,
    an encrypted file, a field name taken, …)."""

    code = "stamp_refused"
    message = "该文件不能再加盖印章 (this document cannot be stamped)"
    kind = "state"


class PreparedStampMismatch(PdfError):
    """The signature returned for a prepared stamp is not a valid signature of exactly that prepared
    document by exactly that certificate (or the prepared document is not the one recorded)."""

    code = "prepared_stamp_mismatch"
    message = "签名与待签章文件不符 (the signature does not match the prepared document)"
    kind = "integrity"


class SignatureTooLarge(PdfError):
    """The signature (with its certificates and timestamp) does not fit the space reserved for it."""

    code = "pdf_signature_too_large"
    message = "签名数据超出文件中预留的空间 (the signature does not fit the space reserved in the document)"


__all__ = ["PdfError", "PdfUnreadable", "PdfTooLarge", "PdfTooComplex", "SealImageInvalid", "PlacementInvalid",
           "StampRefused", "PreparedStampMismatch", "SignatureTooLarge"]
