"""Parties (主体): suppliers, agencies, purchasers, experts and the platform operator."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, String, Text
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
    # the person handling the party's certificates (经办人); changing them changes no certificate (R5)
    handler_name: Mapped[str | None] = mapped_column(String(50))
    handler_id_last4: Mapped[str | None] = mapped_column(String(4))
    handler_phone: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<Party {self.id} {self.kind.value} {self.name!r}>"


class RegistrationState(str, enum.Enum):
    """The life cycle of a registration application: submitted → approved | rejected."""

    SUBMITTED = "submitted"    # 待审核
    APPROVED = "approved"      # 已通过
    REJECTED = "rejected"      # 未通过

    @property
    def label(self) -> str:
        return {"submitted": "待审核", "approved": "已通过", "rejected": "未通过"}[self.value]


class Registration(Base):
    """An application to join the platform (主体入库申请): the organisation's data, its business
    licence (kept in the file store under its SHA-256), and the first staff account it asks for.

    ``password_hash`` is the applicant's argon2id hash until the review; it moves to the new account
    on approval and is cleared on either outcome. ``status_token_sha256`` is the SHA-256 of the
    token the applicant got at submission (the status page's URL carries the token itself).
    """

    __tablename__ = "party_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[RegistrationState] = mapped_column(
        Enum(RegistrationState, name="registration_state", native_enum=False, length=20,
             values_callable=lambda states: [s.value for s in states]), index=True)
    kind: Mapped[PartyKind] = mapped_column(
        Enum(PartyKind, name="party_kind", native_enum=False, length=20,
             values_callable=lambda kinds: [k.value for k in kinds]))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    legal_representative: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    licence_sha256: Mapped[str] = mapped_column(String(64))
    licence_media_type: Mapped[str] = mapped_column(String(40))
    licence_size: Mapped[int] = mapped_column(Integer)
    licence_filename: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status_token_sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.state.value} {self.credit_code}>"


class Notice(Base):
    """An in-platform notice (站内通知) to a party, an account, or the applicant of a registration."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("party_registration.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Notice {self.id} party={self.party_id} account={self.account_id}>"


class CommitmentLetter(Base):
    """The registration commitment letter (入驻承诺书) as the supplier signed it: the exact text, the
    detached signature (DER) and who signed (SHA-256 of the signer's certificate)."""

    __tablename__ = "commitment_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    signature_der: Mapped[bytes] = mapped_column(LargeBinary)
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<CommitmentLetter {self.id} party={self.party_id}>"
