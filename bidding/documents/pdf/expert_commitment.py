"""评审专家承诺书: an expert's pledge of independence and of no conflict with the bidders, signed
with the expert's event certificate (R12, R14)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    ExpertRef, ProjectRef, check_experts, expert_role, fields_block, freeze, project_fields)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import chinese_numeral, fmt_date

TITLE = "评审专家承诺书"

PLEDGES = (
    "本人与参加本项目的供应商（名单见下表）不存在下列利害关系：参加采购活动前三年内与供应商存在劳动关系，"
    "或者担任供应商的董事、监事，或者是供应商的控股股东或实际控制人；与供应商的法定代表人或者负责人有夫妻、"
    "直系血亲、三代以内旁系血亲或者近姻亲关系；与供应商有其他可能影响公正评审的关系。如存在上述情形，"
    "本人将主动提出回避。",
    "本人将遵守评审工作纪律，按照采购文件规定的评审程序、评审方法和评审标准独立评审，对本人的评审意见承担"
    "个人责任。",
    "本人不私下接触供应商，不收受采购人、采购代理机构、供应商的财物或者其他不正当利益，不接受任何单位或者"
    "个人明示或者暗示提出的倾向性、歧视性意见。",
    "本人对评审情况以及评审过程中获悉的国家秘密、商业秘密予以保密。",
    "本人发现供应商具有行贿、提供虚假材料或者串通等违法行为的，及时向采购人或采购代理机构报告。",
    "本人经一次性验证码核验身份后，使用本平台签发的评审事件证书签名；签名即表示本人确认本承诺书的全部内容。",
)


@dataclass(frozen=True)
class ExpertCommitmentData:
    project: ProjectRef
    expert: ExpertRef
    bidders: tuple[str, ...]           # the suppliers the expert declares no conflict with
    signed_on: date

    def __post_init__(self) -> None:
        freeze(self)
        check_experts((self.expert,), "expert")


def render_expert_commitment(data: ExpertCommitmentData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = project_fields(data.project) + [("评审专家", data.expert.name)]
    if data.expert.employer:
        rows.append(("工作单位", data.expert.employer))
    story = [fields_block(rows), para("本人作为本项目的评审专家，郑重承诺：", s.body)]
    story += [para(f"{chinese_numeral(i)}、{text}", s.clause) for i, text in enumerate(PLEDGES, start=1)]
    story += [para("参加本项目的供应商", s.heading),
              grid(["序号", "供应商名称"], [[str(i), b] for i, b in enumerate(data.bidders, start=1)],
                   ["10%", "90%"], align="cl"),
              para(f"承诺日期：{fmt_date(data.signed_on)}", s.body)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.signed_on,
                          signatories=[Signatory(expert_role(data.expert), "评审专家签名", data.expert.name)])
