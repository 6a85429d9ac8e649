"""评审意见表: an expert's own opinion (a dissent with its reasons) that the evaluation report
carries. Signed by the expert."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    ExpertRef, ProjectRef, check_experts, expert_role, fields_block, freeze, project_fields)
from bidding.documents.pdf.styles import para, styles
from bidding.documents.pdf.text import fmt_datetime

TITLE = "评审意见表"


@dataclass(frozen=True)
class OpinionSheetData:
    project: ProjectRef
    expert: ExpertRef
    subject: str                 # 评审事项 (which bidder, which finding)
    opinion: str                 # 意见及理由
    written_at: datetime

    def __post_init__(self) -> None:
        freeze(self)
        check_experts((self.expert,), "expert")


def render_opinion_sheet(data: OpinionSheetData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    story = [fields_block(project_fields(data.project) + [("评审专家", data.expert.name),
                                                          ("填写时间", fmt_datetime(data.written_at)),
                                                          ("评审事项", data.subject)]),
             para("意见及理由", s.heading), para(data.opinion, s.clause),
             para("本意见由评审专家本人填写并签名，随评标报告一并提交。时间为北京时间。", s.note)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.written_at,
                          signatories=[Signatory(expert_role(data.expert), "评审专家签名", data.expert.name)])
