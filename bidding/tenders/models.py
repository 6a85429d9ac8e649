"""Procurement projects (采购项目) and their tenders (招标), the suppliers registered for a tender
(报名) and the amendments published after it (更正公告).

A tender's phase is not stored: :meth:`Tender.phase` derives it from the tender's times and the
clock on every request (DESIGN.md §5: draft → open for bids → closed at the deadline → opening,
the decryption window → opened). ``published_at`` is a fact (when it was published), not a phase.
The PDFs (招标文件, 采购文件审核意见书, 更正公告) and their stamps are
:class:`bidding.documents.models.Document` rows.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime

DEFAULT_DECRYPTION_WINDOW = timedelta(minutes=30)


class TenderPhase(str, enum.Enum):
    """Where a tender is at a moment (:meth:`Tender.phase`); the order is the life cycle's."""

    DRAFT = "draft"          # 未发布：编制招标文件、采购人审核
    OPEN = "open"            # 已发布，投标截止前：可报名、可投标
    CLOSED = "closed"        # 投标已截止，待开标
    OPENING = "opening"      # 开标中：解密时限内
    OPENED = "opened"        # 开标结束（解密时限已过）

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]

    @property
    def rank(self) -> int:
        return list(TenderPhase).index(self)


_PHASE_LABELS = {
    TenderPhase.DRAFT: "未发布",
    TenderPhase.OPEN: "投标中",
    TenderPhase.CLOSED: "已截止，待开标",
    TenderPhase.OPENING: "开标中（解密）",
    TenderPhase.OPENED: "已开标",
}


class Project(Base):
    """A procurement project (采购项目) an agency runs for a purchaser under their filed delegation
    agreement (``agreement_id``: the one in force when it was created)."""

    __tablename__ = "procurement_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    purchaser_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("delegation_agreement.id"))
    title: Mapped[str] = mapped_column(String(200))
    budget: Mapped[Decimal] = mapped_column(Numeric(18, 2))            # 采购预算, yuan
    method: Mapped[str] = mapped_column(String(20))                    # 采购方式
    description: Mapped[str] = mapped_column(Text)                     # 采购需求概述
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def number(self) -> str:
        """项目编号 as people quote it: CG-000012."""
        return f"CG-{self.id:06d}"

    def __repr__(self) -> str:
        return f"<Project {self.id} agency={self.agency_id} purchaser={self.purchaser_id} {self.title!r}>"


class Lot(Base):
    """One lot (包) of a project, with its own budget; ``seq`` 1, 2, … (第 1 包)."""

    __tablename__ = "procurement_lot"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_procurement_lot_project_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("procurement_project.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    budget: Mapped[Decimal] = mapped_column(Numeric(18, 2))

    def __repr__(self) -> str:
        return f"<Lot {self.project_id}#{self.seq} {self.name!r}>"


class Tender(Base):
    """The tender of a project (招标): its documents and, once published, its times.

    ``documents_document_id``: the current 招标文件 (the agency uploads and stamps it);
    ``review_document_id``: the purchaser's 采购文件审核意见书 over exactly that file
    (``review_conclusion``); both stamped before publication. ``bid_deadline``, ``opening_at`` and
    the decryption window are set at publication and moved only by a published amendment."""

    __tablename__ = "tender"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("procurement_project.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    purchaser_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    documents_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    review_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    review_conclusion: Mapped[str | None] = mapped_column(String(20))
    reviewed_sha256: Mapped[str | None] = mapped_column(String(64))    # the 招标文件 revision reviewed
    bid_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opening_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decryption_window_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    @property
    def decryption_window(self) -> timedelta:
        """解密时限: how long bidders have to decrypt from the opening time (default 30 minutes)."""
        return timedelta(seconds=self.decryption_window_seconds)

    @decryption_window.setter
    def decryption_window(self, value: timedelta) -> None:
        self.decryption_window_seconds = int(value.total_seconds())

    @property
    def window_end(self) -> datetime | None:
        """When the decryption window closes (None before publication)."""
        return None if self.opening_at is None else self.opening_at + self.decryption_window

    def phase(self, now: datetime) -> TenderPhase:
        """The phase at ``now``: DRAFT until published; then OPEN while ``now < bid_deadline``
        (the deadline's own instant is already CLOSED), CLOSED until ``opening_at``, OPENING until
        the window's end, OPENED from then on."""
        if self.published_at is None or self.bid_deadline is None or self.opening_at is None:
            return TenderPhase.DRAFT
        if now < self.bid_deadline:
            return TenderPhase.OPEN
        if now < self.opening_at:
            return TenderPhase.CLOSED
        if now < self.opening_at + self.decryption_window:
            return TenderPhase.OPENING
        return TenderPhase.OPENED

    def __repr__(self) -> str:
        return f"<Tender {self.id} {self.public_id} project={self.project_id}>"


class TenderRegistration(Base):
    """A supplier registered for a tender (报名): it may download the documents and amendments,
    and is told of every amendment."""

    __tablename__ = "tender_registration"
    __table_args__ = (UniqueConstraint("tender_id", "party_id", name="uq_tender_registration_tender_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<TenderRegistration tender={self.tender_id} party={self.party_id}>"


class TenderAmendment(Base):
    """更正公告 number ``seq`` of a tender: a PDF the agency uploads and stamps; it is published
    when the stamp is complete (``published_at``), and only then do its new times apply. The times
    before it are kept (``old_*``), so the notice says what changed."""

    __tablename__ = "tender_amendment"
    __table_args__ = (UniqueConstraint("tender_id", "seq", name="uq_tender_amendment_tender_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    new_bid_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_opening_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    old_bid_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    old_opening_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def moves_times(self) -> bool:
        return self.new_bid_deadline is not None or self.new_opening_at is not None

    def __repr__(self) -> str:
        return f"<TenderAmendment {self.tender_id}#{self.seq} published={self.published_at is not None}>"
