"""The exact form of a cross-page seal's slice on a page, shared by the code that writes it
(:mod:`pki.pdf.pages`) and the difference policy that recognises it (:mod:`pki.pdf.policy`).

Adding a slice to a page changes nothing but:

- ``/Contents`` (an array): one stream ``q`` is put in front of the page's streams and one stream
  ``Q q w 0 0 h x y cm /Name Do Q`` after them, so the page's own drawing cannot move the slice and
  the slice touches nothing of it;
- ``/Resources /XObject``: the one new name, pointing at a new image XObject (DeviceRGB or DeviceGray,
  8 bits, optionally with a DeviceGray soft mask, nothing else);
- the box ``x y w h`` lies on the right edge of the page's visible area and is at most
  :data:`MAX_SLICE_SIDE` points wide and high.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

OPEN = b"q\n"
NAME_PREFIX = "EbSlice"
#: A slice is part of a seal: no side of it is larger than a seal (the default is 120 points).
MAX_SLICE_SIDE = 288.0
#: How far (points) a slice's right edge may be from the page's right edge (rounding).
EDGE_TOLERANCE = 0.5
#: Image XObjects of a slice: what the writer puts in them, and nothing else.
IMAGE_KEYS = frozenset({"/Type", "/Subtype", "/Width", "/Height", "/ColorSpace", "/BitsPerComponent", "/SMask",
                        "/Filter", "/Length"})
MAX_IMAGE_PIXELS = 4096
MAX_STREAM_BYTES = 1024

_NUMBER = rb"-?\d{1,6}(?:\.\d{1,4})?"
_SLICE = re.compile(rb"Q\nq (" + _NUMBER + rb") 0 0 (" + _NUMBER + rb") (" + _NUMBER + rb") (" + _NUMBER
                    + rb") cm /([A-Za-z0-9]{1,64}) Do Q\n")


@dataclass(frozen=True)
class SliceOp:
    """A slice drawn: XObject ``name`` in the box ``x, y, width, height`` (points)."""

    name: str
    x: float
    y: float
    width: float
    height: float


def number(value: float) -> bytes:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode("ascii")


def slice_stream(op: SliceOp) -> bytes:
    """The content stream drawing ``op`` after the page's own content."""
    return (b"Q\nq " + number(op.width) + b" 0 0 " + number(op.height) + b" " + number(op.x) + b" "
            + number(op.y) + b" cm /" + op.name.encode("ascii") + b" Do Q\n")


def parse_slice_stream(data: bytes) -> SliceOp | None:
    """The slice a stream draws, if the stream is exactly a slice stream, else None."""
    match = _SLICE.fullmatch(data)
    if match is None:
        return None
    width, height, x, y = (float(g) for g in match.groups()[:4])
    return SliceOp(match.group(5).decode("ascii"), x, y, width, height)


def on_right_edge(op: SliceOp, box: tuple[float, float, float, float]) -> bool:
    """Whether the slice lies on the right edge of the page's visible area ``box`` and is no larger
    than a seal."""
    x1, y1, x2, y2 = box
    return (0 < op.width <= MAX_SLICE_SIDE and 0 < op.height <= MAX_SLICE_SIDE
            and abs(op.x + op.width - x2) <= EDGE_TOLERANCE and op.x >= x1 - EDGE_TOLERANCE
            and op.y >= y1 - EDGE_TOLERANCE and op.y + op.height <= y2 + EDGE_TOLERANCE)


__all__ = ["OPEN", "NAME_PREFIX", "MAX_SLICE_SIDE", "SliceOp", "slice_stream", "parse_slice_stream", "on_right_edge",
           "IMAGE_KEYS", "MAX_IMAGE_PIXELS", "MAX_STREAM_BYTES", "number"]
