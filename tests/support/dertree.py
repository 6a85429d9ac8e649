"""A tiny DER/BER tree for structural mutations in tests: parse any TLV into nodes, alter them, write
them back. Writes definite lengths only (``indefinite=True`` on a constructed node writes 0x80 … 00 00)
and keeps every primitive's bytes exactly as given, so a test decides each byte that is signed."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Node:
    tag: int                      # the identifier octet (single-byte tags only: enough for CMS)
    value: bytes = b""            # primitive contents
    children: list["Node"] = field(default_factory=list)
    indefinite: bool = False

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def __getitem__(self, index: int) -> "Node":
        return self.children[index]

    def encode(self) -> bytes:
        body = b"".join(c.encode() for c in self.children) if self.constructed else self.value
        if self.indefinite:
            return bytes([self.tag, 0x80]) + body + b"\x00\x00"
        return bytes([self.tag]) + length(len(body)) + body

    def find(self, predicate) -> "Node | None":
        """Depth-first: the first node for which ``predicate(node)`` holds."""
        if predicate(self):
            return self
        for child in self.children:
            hit = child.find(predicate)
            if hit is not None:
                return hit
        return None


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def parse(data: bytes) -> Node:
    node, end = _parse(data, 0)
    assert end == len(data), "trailing bytes"
    return node


def _parse(data: bytes, at: int) -> tuple[Node, int]:
    tag = data[at]
    assert tag & 0x1F != 0x1F, "multi-byte tags are not supported here"
    first = data[at + 1]
    at += 2
    if first == 0x80:                                   # indefinite (BER)
        node = Node(tag, indefinite=True)
        while data[at:at + 2] != b"\x00\x00":
            child, at = _parse(data, at)
            node.children.append(child)
        return node, at + 2
    if first & 0x80:
        n = first & 0x7F
        size = int.from_bytes(data[at:at + n], "big")
        at += n
    else:
        size = first
    end = at + size
    if tag & 0x20:
        node = Node(tag)
        while at < end:
            child, at = _parse(data, at)
            node.children.append(child)
        return node, end
    return Node(tag, value=data[at:end]), end


def oid(dotted: str) -> bytes:
    """The DER contents of an OBJECT IDENTIFIER (to find attributes by type)."""
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)
