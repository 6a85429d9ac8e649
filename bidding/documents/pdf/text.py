"""Text from the platform's data made safe to lay out: escaped for reportlab's Paragraph mark-up,
with every character the font cannot draw made visible as □, and dates in Beijing time.

Names and descriptions come from users: ``<``, ``&`` or an unbalanced tag would otherwise be read
as mark-up (and either raise or change the document), control and bidi-override characters could
hide or reorder text, and glyphs missing from the font would vanish without a trace.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from xml.sax.saxutils import escape

from bidding.documents.pdf.fonts import covered_codepoints

BEIJING = timezone(timedelta(hours=8))
MISSING = "□"                    # U+25A1, in the font: shows where a character could not be drawn
_KEEP = {"\n", " "}


def printable(text: str) -> str:
    """Plain text the font can draw: line ends normalised, tabs as spaces, every control, format,
    surrogate or private-use character and every character without a glyph replaced by □."""
    covered = covered_codepoints()
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    out = []
    for ch in text:
        if ch in _KEEP:
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or ord(ch) not in covered:
            out.append(MISSING)
        else:
            out.append(ch)
    return "".join(out)


def markup(text: str) -> str:
    """``text`` as Paragraph mark-up that shows exactly the text (line breaks kept)."""
    return escape(printable(text)).replace("\n", "<br/>")


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, the cut marked with …; for labels that must stay one block."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def as_beijing(moment: datetime | date) -> datetime:
    """A date (midnight) or a datetime in Beijing time; a naive datetime is taken as Beijing time."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(0), BEIJING)
    return moment.replace(tzinfo=BEIJING) if moment.tzinfo is None else moment.astimezone(BEIJING)


def fmt_date(day: date | datetime) -> str:
    """2026年11月23日"""
    day = as_beijing(day) if isinstance(day, datetime) else day
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def fmt_datetime(moment: datetime, *, compact: bool = False) -> str:
    """2026年11月23日 09:30:00, or 2026-11-23 09:30:00 for table cells (Beijing time; documents say so
    once where times appear)"""
    moment = as_beijing(moment)
    return f"{moment:%Y-%m-%d %H:%M:%S}" if compact else f"{fmt_date(moment)} {moment:%H:%M:%S}"


def chinese_numeral(n: int) -> str:
    """Clause and rank numbers: 1 → 一, 10 → 十, 21 → 二十一, 99 → 九十九; from 100 on, figures."""
    digits = "零一二三四五六七八九"
    if not 1 <= n <= 99:
        return str(n)
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
