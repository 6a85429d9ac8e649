"""One family of errors for everything in ``pki/``.

Every exception that ``pki/`` raises on purpose derives from :class:`PkiError`. Each class carries

- ``code``: a stable machine-readable identifier (JSON answers, logs, tests);
- ``message``: what the user reads, Chinese first, English in parentheses (a raise may pass a more
  specific one);
- ``kind``: what sort of failure it is, which each entry point maps to its own vocabulary:

  ============  =========================================================  ====  ========
  kind          meaning                                                    HTTP  bidtool
  ============  =========================================================  ====  ========
  input         malformed or unsuitable input (a bad file, a wrong option)  400   1
  integrity     tampering, a wrong key, a signature or digest that fails    422   2
  state         the object's state forbids it (locked token, revoked cert)  409   1
  unavailable   a service or device could not be reached (TSA, token)       503   3
  io            reading or writing a file failed                            500*  3
  ============  =========================================================  ====  ========

  (* ``app/`` never lets an ``io`` error of its own storage pass as a user's mistake.)

``pki/`` knows nothing about HTTP or exit codes: ``app/errors.py`` and ``bidtool`` do the mapping.
A bug is never a :class:`PkiError`: only a failure the caller can explain to a user is.
"""
from __future__ import annotations

from typing import Any, Literal

ErrorKind = Literal["input", "integrity", "state", "unavailable", "io"]

#: What asn1crypto raises for bytes that are not the DER it was asked to read. Catch these only
#: around the parse call itself and turn them at once into a :class:`PkiError` subclass.
ASN1_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, IndexError, OverflowError)


class PkiError(Exception):
    """Base of every deliberate refusal or failure in ``pki/``."""

    code: str = "pki_error"
    message: str = "证书或密码操作失败 (a certificate or cryptographic operation failed)"
    kind: ErrorKind = "input"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        if message is not None:
            self.message = message
        self.details: dict[str, Any] = details
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}


__all__ = ["ASN1_ERRORS", "ErrorKind", "PkiError"]
