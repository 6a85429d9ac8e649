"""Streaming DER/BER framing: write the outer headers of an envelope, walk them when reading.

asn1crypto parses whole structures in memory (STACK.md: a 256 MiB envelope took 1.33 GB), so the
big outer layers and the encrypted content are framed here by hand and only the small parts
(RecipientInfos, AlgorithmIdentifiers) go to asn1crypto. Only low tag numbers (< 31) occur in the
structures read here; anything else is refused as malformed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, Union

from pki.envelope.errors import LimitExceeded, MalformedEnvelope
from pki.envelope.limits import COUNTED_SEGMENT, MAX_DEPTH, MAX_SEGMENT_RUNS, MAX_STRUCTURE

EOC = b"\x00\x00"
SEQUENCE, SET, OCTET_STRING, INTEGER, OID = 0x30, 0x31, 0x04, 0x02, 0x06
SMALL_LIMIT = MAX_STRUCTURE   # no header part (RecipientInfos etc.) is ever bigger than this
INTERLEAVE_UP_TO = 16         # segments this small are reassembled by strided copies, bigger by join


# -- writing ----------------------------------------------------------------------------------
def encode_length(n: int | None) -> bytes:
    """DER length octets; ``None`` gives the BER indefinite form."""
    if n is None:
        return b"\x80"
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def header(tag: int, length: int | None) -> bytes:
    return bytes((tag,)) + encode_length(length)


def tlv(tag: int, content: bytes) -> bytes:
    return header(tag, len(content)) + content


class Content:
    """Placeholder for the streamed content: ``[0] IMPLICIT OCTET STRING`` (primitive in DER,
    constructed of OCTET STRING chunks in the BER indefinite form)."""


@dataclass
class Late:
    """Placeholder for a field known only after the content (the GCM tag), of a fixed encoded size."""
    name: str
    encoded_length: int


@dataclass
class Node:
    """A constructed element whose children are bytes, nodes, :class:`Content` or :class:`Late`."""
    tag: int
    children: list = field(default_factory=list)


Part = Union[bytes, Node, Content, Late]


def layout(root: Node, content_length: int | None) -> tuple[list, list]:
    """Split an envelope into what comes before and after the content.

    With ``content_length`` known everything is definite-length DER; with ``None`` every element
    around the content is indefinite-length BER. The returned lists hold bytes and :class:`Late`.
    """
    def length(part: Part) -> int:
        if isinstance(part, bytes):
            return len(part)
        if isinstance(part, Late):
            return part.encoded_length
        if isinstance(part, Content):
            return len(header(0x80, content_length)) + content_length
        inner = sum(length(c) for c in part.children)
        return len(header(part.tag, inner)) + inner

    before: list = []
    after: list = []
    seen = [False]

    def emit(part: Part) -> None:
        out = after if seen[0] else before
        if isinstance(part, (bytes, Late)):
            out.append(part)
        elif isinstance(part, Content):
            seen[0] = True
            if content_length is not None:
                before.append(header(0x80, content_length))
            else:
                before.append(b"\xa0\x80")
                after.append(EOC)
        else:
            holds = _holds_content(part)
            if content_length is None and holds:
                out.append(header(part.tag, None))
            else:
                out.append(header(part.tag, sum(length(c) for c in part.children)))
            for child in part.children:
                emit(child)
            if content_length is None and holds:
                after.append(EOC)

    emit(root)
    return _merge(before), _merge(after)


def _holds_content(node: Node) -> bool:
    return any(isinstance(c, Content) or (isinstance(c, Node) and _holds_content(c)) for c in node.children)


def _merge(parts: list) -> list:
    merged: list = []
    for p in parts:
        if isinstance(p, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


# -- reading ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Header:
    tag: int               # the identifier octet (class, constructed bit, number < 31)
    length: int | None     # None: indefinite
    offset: int            # where the identifier octet is
    header_length: int

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    @property
    def end(self) -> int | None:
        return None if self.length is None else self.offset + self.header_length + self.length


class Source:
    """A buffered reader over a binary stream (anything with ``readinto`` or ``read``) that
    tracks the absolute offset and hands out memoryviews into its own buffer, without copies."""

    def __init__(self, raw: BinaryIO, bufsize: int = 1 << 20):
        self._raw = raw
        self._buf = bytearray(bufsize)
        self._mv = memoryview(self._buf)
        self._start = self._end = 0
        self._base = 0              # absolute offset of _buf[0]
        self._eof = False
        self._readinto = getattr(raw, "readinto", None)

    @property
    def pos(self) -> int:
        return self._base + self._start

    def _raw_into(self, mv: memoryview) -> int:
        if self._readinto is not None:
            n = self._readinto(mv)
            return n or 0
        data = self._raw.read(len(mv))
        mv[:len(data)] = data
        return len(data)

    def _fill(self, need: int) -> int:
        """Make at least ``need`` bytes available (fewer only at EOF); return what is available."""
        avail = self._end - self._start
        if avail >= need or self._eof:
            return avail
        if self._start and (self._start + need > len(self._buf) or avail == 0):
            self._buf[:avail] = self._buf[self._start:self._end]
            self._base += self._start
            self._start, self._end = 0, avail
        while self._end - self._start < need and not self._eof:
            n = self._raw_into(self._mv[self._end:])
            if n == 0:
                self._eof = True
            self._end += n
        return self._end - self._start

    def peek(self, n: int) -> bytes:
        avail = self._fill(n)
        return bytes(self._buf[self._start:self._start + min(n, avail)])

    def read(self, n: int) -> bytes:
        if n > len(self._buf):
            raise MalformedEnvelope(f"element too large at offset {self.pos}")
        if self._fill(n) < n:
            raise MalformedEnvelope(f"truncated at offset {self.pos + self._end - self._start}")
        data = bytes(self._buf[self._start:self._start + n])
        self._start += n
        return data

    def chunk(self, limit: int) -> memoryview:
        """Up to ``limit`` bytes (at least one unless at EOF), as a view valid until the next call."""
        if self._end == self._start:
            self._base += self._end
            self._start = self._end = 0
            self._fill(1)
        n = min(limit, self._end - self._start)
        view = self._mv[self._start:self._start + n]
        self._start += n
        return view

    def take_run(self, head: bytes, length: int, limit: int | None) -> memoryview | None:
        """Consume the segments that follow, as far as the buffer holds them (and within ``limit``
        bytes), while each is exactly ``head`` followed by ``length`` octets: a run of equal BER
        segments. Return their octets joined, or None if the next segment is not one of them.

        The headers are compared and the octets gathered with strided slices, in C: 24 MiB of
        1-byte segments cost a few dozen Python steps per MiB, not one per segment."""
        stride = len(head) + length
        if self._end - self._start < stride:
            self._fill(stride)
        start, buf = self._start, self._buf
        avail = self._end - start if limit is None else min(self._end - start, limit)
        most = avail // stride
        if most == 0 or buf[start:start + len(head)] != head:
            return None
        count, window = 0, 64
        while count < most:
            w = min(window, most - count)
            base = start + count * stride
            good = w
            for j in range(len(head)):
                column = buf[base + j:base + w * stride:stride]
                good = min(good, len(column) - len(column.lstrip(head[j:j + 1])))
            count += good
            if good < w:
                break
            window *= 2
        first, stop = start + len(head), start + count * stride
        if length == 0:
            data = b""
        elif length <= INTERLEAVE_UP_TO:
            data = bytearray(count * length)
            for j in range(length):
                data[j::length] = buf[first + j:stop:stride]
        else:
            mv = self._mv
            data = b"".join([mv[i:i + length] for i in range(first, stop, stride)])
        self._start = stop
        return memoryview(data)

    def readline(self, limit: int = 1024) -> bytes:
        avail = self._fill(limit)
        window = self._buf[self._start:self._start + avail]
        cut = window.find(b"\n")
        n = avail if cut < 0 else cut + 1
        data = bytes(window[:n])
        self._start += n
        return data

    def at_eof(self) -> bool:
        return self._fill(1) == 0

    def skip(self, n: int) -> None:
        """Move ``n`` bytes on; over a seekable file, without reading them."""
        buffered = min(n, self._end - self._start)
        self._start += buffered
        n -= buffered
        seekable = getattr(self._raw, "seekable", None)
        if n and seekable is not None and seekable():
            self._base += self._end + n
            self._start = self._end = 0
            self._raw.seek(n, 1)
            return
        while n:
            view = self.chunk(n)
            if not view:
                raise MalformedEnvelope(f"truncated at offset {self.pos}")
            n -= len(view)


def read_header(src: Source) -> Header:
    offset = src.pos
    first = src.peek(2)
    if len(first) < 2:
        raise MalformedEnvelope(f"truncated at offset {offset}")
    tag, lb = first[0], first[1]
    if tag & 0x1F == 0x1F:
        raise MalformedEnvelope(f"unexpected high tag number at offset {offset}")
    if lb < 0x80:
        src.read(2)
        return Header(tag, lb, offset, 2)
    if lb == 0x80:
        if not tag & 0x20:
            raise MalformedEnvelope(f"indefinite length on a primitive element at offset {offset}")
        src.read(2)
        return Header(tag, None, offset, 2)
    n = lb & 0x7F
    if n > 8:
        raise MalformedEnvelope(f"length of {n} octets at offset {offset}")
    raw = src.read(2 + n)[2:]
    length = int.from_bytes(raw, "big")
    # BER would allow padded lengths; no encoder writes them, and refusing them means an altered
    # length byte cannot slip through as a different but still valid encoding.
    if raw[0] == 0 or length < 0x80:
        raise MalformedEnvelope(f"non-minimal length at offset {offset}")
    return Header(tag, length, offset, 2 + n)


def too_deep(offset: int) -> LimitExceeded:
    return LimitExceeded("嵌套层数过多", "nesting of constructed elements", MAX_DEPTH, offset)


def too_large(offset: int) -> LimitExceeded:
    return LimitExceeded("结构过大", "size of a structure read into memory", SMALL_LIMIT, offset)


def read_element(src: Source, *, limit: int = SMALL_LIMIT, depth: int = 0) -> tuple[Header, bytes]:
    """Read one whole element (header included) into memory: only for the small parts. An
    indefinite-length element comes back in the definite form. ``depth`` is how deep the element already sits; nothing nests beyond :data:`MAX_DEPTH`."""
    if depth > MAX_DEPTH:
        raise too_deep(src.pos)
    h = read_header(src)
    if h.length is not None:
        if h.length > limit:
            raise too_large(h.offset)
        body = src.read(h.length)
        check_encoding(h.tag, body, h.offset + h.header_length, depth)
        return h, _raw_header(h) + body
    # Indefinite form: the element is handed on re-encoded with definite lengths (its children
    # already are), since asn1crypto misreads nested indefinite lengths. Only the framing changes.
    parts = []
    total = 0
    while True:
        if src.peek(2) == EOC:
            src.read(2)
            body = b"".join(parts)
            return h, header(h.tag, len(body)) + body
        _, raw = read_element(src, limit=limit - total, depth=depth + 1)
        total += len(raw)
        if total > limit:
            raise too_large(h.offset)
        parts.append(raw)


def check_encoding(tag: int, body: bytes, offset: int, depth: int = 0) -> None:
    """Walk an element held in memory: every inner length minimal and consistent, no empty
    INTEGER. asn1crypto is lenient about these; an altered length byte must not pass as BER."""
    if tag == INTEGER and not body:
        raise MalformedEnvelope(f"empty INTEGER at offset {offset}")
    if not tag & 0x20:
        return
    if depth > MAX_DEPTH:
        raise too_deep(offset)
    i, n = 0, len(body)
    while i < n:
        if n - i < 2:
            raise MalformedEnvelope(f"truncated element at offset {offset + i}")
        inner_tag, lb = body[i], body[i + 1]
        if inner_tag & 0x1F == 0x1F:
            raise MalformedEnvelope(f"unexpected high tag number at offset {offset + i}")
        if lb == 0x80:
            raise MalformedEnvelope(f"indefinite length inside a definite one at offset {offset + i}")
        if lb < 0x80:
            length, start = lb, i + 2
        else:
            k = lb & 0x7F
            raw = body[i + 2:i + 2 + k]
            if k > 8 or len(raw) < k or raw[0] == 0 or int.from_bytes(raw, "big") < 0x80:
                raise MalformedEnvelope(f"bad length at offset {offset + i}")
            length, start = int.from_bytes(raw, "big"), i + 2 + k
        if start + length > n:
            raise MalformedEnvelope(f"element overruns its container at offset {offset + i}")
        check_encoding(inner_tag, body[start:start + length], offset + start, depth + 1)
        i = start + length


def _raw_header(h: Header) -> bytes:
    return header(h.tag, h.length) if h.length is None else \
        bytes((h.tag,)) + _length_as_read(h)


def _length_as_read(h: Header) -> bytes:
    # Re-encode the length with the same number of octets it was read with, so that the bytes
    # handed to asn1crypto are exactly those of the file.
    n = h.header_length - 1
    if n == 1:
        return bytes((h.length,))
    return bytes((0x80 | (n - 1),)) + h.length.to_bytes(n - 1, "big")


def content_chunks(src: Source, h: Header, chunk: int = 1 << 20, depth: int = 0) -> Iterator[memoryview]:
    """The octets of an OCTET STRING-like element, primitive or constructed (BER segments), in
    pieces of at most ``chunk`` bytes. Each view is valid until the next one is requested.

    Walked without recursion and without holding the segments: a run of equal segments is taken a
    buffer at a time (:meth:`Source.take_run`); constructed segments may nest :data:`MAX_DEPTH`
    deep; each change of segment size counts against :data:`MAX_SEGMENT_RUNS`."""
    if not h.constructed:
        yield from _primitive_chunks(src, h.length, chunk)
        return
    ends: list[int | None] = [h.end]      # the open constructed segments
    runs = 0
    while ends:
        end = ends[-1]
        if end is None:
            if src.peek(2) == EOC:
                src.read(2)
                ends.pop()
                continue
        elif src.pos >= end:
            if src.pos > end:
                raise MalformedEnvelope(f"content overruns its length at offset {end}")
            ends.pop()
            continue
        inner = read_header(src)
        if inner.tag not in (OCTET_STRING, OCTET_STRING | 0x20):
            raise MalformedEnvelope(f"expected an OCTET STRING chunk at offset {inner.offset}")
        if end is not None and (inner.end is None or inner.end > end):
            raise MalformedEnvelope(f"content chunk overruns its container at offset {inner.offset}")
        if inner.constructed or inner.length <= COUNTED_SEGMENT:
            runs += 1
            if runs > MAX_SEGMENT_RUNS:
                raise LimitExceeded("内容分段大小变化次数过多", "changes of BER segment size in the content",
                                    MAX_SEGMENT_RUNS, inner.offset)
        if inner.constructed:
            if depth + len(ends) >= MAX_DEPTH:
                raise too_deep(inner.offset)
            ends.append(inner.end)
            continue
        yield from _primitive_chunks(src, inner.length, chunk)
        if inner.length > COUNTED_SEGMENT:
            continue
        head = _raw_header(inner)
        while True:
            run = src.take_run(head, inner.length, None if end is None else end - src.pos)
            if run is None:
                break
            if run:
                yield run


def _primitive_chunks(src: Source, length: int, chunk: int) -> Iterator[memoryview]:
    left = length
    while left:
        view = src.chunk(min(left, chunk))
        if not view:
            raise MalformedEnvelope(f"truncated content at offset {src.pos}")
        left -= len(view)
        yield view


class Frame:
    """Walks nested constructed elements, checking that each one ends where its length says."""

    def __init__(self, src: Source):
        self.src = src
        self.stack: list[Header] = []

    def enter(self, tag: int, what: str) -> Header:
        h = read_header(self.src)
        if h.tag != tag:
            raise MalformedEnvelope(f"expected {what} at offset {h.offset}")
        self._check_inside(h)
        self.stack.append(h)
        return h

    def at_end(self) -> bool:
        h = self.stack[-1]
        if h.length is None:
            return self.src.peek(2) == EOC
        return self.src.pos >= h.end

    def peek_tag(self) -> int | None:
        if self.at_end():
            return None
        data = self.src.peek(1)
        if not data:
            raise MalformedEnvelope(f"truncated at offset {self.src.pos}")
        return data[0]

    def element(self, tag: int | None, what: str, *, strings_of: int | None = None) -> bytes:
        """One whole element of tag ``tag`` (any if None); with ``strings_of``, that string type in
        its primitive or its constructed (BER) form."""
        h, raw = read_element(self.src, depth=len(self.stack))
        if (tag is not None and h.tag != tag) or (strings_of is not None and h.tag & ~0x20 != strings_of):
            raise MalformedEnvelope(f"expected {what} at offset {h.offset}")
        if self.stack and self.stack[-1].end is not None and self.src.pos > self.stack[-1].end:
            raise MalformedEnvelope(f"{what} overruns its container at offset {h.offset}")
        return raw

    def leave(self, what: str) -> None:
        h = self.stack.pop()
        if h.length is None:
            if self.src.read(2) != EOC:
                raise MalformedEnvelope(f"missing end-of-contents after {what} at offset {self.src.pos - 2}")
        elif self.src.pos != h.end:
            raise MalformedEnvelope(f"{what} does not end where its length says (offset {h.end})")

    def _check_inside(self, h: Header) -> None:
        if self.stack and h.end is not None and self.stack[-1].end is not None \
                and h.end > self.stack[-1].end:
            raise MalformedEnvelope(f"element at offset {h.offset} overruns its container")
