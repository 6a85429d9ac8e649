"""Bids (投标) as the platform keeps them until the opening: the envelope's facts, never its content.

- :class:`BidUpload`: a resumable upload in progress (docs/uploads.md): how many bytes arrived,
  the size and SHA-256 the bidder announced, when the last byte arrived (R17). The bytes themselves
  are a file in the bid store (:mod:`bidding.bids.uploads`).
- :class:`Bid`: an accepted envelope, stored under its SHA-256. Life cycle (DESIGN.md §5):
  submitted (with a receipt) → withdrawn | replaced | decrypted → valid | invalid, or
  decryption failed. At most one bid of a party is *submitted* per tender (a partial unique index):
  a new one replaces it.
- :class:`BidRecipient`: which bound certificate each RecipientInfo of the envelope names (R10:
  those certificates cannot be renewed or changed while the bid is pending).
- :class:`BidReceipt`: the receipts (投标回执) the platform signed: one when a bid is submitted, one
  when it is withdrawn.
"""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"    # no 0/O, 1/I/L: read aloud and typed from a receipt


def new_bid_id() -> str:
    """A bid's public id, printed on its receipt: ``B-`` and 16 random characters (about 79 bits),
    e.g. ``B-7KQM3XZP9D2WHT4B``; unguessable, so one bid's id tells nothing of another's."""
    return "B-" + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def new_upload_id() -> str:
    """An upload's id in its URL: 24 random characters (about 119 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(24))


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


class BidState(str, enum.Enum):
    SUBMITTED = "submitted"                  # 已递交（有回执）
    WITHDRAWN = "withdrawn"                  # 已撤回
    REPLACED = "replaced"                    # 已被新的投标替换（文件仍保存）
    DECRYPTED = "decrypted"                  # 开标时已解密
    VALID = "valid"                          # 解密并核验通过
    INVALID = "invalid"                      # 无效（撤销，R15）
    DECRYPTION_FAILED = "decryption_failed"  # 解密失败

    @property
    def label(self) -> str:
        return _BID_LABELS[self]

    @property
    def pending(self) -> bool:
        """Still waiting for the opening (R10: holds its certificates)."""
        return self is BidState.SUBMITTED


_BID_LABELS = {
    BidState.SUBMITTED: "已递交",
    BidState.WITHDRAWN: "已撤回",
    BidState.REPLACED: "已替换",
    BidState.DECRYPTED: "已解密",
    BidState.VALID: "有效",
    BidState.INVALID: "无效",
    BidState.DECRYPTION_FAILED: "解密失败",
}


class UploadState(str, enum.Enum):
    """An upload receives bytes until it becomes a bid or is refused; an unfinished upload past its
    ``expires_at`` (or the bid deadline) is expired by the clock, not by a flag."""

    RECEIVING = "receiving"      # 接收中
    COMPLETED = "completed"      # 已成为投标
    REFUSED = "refused"          # 已拒收（原因见 refusal_code）
    CANCELLED = "cancelled"      # 投标人已取消

    @property
    def label(self) -> str:
        return {"receiving": "接收中", "completed": "已递交", "refused": "已拒收", "cancelled": "已取消"}[self.value]


class Bid(Base):
    """An accepted bid envelope (投标文件): its size and digests exactly as stored, when its last
    byte arrived (``received_at``, R17), and its state. The envelope is in the bid store under
    ``sha256``; nothing here, nor anywhere on the platform, holds its plaintext (DESIGN.md §6)."""

    __tablename__ = "bid"
    __table_args__ = (
        Index("uq_bid_submitted_tender_party", "tender_id", "party_id", unique=True,
              sqlite_where=text("state = 'submitted'"), postgresql_where=text("state = 'submitted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    state: Mapped[BidState] = mapped_column(_enum(BidState, "bid_state", 30), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sm3: Mapped[str] = mapped_column(String(64))
    envelope_format: Mapped[str] = mapped_column(String(10))       # cms | gm
    content_type: Mapped[str] = mapped_column(String(30))          # authEnvelopedData | envelopedData | gm-envelopedData
    cipher: Mapped[str] = mapped_column(String(20))                # aes-256-gcm | aes-256-cbc | sm4-cbc
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())   # the last byte's arrival (R17)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Bid {self.public_id} tender={self.tender_id} party={self.party_id} {self.state.value}>"


class BidRecipient(Base):
    """One recipient of a bid's envelope: the bidder's bound encryption certificate it names."""

    __tablename__ = "bid_recipient"
    __table_args__ = (UniqueConstraint("bid_id", "binding_id", name="uq_bid_recipient_bid_binding"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), index=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("certificate_binding.id"), index=True)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())


class BidReceipt(Base):
    """A receipt (投标回执) as signed: ``der`` is the SignedData with its timestamp token
    (:mod:`pki.receipts`); ``action`` is ``submitted`` or ``withdrawn``."""

    __tablename__ = "bid_receipt"
    __table_args__ = (UniqueConstraint("bid_id", "action", name="uq_bid_receipt_bid_action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    der: Mapped[bytes] = mapped_column(LargeBinary)


class BidUpload(Base):
    """A resumable upload of a bid envelope (docs/uploads.md). ``received`` bytes of ``size`` are
    in the bid store's ``uploads/<public_id>.part``; ``last_byte_at`` is set, in the same commit as
    the last chunk, to the moment the last byte arrived: that instant decides the deadline (R17),
    also when the upload is finished again after a crash."""

    __tablename__ = "bid_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))                # as announced by the bidder
    received: Mapped[int] = mapped_column(BigInteger)              # the upload offset
    state: Mapped[UploadState] = mapped_column(_enum(UploadState, "bid_upload_state", 20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())    # created + lifetime; the deadline ends it sooner
    last_byte_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refusal_code: Mapped[str | None] = mapped_column(String(60))
    refusal_message: Mapped[str | None] = mapped_column(Text)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"))

    def __repr__(self) -> str:
        return f"<BidUpload {self.public_id} {self.received}/{self.size} {self.state.value}>"


__all__ = ["Bid", "BidState", "BidRecipient", "BidReceipt", "BidUpload", "UploadState", "new_bid_id",
           "new_upload_id"]
