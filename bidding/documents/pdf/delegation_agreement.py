"""委托协议: the purchaser entrusts the agency with a procurement (DESIGN R14, issue 14 §5); sealed by
the purchaser, then the agency."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef, amount_text, fields_block, freeze, money, party_fields, require)
from bidding.documents.pdf.styles import para, styles
from bidding.documents.pdf.text import chinese_numeral, fmt_date

TITLE = "政府采购委托代理协议"

STANDARD_CLAUSES = (
    "甲方委托乙方在上述委托范围内代理政府采购事宜。乙方应依照《中华人民共和国政府采购法》及其实施条例等"
    "法律法规和本平台规则，按照公开、公平、公正和诚实信用的原则组织采购活动。",
    "甲方应向乙方提供真实、完整的采购需求及相关资料，确认采购文件，并按规定参与或委派代表参与评审、"
    "确认采购结果及签订采购合同。",
    "乙方应编制采购文件并报甲方确认，依法发布采购信息，组织开标、评审，出具评标报告，发出中标（成交）"
    "通知书，并妥善保存采购文件。",
    "乙方不得泄露应当保密的采购信息，不得与供应商串通损害甲方或他人的合法权益，不得向甲方收取委托"
    "代理服务费以外的费用（本协议另有约定的除外）。",
    "采购过程中需要变更采购需求、采购方式或委托范围的，双方应另行书面约定，并通过本平台签署补充协议。",
    "因本协议发生的争议，双方应协商解决；协商不成的，可依法向甲方所在地人民法院提起诉讼。",
    "本协议以电子形式订立，经甲乙双方在本平台使用各自数字证书加盖电子印章后生效，与纸质协议具有同等"
    "法律效力。电子签章的有效性可通过页脚所示的验证地址核验。",
)


@dataclass(frozen=True)
class DelegationAgreementData:
    """The agreement as drafted: who entrusts whom with what, the budget, the term and the fee."""

    purchaser: PartyRef
    agency: PartyRef
    project_name: str
    scope: str                         # 委托范围
    budget: Decimal                    # 预算金额, yuan
    term_start: date
    term_end: date
    agency_fee_terms: str              # 代理服务费: how it is computed and who pays it
    drafted_on: date
    agency_fee: Decimal | None = None  # a fixed fee, when the parties agreed one
    procurement_method: str = ""       # 采购方式 (公开招标 …)
    extra_clauses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "budget", "agency_fee")
        require(self.term_end >= self.term_start, "term_end")


def render_delegation_agreement(data: DelegationAgreementData, *, document_id: str,
                                verify_url: str) -> RenderedDocument:
    s = styles()
    rows = party_fields("甲方（采购人）", data.purchaser) + party_fields("乙方（代理机构）", data.agency)
    rows += [("项目名称", data.project_name), ("委托范围", data.scope)]
    if data.procurement_method:
        rows.append(("采购方式", data.procurement_method))
    rows += [("采购预算", amount_text(data.budget)),
             ("委托期限", f"{fmt_date(data.term_start)} 至 {fmt_date(data.term_end)}")]
    fee = data.agency_fee_terms
    if data.agency_fee is not None:
        fee = f"{amount_text(data.agency_fee)}；{fee}" if fee else amount_text(data.agency_fee)
    rows.append(("代理服务费", fee))
    story = [para("甲乙双方经协商一致，就甲方委托乙方代理下述政府采购项目订立本协议。", s.body),
             fields_block(rows), para("协议条款", s.heading)]
    clauses = STANDARD_CLAUSES[:-1] + tuple(data.extra_clauses) + STANDARD_CLAUSES[-1:]
    story += [para(f"{chinese_numeral(i)}、{text}", s.clause) for i, text in enumerate(clauses, start=1)]
    story.append(para(f"订立日期：{fmt_date(data.drafted_on)}", s.body))
    return build_document(
        title=TITLE, story=story, document_id=document_id, verify_url=verify_url, created=data.drafted_on,
        signatories=[Signatory("purchaser", "甲方（采购人）盖章", data.purchaser.name),
                     Signatory("agency", "乙方（代理机构）盖章", data.agency.name)])

