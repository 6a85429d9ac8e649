"""政府采购合同 made from an award (bidding.contracts): the tender's purchaser (甲方) and the winner
(乙方) with their credit codes, the tender's number and the award notice's platform id, the subject
and the award's price in figures and in capitals, and the terms the purchaser entered (payment,
delivery place and date), followed by the specific and general clauses. Several pages, so both
parties' cross-page seals (骑缝章) on the right edge tie every page to the signatures; the pages
leave that edge empty. Sealed by ``purchaser``, then ``supplier``.

:mod:`bidding.documents.pdf.contract` is the general contract with an item table; this one is what
the platform generates without asking the parties for more than the three terms."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.platypus import KeepTogether

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef,
    ProjectRef,
    amount_text,
    fields_block,
    freeze,
    money,
    party_fields,
    project_fields,
    require,
)
from bidding.documents.pdf.contract import GENERAL_CLAUSES
from bidding.documents.pdf.styles import para, styles
from bidding.documents.pdf.text import chinese_numeral, fmt_date

TITLE = "政府采购合同"

#: the clauses every contract of the platform carries between the parties' terms and the general ones
SPECIFIC_CLAUSES = (
    ("验收", "乙方交付后，甲方应在十个工作日内按照采购文件、乙方投标文件及本合同约定的技术、服务和安全标准组织验收，"
            "并出具书面验收意见。验收不合格的，乙方应在甲方要求的期限内免费更换、修复或补足，由此产生的费用由乙方承担；"
            "重新验收仍不合格的，甲方有权解除合同。大型或者复杂的项目，甲方可以邀请国家认可的质量检测机构参加验收。"),
    ("质量保证与售后服务", "乙方保证所交付的货物或服务符合国家强制性标准、采购文件的要求及乙方投标文件的承诺，"
                     "是全新、未使用过的合格产品。质量保证期自验收合格之日起计算，不少于采购文件或投标文件承诺的期限；"
                     "质量保证期内，乙方应在接到甲方通知后二十四小时内响应，并按承诺免费维修或更换。"),
    ("知识产权", "乙方应保证甲方在使用合同标的或其任何一部分时不受第三方提出的侵犯专利权、商标权、著作权或其他知识产权的指控；"
               "如有第三方提出此类指控，由乙方负责交涉并承担全部法律责任和费用。"),
    ("保密", "双方对履行本合同过程中知悉的对方商业秘密、技术资料和个人信息负有保密义务，未经对方书面同意不得向第三方披露，"
           "法律法规另有规定的除外。本条在合同终止后仍然有效。"),
    ("不可抗力", "因不可抗力不能履行合同的，根据不可抗力的影响，部分或者全部免除责任，但法律另有规定的除外。"
               "受不可抗力影响的一方应在不可抗力发生后三日内书面通知对方，并在十五日内提供有关证明。"),
    ("合同变更与解除", "合同履行中，甲方需追加与合同标的相同的货物或服务的，在不改变合同其他条款的前提下，可以与乙方协商签订补充合同，"
                  "但所有补充合同的采购金额不得超过原合同采购金额的百分之十。除法律另有规定外，任何一方不得擅自变更或解除合同。"),
    ("合同备案与公告", "本合同经双方签章后，由甲方通过本平台备案。合同信息依照政府采购信息公开的规定在本平台公开，"
                  "涉及国家秘密、商业秘密的内容除外。"),
)


@dataclass(frozen=True)
class AwardContractData:
    contract_number: str
    project: ProjectRef
    tender_number: str            # 招标编号 (the tender's public id)
    award_notice_id: str          # the platform id of the stamped 中标通知书 ("" if none was kept)
    purchaser: PartyRef           # 甲方
    supplier: PartyRef            # 乙方 (the winner)
    subject: str                  # 合同标的
    amount: Decimal               # 合同金额 = 中标金额
    payment_terms: str            # 付款方式
    delivery_place: str           # 交付（履行）地点
    delivery_date: date           # 交付（履行）期限
    drafted_on: date
    revision: int = 1

    def __post_init__(self) -> None:
        freeze(self)
        money(self, "amount")
        require(self.amount > 0, "amount", reason="a contract needs an amount above 0")
        for name in ("contract_number", "tender_number", "subject", "payment_terms", "delivery_place"):
            require(bool(str(getattr(self, name)).strip()), name)
        require(isinstance(self.delivery_date, date) and self.delivery_date >= self.drafted_on, "delivery_date",
                reason="the delivery date is before the drafting day")
        require(isinstance(self.revision, int) and self.revision >= 1, "revision")


def render_award_contract(data: AwardContractData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = [("合同编号", data.contract_number)] + project_fields(data.project) + [("招标编号", data.tender_number)]
    if data.award_notice_id:
        rows.append(("中标通知书编号", data.award_notice_id))
    rows += party_fields("甲方（采购人）", data.purchaser) + party_fields("乙方（供应商）", data.supplier)
    story = [fields_block(rows),
             para(f"根据《中华人民共和国民法典》《中华人民共和国政府采购法》及其实施条例，依据“{data.project.name}”"
                  f"（招标编号：{data.tender_number}）的采购结果"
                  + (f"和中标通知书（平台文件编号：{data.award_notice_id}）" if data.award_notice_id else "")
                  + "，甲乙双方遵循平等、自愿、公平和诚实信用的原则，经协商一致，订立本合同。", s.clause)]
    clauses = [
        ("合同标的及金额", [f"合同标的：{data.subject}",
                       f"合同金额：{amount_text(data.amount)}。合同金额即乙方的中标金额，为含税总价，包括乙方履行本合同"
                       "所需的货物、运输、保险、安装、调试、培训、售后服务及税费等全部费用，合同履行期间不作调整。"]),
        ("履行期限、地点和方式", [f"交付（履行）地点：{data.delivery_place}",
                           f"交付（履行）期限：乙方应于 {fmt_date(data.delivery_date)} 前按本合同约定完成全部交付（履行）义务。",
                           "乙方应按采购文件和投标文件确定的方式交付，货物运抵及安装调试的风险和费用由乙方承担。"]),
        ("付款方式", [data.payment_terms,
                  "甲方以转账方式支付至乙方在本合同中载明的账户；乙方应在每次收款前开具合法有效的等额发票。"]),
    ] + [(title, [text]) for title, text in SPECIFIC_CLAUSES + GENERAL_CLAUSES]
    for number, (title, paragraphs) in enumerate(clauses, start=1):
        first, *rest = [para(text, s.clause) for text in paragraphs]
        story.append(KeepTogether([para(f"{chinese_numeral(number)}、{title}", s.heading), first]))   # no lone heading
        story += rest
    story.append(para("本合同一式两份电子文本，甲乙双方各持一份，均以本平台保存并可验证的签章版本为准。", s.clause))
    story.append(para(f"订立日期：{fmt_date(data.drafted_on)}（第 {data.revision} 稿）", s.body))
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.drafted_on, subtitle=f"合同编号：{data.contract_number}",
                          signatories=[Signatory("purchaser", "甲方（采购人）盖章", data.purchaser.name),
                                       Signatory("supplier", "乙方（供应商）盖章", data.supplier.name)],
                          signature_note="双方以本平台数字证书加盖电子印章，并在每页右侧边缘加盖骑缝章；"
                                         "签章时间以电子签名中的时间戳为准。")
