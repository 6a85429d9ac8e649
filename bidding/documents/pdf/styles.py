"""Paragraph and table styles of every document, and the few table shapes they share (a field
table of label/value pairs, a grid with a repeated header row that splits across pages)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from bidding.documents.pdf.fonts import cjk_font
from bidding.documents.pdf.text import markup

INK = colors.black
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#888888")
SHADE = colors.HexColor("#EEEEEE")


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    clause: ParagraphStyle          # body text with the customary two-character first-line indent
    note: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_right: ParagraphStyle
    cell_head: ParagraphStyle
    label: ParagraphStyle


@lru_cache(maxsize=1)
def styles() -> Styles:
    """The styles (made once, after the font is registered)."""
    font = cjk_font()

    def style(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK",
                              textColor=kw.pop("textColor", INK), **kw)

    cell = style("cell", 9, 13)
    return Styles(
        title=style("title", 18, 26, alignment=TA_CENTER, spaceAfter=4),
        subtitle=style("subtitle", 10, 15, alignment=TA_CENTER, textColor=MUTED, spaceAfter=10),
        heading=style("heading", 12, 18, spaceBefore=10, spaceAfter=4),
        body=style("body", 10.5, 18, alignment=TA_JUSTIFY, spaceAfter=4),
        clause=style("clause", 10.5, 18, alignment=TA_JUSTIFY, firstLineIndent=21, spaceAfter=3),
        note=style("note", 8.5, 12.5, textColor=MUTED, spaceAfter=2),
        cell=cell,
        cell_center=ParagraphStyle("cell_center", parent=cell, alignment=TA_CENTER),
        cell_right=ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT),
        cell_head=ParagraphStyle("cell_head", parent=cell, alignment=TA_CENTER),
        label=style("label", 10, 15, alignment=TA_LEFT),
    )


def para(text: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph showing ``text`` literally (escaped; line breaks kept)."""
    return Paragraph(markup(text), style or styles().body)


def base_table_style() -> list[tuple]:
    """Every table names the CJK font: reportlab's default cell font is an unembedded Helvetica.
    Cells align to the top: reportlab splits a row taller than a page only then."""
    return [("FONTNAME", (0, 0), (-1, -1), cjk_font()),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]


def field_table(fields: Sequence[tuple[str, str]], label_width: str = "28%") -> Table:
    """Label/value pairs, one per row (项目名称 | …); splits between and within rows."""
    s = styles()
    rows = [[_cell(label, s.cell), _cell(value, s.cell)] for label, value in fields]
    value_width = f"{100 - float(label_width.rstrip('%'))}%"
    table = Table(rows, colWidths=[label_width, value_width], splitByRow=1, splitInRow=24, hAlign="CENTER")
    table.setStyle(TableStyle(base_table_style() + [("BACKGROUND", (0, 0), (0, -1), SHADE)]))
    table.spaceBefore, table.spaceAfter = 2, 6
    return table


def grid(header: Sequence[str], rows: Sequence[Sequence[str | Flowable]], widths: Sequence[str], *,
         align: str = "", footer_rows: int = 0) -> Table:
    """A table with ``header`` repeated on every page it spans. ``align`` has one letter per column
    (``l``eft, ``c``entre, ``r``ight; left where missing); the last ``footer_rows`` rows are shaded
    (totals)."""
    s = styles()
    by_letter = {"l": s.cell, "c": s.cell_center, "r": s.cell_right}
    cell_styles = [by_letter.get(align[i] if i < len(align) else "l", s.cell) for i in range(len(header))]
    data = [[_cell(h, s.cell_head) for h in header]]
    data += [[_cell(v, cell_styles[i]) for i, v in enumerate(row)] for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1, splitByRow=1, splitInRow=24, hAlign="CENTER")
    commands = base_table_style() + [("BACKGROUND", (0, 0), (-1, 0), SHADE)]
    if footer_rows:
        commands.append(("BACKGROUND", (0, -footer_rows), (-1, -1), SHADE))
    table.setStyle(TableStyle(commands))
    table.spaceBefore, table.spaceAfter = 2, 6
    return table


def _cell(value: str | Flowable, style: ParagraphStyle) -> list[Flowable]:
    """A cell as a list of flowables: reportlab splits a row taller than a page only for such cells
    (a bare Paragraph cell makes the whole table "too large")."""
    return [value if isinstance(value, Flowable) else Paragraph(markup(value), style)]
