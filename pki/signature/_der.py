"""The few DER headers written by hand, so that attached content can be streamed into a SignedData
without holding it (asn1crypto builds whole structures in memory)."""
from __future__ import annotations

from asn1crypto import cms


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def header(tag: int, n: int) -> bytes:
    return bytes([tag]) + length(n)


SEQUENCE = 0x30
SET = 0x31
OCTET_STRING = 0x04
CONTEXT_0_CONSTRUCTED = 0xA0


def set_of(contents: bytes) -> bytes:
    """``SET`` header plus contents: the DER of signed attributes as they are signed (RFC 5652 §5.4)."""
    return header(SET, len(contents)) + contents


def encap_header(content_type: str, size: int | None) -> bytes:
    """DER of an EncapsulatedContentInfo up to its content bytes, for ``size`` bytes of content
    (``None``: detached, the whole structure)."""
    oid = cms.ContentType(content_type).dump()
    if size is None:
        return header(SEQUENCE, len(oid)) + oid
    octet = header(OCTET_STRING, size)
    explicit = header(CONTEXT_0_CONSTRUCTED, len(octet) + size)
    return header(SEQUENCE, len(oid) + len(explicit) + len(octet) + size) + oid + explicit + octet
