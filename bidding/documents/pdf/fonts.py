"""The one font of every document: WenQuanYi Zen Hei (Debian fonts-wqy-zenhei), registered once.

reportlab embeds only TrueType-outline fonts (Noto CJK is CFF and refused); Zen Hei is TrueType,
covers CJK, Latin and the usual punctuation, and reportlab embeds the subset a document uses, so the
PDF renders the same in any viewer. Characters the font cannot draw are replaced before layout
(:func:`bidding.documents.pdf.text.printable`), so nothing is silently dropped.
"""
from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from bidding.documents.pdf.errors import FontUnavailable

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT_NAME = "WenQuanYiZenHei"
_SUBFONT = 0                      # the .ttc holds Zen Hei (0) and Zen Hei Mono (1)

_lock = threading.Lock()
_codepoints: frozenset[int] | None = None


def cjk_font() -> str:
    """Register the font with reportlab (once per process, thread-safe) and return its name."""
    global _codepoints
    if _codepoints is None:
        with _lock:
            if _codepoints is None:
                if not FONT_PATH.is_file():
                    raise FontUnavailable(f"{FONT_PATH} is missing: install the Debian package fonts-wqy-zenhei")
                font = TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=_SUBFONT)
                pdfmetrics.registerFont(font)
                _codepoints = frozenset(font.face.charToGlyph)
    return FONT_NAME


def covered_codepoints() -> frozenset[int]:
    """The code points the font has a glyph for."""
    cjk_font()
    assert _codepoints is not None
    return _codepoints
