"""开标记录: who bid, at what price, and how each bid's decryption ended (R15, R18); sealed by the
agency that ran the opening."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import (
    PartyRef, ProjectRef, fields_block, freeze, money, party_fields, project_fields, require, yuan_or_dash)
from bidding.documents.pdf.styles import grid, para, styles
from bidding.documents.pdf.text import fmt_datetime

TITLE = "开标记录"


class DecryptionResult(str, enum.Enum):
    """How a bid's decryption ended in the opening window (R15)."""

    DECRYPTED = "decrypted"
    INVALID = "invalid"                   # decrypted, but the signed manifest or a file digest did not hold
    FAILED_BIDDER = "failed_bidder"       # not decrypted through the bidder's fault: counts as revoked (撤销)
    FAILED_PLATFORM = "failed_platform"   # not decrypted through the platform's fault: counts as withdrawn (撤回)

    @property
    def label(self) -> str:
        return {"decrypted": "解密成功",
                "invalid": "解密成功，校验未通过",
                "failed_bidder": "未解密（投标人原因，视为撤销投标）",
                "failed_platform": "未解密（平台原因，视为撤回投标）"}[self.value]


@dataclass(frozen=True)
class OpeningEntry:
    bidder: str
    credit_code: str
    submitted_at: datetime
    result: DecryptionResult
    price: Decimal | None = None                  # 投标报价, known only from a decrypted bid
    items: tuple[tuple[str, str], ...] = ()       # further items the tender documents list (工期 …)
    remark: str = ""

    def __post_init__(self) -> None:
        freeze(self)
        object.__setattr__(self, "items", tuple(tuple(i) for i in self.items))
        money(self, "price")
        require(isinstance(self.result, DecryptionResult), "result")
        require((self.price is None) == (self.result is not DecryptionResult.DECRYPTED), "price",
                bidder=self.bidder)


@dataclass(frozen=True)
class OpeningRecordData:
    project: ProjectRef
    purchaser: PartyRef
    agency: PartyRef
    deadline: datetime                 # 投标截止时间
    opened_at: datetime                # 开标时间
    decryption_closed_at: datetime     # 解密截止时间
    entries: tuple[OpeningEntry, ...]
    place: str = "电子招投标平台（线上开标）"
    recorded_by: str = ""              # 记录人
    notes: str = ""

    def __post_init__(self) -> None:
        freeze(self)
        require(self.decryption_closed_at >= self.opened_at >= self.deadline, "opened_at")


def render_opening_record(data: OpeningRecordData, *, document_id: str, verify_url: str) -> RenderedDocument:
    s = styles()
    rows = project_fields(data.project) + party_fields("采购人", data.purchaser) + party_fields("代理机构", data.agency)
    rows += [("投标截止时间", fmt_datetime(data.deadline)), ("开标时间", fmt_datetime(data.opened_at)),
             ("解密截止时间", fmt_datetime(data.decryption_closed_at)), ("开标地点", data.place)]
    if data.recorded_by:
        rows.append(("记录人", data.recorded_by))
    decrypted = sum(1 for e in data.entries if e.result is DecryptionResult.DECRYPTED)
    table = grid(["序号", "投标人", "投标报价（元）", "其他开标内容", "解密结果", "递交时间"],
                 [[str(i), f"{e.bidder}\n统一社会信用代码：{e.credit_code}", yuan_or_dash(e.price),
                   "\n".join(f"{k}：{v}" for k, v in e.items) + (f"\n备注：{e.remark}" if e.remark else ""),
                   e.result.label, fmt_datetime(e.submitted_at, compact=True)] for i, e in enumerate(data.entries, start=1)],
                 ["6%", "30%", "15%", "19%", "15%", "15%"], align="clrlcc")
    story = [fields_block(rows), para("开标情况", s.heading),
             para(f"截至投标截止时间共递交投标文件 {len(data.entries)} 份，在解密时间内解密成功 {decrypted} 份。", s.body),
             table, para("以上时间均为北京时间。投标报价以投标人解密后的开标一览表为准。", s.note)]
    if data.notes:
        story += [para("备注", s.heading), para(data.notes, s.clause)]
    return build_document(title=TITLE, story=story, document_id=document_id, verify_url=verify_url,
                          created=data.opened_at, subtitle=data.project.name,
                          signatories=[Signatory("agency", "代理机构盖章", data.agency.name)])
