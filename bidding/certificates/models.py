"""Certificate bindings of parties and the one-time challenges that prove possession of a key.

A :class:`CertificateBinding` keeps the certificate itself (DER) and what the platform read from it
when it was bound; its life cycle is active → superseded | revoked (DESIGN.md §5). A certificate is
bound to at most one party at a time: its SHA-256 fingerprint is unique among *active* bindings (a
partial unique index), so the history of superseded and revoked bindings stays.

A :class:`Challenge` is a random nonce the platform issues for one purpose ("bind", "login", or
"decrypt": an encryption certificate's proof of decryption) to one
session (only a hash of the session key is stored) and one origin; it is used once, within two
minutes (:mod:`bidding.certificates.challenges`).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


class CertificateType(str, enum.Enum):
    """R1: the three certificate types."""

    INSTITUTION = "institution"                      # 机构证书
    LEGAL_REPRESENTATIVE = "legal_representative"    # 法人代表证书
    NATURAL_PERSON = "natural_person"                # 个人证书

    @property
    def label(self) -> str:
        return {"institution": "机构", "legal_representative": "法人代表", "natural_person": "个人"}[self.value]


class CertificatePurpose(str, enum.Enum):
    """What the key is for, from the certificate's key usage."""

    SIGNING = "signing"          # 签名证书
    ENCRYPTION = "encryption"    # 加密证书


class BindingState(str, enum.Enum):
    ACTIVE = "active"            # 有效
    SUPERSEDED = "superseded"    # 已被续期、变更或更换的新证书取代
    REVOKED = "revoked"          # 已吊销


class ChallengePurpose(str, enum.Enum):
    BIND = "bind"                # 绑定证书
    LOGIN = "login"              # 证书登录
    DECRYPT = "decrypt"          # 加密证书绑定：解密验证 (proof of decryption)


class CertificateBinding(Base):
    """A certificate bound to a party (证书绑定), with its seal when it is the main key (主锁, R6)."""

    __tablename__ = "certificate_binding"
    __table_args__ = (
        Index("uq_certificate_binding_active_fingerprint", "fingerprint_sha256", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str] = mapped_column(String(64))            # hex, upper case
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    profile_id: Mapped[str] = mapped_column(String(40))        # the CA profile of the trust list
    algorithm: Mapped[str] = mapped_column(String(10))         # rsa | ec | sm2
    certificate_type: Mapped[CertificateType] = mapped_column(_enum(CertificateType, "certificate_type", 30))
    identity_number: Mapped[str] = mapped_column(String(18))   # credit code (or ID number) read through the profile
    purpose: Mapped[CertificatePurpose] = mapped_column(_enum(CertificatePurpose, "certificate_purpose", 20))
    is_main_key: Mapped[bool] = mapped_column(Boolean)         # carries the seal (R6)
    seal_kind: Mapped[str | None] = mapped_column(String(20))
    seal_image: Mapped[bytes | None] = mapped_column(LargeBinary)   # PNG
    may_stamp: Mapped[bool] = mapped_column(Boolean)           # platform policy OID present (R4)
    stamp_refusal: Mapped[str | None] = mapped_column(Text)    # why it may not stamp (log-in only)
    state: Mapped[BindingState] = mapped_column(_enum(BindingState, "binding_state", 20))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_binding.id"))

    @property
    def has_seal(self) -> bool:
        return self.seal_image is not None

    def __repr__(self) -> str:
        return f"<CertificateBinding {self.id} party={self.party_id} {self.serial} {self.state.value}>"


class Challenge(Base):
    """A one-time challenge (一次性挑战) for binding a certificate or logging in with one."""

    __tablename__ = "certificate_challenge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)          # 32 random bytes, hex
    purpose: Mapped[ChallengePurpose] = mapped_column(_enum(ChallengePurpose, "challenge_purpose", 10))
    session_hash: Mapped[str] = mapped_column(String(64))               # SHA-256 of the session key, hex
    origin: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "decrypt" only: the certificate being bound and the envelope of random bytes sealed to it (the
    # nonce is then the SHA-256 of those bytes, which are never stored)
    certificate_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<Challenge {self.id} {self.purpose.value} used={self.used_at is not None}>"
