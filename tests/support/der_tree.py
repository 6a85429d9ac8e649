"""A small DER/BER tree: parse bytes into nodes, change the nodes, write bytes again.

Parsing keeps everything needed to write the input back byte for byte: definite lengths (also
non-minimal ones) and indefinite lengths with their end-of-contents octets, multi-byte tags, and
OCTET STRING / BIT STRING values that themselves hold DER (signed attributes, a TSTInfo, an
extension value) as children, so mutations reach inside them too. Writing is the inverse, plus
what the mutations set on a node: a length that lies (``length_delta``), a length form, and
``wrappers`` (constructed layers around the node, written without recursion so that thousands of
them cost nothing here).
"""
from __future__ import annotations

from dataclasses import dataclass, field

EOC = b"\x00\x00"
OCTET_STRING, BIT_STRING = 0x04, 0x03
#: Deeper than any real structure: a deeper input is not a tree this module can hold.
MAX_DEPTH = 200


class ParseError(ValueError):
    """The bytes are not a sequence of complete BER elements."""


@dataclass
class Node:
    tag: bytes                                  # the identifier octets, as read
    value: bytes = b""                          # contents, when ``children`` is None
    children: list[Node] | None = None          # contents as elements (constructed, or DER inside a string)
    indefinite: bool = False                    # BER indefinite length, closed by EOC
    length_octets: int = 0                      # long-form length octets as read when more than minimal
    encapsulated: bool = False                  # a primitive string whose contents are ``children``
    prefix: bytes = b""                         # before the children of an encapsulated BIT STRING: unused bits
    length_delta: int = 0                       # mutation: the length field says this much more (or less)
    wrappers: list[tuple[bytes, bool]] = field(default_factory=list)   # mutation: (tag, indefinite), innermost first

    @property
    def constructed(self) -> bool:
        return bool(self.tag[0] & 0x20)

    @property
    def tag_number(self) -> int:
        return self.tag[0] if len(self.tag) == 1 else -1

    def contents(self) -> bytes:
        if self.children is None:
            return self.value
        return self.prefix + b"".join(child.encode() for child in self.children)

    def encode(self) -> bytes:
        contents = self.contents()
        if self.indefinite:
            data = self.tag + b"\x80" + contents + EOC
        else:
            data = self.tag + encode_length(max(0, len(contents) + self.length_delta), self.length_octets) + contents
        for tag, indefinite in self.wrappers:
            data = tag + b"\x80" + data + EOC if indefinite else tag + encode_length(len(data)) + data
        return data

    def walk(self, path: tuple[int, ...] = ()):
        """(path, node, parent) for this node and every node below it, depth first, without recursion."""
        stack = [(path, self, None)]
        while stack:
            here, node, parent = stack.pop()
            yield here, node, parent
            for index in reversed(range(len(node.children or ()))):
                stack.append(((*here, index), node.children[index], node))


def encode_length(n: int, octets: int = 0) -> bytes:
    """Definite length octets: the short form below 128 unless ``octets`` asks for the long form
    with at least that many length octets (a non-minimal encoding, kept as read)."""
    if n < 0x80 and not octets:
        return bytes([n])
    size = max((n.bit_length() + 7) // 8, octets, 1)
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def parse(data: bytes) -> list[Node]:
    """Every element of ``data`` (usually one). :class:`ParseError` if anything is left over or incomplete."""
    nodes, end = _parse_many(data, 0, len(data), depth=0, until_eoc=False)
    if end != len(data):
        raise ParseError(f"{len(data) - end} bytes after the last element")
    return nodes


def encode(nodes: list[Node]) -> bytes:
    return b"".join(node.encode() for node in nodes)


def _parse_many(data: bytes, pos: int, end: int, *, depth: int, until_eoc: bool) -> tuple[list[Node], int]:
    nodes = []
    while pos < end:
        if until_eoc and data[pos:pos + 2] == EOC:
            return nodes, pos + 2
        node, pos = _parse_one(data, pos, end, depth)
        nodes.append(node)
    if until_eoc:
        raise ParseError("indefinite length without end-of-contents")
    return nodes, pos


def _parse_one(data: bytes, pos: int, end: int, depth: int) -> tuple[Node, int]:
    if depth > MAX_DEPTH:
        raise ParseError("too deep")
    start = pos
    if end - pos < 2:
        raise ParseError("truncated header")
    pos += 1
    if data[start] & 0x1F == 0x1F:
        while pos < end and data[pos] & 0x80:
            pos += 1
        pos += 1
    tag = data[start:pos]
    if pos >= end:
        raise ParseError("truncated header")
    first = data[pos]
    pos += 1
    constructed = bool(tag[0] & 0x20)
    if first == 0x80:
        if not constructed:
            raise ParseError("indefinite length on a primitive element")
        children, pos = _parse_many(data, pos, end, depth=depth + 1, until_eoc=True)
        return Node(tag, children=children, indefinite=True), pos
    length, octets = first, 0
    if first > 0x80:
        size = first & 0x7F
        if size > 8 or end - pos < size:
            raise ParseError("bad length octets")
        length = int.from_bytes(data[pos:pos + size], "big")
        pos += size
        if size != max(1, (length.bit_length() + 7) // 8) or length < 0x80:
            octets = size                       # non-minimal: kept so that the bytes come back the same
    if end - pos < length:
        raise ParseError("truncated contents")
    contents = data[pos:pos + length]
    pos += length
    if constructed:
        children, _ = _parse_many(contents, 0, len(contents), depth=depth + 1, until_eoc=False)
        return Node(tag, children=children, length_octets=octets), pos
    return _primitive(tag, contents, octets, depth), pos


def _primitive(tag: bytes, contents: bytes, octets: int, depth: int) -> Node:
    """A primitive element; an OCTET STRING or BIT STRING whose contents are DER gets them as children."""
    prefix = b"\x00" if tag == bytes([BIT_STRING]) else b""
    inner = contents[len(prefix):]
    if tag in (bytes([OCTET_STRING]), bytes([BIT_STRING])) and inner[:1] in (b"\x30", b"\x31", b"\xa0") \
            and (not prefix or contents[:1] == prefix):
        try:
            children, _ = _parse_many(inner, 0, len(inner), depth=depth + 1, until_eoc=False)
        except ParseError:
            children = None
        if children is not None and b"".join(c.encode() for c in children) == inner:
            return Node(tag, children=children, length_octets=octets, encapsulated=True, prefix=prefix)
    return Node(tag, value=contents, length_octets=octets)
