"""Exceptions of the digital-envelope package, each with a Chinese message and its English gloss."""
from __future__ import annotations


class EnvelopeError(ValueError):
    """Base class: the envelope could not be made or opened, for the reason in the message."""


class MalformedEnvelope(EnvelopeError):
    """The bytes are not a well-formed CMS / GM/T 0010 envelope (damaged, truncated, altered)."""

    def __init__(self, detail: str):
        super().__init__(f"数字信封格式错误或已损坏 (malformed or damaged envelope: {detail})")
        self.detail = detail


class UnsupportedEnvelope(EnvelopeError):
    """Well-formed, but uses an algorithm or feature this package does not implement."""

    def __init__(self, detail: str):
        super().__init__(f"不支持的数字信封算法或结构 (unsupported envelope feature: {detail})")
        self.detail = detail


class NotAddressedToCertificate(EnvelopeError):
    """No RecipientInfo of the envelope names the given certificate."""

    def __init__(self, detail: str = ""):
        msg = "此数字信封不是发给该证书的 (this envelope is not addressed to this certificate)"
        super().__init__(f"{msg}: {detail}" if detail else msg)


class KeyMismatch(EnvelopeError):
    """The private key given does not belong to the certificate given."""

    def __init__(self) -> None:
        super().__init__("私钥与证书不匹配 (the private key does not belong to this certificate)")


class KeyUnwrapError(EnvelopeError):
    """The content-encryption key could not be recovered from the RecipientInfo."""

    def __init__(self, detail: str):
        super().__init__(f"无法解开内容加密密钥，信封可能已被篡改 (the content-encryption key could not be "
                         f"unwrapped; the envelope may have been altered: {detail})")
        self.detail = detail


class IntegrityError(EnvelopeError):
    """The AES-GCM authentication tag did not verify: the envelope was altered or damaged."""

    def __init__(self) -> None:
        super().__init__("数字信封完整性校验失败，内容已被篡改或损坏 (authentication tag mismatch: the "
                         "envelope was altered or damaged; no plaintext was released)")


class PaddingError(EnvelopeError):
    """CBC padding was wrong: wrong key or damaged data. CBC envelopes carry no integrity check."""

    def __init__(self) -> None:
        super().__init__("解密后填充错误，密文已损坏或密钥不对 (bad CBC padding after decryption: the "
                         "ciphertext is damaged or the key is wrong; note that CBC envelopes have no "
                         "integrity check, so damage elsewhere can go unnoticed)")


class RecipientError(EnvelopeError):
    """A recipient certificate cannot receive an envelope (unsupported key, mixed families)."""

    def __init__(self, detail: str):
        super().__init__(f"无法向该证书加密 (cannot encrypt to this certificate: {detail})")
        self.detail = detail


class SourceChanged(EnvelopeError):
    """The input changed size while it was being encrypted."""

    def __init__(self, expected: int, got: int):
        super().__init__(f"加密过程中源文件大小改变 (the source changed while being encrypted: expected "
                         f"{expected} bytes, read {got})")
