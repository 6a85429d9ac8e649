"""Exceptions of :mod:`pki.signature` and :mod:`pki.timestamps`.

A signature that parses but does not verify is *not* an exception: :func:`pki.signature.verify`
returns a :class:`~pki.signature.verify.SignatureVerification` with ``ok=False`` and its reasons.
Exceptions are for input that is not a signature at all, for signing that cannot be done, and for a
time-stamping authority that gives no usable token.
"""
from __future__ import annotations

from typing import Any

from pki.errors import PkiError


class SignatureError(PkiError):
    """Base class of every error raised by :mod:`pki.signature` and :mod:`pki.timestamps`."""

    code = "signature_error"
    message = "签名操作失败 (the signature operation failed)"
    kind = "input"


class SignatureFormatError(SignatureError):
    """The bytes are not a readable CMS / GM/T 0010 SignedData (or not a timestamp token)."""

    code = "signature_malformed"
    message = "签名数据格式错误，无法解析 (not a readable signature)"


class SigningError(SignatureError):
    """Signing refused: key and certificate do not match, no signing time, unsupported key, …"""

    code = "signing_refused"
    message = "无法签名 (signing refused)"


class TimestampError(SignatureError):
    """A time-stamping authority refused a request, could not be reached, or answered nonsense.

    ``status`` and ``fail_info`` are the TSA's PKIStatus and failInfo names when it answered."""

    code = "timestamp_failed"
    message = "时间戳服务未能签发时间戳 (the time-stamping authority gave no timestamp)"
    kind = "unavailable"

    def __init__(self, message: str | None = None, *, status: str | None = None,
                 fail_info: tuple[str, ...] = (), **details: Any):
        if status is not None:
            details.update(status=status, fail_info=list(fail_info))
        super().__init__(message, **details)
        self.status = status
        self.fail_info = fail_info


class TimestampMismatch(TimestampError):
    """The TSA's answer does not hold: another digest or nonce, or a token signature that fails."""

    code = "timestamp_mismatch"
    message = "时间戳服务的应答与请求不符或签名无效 (the TSA's token does not match the request or does not verify)"
    kind = "integrity"


class TsaAddressInvalid(TimestampError):
    """The TSA address is no http(s) URL."""

    code = "tsa_address_invalid"
    message = "时间戳服务地址须为 http(s) (the TSA URL must be http or https)"
    kind = "input"


class TsaConfigurationError(SignatureError):
    """The TSA cannot be set up: certificate without critical EKU timeStamping, key/cert mismatch, …"""

    code = "tsa_misconfigured"
    message = "时间戳服务配置有误 (the time-stamping authority is misconfigured)"
    kind = "input"


__all__ = ["SignatureError", "SignatureFormatError", "SigningError", "TimestampError", "TimestampMismatch",
           "TsaAddressInvalid", "TsaConfigurationError"]
