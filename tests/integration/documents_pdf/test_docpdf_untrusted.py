"""Text from users reaches the documents: mark-up characters, control and bidi characters, scripts
and emoji the font lacks, and names far too long. None of it may break rendering, be read as
mark-up, or vanish without a trace (a missing glyph shows as □)."""
from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import DOC_ID, VERIFY_URL, opening_entries, sample

from bidding.documents.pdf.text import MISSING, clip, markup, printable

MARKUP = '<b>粗体</b> & <para> </font> &amp; "引号" \'单引号\' R&D <script>alert(1)</script> <br/> <img src="x"/>'
RTL = "שלום مرحبا \u202e反转文字\u202c \u200f"
EMOJI = "😀🎉 👨\u200d👩\u200d👧 \U0001F1E8\U0001F1F3 text"
CONTROL = "控制\x00字符\x07\x1b[31m 与 \ud800 孤立代理项 \x7f\x85 \uFEFF"
LONG = "超长名称" * 1500                                                      # 6,000 characters, no space


def test_markup_escapes_and_marks_what_cannot_be_drawn() -> None:
    assert markup("<a> & b") == "&lt;a&gt; &amp; b"
    assert markup("第一行\n第二行\r\n第三行\t完") == "第一行<br/>第二行<br/>第三行 完"
    assert printable("A股 ¥1,000（测试）—…") == "A股 ¥1,000（测试）—…"
    assert printable("😀") == MISSING
    assert printable("\u202e\x00\ud800") == MISSING * 3
    assert printable("שלום") == MISSING * 4                                 # the font has no Hebrew
    assert clip("  甲  乙\n丙 ", 10) == "甲 乙 丙"
    assert clip("甲" * 60, 48) == "甲" * 47 + "…"


@pytest.fixture
def hostile_agreement():
    fn, data = sample("delegation_agreement")
    purchaser = replace(data.purchaser, name=MARKUP, address=CONTROL)
    agency = replace(data.agency, name=RTL + LONG)
    return fn, replace(data, purchaser=purchaser, agency=agency, project_name=EMOJI, scope=CONTROL + LONG,
                       agency_fee_terms=LONG * 3, extra_clauses=("<br/>" * 200, "x" * 5000, MARKUP))


def test_hostile_text_renders_literally(hostile_agreement, read_pdf) -> None:
    fn, data = hostile_agreement
    doc = fn(data, document_id=DOC_ID, verify_url=VERIFY_URL)
    reader = read_pdf(doc.pdf)
    assert all(f["emb"] == "yes" and "Helvetica" not in f["name"] for f in reader.fonts())
    flat = reader.flat_text()
    assert "".join(MARKUP.split()) in flat                   # shown as written, not interpreted
    assert "<br/><br/>" in flat
    assert "R&D" in flat and "&amp;" in flat
    assert "反转文字" in flat and MISSING in flat
    assert "text" in flat and "控制" in flat and "孤立代理项" in flat
    assert min(flat.count(ch) for ch in "超长名称") >= 1500 * 5   # every copy of the long text is there
    assert set(doc.seal_boxes) == {"purchaser", "agency"}
    assert doc.page_count > 5
    box = doc.seal_boxes["agency"]
    assert box.page == doc.page_count or box.page == doc.page_count - 1


def test_same_hostile_data_same_bytes(hostile_agreement) -> None:
    fn, data = hostile_agreement
    first = fn(data, document_id=DOC_ID, verify_url=VERIFY_URL).pdf
    assert fn(data, document_id=DOC_ID, verify_url=VERIFY_URL).pdf == first


def test_a_table_row_taller_than_a_page_splits(read_pdf) -> None:
    fn, data = sample("opening_record")
    entries = list(opening_entries(3))
    entries[1] = replace(entries[1], bidder=LONG[:3000], remark=MARKUP + LONG)
    doc = fn(replace(data, entries=tuple(entries)), document_id=DOC_ID, verify_url=VERIFY_URL)
    flat = read_pdf(doc.pdf).flat_text()
    # lines of the two split cells interleave in the extracted text: count characters, not words
    assert min(flat.count(ch) for ch in "超长名称") == 750 + 1500
    assert "投标单位003有限公司" in flat
    assert doc.page_count >= 4


@pytest.mark.parametrize("kind", ["score_sheet", "opinion_sheet", "expert_commitment", "result_notice", "contract",
                                  "summary_sheet", "qualification_review", "review_opinion"])
def test_every_kind_survives_hostile_names(kind, read_pdf) -> None:
    fn, data = sample(kind)
    changes = {}
    for field in ("bidder", "subject", "opinion", "reason", "price_method", "documents_title", "opinion"):
        if hasattr(data, field) and isinstance(getattr(data, field), str):
            changes[field] = MARKUP + RTL + EMOJI + CONTROL + LONG[:2000]
    if hasattr(data, "expert"):
        changes["expert"] = replace(data.expert, name=MARKUP + LONG[:400], employer=EMOJI)
    if hasattr(data, "recipient"):
        changes["recipient"] = replace(data.recipient, name=MARKUP + RTL)
    if hasattr(data, "supplier"):
        changes["supplier"] = replace(data.supplier, name=MARKUP + EMOJI)
    if hasattr(data, "bidders") and data.bidders and isinstance(data.bidders[0], str):
        changes["bidders"] = (MARKUP, RTL, EMOJI, LONG[:1000])
    assert changes, kind
    doc = fn(replace(data, **changes), document_id=DOC_ID, verify_url=VERIFY_URL)
    assert doc.seal_boxes
    assert "".join(MARKUP.split())[:40] in read_pdf(doc.pdf).flat_text()
