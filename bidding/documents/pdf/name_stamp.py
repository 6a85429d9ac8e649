"""The visible mark of a signer who has no seal (an evaluation expert, R12): its name set in the
documents' font (WenQuanYi Zen Hei) inside a box, as a transparent PNG for the signature's
appearance (:class:`pki.pdf.StampSpec` ``seal_png``). The same inputs give the same image.

    png = name_stamp("张三", caption="评审专家签名", note="2026-12-01 10:00")
"""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bidding.documents.pdf.errors import FontUnavailable
from bidding.documents.pdf.fonts import FONT_PATH
from bidding.documents.pdf.text import clip, printable

SIDE = 480                         # pixels: the 42 mm seal box at about 290 dpi
INK = (22, 52, 140, 255)           # a dark blue, like a signing pen; distinct from a red seal
MARGIN = 18
BORDER = 6


def _font(size: int) -> ImageFont.FreeTypeFont:
    if not FONT_PATH.is_file():
        raise FontUnavailable(f"{FONT_PATH} is missing: install the Debian package fonts-wqy-zenhei")
    return ImageFont.truetype(str(FONT_PATH), size=size, index=0)


def _fit(draw: ImageDraw.ImageDraw, text: str, largest: int, width: int) -> ImageFont.FreeTypeFont:
    size = largest
    while size > 14:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 4
    return _font(14)


def name_stamp(name: str, *, caption: str = "评审专家签名", note: str = "") -> bytes:
    """A square PNG: a box with ``caption`` on top, ``name`` large in the middle, ``note`` (e.g. the
    signing time) at the bottom; transparent outside the strokes."""
    name = printable(clip(name.strip() or "—", 12))
    image = Image.new("RGBA", (SIDE, SIDE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((MARGIN, MARGIN, SIDE - MARGIN, SIDE - MARGIN), outline=INK, width=BORDER)
    inner = SIDE - 2 * MARGIN - 40
    small = _fit(draw, caption, 44, inner)
    draw.text((SIDE / 2, MARGIN + 60), printable(caption), font=small, fill=INK, anchor="mm")
    big = _fit(draw, name, 150, inner)
    draw.text((SIDE / 2, SIDE / 2 + 10), name, font=big, fill=INK, anchor="mm")
    if note:
        tiny = _fit(draw, note, 36, inner)
        draw.text((SIDE / 2, SIDE - MARGIN - 50), printable(note), font=tiny, fill=INK, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


__all__ = ["name_stamp"]
