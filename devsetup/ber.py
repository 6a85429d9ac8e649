"""Developer tooling for tests and benchmarks: re-encode a DER envelope the way other encoders
(or attackers) frame it: every constructed element in the indefinite-length form, the encrypted content as a constructed
OCTET STRING of segments of a chosen size (1 byte at the extreme). The bytes inside each element
are unchanged, so ``openssl cms -decrypt -inform DER`` reads the result as it reads the original."""
from __future__ import annotations

EOC = b"\x00\x00"


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """(length, octets of the length field) of the length at ``pos``."""
    first = data[pos]
    if first < 0x80:
        return first, 1
    n = first & 0x7F
    return int.from_bytes(data[pos + 1:pos + 1 + n], "big"), 1 + n


def segments(content: bytes, size: int) -> bytes:
    """``content`` as primitive OCTET STRING segments of ``size`` bytes (the last may be shorter)."""
    if size == 1:
        out = bytearray(3 * len(content))
        out[0::3] = b"\x04" * len(content)
        out[1::3] = b"\x01" * len(content)
        out[2::3] = content
        return bytes(out)
    parts = []
    for i in range(0, len(content), size):
        piece = content[i:i + size]
        n = len(piece)
        head = bytes((n,)) if n < 0x80 else bytes((0x80 | ((n.bit_length() + 7) // 8),)) + \
            n.to_bytes((n.bit_length() + 7) // 8, "big")
        parts.append(b"\x04" + head + piece)
    return b"".join(parts)


def to_indefinite(der: bytes, segment: int = 1000, content=None) -> bytes:
    """Every constructed element of the envelope ``der`` in the indefinite form, and its encrypted
    content (``[0] IMPLICIT OCTET STRING`` inside EncryptedContentInfo) as a constructed string of
    ``segment``-byte OCTET STRINGs, or framed by ``content(octets) -> bytes`` if given."""
    out = bytearray()
    frame = content or (lambda octets: segments(octets, segment))

    def walk(pos: int, end: int, depth: int, parent: int | None) -> None:
        while pos < end:
            tag = der[pos]
            length, n = _length(der, pos + 1)
            start = pos + 1 + n
            stop = start + length
            if tag & 0x20:
                out.extend(bytes((tag, 0x80)))
                walk(start, stop, depth + 1, tag)
                out.extend(EOC)
            elif tag == 0x80 and depth == 4 and parent == 0x30:
                out.extend(b"\xa0\x80")
                out.extend(frame(der[start:stop]))
                out.extend(EOC)
            else:
                out.extend(der[pos:stop])
            pos = stop

    walk(0, len(der), 0, None)
    return bytes(out)


def nested_octet_strings(depth: int, inner: bytes = b"\x04\x01x") -> bytes:
    """``depth`` constructed OCTET STRINGs inside one another (indefinite form) around ``inner``."""
    return b"\x24\x80" * depth + inner + EOC * depth
