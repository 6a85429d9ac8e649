"""Experts (评审专家), their declared conflicts, draws, assignments, one-time codes, event
certificates and signatures (docs/experts.md).

- :class:`Expert`: kept by the operator; the ID number is shown masked in listings.
- :class:`ExpertConflict`: a party (by credit code) the expert declared it must be avoided for.
- :class:`ExpertDraw`: one draw per tender: the commitment and its timestamp token, the snapshot of
  the eligible pool, the seed (revealed after the draw, published with the snapshot from the
  evaluation start), the excluded experts and why, and the drawn list — only as an envelope to the
  agency's encryption certificates until the evaluation starts.
- :class:`ExpertAssignment`: one drawn expert of a draw, in draw order: called (awaiting an
  answer), confirmed, declined, or standing by as a reserve.
- :class:`ExpertCode`: a one-time code (only its argon2id hash), for signing in or for one signature
  (then with the SHA-256 of what is signed).
- :class:`EventCertificate`: the short-lived certificate of an expert's key on the platform's token.
- :class:`ExpertSignature`: a detached CMS signature an expert made with it.
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bidding.base import Base, UTCDateTime
from bidding.tenders.models import Tender


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda members: [m.value for m in members])


def mask_id_number(number: str) -> str:
    """An ID number as listings show it: the first 3 and last 4 characters."""
    return number[:3] + "*" * max(len(number) - 7, 0) + number[-4:] if len(number) > 7 else "*" * len(number)


class Expert(Base):
    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(120), unique=True)
    specialities: Mapped[str] = mapped_column(String(200))        # comma-separated speciality names
    region: Mapped[str] = mapped_column(String(50))
    employer_name: Mapped[str] = mapped_column(String(200))
    employer_credit_code: Mapped[str] = mapped_column(String(18), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def speciality_list(self) -> list[str]:
        return [s for s in self.specialities.split(",") if s]

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    def __repr__(self) -> str:
        return f"<Expert {self.id}>"


class ExpertConflict(Base):
    __tablename__ = "expert_conflict"
    __table_args__ = (UniqueConstraint("expert_id", "credit_code", name="uq_expert_conflict_expert_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    party_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpertDraw(Base):
    __tablename__ = "expert_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    speciality: Mapped[str] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    reserves: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str] = mapped_column(String(64))
    timestamp_token: Mapped[bytes] = mapped_column(LargeBinary)
    snapshot_json: Mapped[bytes] = mapped_column(LargeBinary)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    seed_hex: Mapped[str] = mapped_column(String(64))
    exclusions_json: Mapped[str] = mapped_column(Text)
    list_envelope: Mapped[bytes] = mapped_column(LargeBinary)
    list_version: Mapped[int] = mapped_column(Integer, default=1)
    drawn_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    evaluation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tender: Mapped[Tender] = relationship()

    @property
    def sealed(self) -> bool:
        """The list is readable through the platform only once the evaluation started."""
        return self.evaluation_started_at is None


class AssignmentState(str, enum.Enum):
    CALLED = "called"            # 已通知，待答复
    CONFIRMED = "confirmed"      # 已确认参加
    DECLINED = "declined"        # 已拒绝（由下一位备选补上）
    STANDBY = "standby"          # 备选，未启用

    @property
    def label(self) -> str:
        return {"called": "待答复", "confirmed": "已确认", "declined": "已拒绝", "standby": "备选"}[self.value]


class ExpertAssignment(Base):
    __tablename__ = "expert_assignment"
    __table_args__ = (UniqueConstraint("draw_id", "expert_id", name="uq_expert_assignment_draw_expert"),
                      UniqueConstraint("draw_id", "position", name="uq_expert_assignment_draw_position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("expert_draw.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)               # 1-based place in the draw order
    state: Mapped[AssignmentState] = mapped_column(_enum(AssignmentState, "expert_assignment_state"))
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CodePurpose(str, enum.Enum):
    SIGN_IN = "sign_in"          # 登录
    SIGN = "sign"                # 确认一次签名


class ExpertCode(Base):
    __tablename__ = "expert_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    purpose: Mapped[CodePurpose] = mapped_column(_enum(CodePurpose, "expert_code_purpose"))
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_sha256: Mapped[str | None] = mapped_column(String(64))     # SIGN: what the code confirms
    document_title: Mapped[str | None] = mapped_column(String(200))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("expert_event_certificate.id"))


class EventCertificate(Base):
    __tablename__ = "expert_event_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    chain_der: Mapped[bytes] = mapped_column(LargeBinary)        # the issuing CA certificates, concatenated PEM
    serial: Mapped[str] = mapped_column(String(40))
    token_label: Mapped[str] = mapped_column(String(64))
    key_id_hex: Mapped[str] = mapped_column(String(32))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpertSignature(Base):
    __tablename__ = "expert_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("expert_event_certificate.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    document_title: Mapped[str] = mapped_column(String(200))
    signature_der: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    certificate: Mapped[EventCertificate] = relationship()
