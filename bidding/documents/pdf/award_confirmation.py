"""中标人确认书: the purchaser confirms the winning bidder from the ranking the evaluation committee
recommended (确认中标人, R14); when it does not take the first-ranked candidate it says why. Sealed
by the purchaser."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bidding.documents.pdf.amounts import format_yuan
from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef,
    ProjectRef,
    amount_text,
    fields_block,
    format_score,
    freeze,
    money,
    party_fields,
    project_fields,
    require,
    scores,
)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import fmt_date

TITLE = "中标人确认书"


@dataclass(frozen=True)
class RankedCandidate:
    """One row of the recommended ranking (中标候选人排序)."""

    rank: int
    bidder: PartyRef
    price: Decimal
    score: Decimal | None = None          # 综合得分

    def __post_init__(self) -> None:
        money(self, "price")
        scores(self, "score")
        require(isinstance(self.rank, int) and self.rank >= 1, "rank")


@dataclass(frozen=True)
class AwardConfirmationData:
    project: ProjectRef
    purchaser: PartyRef
    agency: PartyRef
    ranking: tuple[RankedCandidate, ...]
    winner: PartyRef
    winner_rank: int
    amount: Decimal                       # the winner's price as opened
    confirmed_on: date
    reason: str = ""                      # why not the first-ranked candidate (required then)
    summary_sha256: str = ""              # the signed summary the ranking comes from

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "amount")
        require(bool(self.ranking), "ranking")
        require([c.rank for c in self.ranking] == list(range(1, len(self.ranking) + 1)), "ranking")
        require(isinstance(self.winner_rank, int) and 1 <= self.winner_rank <= len(self.ranking), "winner_rank")
        require(self.ranking[self.winner_rank - 1].bidder.name == self.winner.name, "winner")
        require(self.winner_rank == 1 or bool(self.reason.strip()), "reason")


def render_award_confirmation(data: AwardConfirmationData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = project_fields(data.project) + party_fields("采购人", data.purchaser) + [("代理机构", data.agency.name)]
    if data.summary_sha256:
        rows.append(("评标汇总表摘要（SHA-256）", data.summary_sha256))
    story = [para(f"{data.agency.name}：", s.body),
             para(f"贵单位组织的“{data.project.name}”（项目编号：{data.project.number}）评标工作已结束，"
                  "评标委员会全体成员已签署评标汇总表。本单位依法从评标委员会推荐的中标候选人中确认中标人如下：",
                  s.clause),
             fields_block(rows), para("中标候选人排序", s.heading),
             grid(["排名", "投标人", "统一社会信用代码", "投标报价（元）", "综合得分"],
                  [[str(c.rank), c.bidder.name, c.bidder.credit_code, format_yuan(c.price), format_score(c.score)]
                   for c in data.ranking],
                  ["9%", "33%", "24%", "19%", "15%"], align="cllrr"),
             para("确认结果", s.heading),
             fields_block(party_fields("中标人", data.winner)
                          + [("中标候选人排名", f"第 {data.winner_rank} 名"), ("中标金额", amount_text(data.amount))])]
    if data.winner_rank != 1:
        story.append(para(f"未确定排名第一的中标候选人为中标人的理由：{data.reason}", s.clause))
    story += [para("请贵单位据此向中标人发出中标通知书，并将中标结果通知其他投标人。", s.clause),
              para(f"确认日期：{fmt_date(data.confirmed_on)}", s.body)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.confirmed_on,
                          signatories=[Signatory("purchaser", "采购人盖章", data.purchaser.name)])
