"""DER strictness for the signed parts of a signature (X.690 §10–11; RFC 5652 §5.3/§5.4 want the
signed attributes in DER, RFC 3161 §2.4.2 the TSTInfo).

The unsigned framing may be BER (RFC 5652 allows it; ``openssl cms -stream`` writes it), but BER has
rules of its own that OpenSSL enforces too: :func:`ber_problem` checks those over the whole input.

Two layers for what is signed, because each misses what the other sees:

- :func:`der_problem` walks the received TLVs: definite and minimal lengths, primitive strings,
  minimal INTEGERs, BOOLEAN 00/FF, BIT STRING padding, SET elements in ascending order, UTCTime and
  GeneralizedTime in their DER forms, minimal OID arcs. It needs no schema, so it also covers
  attribute values of types nobody here interprets.
- :func:`reencoding_problem` parses with the asn1crypto schema and re-encodes: trailing elements
  asn1crypto keeps silently, an explicitly written DEFAULT, a value of another type than the schema's —
  any difference to the received bytes is refused. After this check a parsed value says exactly what
  the signed bytes say.
"""
from __future__ import annotations

import re

from asn1crypto import core

from pki.errors import ASN1_ERRORS
from pki.signature._received import MAX_DEPTH, Tlv, read_tlv

_PRIMITIVE_ONLY = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x09, 0x0A, 0x0C, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18,
                   0x1A, 0x1E, 0x1C}
_UTC = re.compile(rb"\d{12}Z\Z")
_GENERALIZED = re.compile(rb"\d{14}(\.\d*[1-9])?Z\Z")


def ber_problem(data: bytes, *, skip: set[int] = frozenset()) -> str | None:
    """None if every TLV of ``data`` keeps the rules BER itself has (X.690 §8): minimal non-empty INTEGERs
    and OID arcs, one-octet BOOLEANs, empty NULLs, BIT STRING unused-bit counts below 8. TLVs starting
    at an offset in ``skip`` are not looked into."""
    try:
        top = read_tlv(data, 0)
        if top.end != len(data):
            return "bytes after the value"
        return _walk_ber(top, skip, 0)
    except (ValueError, IndexError) as exc:
        return str(exc)


