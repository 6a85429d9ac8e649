"""The certificate service desk's requests (证书服务申请): renewal, change of subject data, lost-key
replacement, PIN unlock and revocation of a bound certificate (R5, R7–R9, R21).

A request is written when the desk has an answer: ``done`` (the CA answered and the binding moved
on, ``new_binding_id`` naming the new certificate's binding), ``awaiting_review`` (a PIN unlock
whose handler does not match the party's record: an operator decides) or, after the review,
``rejected``. A refusal writes no request at all: it changes nothing (``submitted`` is the state of
a request being handled, never seen after the transaction).
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])


class ServiceKind(str, enum.Enum):
    RENEWAL = "renewal"                  # 证书续期 (R7)
    CHANGE_SUBJECT = "change_subject"    # 证书变更：主体信息变更 (R5)
    REPLACE_KEY = "replace_key"          # 补办：介质丢失或损坏 (R8)
    UNLOCK_PIN = "unlock_pin"            # PIN 码解锁 (R9, R21)
    REVOKE = "revoke"                    # 证书吊销

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {ServiceKind.RENEWAL: "证书续期", ServiceKind.CHANGE_SUBJECT: "主体信息变更",
                ServiceKind.REPLACE_KEY: "介质丢失/损坏补办", ServiceKind.UNLOCK_PIN: "PIN 码解锁",
                ServiceKind.REVOKE: "证书吊销"}


class RequestState(str, enum.Enum):
    SUBMITTED = "submitted"              # 已提交
    AWAITING_REVIEW = "awaiting_review"  # 待审核
    DONE = "done"                        # 已办结
    REJECTED = "rejected"                # 已驳回

    @property
    def label(self) -> str:
        return {"submitted": "已提交", "awaiting_review": "待审核", "done": "已办结", "rejected": "已驳回"}[self.value]


class ServiceRequest(Base):
    """One request to the certificate service desk. ``details``: what the kind needs (``years``,
    ``name``, ``handler`` {name, id_last4, phone}, ``token_label``, ``reason``) and what the CA
    answered (``new_serial``)."""

    __tablename__ = "certificate_service_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("certificate_binding.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(_enum(ServiceKind, "service_kind", 20))
    state: Mapped[RequestState] = mapped_column(_enum(RequestState, "service_request_state", 20), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    new_binding_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_binding.id"))

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.id} {self.kind.value} {self.state.value} binding={self.binding_id}>"
