"""中标通知书: issued by the agency to the winning supplier after the purchaser confirmed it; sealed
by the agency."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef, ProjectRef, amount_text, fields_block, freeze, money, party_fields, project_fields, require)
from bidding.documents.pdf.styles import para, styles
from bidding.documents.pdf.text import fmt_date

TITLE = "中标通知书"


@dataclass(frozen=True)
class AwardNoticeData:
    project: ProjectRef
    purchaser: PartyRef
    agency: PartyRef
    winner: PartyRef
    amount: Decimal                      # 中标金额
    issued_on: date
    performance_period: str = ""         # 履约期限 / 交货期
    contract_within_days: int = 30       # 签订合同的期限
    notes: str = ""

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "amount")
        require(isinstance(self.contract_within_days, int) and 1 <= self.contract_within_days <= 365,
                "contract_within_days")


def render_award_notice(data: AwardNoticeData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = project_fields(data.project) + party_fields("中标人", data.winner) + [("中标金额", amount_text(data.amount))]
    if data.performance_period:
        rows.append(("履约期限", data.performance_period))
    rows += party_fields("采购人", data.purchaser)
    story = [para(f"{data.winner.name}：", s.body),
             para(f"经评标委员会评审并经采购人确认，贵单位被确定为“{data.project.name}”（项目编号："
                  f"{data.project.number}）的中标人。", s.clause),
             fields_block(rows),
             para(f"请贵单位自本通知书发出之日起 {data.contract_within_days} 日内，按照采购文件和贵单位投标文件"
                  f"的约定，通过本平台与采购人签订政府采购合同。", s.clause),
             para("本通知书对采购人和中标人具有法律效力。中标通知书发出后，采购人改变中标结果或者中标人放弃"
                  "中标的，应当依法承担法律责任。", s.clause)]
    if data.notes:
        story.append(para(data.notes, s.clause))
    story.append(para(f"发出日期：{fmt_date(data.issued_on)}", s.body))
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.issued_on,
                          signatories=[Signatory("agency", "代理机构盖章", data.agency.name)])