def _walk_ber(tlv: Tlv, skip, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return "nesting too deep"
    if tlv.start in skip:
        return None
    if tlv.constructed:
        for child in tlv.children():
            problem = _walk_ber(child, skip, depth + 1)
            if problem:
                return problem
        return None
    if tlv.tag in (0x02, 0x0A, 0x01, 0x05, 0x06):
        return _primitive_problem(tlv.tag, tlv.contents)
    if tlv.tag == 0x03 and (not tlv.contents or tlv.contents[0] > 7 or (len(tlv.contents) == 1 and tlv.contents[0])):
        return "BIT STRING with a bad unused-bit count"
    return None


def der_problem(data: bytes, *, set_tags: tuple[int, ...] = ()) -> str | None:
    """None if ``data`` is one DER TLV; else what is wrong, in English. ``set_tags``: tags besides SET
    (0x31) whose contents are a SET OF (e.g. 0xA0 for signedAttrs)."""
    try:
        top = read_tlv(data, 0)
        if top.end != len(data):
            return "bytes after the value"
        return _walk(top, (0x31, *set_tags), 0)
    except (ValueError, IndexError) as exc:
        return str(exc)


def _walk(tlv: Tlv, set_tags: tuple[int, ...], depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return "nesting too deep"
    problem = _header_problem(tlv)
    if problem:
        return problem
    if tlv.constructed:
        if tlv.tag & 0xC0 == 0 and (tlv.tag & 0x1F) in _PRIMITIVE_ONLY:
            return f"constructed encoding of universal type {tlv.tag & 0x1F}"
        children = tlv.children()
        if tlv.tag in set_tags:
            encodings = [c.encoding for c in children]
            if encodings != sorted(encodings):
                return "SET OF elements not in DER order"
        for child in children:
            problem = _walk(child, (0x31,), depth + 1)
            if problem:
                return problem
        return None
    return _primitive_problem(tlv.tag, tlv.contents)


def _header_problem(tlv: Tlv) -> str | None:
    if tlv.indefinite:
        return "indefinite length"
    header = tlv.header
    at = tlv.tag_end - tlv.start
    if tlv.tag & 0x1F == 0x1F and header[1] == 0x80:
        return "non-minimal tag number"
    first = header[at]
    size = tlv.body_end - tlv.body
    if first & 0x80:
        length = header[at + 1:]
        if size < 0x80 or length[:1] == b"\x00":
            return "non-minimal length"
    return None


def _primitive_problem(tag: int, value: bytes) -> str | None:
    if tag in (0x02, 0x0A):                                  # INTEGER, ENUMERATED
        if not value:
            return "empty INTEGER"
        if len(value) > 1 and ((value[0] == 0 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80)):
            return "non-minimal INTEGER"
    elif tag == 0x01:
        if value not in (b"\x00", b"\xff"):
            return "BOOLEAN neither 00 nor FF"
    elif tag == 0x05:
        if value:
            return "NULL with contents"
    elif tag == 0x03:
        if not value or value[0] > 7 or (len(value) == 1 and value[0]) or (
                value[0] and value[-1] & ((1 << value[0]) - 1)):
            return "BIT STRING padding is not DER"
    elif tag == 0x06:
        if not value or value[-1] & 0x80 or any(b == 0x80 and (i == 0 or not value[i - 1] & 0x80)
                                                for i, b in enumerate(value)):
            return "non-minimal OBJECT IDENTIFIER"
    elif tag == 0x17:
        if not _UTC.match(value):
            return "UTCTime not in DER form"
    elif tag == 0x18:
        if not _GENERALIZED.match(value):
            return "GeneralizedTime not in DER form"
    return None


def deep_parse(value: core.Asn1Value) -> None:
    """Parse every level (``.native`` reaches every child asn1crypto knows a type for)."""
    value.native


def reencoding_problem(spec: type[core.Asn1Value], data: bytes) -> str | None:
    """None if ``data`` parses as ``spec`` and re-encodes to exactly ``data``."""
    try:
        value = spec.load(data, strict=True)
        deep_parse(value)
        again = value.dump(force=True)
    except (AttributeError, *ASN1_ERRORS) as exc:    # AttributeError: asn1crypto's REAL has no .native
        return f"does not parse as {spec.__name__} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if again != data:
        return f"differs from its DER re-encoding as {spec.__name__} (extra, unknown or non-DER elements)"
    return None


def der_lengths(data: bytes) -> bytes:
    """``data`` (one BER TLV) with every length definite and minimal and every constructed string
    joined into a primitive one: the DER a schema-blind re-encoder would write, SET order untouched."""
    return _relength(read_tlv(data, 0), 0)


_STRING_TAGS = {0x23, 0x24, 0x2C, 0x33, 0x34, 0x36}     # constructed BIT/OCTET/UTF8/Printable/T61/IA5


def _relength(tlv: Tlv, depth: int) -> bytes:
    if depth > MAX_DEPTH:
        raise ValueError("nesting too deep")
    tag = tlv.identifier
    if not tlv.constructed:
        body = tlv.contents
    elif tlv.tag in _STRING_TAGS:
        body = b"".join(_string_chunks(tlv, depth))
        tag = bytes([tag[0] & ~0x20]) + tag[1:]
    else:
        body = b"".join(_relength(child, depth + 1) for child in tlv.children())
    return tag + _length(len(body)) + body


def _string_chunks(tlv: Tlv, depth: int):
    if depth > MAX_DEPTH:
        raise ValueError("nesting too deep")
    for child in tlv.children():
        if child.constructed:
            yield from _string_chunks(child, depth + 1)
        else:
            yield child.contents


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def framing_problem(spec: type[core.Asn1Value], data: bytes) -> str | None:
    """For unsigned framing, which may be BER: None if ``data`` parses as ``spec`` and says nothing
    asn1crypto would drop — its re-encoding equals ``data`` with DER lengths (:func:`der_lengths`)."""
    try:
        value = spec.load(data, strict=True)
        deep_parse(value)
        # both sides through der_lengths: asn1crypto keeps some primitives' received headers
        again = der_lengths(value.dump(force=True))
        expected = der_lengths(data)
    except (AttributeError, *ASN1_ERRORS) as exc:    # AttributeError: asn1crypto's REAL has no .native
        return f"does not parse as {spec.__name__} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if again != expected:
        return f"{spec.__name__} holds elements its schema does not (extra or unknown elements)"
    return None


def dsa_signature_problem(signature: bytes) -> str | None:
    """None if ``signature`` is a DER Ecdsa-Sig-Value / SM2Signature ``SEQUENCE { r INTEGER, s INTEGER }``
    with positive r and s (OpenSSL re-encodes and compares, GM/T 0009 §7 the same structure)."""
    problem = der_problem(signature)
    if problem:
        return problem
    top = read_tlv(signature, 0)
    if top.tag != 0x30:
        return "not a SEQUENCE"
    parts = top.children()
    if len(parts) != 2 or any(p.tag != 0x02 or p.contents[0] & 0x80 for p in parts):
        return "not SEQUENCE { r INTEGER, s INTEGER } with positive r, s"
    return None


__all__ = ["ber_problem", "der_problem", "der_lengths", "framing_problem", "reencoding_problem", "dsa_signature_problem", "deep_parse"]
