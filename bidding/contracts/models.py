"""The contract (政府采购合同) of an award (docs/contracts.md).

Life cycle (DESIGN.md §5): draft → signed by the purchaser → signed by both → filed (备案); the
winning supplier may instead refuse with a reason, after which the purchaser revises the terms it
entered (a new document, the same contract, ``revision`` + 1) and stamps again. One contract per
award (a unique ``award_id``): revising replaces its document, never makes a second contract.
Both stamps carry the cross-page seal (骑缝章). Every step is a :class:`ContractEvent` (the history
both parties see). The PDF and its stamps are a :class:`bidding.documents.models.Document`.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class ContractState(str, enum.Enum):
    DRAFT = "draft"                                  # 草稿，待采购人签章
    SIGNED_BY_PURCHASER = "signed_by_purchaser"      # 采购人已签章，待中标供应商签章
    SIGNED_BY_BOTH = "signed_by_both"                # 双方已签章，待采购人备案
    FILED = "filed"                                  # 已备案
    REFUSED = "refused"                              # 供应商拒签，待采购人修改

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    ContractState.DRAFT: "草稿（待采购人签章）",
    ContractState.SIGNED_BY_PURCHASER: "采购人已签章（待供应商签章）",
    ContractState.SIGNED_BY_BOTH: "双方已签章（待采购人备案）",
    ContractState.FILED: "已备案",
    ContractState.REFUSED: "供应商已拒签（待采购人修改）",
}


class ContractAction(str, enum.Enum):
    DRAFTED = "drafted"
    REVISED = "revised"
    STAMPED_BY_PURCHASER = "stamped_by_purchaser"
    STAMPED_BY_SUPPLIER = "stamped_by_supplier"
    REFUSED = "refused"
    FILED = "filed"

    @property
    def label(self) -> str:
        return {"drafted": "采购人起草", "revised": "采购人修改后重新起草", "stamped_by_purchaser": "采购人签章（含骑缝章）",
                "stamped_by_supplier": "供应商签章（含骑缝章）", "refused": "供应商拒签", "filed": "采购人备案"}[self.value]


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


class Contract(Base):
    """The contract of award ``award_id`` between the tender's purchaser and the winner at the
    award's price; the purchaser enters ``payment_terms``, ``delivery_place`` and ``delivery_date``.
    ``sent_at``: the purchaser's first stamp (from then on the supplier sees it); ``signed_at``: the
    supplier's stamp (both signed, OCDS ``dateSigned``)."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    purchaser_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))                         # 合同标的
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))                   # 合同金额 = the award's price
    currency: Mapped[str] = mapped_column(String(10))
    payment_terms: Mapped[str] = mapped_column(Text)                          # 付款方式
    delivery_place: Mapped[str] = mapped_column(String(200))                  # 交付（履行）地点
    delivery_date: Mapped[date] = mapped_column(Date)                         # 交付（履行）期限
    state: Mapped[ContractState] = mapped_column(_enum(ContractState, "contract_state", 30), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), unique=True)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def number(self) -> str:
        """The number people quote: 合同 HT-000012-2 (id and revision)."""
        return f"HT-{self.id:06d}-{self.revision}"

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.state.value} award={self.award_id}>"


class ContractEvent(Base):
    """One step in a contract's history: which party did what, when, by whom (the audit actor,
    ``user:<account id>``), on which document."""

    __tablename__ = "contract_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[ContractAction] = mapped_column(_enum(ContractAction, "contract_action", 30))
    revision: Mapped[int] = mapped_column(Integer)
    document_public_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<ContractEvent {self.contract_id} {self.action.value} at {self.at:%Y-%m-%d %H:%M}>"
