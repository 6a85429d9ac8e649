"""Parties (主体): suppliers, agencies, purchasers, experts and the platform operator."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class PartyKind(str, enum.Enum):
    """What role a party plays on the platform (DESIGN.md §1)."""

    SUPPLIER = "supplier"      # 供应商
    AGENCY = "agency"          # 代理机构
    PURCHASER = "purchaser"    # 采购人
    EXPERT = "expert"          # 评审专家
    OPERATOR = "operator"      # 平台运营方

    @property
    def label(self) -> str:
        """The Chinese name shown in the UI."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    PartyKind.SUPPLIER: "供应商",
    PartyKind.AGENCY: "代理机构",
    PartyKind.PURCHASER: "采购人",
    PartyKind.EXPERT: "评审专家",
    PartyKind.OPERATOR: "平台运营方",
}


class Party(Base):
    """A legal or natural person known to the platform.

    ``credit_code`` is the unified social credit code (统一社会信用代码, GB 32100) of an organisation;
    experts (natural persons) have none. Checking the code's check character is the job of the
    registration use case, not of this table.
    """

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartyKind] = mapped_column(
        Enum(PartyKind, name="party_kind", native_enum=False, length=20,
             values_callable=lambda kinds: [k.value for k in kinds]))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Party {self.id} {self.kind.value} {self.name!r}>"
