"""The documents' data checks itself when made: a contradiction is refused with the field named,
before any PDF exists; lists become tuples, so the data cannot change after the checks."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bidding.documents import pdf as docs
from bidding.documents.pdf.errors import InvalidAmount, InvalidDocumentData
from bidding.documents.pdf.text import chinese_numeral

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 8, 9, 30, tzinfo=TZ)
PARTY = docs.PartyRef("某单位", "91110108551385082Q")
PROJECT = docs.ProjectRef("P-1", "项目")
EXPERT = docs.ExpertRef(1, "王建国")


def agreement(**changes):
    fields = {"purchaser": PARTY, "agency": PARTY, "project_name": "项目", "scope": "全部", "budget": Decimal("100"),
              "term_start": date(2026, 1, 1), "term_end": date(2026, 12, 31), "agency_fee_terms": "",
              "drafted_on": date(2026, 1, 1)}
    return docs.DelegationAgreementData(**(fields | changes))


def refused_field(call) -> str:
    with pytest.raises(InvalidDocumentData) as refused:
        call()
    assert refused.value.code == "document_data_invalid"
    return refused.value.details["field"]


def test_agreement_term_must_not_end_before_it_starts() -> None:
    assert refused_field(lambda: agreement(term_end=date(2025, 12, 31))) == "term_end"
    agreement(term_end=date(2026, 1, 1))                       # one day is a term


def test_amounts_are_checked_and_normalised() -> None:
    assert agreement(budget="1234.5").budget == Decimal("1234.50")
    assert agreement(budget=7).budget == Decimal("7.00")
    for bad in (Decimal("-1"), 0.1, "1.001"):
        with pytest.raises(InvalidAmount):
            agreement(budget=bad)
    with pytest.raises(InvalidAmount):
        agreement(agency_fee=Decimal("-0.01"))
    assert agreement(agency_fee=None).agency_fee is None


def test_lists_become_tuples() -> None:
    data = agreement(extra_clauses=["补充条款"])
    assert data.extra_clauses == ("补充条款",)
    entry = docs.OpeningEntry("甲", "X", NOW, docs.DecryptionResult.DECRYPTED, Decimal(1), items=[["工期", "60天"]])
    assert entry.items == (("工期", "60天"),)


@pytest.mark.parametrize(("result", "price", "ok"), [
    (docs.DecryptionResult.DECRYPTED, Decimal("10"), True),
    (docs.DecryptionResult.DECRYPTED, None, False),          # a decrypted bid has its price
    (docs.DecryptionResult.FAILED_BIDDER, None, True),
    (docs.DecryptionResult.FAILED_BIDDER, Decimal("10"), False),   # nobody knows the price of a sealed bid
    (docs.DecryptionResult.FAILED_PLATFORM, None, True),
    (docs.DecryptionResult.INVALID, None, True),
])
def test_opening_price_only_from_a_decrypted_bid(result, price, ok) -> None:
    make = lambda: docs.OpeningEntry("甲", "X", NOW, result, price)   # noqa: E731
    if ok:
        make()
    else:
        assert refused_field(make) == "price"


def test_opening_times_in_order() -> None:
    make = lambda deadline, opened, closed: docs.OpeningRecordData(  # noqa: E731
        PROJECT, PARTY, PARTY, deadline, opened, closed, ())
    make(NOW, NOW, NOW + timedelta(minutes=30))
    assert refused_field(lambda: make(NOW, NOW - timedelta(seconds=1), NOW)) == "opened_at"
    assert refused_field(lambda: make(NOW, NOW, NOW - timedelta(seconds=1))) == "opened_at"


def test_decryption_results_have_labels() -> None:
    assert {r.label for r in docs.DecryptionResult} == {"解密成功", "解密成功，校验未通过",
                                                      "未解密（投标人原因，视为撤销投标）", "未解密（平台原因，视为撤回投标）"}


def test_scores() -> None:
    assert docs.ScoreItem("技术", 30, "26.5").score == Decimal("26.5")
    assert refused_field(lambda: docs.ScoreItem("技术", Decimal(30), Decimal("30.5"))) == "score"
    assert refused_field(lambda: docs.ScoreItem("技术", Decimal(30), Decimal("-1"))) == "score"
    assert refused_field(lambda: docs.ScoreItem("技术", Decimal(30), 1.5)) == "score"
    assert refused_field(lambda: docs.ScoreItem("技术", Decimal(30), Decimal("1.00001"))) == "score"
    sheet = docs.ScoreSheetData(PROJECT, EXPERT, "甲", [docs.ScoreItem("a", 10, 5), docs.ScoreItem("b", 20, "7.5")], NOW)
    assert sheet.total == Decimal("12.5")
    assert refused_field(lambda: docs.ScoreSheetData(PROJECT, EXPERT, "甲", (), NOW)) == "items"


def test_experts_numbered_uniquely() -> None:
    row = docs.SummaryRow("甲", (Decimal(1), Decimal(2)), None, None, None, None, None)
    experts = (docs.ExpertRef(1, "甲"), docs.ExpertRef(1, "乙"))
    assert refused_field(lambda: docs.SummarySheetData(PROJECT, experts, (row,), "", "", NOW)) == "experts"
    assert refused_field(lambda: docs.SummarySheetData(PROJECT, (), (), "", "", NOW)) == "experts"
    assert refused_field(lambda: docs.OpinionSheetData(PROJECT, docs.ExpertRef(0, "甲"), "", "", NOW)) == "expert"


def test_summary_row_has_one_score_per_expert() -> None:
    experts = (docs.ExpertRef(1, "甲"), docs.ExpertRef(2, "乙"), docs.ExpertRef(3, "丙"))
    row = docs.SummaryRow("甲", (Decimal(1), Decimal(2)), None, None, None, None, None)
    assert refused_field(lambda: docs.SummarySheetData(PROJECT, experts, (row,), "", "", NOW)) == "expert_scores"
    assert refused_field(lambda: docs.SummaryRow("甲", (Decimal(-1),), None, None, None, None, 1)) == "expert_scores"
    assert refused_field(lambda: docs.SummaryRow("甲", (), None, None, None, None, 0)) == "rank"


def test_report_dissent_names_a_panel_member() -> None:
    make = lambda number: docs.EvaluationReportData(  # noqa: E731
        PROJECT, PARTY, PARTY, (EXPERT,), "综合评分法", NOW, NOW, 1, (), (), (), date(2026, 12, 8),
        dissent=(docs.DissentingOpinion(number, "不同意"),))
    make(1)
    assert refused_field(lambda: make(2)) == "dissent"


def test_contract_items_add_up() -> None:
    item = docs.ContractItem("一体机", "86英寸", Decimal(2), "台", Decimal("100.00"), Decimal("200.00"))
    make = lambda amount: docs.ContractData("HT-1", PROJECT, PARTY, PARTY, "设备", amount,  # noqa: E731
                                            date(2026, 12, 15), items=(item,))
    make(Decimal("200"))
    assert refused_field(lambda: make(Decimal("200.01"))) == "items"


def test_award_contract_deadline() -> None:
    make = lambda days: docs.AwardNoticeData(PROJECT, PARTY, PARTY, PARTY, Decimal(1), date(2026, 1, 1),  # noqa: E731
                                             contract_within_days=days)
    make(30)
    assert refused_field(lambda: make(0)) == "contract_within_days"


def test_review_digest_is_sha256_hex() -> None:
    make = lambda digest: docs.ReviewOpinionData(PROJECT, PARTY, PARTY, "文件", (), "同意", "同意发布",  # noqa: E731
                                                 date(2026, 1, 1), documents_sha256=digest)
    make("")
    make("0f" * 32)
    assert refused_field(lambda: make("xyz")) == "documents_sha256"


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (99, "九十九"),
                                         (100, "100"), (0, "0")])
def test_chinese_numerals(n: int, text: str) -> None:
    assert chinese_numeral(n) == text
