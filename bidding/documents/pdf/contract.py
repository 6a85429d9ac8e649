"""政府采购合同: made from the award and the tender; sealed by the purchaser, then the supplier,
each also with a cross-page seal (骑缝章) on the right edge, which the pages leave empty."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bidding.documents.pdf.amounts import format_yuan
from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef, ProjectRef, amount_text, fields_block, format_score, freeze, money, party_fields,
    project_fields, require, scores)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import chinese_numeral, fmt_date

TITLE = "政府采购合同"

GENERAL_CLAUSES = (
    ("合同组成", "下列文件为本合同的组成部分，并与本合同具有同等法律效力：中标通知书、采购文件、乙方的投标文件、"
                "本合同条款及双方确认的补充协议。上述文件互相补充，如有不一致，以本合同条款为准。"),
    ("违约责任", "任何一方不履行或者不完全履行本合同约定义务的，应当依法承担违约责任，赔偿对方因此遭受的损失。"),
    ("争议解决", "因履行本合同发生的争议，双方应协商解决；协商不成的，依法向甲方所在地人民法院提起诉讼。"),
    ("合同生效", "本合同以电子形式订立，自甲乙双方在本平台使用各自数字证书加盖电子印章及骑缝章之日起生效，"
                "与纸质合同具有同等法律效力。电子签章的有效性可通过页脚所示的验证地址核验。"),
)


@dataclass(frozen=True)
class ContractItem:
    name: str
    specification: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal

    def __post_init__(self) -> None:
        scores(self, "quantity")
        money(self, "unit_price", "amount")


@dataclass(frozen=True)
class ContractTerm:
    title: str                   # 履行期限, 履行地点, 付款方式, 验收, 质量保证 …
    text: str


@dataclass(frozen=True)
class ContractData:
    contract_number: str
    project: ProjectRef
    purchaser: PartyRef
    supplier: PartyRef
    subject: str                 # 合同标的
    amount: Decimal              # 合同金额
    drafted_on: date
    items: tuple[ContractItem, ...] = ()
    terms: tuple[ContractTerm, ...] = ()
    award_notice_id: str = ""    # the platform id of the award notice it follows

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "amount")
        require(not self.items or sum((i.amount for i in self.items), Decimal(0)) == self.amount, "items",
                reason="the items do not add up to the contract amount")


def render_contract(data: ContractData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = [("合同编号", data.contract_number)] + project_fields(data.project)
    rows += party_fields("甲方（采购人）", data.purchaser) + party_fields("乙方（供应商）", data.supplier)
    if data.award_notice_id:
        rows.append(("中标通知书编号", data.award_notice_id))
    story = [fields_block(rows),
             para("根据《中华人民共和国民法典》《中华人民共和国政府采购法》及本项目的采购结果，甲乙双方经协商一致，"
                  "订立本合同。", s.clause),
             para("一、合同标的及金额", s.heading), para(f"合同标的：{data.subject}", s.clause),
             para(f"合同金额：{amount_text(data.amount)}。合同金额为含税总价，包括履行本合同所需的全部费用。", s.clause)]
    if data.items:
        rows = [[str(n), i.name, i.specification, format_score(i.quantity), i.unit, format_yuan(i.unit_price),
                 format_yuan(i.amount)] for n, i in enumerate(data.items, start=1)]
        rows.append(["", "合计", "", "", "", "", format_yuan(data.amount)])
        story.append(grid(["序号", "名称", "规格型号", "数量", "单位", "单价（元）", "金额（元）"], rows,
                          ["6%", "22%", "24%", "9%", "7%", "15%", "17%"], align="cllrcrr", footer_rows=1))
    clauses = [(t.title, t.text) for t in data.terms] + list(GENERAL_CLAUSES)
    for number, (title, text) in enumerate(clauses, start=2):
        story += [para(f"{chinese_numeral(number)}、{title}", s.heading), para(text, s.clause)]
    story.append(para(f"订立日期：{fmt_date(data.drafted_on)}", s.body))
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.drafted_on, subtitle=f"合同编号：{data.contract_number}",
                          signatories=[Signatory("purchaser", "甲方（采购人）盖章", data.purchaser.name),
                                       Signatory("supplier", "乙方（供应商）盖章", data.supplier.name)],
                          signature_note="双方以本平台数字证书加盖电子印章，并在每页右侧边缘加盖骑缝章；"
                                         "签章时间以电子签名中的时间戳为准。")
