"""中标结果通知书: tells a bidder that did not win the result, with its own score and rank, or why
it did not pass the qualification review (政府采购货物和服务招标投标管理办法 第六十九条); sealed by
the agency."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef, ProjectRef, amount_text, fields_block, format_score, freeze, money, project_fields, require,
    scores)
from bidding.documents.pdf.styles import para, styles
from bidding.documents.pdf.text import fmt_date

TITLE = "中标结果通知书"


@dataclass(frozen=True)
class ResultNoticeData:
    project: ProjectRef
    purchaser: PartyRef
    agency: PartyRef
    recipient: PartyRef
    winner: PartyRef
    award_amount: Decimal
    issued_on: date
    own_score: Decimal | None = None     # the recipient's 综合得分, when it was scored
    own_rank: int | None = None
    reason: str = ""                     # why it did not win / did not qualify

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "award_amount")
        scores(self, "own_score")
        require(self.own_rank is None or (isinstance(self.own_rank, int) and self.own_rank >= 1), "own_rank")


def render_result_notice(data: ResultNoticeData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = project_fields(data.project) + [("中标人", data.winner.name),
                                           ("中标人统一社会信用代码", data.winner.credit_code),
                                           ("中标金额", amount_text(data.award_amount)),
                                           ("贵单位综合得分", format_score(data.own_score)),
                                           ("贵单位排名", str(data.own_rank) if data.own_rank else "—")]
    if data.reason:
        rows.append(("未中标原因", data.reason))
    story = [para(f"{data.recipient.name}（统一社会信用代码：{data.recipient.credit_code}）：", s.body),
             para(f"感谢贵单位参加“{data.project.name}”的投标。经评标委员会评审并经采购人"
                  f"（{data.purchaser.name}）确认，本项目中标结果如下：", s.clause),
             fields_block(rows),
             para("贵单位对中标结果有异议的，可以自知道或者应知其权益受到损害之日起七个工作日内，以书面形式向"
                  "采购人或采购代理机构提出质疑。", s.clause),
             para(f"发出日期：{fmt_date(data.issued_on)}", s.body)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.issued_on,
                          signatories=[Signatory("agency", "代理机构盖章", data.agency.name)])
