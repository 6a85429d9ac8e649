"""The opening's tables (docs/opening.md).

- :class:`OpeningKey`: the tender's opening key (开标密钥), made when the window opens; its private
  key is kept encrypted under ``OPENING_KEY_SECRET`` and erased when the window closes.
- :class:`BidOpening`: one bid's way through the opening: the one-time context released with its
  RecipientInfo, the attempts, and the outcome (decrypted with its price and items, the package
  refused, or R15 at the close). ``platform_error`` records a failure that was the platform's
  (R15: such a bid is withdrawn, not revoked).
- :class:`OpeningHall`: the hall of a tender (开标大厅): the head of its event chain (``hall_seq``,
  the last event's SHA-256), row-locked by :func:`bidding.opening.events.record_hall_event`; the
  opening record and transcript once published.
- :class:`HallSignIn` (签到) and :class:`Objection` (异议): written by the hall's use cases.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class OpeningState(str, enum.Enum):
    AWAITING = "awaiting"              # 待解密
    RELEASED = "released"              # 已下发解密数据，待提交密钥
    DECRYPTED = "decrypted"            # 已解密
    FAILED = "failed"                  # 解密后核验未通过（投标人原因）
    INVALID = "invalid"                # 解密时限内未解密，投标人原因（撤销，R15）
    WITHDRAWN = "withdrawn"            # 解密时限内未解密，平台原因（撤回，R15）

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def final(self) -> bool:
        return self in (OpeningState.DECRYPTED, OpeningState.FAILED, OpeningState.INVALID, OpeningState.WITHDRAWN)


_LABELS = {
    OpeningState.AWAITING: "待解密",
    OpeningState.RELEASED: "解密中",
    OpeningState.DECRYPTED: "已解密",
    OpeningState.FAILED: "解密失败",
    OpeningState.INVALID: "未解密（投标人原因，撤销）",
    OpeningState.WITHDRAWN: "未解密（平台原因，撤回）",
}


class OpeningKey(Base):
    """A tender's opening key: ``certificate_der`` (from the platform's CA, role ``opening``) and
    where its private key is: generated on the platform's token (``token_label``, ``token_key_id``:
    never extractable, destroyed on the token when the window closes), or, where the settings keep
    opening keys in the database, as encrypted PKCS#8 PEM set to NULL then (``destroyed_at``)."""

    __tablename__ = "opening_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    encrypted_key_pem: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_label: Mapped[str | None] = mapped_column(String(64))
    token_key_id: Mapped[str | None] = mapped_column(String(32))     # CKA_ID, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def held(self) -> bool:
        """Whether the private key still exists (on the token, or encrypted here)."""
        return self.destroyed_at is None and (self.token_key_id is not None or self.encrypted_key_pem is not None)

    def __repr__(self) -> str:
        return f"<OpeningKey tender={self.tender_id} destroyed={self.destroyed_at is not None}>"


class BidOpening(Base):
    """One bid at the opening. Made at the first release (or at the close, for a bid never asked
    for); ``context`` is the one-time challenge of the last release (NULL once used)."""

    __tablename__ = "bid_opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    state: Mapped[OpeningState] = mapped_column(Enum(OpeningState, name="bid_opening_state", native_enum=False,
                                                     length=20, values_callable=lambda m: [x.value for x in m]))
    context: Mapped[str | None] = mapped_column(String(64), unique=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_to: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    recipient_binding_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_binding.id"))
    signer_binding_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_binding.id"))
    decrypted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    price: Mapped[str | None] = mapped_column(String(40))          # the manifest's amount, exactly as signed
    currency: Mapped[str | None] = mapped_column(String(10))
    items: Mapped[str | None] = mapped_column(Text)                # JSON: the manifest's declared items, then its files
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(60))
    failure_message: Mapped[str | None] = mapped_column(Text)
    platform_error: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<BidOpening bid={self.bid_id} {self.state.value}>"


class OpeningHall(Base):
    """The head of a tender's hall event chain, and what the hall publishes at its end."""

    __tablename__ = "opening_hall"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    hall_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_sha256: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    record_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    transcript_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OpeningHall tender={self.tender_id} seq={self.hall_seq}>"


class HallSignIn(Base):
    """签到: a bidder's presence in the hall (one per party and tender)."""

    __tablename__ = "hall_sign_in"
    __table_args__ = (UniqueConstraint("tender_id", "party_id", name="uq_hall_sign_in_tender_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Objection(Base):
    """异议 number ``seq`` raised in a tender's hall, and the agency's answer."""

    __tablename__ = "opening_objection"
    __table_args__ = (UniqueConstraint("tender_id", "seq", name="uq_opening_objection_tender_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


__all__ = ["BidOpening", "HallSignIn", "Objection", "OpeningHall", "OpeningKey", "OpeningState"]
