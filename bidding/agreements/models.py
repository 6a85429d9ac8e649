"""Delegation agreements (委托协议): a purchaser entrusts an agency with its procurement.

Life cycle (DESIGN.md §5): draft → signed by the purchaser → signed by both → filed; the agency may
instead refuse with a reason, after which the purchaser revises the terms (a new document, the
same agreement, ``revision`` + 1) and sends it again. Every step is an :class:`AgreementEvent`
(the history both sides see). The PDF and its stamps are a :class:`bidding.documents.models.Document`.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class AgreementState(str, enum.Enum):
    DRAFT = "draft"                                  # 草稿，待采购人签章
    SIGNED_BY_PURCHASER = "signed_by_purchaser"      # 采购人已签章，待代理机构签章
    SIGNED_BY_BOTH = "signed_by_both"                # 双方已签章，待备案
    FILED = "filed"                                  # 已备案
    REFUSED = "refused"                              # 代理机构拒签，待采购人修改

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    AgreementState.DRAFT: "草稿（待采购人签章）",
    AgreementState.SIGNED_BY_PURCHASER: "采购人已签章（待代理机构签章）",
    AgreementState.SIGNED_BY_BOTH: "双方已签章（待备案）",
    AgreementState.FILED: "已备案",
    AgreementState.REFUSED: "代理机构已拒签（待采购人修改）",
}


class AgreementAction(str, enum.Enum):
    DRAFTED = "drafted"
    REVISED = "revised"
    STAMPED_BY_PURCHASER = "stamped_by_purchaser"
    STAMPED_BY_AGENCY = "stamped_by_agency"
    REFUSED = "refused"
    FILED = "filed"

    @property
    def label(self) -> str:
        return {"drafted": "采购人起草", "revised": "采购人修改后重新起草", "stamped_by_purchaser": "采购人签章",
                "stamped_by_agency": "代理机构签章", "refused": "代理机构拒签", "filed": "备案"}[self.value]


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


class DelegationAgreement(Base):
    """One agreement between a purchaser and an agency; ``document_id`` is its current PDF.
    ``sent_at``: when the purchaser first stamped it (from then on the agency sees it)."""

    __tablename__ = "delegation_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchaser_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    project_name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)                                 # 委托范围
    procurement_method: Mapped[str] = mapped_column(String(20))              # 采购方式, "" when not fixed yet
    budget: Mapped[Decimal] = mapped_column(Numeric(18, 2))                  # 采购预算, yuan
    fee: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))              # a fixed agency fee, yuan
    fee_terms: Mapped[str] = mapped_column(Text)                             # how the fee is computed, who pays
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)
    state: Mapped[AgreementState] = mapped_column(_enum(AgreementState, "agreement_state", 30), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), unique=True)   # set in the drafting transaction
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_by_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))

    @property
    def number(self) -> str:
        """The number people quote: 委托协议 WT-000012-2 (id and revision)."""
        return f"WT-{self.id:06d}-{self.revision}"

    def __repr__(self) -> str:
        return f"<DelegationAgreement {self.id} {self.state.value} purchaser={self.purchaser_id} agency={self.agency_id}>"


class AgreementEvent(Base):
    """One step in an agreement's history: who (party) did what, when, on which document."""

    __tablename__ = "delegation_agreement_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("delegation_agreement.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    action: Mapped[AgreementAction] = mapped_column(_enum(AgreementAction, "agreement_action", 30))
    revision: Mapped[int] = mapped_column(Integer)
    document_public_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<AgreementEvent {self.agreement_id} {self.action.value} at {self.at:%Y-%m-%d %H:%M}>"
