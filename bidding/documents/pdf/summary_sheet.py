"""评分汇总表: every expert's total per bidder, their average, the price score and the ranking, as
the evaluation computed them from the signed sheets. Signed by every expert. More than four experts
turn the pages to landscape so each has a column."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    ExpertRef, ProjectRef, check_experts, expert_role, fields_block, format_score, freeze, money,
    project_fields, require, score_value, scores, yuan_or_dash)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import fmt_datetime

TITLE = "评分汇总表"


@dataclass(frozen=True)
class SummaryRow:
    bidder: str
    expert_scores: tuple[Decimal | None, ...]   # one per expert, in the panel's order; None: not scored
    average: Decimal | None                     # 评审得分平均值 (the criteria other than price)
    price: Decimal | None                       # 投标报价
    price_score: Decimal | None                 # 价格分
    total: Decimal | None                       # 综合得分
    rank: int | None                            # 排名; None for a bidder not ranked (disqualified)
    remark: str = ""

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "price")
        scores(self, "average", "price_score", "total")
        object.__setattr__(self, "expert_scores",
                           tuple(score_value(v, "expert_scores") for v in self.expert_scores))
        require(self.rank is None or (isinstance(self.rank, int) and self.rank >= 1), "rank", bidder=self.bidder)


@dataclass(frozen=True)
class SummarySheetData:
    project: ProjectRef
    experts: tuple[ExpertRef, ...]
    rows: tuple[SummaryRow, ...]                # in ranking order
    price_method: str                           # how the price score was computed
    tie_rule: str                               # how ties were broken
    summarized_at: datetime

    def __post_init__(self) -> None:
        freeze(self)
        check_experts(self.experts)
        for row in self.rows:
            require(len(row.expert_scores) == len(self.experts), "expert_scores", bidder=row.bidder)


def render_summary_sheet(data: SummarySheetData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    n = len(data.experts)
    expert_width = min(8.0, 28.0 / n)            # the other columns keep their room however many experts
    remark = 100 - (6 + 18 + expert_width * n + 9 + 14 + 8 + 9)
    widths = ["6%", "18%"] + [f"{expert_width:.3f}%"] * n + ["9%", "14%", "8%", "9%", f"{remark:.3f}%"]
    header = ["排名", "投标人"] + [f"专家{e.number}\n{e.name}" for e in data.experts] + \
             ["评审平均分", "投标报价（元）", "价格分", "综合得分", "备注"]
    rows = [[str(r.rank) if r.rank else "—", r.bidder] + [format_score(v) for v in r.expert_scores] +
            [format_score(r.average), yuan_or_dash(r.price), format_score(r.price_score), format_score(r.total),
             r.remark] for r in data.rows]
    story = [fields_block(project_fields(data.project) + [("汇总时间", fmt_datetime(data.summarized_at)),
                                                          ("价格分计算方法", data.price_method),
                                                          ("得分相同时", data.tie_rule)]),
             para("评分汇总", s.heading),
             grid(header, rows, widths, align="cl" + "r" * n + "rrrrl"),
             para("专家得分为各评审专家已签名评分表的合计分；综合得分 = 评审平均分 + 价格分。时间为北京时间。", s.note)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.summarized_at, wide=n > 4,
                          signatories=[Signatory(expert_role(e), f"评审专家{e.number}签名", e.name)
                                       for e in data.experts])
