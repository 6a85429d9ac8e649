"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and its strict reading.

Writing is the ``rfc8785`` package (Trail of Bits; pinned in requirements.txt): keys sorted by
their UTF-16 code units, no whitespace, UTF-8, the shortest escapes, integers only within
±(2**53 − 1). Reading is strict in the other direction: a signed document is accepted only if it
is *exactly* the canonical form of what it says, so there is one byte sequence per meaning and a
reader that parses JSON differently cannot be shown something else.

:func:`read_canonical` refuses what :mod:`json` would quietly accept — duplicate keys (the last
one would win), NaN and Infinity, fractions and exponents (no format here has a float), a byte
order mark, invalid UTF-8 — and then compares the input with the canonical form of its parse,
byte for byte.
"""
from __future__ import annotations

import json
from typing import Any

import rfc8785

#: Nesting deeper than this has no canonical form here (our formats nest 3 deep).
MAX_DEPTH = 16


class JsonRefused(ValueError):
    """The bytes are not the canonical JSON of a document: ``code`` is ``'malformed'`` (not JSON as
    our formats allow it) or ``'not_canonical'`` (valid, but not in RFC 8785 form)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value`` (dicts, lists, str, int, bool, None).

    Raises :class:`ValueError` for what has no canonical form (floats are refused too: none of
    our formats has one, and a float's text is where JSON implementations disagree)."""
    _no_floats(value, 0)
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise ValueError(str(exc)) from exc


def read_canonical(data: bytes) -> Any:
    """Parse ``data`` as JSON and insist that it is exactly its own RFC 8785 form."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise JsonRefused("malformed", "starts with a byte order mark")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused("malformed", f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_float=_no_float,
                           parse_constant=_no_constant)
    except JsonRefused:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonRefused("malformed", f"not JSON: {str(exc).splitlines()[0]}") from None
    try:
        canonical = canonical_json(value)
    except ValueError as exc:
        raise JsonRefused("malformed", f"no canonical form: {exc}") from None
    if canonical != data:
        raise JsonRefused("not_canonical", _first_difference(data, canonical))
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonRefused("malformed", f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise JsonRefused("malformed", f"a number with a fraction or exponent ({text[:20]})")


def _no_constant(text: str) -> Any:
    raise JsonRefused("malformed", f"{text} is not JSON")


def _no_floats(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH}")
    if isinstance(value, float):
        raise ValueError("floats have no place in these formats")
    if isinstance(value, dict):
        for item in value.values():
            _no_floats(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _no_floats(item, depth + 1)


def _first_difference(data: bytes, canonical: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(data, canonical)) if a != b), min(len(data), len(canonical)))
    return (f"differs from its RFC 8785 form at byte {at} ({len(data)} bytes given, "
            f"{len(canonical)} canonical)")


__all__ = ["MAX_DEPTH", "JsonRefused", "canonical_json", "read_canonical"]
