"""The award's tables (docs/award.md).

- :class:`Award`: one per tender, the bid the purchaser confirmed as the winner (确认中标人) from the
  evaluation's recommended ranking, with the documents that carry it: the purchaser's confirmation
  (中标人确认书) and the agency's award notice (中标通知书). The contract (bidding.contracts) starts
  from an award whose notice is stamped (``notified_at`` set).
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class AwardState(str, enum.Enum):
    PROPOSED = "proposed"          # the purchaser chose the winner; its confirmation waits for its seal
    CONFIRMED = "confirmed"        # the confirmation is stamped; the agency issues the notices
    NOTIFIED = "notified"          # the award notice is stamped: the winner and the others are told


class Award(Base):
    """The tender's award: ``bid_id`` of ``winner_party_id`` at ``rank`` of the recommended ranking,
    its price (the bid's amount as opened) and currency; ``reason`` when the purchaser did not take the
    first-ranked bidder (required then)."""

    __tablename__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    winner_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[AwardState] = mapped_column(
        Enum(AwardState, name="award_state", native_enum=False, length=20,
             values_callable=lambda states: [s.value for s in states]))
    confirmation_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    notice_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    proposed_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Award {self.id} tender={self.tender_id} bid={self.bid_id} {self.state.value}>"
