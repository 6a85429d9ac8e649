"""bidtool's exit codes and how every failure maps to one (the contract README.md documents).

====  ==========================================================================
0     success
1     a usage or input mistake: unknown or missing option, bad value, missing or
      unreadable input file, unsuitable certificate, existing output without --force
2     wrong key, tampering, invalid signature
3     I/O failure or a service (TSA, token) that could not be reached
4     an internal error of bidtool (a bug: rerun with BIDTOOL_DEBUG=1 and report it)
====  ==========================================================================

``pki/`` errors say what sort of failure they are in ``kind`` (:mod:`pki.errors`); bid-package
errors are :class:`bidding.bids.errors.PackageError` (input) and ``PackageIntegrityError``
(integrity); an :class:`OSError` is I/O.
"""
from __future__ import annotations

from bidding.bids.errors import PackageError, PackageIntegrityError
from pki.errors import PkiError

EXIT_OK, EXIT_INPUT, EXIT_CRYPTO, EXIT_IO, EXIT_INTERNAL = 0, 1, 2, 3, 4

KIND_EXIT = {"input": EXIT_INPUT, "state": EXIT_INPUT, "integrity": EXIT_CRYPTO,
             "unavailable": EXIT_IO, "io": EXIT_IO}

class ToolError(Exception):
    """A refusal of bidtool itself: ``str()`` is the bilingual line, ``code`` the exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


class UsageError(ToolError):
    """A mistake on the command line (unknown option, missing option, bad value)."""


def classify(exc: BaseException) -> int:
    """The exit code for ``exc``; anything not listed here is a bug (4), never an input mistake."""
    if isinstance(exc, ToolError):
        return exc.code
    if isinstance(exc, PkiError):
        return KIND_EXIT[exc.kind]
    if isinstance(exc, PackageIntegrityError):
        return EXIT_CRYPTO
    if isinstance(exc, PackageError):
        return EXIT_INPUT
    if isinstance(exc, OSError):
        return EXIT_IO
    return EXIT_INTERNAL


def one_line(exc: BaseException) -> str:
    """What the user reads: the error's own bilingual message on one line; for an OSError a
    bilingual line naming the file."""
    if isinstance(exc, OSError) and exc.strerror:
        if exc.filename:
            text = f"读写 {exc.filename} 失败 (I/O error on {exc.filename}: {exc.strerror})"
        else:
            text = f"读写文件失败 (I/O error: {exc.strerror})"
    elif classify(exc) == EXIT_INTERNAL:
        text = (f"内部错误，请设置 BIDTOOL_DEBUG=1 重试并报告 (internal error {type(exc).__name__}: {exc}; "
                "rerun with BIDTOOL_DEBUG=1 and report it)")
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
