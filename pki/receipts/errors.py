"""Refusals of :mod:`pki.receipts` when *making* a receipt or a transcript.

Checking one never raises for a bad document: :func:`~pki.receipts.verify_receipt` and
:func:`~pki.receipts.verify_transcript` answer with a check object whose ``reasons`` say what is
wrong. Only bytes that are no signature at all raise (:class:`pki.signature.SignatureFormatError`).
"""
from __future__ import annotations

from pki.errors import PkiError


class StatementError(PkiError):
    """A receipt or transcript cannot be made from what was given (bad fields, broken chain, a
    certificate that is not the platform's receipt certificate)."""

    code = "statement_refused"
    message = "无法生成平台签署的回执或记录 (the platform statement cannot be made)"
    kind = "input"


class ReceiptFieldsInvalid(StatementError):
    """A receipt's fields break the format (types, lengths, digests, time)."""

    code = "receipt_fields_invalid"
    message = "投标回执的字段不合格式 (the receipt's fields break the format)"


class TranscriptInvalid(StatementError):
    """The events given for a transcript are not an intact stretch of the audit chain."""

    code = "transcript_invalid"
    message = "开标记录的事件不是完整的审计链 (the transcript's events are not an intact audit chain)"


class NotReceiptCertificate(StatementError):
    """The signing certificate lacks the extended key usage of the platform's receipt certificate."""

    code = "not_receipt_certificate"
    message = ("该证书不是平台的回执签名证书（缺少扩展密钥用法 receiptSigning） (the certificate is not the "
               "platform's receipt certificate: it lacks the receiptSigning extended key usage)")


__all__ = ["StatementError", "ReceiptFieldsInvalid", "TranscriptInvalid", "NotReceiptCertificate"]
