"""The award's tables (docs/award.md).

- :class:`Award`: one per tender, the bid the purchaser confirmed as the winner (确认中标人) from the
  evaluation's recommended ranking, with the documents that carry it: the purchaser's confirmation
  (中标人确认书) and the agency's award notice (中标通知书). The contract (bidding.contracts) starts
  from an award whose notice is stamped (``notified_at`` set).
- :class:`ResultNotice`: the agency's 中标结果通知书 to each other bidder whose bid was opened and
  evaluated, with its own rank and score (or why it did not qualify); ``notified_at`` once stamped.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class AwardState(str, enum.Enum):
    PROPOSED = "proposed"          # the purchaser chose the winner; its confirmation waits for its seal
    CONFIRMED = "confirmed"        # the confirmation is stamped; the agency issues the notices
    NOTIFIED = "notified"          # the award notice is stamped: the winner and the others are told


class Award(Base):
    """The tender's award: ``bid_id`` of ``winner_party_id`` at ``rank`` of the recommended ranking,
    its price (the bid's amount as opened) and currency; ``reason`` when the purchaser did not take the
    first-ranked bidder (required then); ``contract_within_days``: the days the award notice gives to
    sign the contract (set when the agency makes the notices)."""

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
    contract_within_days: Mapped[int | None] = mapped_column(Integer)     # 签订合同的期限, printed on the notice
    proposed_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Award {self.id} tender={self.tender_id} bid={self.bid_id} {self.state.value}>"


class ResultNotice(Base):
    """The result notice (中标结果通知书) to the bidder ``party_id`` of bid ``bid_id``: its ``rank``
    and ``score`` in the recommended ranking (none when it did not qualify), the ``reason`` it did not
    win; ``document_id`` the agency stamps; ``notified_at`` when that stamp sent it."""

    __tablename__ = "award_result_notice"
    __table_args__ = (UniqueConstraint("award_id", "bid_id", name="uq_award_result_notice_award_bid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    reason: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ResultNotice {self.id} award={self.award_id} bid={self.bid_id} sent={self.notified_at is not None}>"
