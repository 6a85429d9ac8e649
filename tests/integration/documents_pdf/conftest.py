"""Sample data for every document kind and helpers that read a PDF back with poppler (pdffonts,
pdftotext, pdftoppm): what a viewer would show, not what reportlab meant to draw."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest

from bidding.documents import pdf as docs

BEIJING = timezone(timedelta(hours=8))
DOC_ID = "K7QM-3XZP-9D2W-HT4B"
VERIFY_URL = f"https://ebid.example.cn/verify?doc={DOC_ID}"

PURCHASER = docs.PartyRef("广州市教育装备中心", "12440100455352041E", address="广州市越秀区中山一路", contact="李明",
                          phone="020-83000000")
AGENCY = docs.PartyRef("广东衡信招标代理有限公司", "91440101MA59B2LQ5J", representative="陈志强")
SUPPLIER_A = docs.PartyRef("深圳华拓信息技术有限公司", "91440300MA5EXAMP1X")
SUPPLIER_B = docs.PartyRef("东莞长盈办公设备有限公司", "91441900MA4WEXAM2Y")
PROJECT = docs.ProjectRef("GZJZ-2026-0417", "2026年中小学智慧教室设备采购项目")
EXPERTS = (docs.ExpertRef(1, "王建国", "华南理工大学"), docs.ExpertRef(2, "赵丽华", "广东工业大学"),
           docs.ExpertRef(3, "孙海涛", "广州市信息中心"))
OPENED = datetime(2026, 12, 8, 9, 30, tzinfo=BEIJING)


def opening_entries(count: int) -> tuple[docs.OpeningEntry, ...]:
    results = [docs.DecryptionResult.DECRYPTED] * 3 + [docs.DecryptionResult.FAILED_BIDDER,
                                                      docs.DecryptionResult.FAILED_PLATFORM]
    entries = []
    for i in range(count):
        result = results[i % len(results)]
        entries.append(docs.OpeningEntry(
            bidder=f"投标单位{i + 1:03d}有限公司", credit_code=f"9144010{i:03d}EXAMPLE",
            submitted_at=OPENED - timedelta(hours=20, minutes=i), result=result,
            price=Decimal("1000000.00") + i * Decimal("1234.56") if result is docs.DecryptionResult.DECRYPTED else None,
            items=(("工期", f"{60 + i}天"), ("质保期", "3年")) if result is docs.DecryptionResult.DECRYPTED else ()))
    return tuple(entries)


def sample(kind: str) -> tuple[Callable, object]:
    """(render function, data) of a realistic document of ``kind``."""
    day = date(2026, 11, 23)
    if kind == "delegation_agreement":
        return docs.render_delegation_agreement, docs.DelegationAgreementData(
            purchaser=PURCHASER, agency=AGENCY, project_name=PROJECT.name,
            scope="编制采购文件、发布采购公告、组织开标和评标、发出中标通知书、协助签订合同",
            budget=Decimal("1234567.89"), term_start=day, term_end=date(2027, 11, 22),
            agency_fee_terms="按中标金额的 1.2% 由中标人支付", agency_fee=Decimal("100.05"), drafted_on=day,
            procurement_method="公开招标")
    if kind == "review_opinion":
        return docs.render_review_opinion, docs.ReviewOpinionData(
            project=PROJECT, purchaser=PURCHASER, agency=AGENCY, documents_title="智慧教室设备采购招标文件（第2版）",
            items=(docs.ReviewItem("采购需求", "符合"), docs.ReviewItem("资格条件", "符合", "无歧视性条款"),
                   docs.ReviewItem("评分办法", "需修改", "价格分权重应为30%")),
            opinion="同意按修改后的招标文件发布。", conclusion="修改后发布", reviewed_on=day,
            documents_sha256="ab" * 32)
    if kind == "opening_record":
        return docs.render_opening_record, docs.OpeningRecordData(
            project=PROJECT, purchaser=PURCHASER, agency=AGENCY, deadline=OPENED, opened_at=OPENED,
            decryption_closed_at=OPENED + timedelta(minutes=30), entries=opening_entries(5), recorded_by="周敏")
    if kind == "expert_commitment":
        return docs.render_expert_commitment, docs.ExpertCommitmentData(
            project=PROJECT, expert=EXPERTS[1], bidders=(SUPPLIER_A.name, SUPPLIER_B.name), signed_on=OPENED.date())
    if kind == "qualification_review":
        checks = ("营业执照", "财务状况报告", "依法缴纳税收和社会保障资金", "无重大违法记录", "信用记录")
        return docs.render_qualification_review, docs.QualificationReviewData(
            project=PROJECT, expert=EXPERTS[0], reviewed_at=OPENED + timedelta(hours=1),
            bidders=(docs.BidderQualification(SUPPLIER_A.name, tuple(docs.QualificationCheck(c, True) for c in checks)),
                     docs.BidderQualification(SUPPLIER_B.name, tuple(
                         docs.QualificationCheck(c, c != "信用记录", "列入失信被执行人名单" if c == "信用记录" else "")
                         for c in checks))))
    if kind == "score_sheet":
        return docs.render_score_sheet, docs.ScoreSheetData(
            project=PROJECT, expert=EXPERTS[2], bidder=SUPPLIER_A.name, scored_at=OPENED + timedelta(hours=2),
            items=(docs.ScoreItem("技术方案", Decimal(30), Decimal("26.5"), "方案完整"),
                   docs.ScoreItem("售后服务", Decimal(20), Decimal(18)),
                   docs.ScoreItem("业绩", Decimal(20), Decimal(15), "近三年同类业绩3项")))
    if kind == "opinion_sheet":
        return docs.render_opinion_sheet, docs.OpinionSheetData(
            project=PROJECT, expert=EXPERTS[2], subject=f"{SUPPLIER_B.name} 的资格审查结论",
            opinion="本人认为该供应商的信用记录查询日期早于投标截止日，应重新查询后再作结论。",
            written_at=OPENED + timedelta(hours=2))
    if kind == "summary_sheet":
        return docs.render_summary_sheet, docs.SummarySheetData(
            project=PROJECT, experts=EXPERTS, summarized_at=OPENED + timedelta(hours=3),
            price_method="低价优先法：价格分 = 评标基准价 ÷ 投标报价 × 30", tie_rule="得分相同的，按投标报价由低到高排序",
            rows=(docs.SummaryRow(SUPPLIER_A.name, (Decimal("59.5"), Decimal(61), Decimal("58.25")), Decimal("59.58"),
                                  Decimal("980000.00"), Decimal(30), Decimal("89.58"), 1),
                  docs.SummaryRow(SUPPLIER_B.name, (None, None, None), None, None, None, None, None,
                                  "资格审查不合格")))
    if kind == "evaluation_report":
        return docs.render_evaluation_report, docs.EvaluationReportData(
            project=PROJECT, purchaser=PURCHASER, agency=AGENCY, experts=EXPERTS, method="综合评分法",
            opened_at=OPENED, evaluated_at=OPENED + timedelta(hours=1), bids_received=2,
            qualification=(docs.QualificationOutcome(SUPPLIER_A.name, True),
                           docs.QualificationOutcome(SUPPLIER_B.name, False, "信用记录不符合要求")),
            ranking=(docs.RankedBidder(1, SUPPLIER_A.name, Decimal("980000.00"), Decimal("89.58")),),
            recommended=(SUPPLIER_A.name,), reported_on=OPENED.date(),
            dissent=(docs.DissentingOpinion(3, "信用记录应重新查询。"),), conclusion="推荐第一中标候选人。")
    if kind == "award_notice":
        return docs.render_award_notice, docs.AwardNoticeData(
            project=PROJECT, purchaser=PURCHASER, agency=AGENCY, winner=SUPPLIER_A, amount=Decimal("980000.00"),
            issued_on=date(2026, 12, 10), performance_period="合同签订后 60 日内交货并完成安装调试")
    if kind == "result_notice":
        return docs.render_result_notice, docs.ResultNoticeData(
            project=PROJECT, purchaser=PURCHASER, agency=AGENCY, recipient=SUPPLIER_B, winner=SUPPLIER_A,
            award_amount=Decimal("980000.00"), issued_on=date(2026, 12, 10), reason="资格审查不合格：信用记录不符合要求")
    if kind == "contract":
        return docs.render_contract, docs.ContractData(
            contract_number="GZJZ-2026-0417-HT01", project=PROJECT, purchaser=PURCHASER, supplier=SUPPLIER_A,
            subject="智慧教室交互式一体机及配套设备", amount=Decimal("980000.00"), drafted_on=date(2026, 12, 15),
            items=(docs.ContractItem("交互式一体机", "86英寸 4K", Decimal(40), "台", Decimal("22000.00"), Decimal("880000.00")),
                   docs.ContractItem("安装调试服务", "含线缆", Decimal(1), "项", Decimal("100000.00"), Decimal("100000.00"))),
            terms=(docs.ContractTerm("履行期限和地点", "合同生效后 60 日内交付至甲方指定的 40 所学校。"),
                   docs.ContractTerm("付款方式", "验收合格后 10 个工作日内支付合同金额的 100%。")),
            award_notice_id="P3XR-7KQM-2D9W-HT5C")
    if kind == "supplier_commitment":
        return docs.render_supplier_commitment, docs.SupplierCommitmentData(supplier=SUPPLIER_A, signed_on=day)
    raise KeyError(kind)


KINDS = ("delegation_agreement", "review_opinion", "opening_record", "expert_commitment", "qualification_review",
         "score_sheet", "opinion_sheet", "summary_sheet", "evaluation_report", "award_notice", "result_notice",
         "contract", "supplier_commitment")

# the roles whose seal box each kind must offer
ROLES = {"delegation_agreement": {"purchaser", "agency"}, "review_opinion": {"purchaser"},
         "opening_record": {"agency"}, "expert_commitment": {"expert:2"}, "qualification_review": {"expert:1"},
         "score_sheet": {"expert:3"}, "opinion_sheet": {"expert:3"},
         "summary_sheet": {"expert:1", "expert:2", "expert:3"},
         "evaluation_report": {"expert:1", "expert:2", "expert:3", "agency"}, "award_notice": {"agency"},
         "result_notice": {"agency"}, "contract": {"purchaser", "supplier"}, "supplier_commitment": {"supplier"}}


def render(kind: str, **changes) -> docs.RenderedDocument:
    fn, data = sample(kind)
    if changes:
        data = replace(data, **changes)
    return fn(data, document_id=DOC_ID, verify_url=VERIFY_URL)


@pytest.fixture(scope="session", autouse=True)
def poppler() -> None:
    for tool in ("pdffonts", "pdftotext", "pdftoppm", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install poppler-utils (`make test` does it)")


class Poppler:
    """poppler's view of one PDF written to a temporary folder."""

    def __init__(self, pdf: bytes, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "doc.pdf"
        self.path.write_bytes(pdf)

    def _run(self, *args: str) -> str:
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout

    def fonts(self) -> list[dict[str, str]]:
        """pdffonts rows: name, type, emb."""
        lines = self._run("pdffonts", str(self.path)).splitlines()[2:]
        rows = []
        for line in lines:
            m = re.match(r"(\S+)\s+(.+?)\s+(WinAnsi|Identity-H|Custom|Builtin|Standard|MacRoman)\s+(yes|no)\s+(yes|no)\s+(yes|no)", line)
            assert m, line
            rows.append({"name": m[1], "type": m[2], "emb": m[4], "sub": m[5], "uni": m[6]})
        return rows

    def text(self, page: int | None = None) -> str:
        args = ["pdftotext", "-enc", "UTF-8"]
        if page:
            args += ["-f", str(page), "-l", str(page)]
        return self._run(*args, str(self.path), "-")

    def flat_text(self) -> str:
        """The text with all white space removed (CJK lines wrap anywhere)."""
        return re.sub(r"\s+", "", self.text())

    def words(self, page: int) -> list[tuple[str, float, float, float, float]]:
        """(word, xMin, yMin, xMax, yMax) in PDF points, y from the page's top."""
        html = self._run("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(self.path), "-")
        return [(w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in
                re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]

    def info(self) -> dict[str, str]:
        out = self._run("pdfinfo", str(self.path))
        return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)

    def raster(self, page: int, dpi: int = 72):
        """The page as a Pillow RGB image (pdftoppm)."""
        from PIL import Image
        prefix = self.folder / f"p{page}-{dpi}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile",
                        str(self.path), str(prefix)], check=True, timeout=60)
        return Image.open(f"{prefix}.png").convert("RGB")


@pytest.fixture
def read_pdf(tmp_path) -> Callable[[bytes], Poppler]:
    counter = iter(range(10 ** 6))

    def read(pdf: bytes) -> Poppler:
        folder = tmp_path / f"pdf{next(counter)}"
        folder.mkdir()
        return Poppler(pdf, folder)
    return read
