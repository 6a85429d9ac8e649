"""Every document kind, read back with poppler: fonts embedded, the data, the document id and the
verification link in the text, the seal roles, the page furniture on every page, and the same bytes
from the same data (in this process, in threads, and in a fresh process with another time zone)."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import (AGENCY, DOC_ID, EXPERTS, KINDS, PROJECT, PURCHASER, ROLES, SUPPLIER_A, SUPPLIER_B, VERIFY_URL,
                      render, sample)

from bidding.documents import pdf as docs
from bidding.documents.pdf.errors import InvalidDocumentData

# what each kind must show (white space removed), besides the document id and the link
EXPECTED = {
    "delegation_agreement": [PURCHASER.name, PURCHASER.credit_code, AGENCY.name, AGENCY.credit_code, PROJECT.name,
                             "1,234,567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分", "壹佰元零伍分",
                             "2026年11月23日至2027年11月22日", "公开招标", "按中标金额的1.2%由中标人支付"],
    "review_opinion": [PURCHASER.name, AGENCY.name, "评分办法", "价格分权重应为30%", "修改后发布", "ab" * 32],
    "opening_record": [PROJECT.number, "投标单位001有限公司", "1,000,000.00", "1,002,469.12", "解密成功",
                       "未解密（投标人原因，视为撤销投标）", "未解密（平台原因，视为撤回投标）", "共递交投标文件5份",
                       "解密成功3份", "2026年12月08日09:30:00", "工期：60天"],
    "expert_commitment": [EXPERTS[1].name, EXPERTS[1].employer, SUPPLIER_A.name, SUPPLIER_B.name, "主动提出回避"],
    "qualification_review": [EXPERTS[0].name, SUPPLIER_A.name, SUPPLIER_B.name, "列入失信被执行人名单", "不合格",
                             "资格审查合格的投标人（1家）"],
    "score_sheet": [EXPERTS[2].name, SUPPLIER_A.name, "26.5", "59.5", "近三年同类业绩3项"],
    "opinion_sheet": [EXPERTS[2].name, "应重新查询后再作结论"],
    "summary_sheet": [e.name for e in EXPERTS] + ["59.58", "980,000.00", "89.58", "资格审查不合格", "低价优先法"],
    "evaluation_report": [e.name for e in EXPERTS] + [SUPPLIER_A.name, "信用记录不符合要求", "第一中标候选人",
                                                      "专家3（孙海涛）：信用记录应重新查询", "89.58"],
    "award_notice": [SUPPLIER_A.name, SUPPLIER_A.credit_code, "980,000.00", "玖拾捌万元整", "30日内", PURCHASER.name],
    "result_notice": [SUPPLIER_B.name, SUPPLIER_A.name, "玖拾捌万元整", "资格审查不合格：信用记录不符合要求"],
    "contract": [PURCHASER.name, SUPPLIER_A.name, SUPPLIER_A.credit_code, "GZJZ-2026-0417-HT01", "玖拾捌万元整",
                 "交互式一体机", "880,000.00", "P3XR-7KQM-2D9W-HT5C", "付款方式", "骑缝章"],
    "supplier_commitment": [SUPPLIER_A.name, SUPPLIER_A.credit_code, "ebid-commitment/1", "不串通投标",
                            "2026年11月23日"],
}
# a field change per kind that must change the bytes
CHANGES = {
    "delegation_agreement": {"budget": Decimal("1234567.88")}, "review_opinion": {"conclusion": "同意发布"},
    "opening_record": {"recorded_by": "周敏敏"}, "expert_commitment": {"signed_on": date(2026, 12, 9)},
    "qualification_review": {"expert": EXPERTS[1]}, "score_sheet": {"bidder": SUPPLIER_B.name},
    "opinion_sheet": {"subject": "另一事项"}, "summary_sheet": {"tie_rule": "抽签"},
    "evaluation_report": {"bids_received": 3}, "award_notice": {"amount": Decimal("980000.01")},
    "result_notice": {"own_rank": 2}, "contract": {"contract_number": "GZJZ-2026-0417-HT02"},
    "supplier_commitment": {"signed_on": date(2026, 11, 24)},
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, docs.RenderedDocument]:
    return {kind: render(kind) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_every_font_embedded_and_no_helvetica(kind, rendered, read_pdf) -> None:
    fonts = read_pdf(rendered[kind].pdf).fonts()
    assert fonts
    assert all(f["emb"] == "yes" and f["sub"] == "yes" and f["type"] == "TrueType" for f in fonts), fonts
    assert all("WenQuanYiZenHei" in f["name"] for f in fonts), fonts
    assert not any("Helvetica" in f["name"] for f in fonts)


@pytest.mark.parametrize("kind", KINDS)
def test_text_shows_the_data_id_and_link(kind, rendered, read_pdf) -> None:
    text = read_pdf(rendered[kind].pdf).flat_text()
    for expected in EXPECTED[kind] + [DOC_ID, VERIFY_URL, docs.PLATFORM_NAME]:
        assert expected.replace(" ", "") in text, expected


@pytest.mark.parametrize("kind", KINDS)
def test_seal_roles_and_page_count(kind, rendered, read_pdf) -> None:
    doc = rendered[kind]
    assert set(doc.seal_boxes) == ROLES[kind]
    info = read_pdf(doc.pdf).info()
    assert int(info["Pages"]) == doc.page_count
    assert doc.page_size == (pytest.approx(595.28, abs=0.01), pytest.approx(841.89, abs=0.01))


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_carries_id_page_number_and_link(kind, rendered, read_pdf) -> None:
    doc = rendered[kind]
    reader = read_pdf(doc.pdf)
    for page in range(1, doc.page_count + 1):
        text = "".join(reader.text(page).split())
        assert f"文件编号：{DOC_ID}" in text
        assert f"第{page}页/共{doc.page_count}页" in text
        assert VERIFY_URL in text
        assert text.startswith(docs.PLATFORM_NAME)


def test_creation_date_and_metadata_come_from_the_data(rendered, read_pdf) -> None:
    info = read_pdf(rendered["opening_record"].pdf).info()     # opened 2026-12-08 09:30 Beijing time
    assert info["CreationDate"].strip() == "Tue Dec  8 01:30:00 2026 UTC"
    assert info["ModDate"].strip() == info["CreationDate"].strip()
    assert info["Title"].strip() == "开标记录"
    assert DOC_ID in info["Subject"] and DOC_ID in info["Keywords"]
    assert read_pdf(rendered["contract"].pdf).info()["CreationDate"].strip() == "Mon Dec 14 16:00:00 2026 UTC"


@pytest.mark.parametrize("kind", KINDS)
def test_same_data_same_bytes_and_any_change_shows(kind, rendered) -> None:
    again = render(kind)
    assert again.pdf == rendered[kind].pdf
    assert again.seal_boxes == rendered[kind].seal_boxes
    assert render(kind, **CHANGES[kind]).pdf != rendered[kind].pdf
    fn, data = sample(kind)
    assert fn(data, document_id="OTHER-ID-0001", verify_url=VERIFY_URL).pdf != rendered[kind].pdf
    assert fn(data, document_id=DOC_ID, verify_url=VERIFY_URL + "&v=2").pdf != rendered[kind].pdf


def test_different_documents_have_different_pdf_ids(rendered) -> None:
    """The /ID pair comes from the metadata (title, subject with the document id), not a clock."""
    fn, data = sample("award_notice")
    other = fn(data, document_id="OTHER-ID-0001", verify_url=VERIFY_URL).pdf
    ids = {doc_id_of(rendered["award_notice"].pdf), doc_id_of(other)}
    assert len(ids) == 2


def doc_id_of(pdf: bytes) -> bytes:
    start = pdf.rindex(b"/ID")
    return pdf[start:pdf.index(b"]", start)]


def test_same_bytes_in_a_fresh_process_with_another_clock(rendered, tmp_path) -> None:
    """No state of this process (registration order, caches, time zone, SOURCE_DATE_EPOCH) leaks into
    the bytes."""
    script = tmp_path / "render_again.py"
    script.write_text(
        "import hashlib, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from conftest import render\n"
        "print(hashlib.sha256(render('delegation_agreement').pdf).hexdigest())\n")
    env = dict(os.environ, TZ="America/New_York", SOURCE_DATE_EPOCH="0")
    out = subprocess.run([sys.executable, str(script)], check=True, capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[3], timeout=120)
    assert out.stdout.strip() == hashlib.sha256(rendered["delegation_agreement"].pdf).hexdigest()


def test_threads_render_the_same_bytes(rendered) -> None:
    kinds = list(KINDS) * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda kind: (kind, render(kind).pdf), kinds))
    for kind, pdf in results:
        assert pdf == rendered[kind].pdf, kind


@pytest.mark.parametrize(("document_id", "verify_url"), [
    ("", VERIFY_URL), ("has space", VERIFY_URL), ("x" * 65, VERIFY_URL), ("<b>", VERIFY_URL), ("文件", VERIFY_URL),
    (DOC_ID, "javascript:alert(1)"), (DOC_ID, "https://ebid.example.cn/verify?doc=A B"), (DOC_ID, ""),
    (DOC_ID, "https://" + "a" * 500), (DOC_ID, "ftp://host/x"), (DOC_ID, "https://host/\nx"),
])
def test_bad_id_or_link_refused(document_id, verify_url) -> None:
    fn, data = sample("award_notice")
    with pytest.raises(InvalidDocumentData):
        fn(data, document_id=document_id, verify_url=verify_url)


def test_summary_with_many_experts_turns_landscape(read_pdf) -> None:
    fn, data = sample("summary_sheet")
    experts = tuple(docs.ExpertRef(n, f"专家姓名{n}") for n in range(1, 8))
    rows = tuple(replace(r, expert_scores=(r.expert_scores[0],) * 7) for r in data.rows)
    doc = fn(replace(data, experts=experts, rows=rows), document_id=DOC_ID, verify_url=VERIFY_URL)
    assert doc.page_size == (pytest.approx(841.89, abs=0.01), pytest.approx(595.28, abs=0.01))
    assert set(doc.seal_boxes) == {f"expert:{n}" for n in range(1, 8)}
    text = read_pdf(doc.pdf).flat_text()
    assert all(f"专家{n}" in text for n in range(1, 8))
