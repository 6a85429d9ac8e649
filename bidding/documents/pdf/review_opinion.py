"""采购文件审核意见书: the purchaser's review of the tender documents the agency drafted (R14);
sealed by the purchaser."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef, ProjectRef, fields_block, freeze, party_fields, project_fields, require)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import fmt_date

TITLE = "采购文件审核意见书"


@dataclass(frozen=True)
class ReviewItem:
    item: str                # 审核事项 (采购需求, 资格条件, 评分办法 …)
    conclusion: str          # 审核结论 (符合 / 需修改 …)
    remark: str = ""


@dataclass(frozen=True)
class ReviewOpinionData:
    project: ProjectRef
    purchaser: PartyRef
    agency: PartyRef
    documents_title: str                 # 采购文件名称
    items: tuple[ReviewItem, ...]
    opinion: str                         # 审核意见
    conclusion: str                      # 同意发布 / 修改后发布 / 不同意发布
    reviewed_on: date
    documents_sha256: str = ""           # digest of exactly the file reviewed, when there is one

    def __post_init__(self) -> None:
        freeze(self)
        require(not self.documents_sha256 or bool(re.fullmatch(r"[0-9a-f]{64}", self.documents_sha256)),
                "documents_sha256")


def render_review_opinion(data: ReviewOpinionData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = project_fields(data.project) + party_fields("采购人", data.purchaser) + party_fields("代理机构", data.agency)
    rows.append(("采购文件", data.documents_title))
    if data.documents_sha256:
        rows.append(("文件摘要（SHA-256）", data.documents_sha256))
    story = [para(f"{data.agency.name}：", s.body),
             para("贵单位编制的本项目采购文件已收悉。经审核，意见如下：", s.clause),
             fields_block(rows), para("审核事项", s.heading),
             grid(["序号", "审核事项", "审核结论", "说明"],
                  [[str(i), it.item, it.conclusion, it.remark] for i, it in enumerate(data.items, start=1)],
                  ["8%", "34%", "18%", "40%"], align="cllc"),
             para("审核意见", s.heading), para(data.opinion, s.clause),
             para(f"审核结论：{data.conclusion}", s.body),
             para(f"审核日期：{fmt_date(data.reviewed_on)}", s.body)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.reviewed_on,
                          signatories=[Signatory("purchaser", "采购人盖章", data.purchaser.name)])
