"""Exceptions of :mod:`pki.signature` and :mod:`pki.timestamps`.

A signature that parses but does not verify is *not* an exception: :func:`pki.signature.verify`
returns a :class:`~pki.signature.verify.SignatureVerification` with ``ok=False`` and its reasons.
Exceptions are for input that is not a signature at all, and for signing that cannot be done.
"""
from __future__ import annotations


class SignatureError(Exception):
    """Base class of every error raised by :mod:`pki.signature` and :mod:`pki.timestamps`."""


class SignatureFormatError(SignatureError, ValueError):
    """The bytes are not a readable CMS / GM/T 0010 SignedData (or not a timestamp token)."""


class SigningError(SignatureError):
    """Signing refused: key and certificate do not match, no signing time, unsupported key, …"""


class TimestampError(SignatureError):
    """A time-stamping authority refused a request, could not be reached, or answered nonsense."""

    def __init__(self, message: str, *, status: str | None = None, fail_info: tuple[str, ...] = ()):
        super().__init__(message)
        self.status = status
        self.fail_info = fail_info
