"""Exceptions of the digital-envelope package, each with a Chinese message and its English gloss.

Kinds (:mod:`pki.errors`): damage, tampering and a wrong key are ``integrity``; bytes that are no
envelope, an unsupported feature or an unsuitable certificate are ``input``; a source that changed
while it was read is ``io``.
"""
from __future__ import annotations

import logging

from pki.errors import PkiError


class EnvelopeError(PkiError):
    """Base class: the envelope could not be made or opened, for the reason in the message."""

    code = "envelope_error"
    message = "数字信封无法生成或打开 (the envelope could not be made or opened)"
    kind = "input"


class MalformedEnvelope(EnvelopeError):
    """The bytes are not a well-formed CMS / GM/T 0010 envelope (damaged, truncated, altered)."""

    code = "envelope_malformed"

    def __init__(self, detail: str):
        super().__init__(f"数字信封格式错误或已损坏 (malformed or damaged envelope: {detail})", detail=detail)
        self.detail = detail


class UnsupportedEnvelope(EnvelopeError):
    """Well-formed, but uses an algorithm or feature this package does not implement."""

    code = "envelope_unsupported"

    def __init__(self, detail: str):
        super().__init__(f"不支持的数字信封算法或结构 (unsupported envelope feature: {detail})", detail=detail)
        self.detail = detail


class NotAddressedToCertificate(EnvelopeError):
    """No RecipientInfo of the envelope names the given certificate."""

    code = "envelope_not_addressed"
    message = "此数字信封不是发给该证书的 (this envelope is not addressed to this certificate)"
    kind = "integrity"  # a wrong key, like KeyMismatch: bidtool's exit 2, as documented

    def __init__(self, detail: str = ""):
        super().__init__(f"{self.message}: {detail}" if detail else None)


class KeyMismatch(EnvelopeError):
    """The private key given does not belong to the certificate given."""

    code = "key_mismatch"
    message = "私钥与证书不匹配 (the private key does not belong to this certificate)"
    kind = "integrity"

    def __init__(self) -> None:
        super().__init__()


class KeyUnwrapError(EnvelopeError):
    """The content-encryption key could not be recovered from the RecipientInfo."""

    code = "envelope_key_unwrap_failed"
    kind = "integrity"

    def __init__(self, detail: str):
        super().__init__(f"无法解开内容加密密钥，信封可能已被篡改 (the content-encryption key could not be "
                         f"unwrapped; the envelope may have been altered: {detail})", detail=detail)
        self.detail = detail


class IntegrityError(EnvelopeError):
    """The AES-GCM authentication tag did not verify: the envelope was altered or damaged."""

    code = "envelope_tampered"
    message = ("数字信封完整性校验失败，内容已被篡改或损坏 (authentication tag mismatch: the "
               "envelope was altered or damaged; no plaintext was released)")
    kind = "integrity"

    def __init__(self) -> None:
        super().__init__()


class PaddingError(EnvelopeError):
    """CBC padding was wrong: wrong key or damaged data. CBC envelopes carry no integrity check."""

    code = "envelope_padding_invalid"
    message = ("解密后填充错误，密文已损坏或密钥不对 (bad CBC padding after decryption: the "
               "ciphertext is damaged or the key is wrong; note that CBC envelopes have no "
               "integrity check, so damage elsewhere can go unnoticed)")
    kind = "integrity"

    def __init__(self) -> None:
        super().__init__()


class RecipientError(EnvelopeError):
    """A recipient certificate cannot receive an envelope (unsupported key, mixed families)."""

    code = "recipient_unsuitable"

    def __init__(self, detail: str):
        super().__init__(f"无法向该证书加密 (cannot encrypt to this certificate: {detail})", detail=detail)
        self.detail = detail


class SourceChanged(EnvelopeError):
    """The input changed size while it was being encrypted."""

    code = "source_changed"
    kind = "io"

    def __init__(self, expected: int, got: int):
        super().__init__(f"加密过程中源文件大小改变 (the source changed while being encrypted: expected "
                         f"{expected} bytes, read {got})", expected=expected, got=got)


class NotAnEnvelope(UnsupportedEnvelope):
    """A well-formed ContentInfo of another type (``content_type``: a signature, plain data)."""

    code = "envelope_not_an_envelope"

    def __init__(self, content_type: str):
        super().__init__(f"content type {content_type} is not an envelope")
        self.details["content_type"] = content_type
        self.content_type = content_type


class NotContentInfo(MalformedEnvelope):
    """Bytes that do not even begin as a CMS ContentInfo (or PEM armour of another kind)."""

    code = "envelope_not_content_info"

    def __init__(self, detail: str):
        super().__init__(f"not a CMS ContentInfo: {detail}")
        self.content_type = None


class LimitExceeded(EnvelopeError):
    """The envelope's framing goes beyond a documented limit (:mod:`pki.envelope.limits`): refused
    before it can cost unbounded memory or time."""

    code = "envelope_limit_exceeded"
    kind = "input"

    def __init__(self, what_zh: str, what_en: str, limit: int, offset: int | None = None):
        where = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"数字信封超出限制：{what_zh}（上限 {limit}）(envelope refused: {what_en} "
                         f"exceeds the limit of {limit}{where})", limit=limit, offset=offset)
        self.detail = what_en
        self.limit = limit


def asn1_detail(what: str, exc: BaseException) -> str:
    """A one-line detail for a parser error: asn1crypto's messages run over several lines and name
    its classes, so the user reads the first line, shortened; the whole goes to the debug log."""
    logging.getLogger(__name__).debug("%s: %s", what, exc, exc_info=exc)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()
    if len(first) > 100:
        first = first[:97] + "..."
    return f"{what}: {first}"
