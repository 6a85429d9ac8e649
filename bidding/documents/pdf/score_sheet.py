"""评分表: one expert's scores for one bidder, criterion by criterion (the price score is computed in
the summary sheet). Signed by the expert."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    ExpertRef, ProjectRef, check_experts, expert_role, fields_block, format_score, freeze, project_fields,
    require, scores)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import fmt_datetime

TITLE = "评分表"


@dataclass(frozen=True)
class ScoreItem:
    criterion: str               # 评分因素
    max_score: Decimal           # 分值
    score: Decimal               # 得分, 0 … max_score
    note: str = ""               # 评分理由

    def __post_init__(self) -> None:
        scores(self, "max_score", "score")
        require(self.score <= self.max_score, "score", criterion=self.criterion)


@dataclass(frozen=True)
class ScoreSheetData:
    project: ProjectRef
    expert: ExpertRef
    bidder: str
    items: tuple[ScoreItem, ...]
    scored_at: datetime

    def __post_init__(self) -> None:
        freeze(self)
        check_experts((self.expert,), "expert")
        require(bool(self.items), "items")

    @property
    def total(self) -> Decimal:
        return sum((i.score for i in self.items), Decimal(0))


def render_score_sheet(data: ScoreSheetData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = [[str(n), i.criterion, format_score(i.max_score), format_score(i.score), i.note]
            for n, i in enumerate(data.items, start=1)]
    rows.append(["", "合计", format_score(sum((i.max_score for i in data.items), Decimal(0))),
                 format_score(data.total), ""])
    story = [fields_block(project_fields(data.project) + [("投标人", data.bidder), ("评审专家", data.expert.name),
                                                          ("评分时间", fmt_datetime(data.scored_at))]),
             para("评分明细", s.heading),
             grid(["序号", "评分因素", "分值", "得分", "评分理由"], rows, ["7%", "33%", "10%", "10%", "40%"],
                  align="clrrl", footer_rows=1),
             para("价格分由平台按采购文件规定的方法在评分汇总表中计算。时间为北京时间。", s.note)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.scored_at, subtitle=data.bidder,
                          signatories=[Signatory(expert_role(data.expert), "评审专家签名", data.expert.name)])
