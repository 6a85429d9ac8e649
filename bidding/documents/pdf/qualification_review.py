"""资格审查表: one expert's qualification review of every bidder, criterion by criterion; a bidder
qualifies only when it passes every criterion. Signed by the expert."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    ExpertRef, ProjectRef, check_experts, expert_role, fields_block, freeze, project_fields, require)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import fmt_datetime

TITLE = "资格审查表"


@dataclass(frozen=True)
class QualificationCheck:
    criterion: str               # 审查项 (营业执照, 信用记录 …)
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class BidderQualification:
    bidder: str
    checks: tuple[QualificationCheck, ...]

    def __post_init__(self) -> None:
        freeze(self)
        require(bool(self.checks), "checks", bidder=self.bidder)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass(frozen=True)
class QualificationReviewData:
    project: ProjectRef
    expert: ExpertRef
    bidders: tuple[BidderQualification, ...]
    reviewed_at: datetime

    def __post_init__(self) -> None:
        freeze(self)
        check_experts((self.expert,), "expert")


def render_qualification_review(data: QualificationReviewData, *, document_id: str,
                                verify_url: str) -> RenderedDocument:
    s = styles()
    rows = []
    for number, bq in enumerate(data.bidders, start=1):
        for index, check in enumerate(bq.checks):
            rows.append([str(number) if index == 0 else "", bq.bidder if index == 0 else "", check.criterion,
                         "通过" if check.passed else "不通过", check.note])
        rows.append(["", "", "审查结论", "合格" if bq.passed else "不合格", ""])
    table = grid(["序号", "投标人", "审查项", "结果", "说明"], rows, ["7%", "27%", "28%", "12%", "26%"], align="cllcl")
    passed = [b.bidder for b in data.bidders if b.passed]
    failed = [b.bidder for b in data.bidders if not b.passed]
    story = [fields_block(project_fields(data.project) + [("评审专家", data.expert.name),
                                                          ("审查时间", fmt_datetime(data.reviewed_at))]),
             para("审查明细", s.heading), table,
             para("审查结论", s.heading),
             para(f"资格审查合格的投标人（{len(passed)} 家）：{'、'.join(passed) or '无'}。", s.body),
             para(f"资格审查不合格的投标人（{len(failed)} 家）：{'、'.join(failed) or '无'}。", s.body),
             para("任何一项审查结果为“不通过”的，审查结论为不合格。时间为北京时间。", s.note)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.reviewed_at,
                          signatories=[Signatory(expert_role(data.expert), "评审专家签名", data.expert.name)])
