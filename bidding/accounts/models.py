"""``Account``: a person who logs in, with a role and (for staff) the party it works for."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bidding.base import Base, UTCDateTime
from bidding.parties.models import Party, PartyKind


class Role(str, enum.Enum):
    """What an account may do. Staff roles act for a party of the matching kind."""

    SUPPLIER_STAFF = "supplier_staff"      # 供应商经办人
    AGENCY_STAFF = "agency_staff"          # 代理机构经办人
    PURCHASER_STAFF = "purchaser_staff"    # 采购人经办人
    OPERATOR = "operator"                  # 平台运营
    SUPERVISOR = "supervisor"              # 监管

    @property
    def label(self) -> str:
        """The Chinese name shown in the UI."""
        return _ROLE_LABELS[self]

    @property
    def party_kind(self) -> PartyKind | None:
        """The kind of party a staff account must belong to; ``None``: the account has no party."""
        return _ROLE_PARTY_KINDS.get(self)


_ROLE_LABELS = {
    Role.SUPPLIER_STAFF: "供应商经办人",
    Role.AGENCY_STAFF: "代理机构经办人",
    Role.PURCHASER_STAFF: "采购人经办人",
    Role.OPERATOR: "平台运营人员",
    Role.SUPERVISOR: "监管人员",
}
_ROLE_PARTY_KINDS = {
    Role.SUPPLIER_STAFF: PartyKind.SUPPLIER,
    Role.AGENCY_STAFF: PartyKind.AGENCY,
    Role.PURCHASER_STAFF: PartyKind.PURCHASER,
}


class Account(Base):
    """A log-in account. ``password_hash`` is an argon2id hash (never the password);
    ``failed_logins`` counts consecutive failures, ``locked_until`` ends a lock-out;
    ``session_epoch`` grows on log-out and password change, which ends every session made before
    (a cookie session cannot be deleted on the server, so its epoch is checked instead).

    The attributes ``is_authenticated``, ``is_anonymous``, ``is_active`` and :meth:`get_id` are the
    duck-typed user protocol that the web layer's log-in manager expects; nothing here imports it.
    """

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="account_role", native_enum=False, length=20,
             values_callable=lambda roles: [r.value for r in roles]))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)

    party: Mapped[Party | None] = relationship(lazy="joined")

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session's user id: account id and session epoch (``"12.3"``)."""
        return f"{self.id}.{self.session_epoch}"

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.username!r} {self.role.value}>"
