"""The contract PDF made from an award (bidding.documents.pdf.award_contract), read back with
poppler: the parties with their credit codes, the tender's and the award notice's ids, the price in
figures and capitals, the purchaser's terms (hostile text shown as written), three pages each with
the document id, the two seal boxes on the last page with the right edge left empty for the 骑缝章;
the same data give the same bytes; bad data are refused naming the field."""
from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from support.pdfwitness import text_of

from bidding.documents import pdf as docs

DOC_ID = "K7QM-3XZP-9D2W-HT4B"
VERIFY = f"https://ebid.example.cn/verify?doc={DOC_ID}"
DATA = docs.AwardContractData(
    contract_number="HT-000012-1", project=docs.ProjectRef("CG-000007", "2027 年度办公设备采购"),
    tender_number="ZB-2026-00000007", award_notice_id="P3XR-7KQM-2D9W-HT5C",
    purchaser=docs.PartyRef("广州市教育装备中心", "12440100455352041E", address="广州市越秀区中山一路"),
    supplier=docs.PartyRef("深圳华拓信息技术有限公司", "91440300MA5EXAMP1X"),
    subject="2027 年度办公设备采购", amount=Decimal("1234567.89"),
    payment_terms="验收合格后支付 <b>100%</b> & 无预付款", delivery_place="广州市越秀区中山一路 1 号",
    delivery_date=date(2027, 3, 31), drafted_on=date(2026, 12, 2))


def render(data: docs.AwardContractData = DATA) -> docs.RenderedDocument:
    return docs.render_award_contract(data, document_id=DOC_ID, verify_url=VERIFY)


def test_the_contract_shows_its_data_on_three_pages():
    rendered = render()
    text = "".join(text_of(rendered.pdf).split())
    for expected in ("12440100455352041E", "91440300MA5EXAMP1X", "ZB-2026-00000007", "P3XR-7KQM-2D9W-HT5C",
                     "人民币1,234,567.89元", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "验收合格后支付<b>100%</b>&无预付款",
                     "2027年03月31日", "HT-000012-1"):
        assert expected in text, expected
    assert rendered.page_count == 3 and text.count(DOC_ID) >= 3
    assert sorted(rendered.seal_boxes) == ["purchaser", "supplier"]
    assert {box.page for box in rendered.seal_boxes.values()} == {3}
    width = rendered.page_size[0]
    assert all(box.x + box.size < width - 20 * 72 / 25.4 + 1 for box in rendered.seal_boxes.values())
    fonts = subprocess.run(["pdffonts", "-"], input=rendered.pdf, capture_output=True, timeout=60).stdout.decode()
    assert "Helvetica" not in fonts and "WenQuanYi" in fonts


def test_same_data_same_bytes_and_a_change_shows():
    assert render().pdf == render().pdf
    assert render(replace(DATA, delivery_date=date(2027, 4, 1))).pdf != render().pdf


@pytest.mark.parametrize("changes, field", [
    ({"amount": Decimal(0)}, "amount"), ({"payment_terms": " "}, "payment_terms"),
    ({"delivery_date": date(2026, 12, 1)}, "delivery_date"), ({"tender_number": ""}, "tender_number")])
def test_bad_data_are_refused_naming_the_field(changes, field):
    with pytest.raises((docs.InvalidDocumentData, docs.InvalidAmount)) as refused:
        replace(DATA, **changes)
    assert refused.value.details.get("field") == field


def test_a_float_amount_is_refused():
    with pytest.raises(docs.InvalidAmount):
        replace(DATA, amount=1.5)
