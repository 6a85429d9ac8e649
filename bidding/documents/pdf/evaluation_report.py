"""评标报告: the evaluation committee's report — the panel, qualification results, scores and
ranking, the recommended candidates and every dissenting opinion. Signed by every expert, then
sealed by the agency (R14)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bidding.documents.pdf.amounts import format_yuan
from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    ExpertRef, PartyRef, ProjectRef, check_experts, expert_role, fields_block, format_score, freeze, money,
    party_fields, project_fields, require, scores)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import chinese_numeral, fmt_date, fmt_datetime

TITLE = "评标报告"


@dataclass(frozen=True)
class QualificationOutcome:
    bidder: str
    passed: bool
    reason: str = ""             # why not, when it did not pass


@dataclass(frozen=True)
class RankedBidder:
    rank: int
    bidder: str
    price: Decimal
    score: Decimal               # 综合得分

    def __post_init__(self) -> None:
        money(self, "price")
        scores(self, "score")
        require(isinstance(self.rank, int) and self.rank >= 1, "rank", bidder=self.bidder)


@dataclass(frozen=True)
class DissentingOpinion:
    expert_number: int
    opinion: str


@dataclass(frozen=True)
class EvaluationReportData:
    project: ProjectRef
    purchaser: PartyRef
    agency: PartyRef
    experts: tuple[ExpertRef, ...]
    method: str                                  # 评标方法 (综合评分法 …)
    opened_at: datetime
    evaluated_at: datetime
    bids_received: int
    qualification: tuple[QualificationOutcome, ...]
    ranking: tuple[RankedBidder, ...]
    recommended: tuple[str, ...]                 # 中标候选人, in order
    reported_on: date
    dissent: tuple[DissentingOpinion, ...] = ()
    conclusion: str = ""
    place: str = "电子招投标平台（线上评审）"

    def __post_init__(self) -> None:
        freeze(self)
        check_experts(self.experts)
        numbers = {e.number for e in self.experts}
        require(all(d.expert_number in numbers for d in self.dissent), "dissent")
        require(isinstance(self.bids_received, int) and self.bids_received >= 0, "bids_received")


def render_evaluation_report(data: EvaluationReportData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    by_number = {e.number: e for e in data.experts}
    passed = [q for q in data.qualification if q.passed]
    story = [para("一、项目基本情况", s.heading),
             fields_block(project_fields(data.project) + party_fields("采购人", data.purchaser)
                          + party_fields("代理机构", data.agency)
                          + [("评标方法", data.method), ("开标时间", fmt_datetime(data.opened_at)),
                             ("评标时间", fmt_datetime(data.evaluated_at)), ("评标地点", data.place)]),
             para("二、评标委员会", s.heading),
             para(f"评标委员会由 {len(data.experts)} 名评审专家组成，成员经本平台随机抽取产生：", s.clause),
             grid(["序号", "姓名", "工作单位"], [[str(e.number), e.name, e.employer] for e in data.experts],
                  ["10%", "30%", "60%"], align="cll"),
             para("三、资格审查情况", s.heading),
             para(f"本项目共收到投标文件 {data.bids_received} 份，经资格审查，{len(passed)} 家投标人合格。", s.clause),
             grid(["序号", "投标人", "审查结论", "说明"],
                  [[str(i), q.bidder, "合格" if q.passed else "不合格", q.reason]
                   for i, q in enumerate(data.qualification, start=1)],
                  ["8%", "40%", "14%", "38%"], align="clcl"),
             para("四、评审得分及排序", s.heading),
             grid(["排名", "投标人", "投标报价（元）", "综合得分"],
                  [[str(r.rank), r.bidder, format_yuan(r.price), format_score(r.score)] for r in data.ranking],
                  ["10%", "50%", "20%", "20%"], align="clrr"),
             para("各评审专家的评分表及评分汇总表均已由评审专家签名。", s.note),
             para("五、推荐中标候选人", s.heading)]
    story += [para(f"第{chinese_numeral(i)}中标候选人：{name}", s.clause)
              for i, name in enumerate(data.recommended, start=1)] or [para("无", s.clause)]
    story.append(para("六、评审专家意见", s.heading))
    if data.dissent:
        story.append(para("下列评审专家对评审结果持有不同意见，其签名的评审意见表随本报告提交：", s.clause))
        story += [para(f"专家{d.expert_number}（{by_number[d.expert_number].name}）：{d.opinion}", s.clause)
                  for d in data.dissent]
    else:
        story.append(para("评标委员会成员对评审结果无不同意见。", s.clause))
    if data.conclusion:
        story += [para("七、评标结论", s.heading), para(data.conclusion, s.clause)]
    story.append(para(f"报告日期：{fmt_date(data.reported_on)}（时间均为北京时间）", s.body))
    signatories = [Signatory(expert_role(e), f"评审专家{e.number}签名", e.name) for e in data.experts]
    signatories.append(Signatory("agency", "代理机构盖章", data.agency.name))
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.reported_on, subtitle=data.project.name, signatories=signatories,
                          signature_note="评审专家以评审事件证书签名，代理机构以数字证书加盖电子印章；签章时间以电子签名中的时间戳为准。")
