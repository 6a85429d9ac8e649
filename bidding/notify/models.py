"""The outbox (发件箱): every message the platform owes someone outside the platform.

A message is written in the same transaction as the change it tells of (with its in-platform
notice), then delivered by the configured notifier from the scheduler process. The development
notifier delivers nowhere: the outbox is where a developer or an operator reads what would have
gone out (``/operator/outbox``).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class MessageState(str, enum.Enum):
    QUEUED = "queued"          # 待发送
    DELIVERED = "delivered"    # 已发送

    @property
    def label(self) -> str:
        return {"queued": "待发送", "delivered": "已发送"}[self.value]


class OutboxMessage(Base):
    """One message to one recipient (an account, or a party without accounts), beside the notice
    ``notice_id``. ``channel`` and ``reference`` say which notifier delivered it and what it
    answered (a message id, the outbox itself)."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[MessageState] = mapped_column(
        Enum(MessageState, name="message_state", native_enum=False, length=20,
             values_callable=lambda states: [s.value for s in states]), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} to={self.recipient!r} {self.state.value}>"
