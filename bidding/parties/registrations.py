"""Registration (主体入库): an organisation applies with its data, its business licence and its first
staff account; a platform operator approves (the party and the account are made in the same
transaction) or rejects with a reason; the applicant is told by a notice either way.

Every refusal names the field it is about (``details["field"]``) and changes nothing: no row, no
audit entry, no file in the store.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bidding.accounts import passwords
from bidding.accounts.errors import UsernameTaken, WeakPassword
from bidding.accounts.models import Account, Role
from bidding.accounts.services import USERNAME, add_account, check_new_password
from bidding.parties.errors import (
    InvalidPartyData,
    OperatorsOnly,
    PartyAlreadyRegistered,
    ReasonRequired,
    RegistrationAlreadyReviewed,
    RegistrationNotFound,
    RegistrationPending,
)
from bidding.parties.licences import MAX_LICENCE_BYTES, check_licence, store_licence
from bidding.parties.models import Party, PartyKind, Registration, RegistrationState
from bidding.parties.notices import add_notice
from bidding.parties.services import add_party
from bidding.uow import UnitOfWork
from pki.identity import IdentityError, validate_credit_code

#: the kinds that register themselves, and the role of their first account
STAFF_ROLES = {PartyKind.SUPPLIER: Role.SUPPLIER_STAFF, PartyKind.AGENCY: Role.AGENCY_STAFF,
               PartyKind.PURCHASER: Role.PURCHASER_STAFF}
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
MAX_REASON = 500


@dataclass(frozen=True)
class Application:
    """What the applicant types in (the licence comes beside it as bytes)."""

    kind: PartyKind
    name: str
    credit_code: str
    legal_representative: str
    address: str
    contact_name: str
    contact_phone: str
    username: str
    password: str


@dataclass(frozen=True)
class Submitted:
    """A stored application and the token of its status page (shown once, kept only as SHA-256)."""

    registration: Registration
    status_token: str


def submit_registration(uow: UnitOfWork, application: Application, licence_data: bytes, licence_filename: str,
                        *, store: Path, max_licence_bytes: int = MAX_LICENCE_BYTES) -> Submitted:
    """Check everything, keep the licence in ``store`` and the application as *submitted*."""
    fields = _checked_fields(application)
    licence = check_licence(licence_data, licence_filename, max_bytes=max_licence_bytes)
    password_hash = passwords.hash_password(application.password)
    token = secrets.token_urlsafe(24)
    with uow:
        _check_unique(uow, fields["credit_code"], fields["username"])
        registration = Registration(
            state=RegistrationState.SUBMITTED, **fields, licence_sha256=licence.sha256,
            licence_media_type=licence.media_type, licence_size=len(licence.data),
            licence_filename=licence.filename, password_hash=password_hash,
            status_token_sha256=_token_hash(token), submitted_at=uow.clock.now())
        uow.session.add(registration)
        uow.session.flush()
        uow.audit("registration.submitted", registration, kind=registration.kind, name=registration.name,
                  credit_code=registration.credit_code, username=registration.username,
                  licence_sha256=licence.sha256, licence_media_type=licence.media_type)
        made = store_licence(store, licence)
        try:
            uow.commit()
        except BaseException:
            if made:    # the file is only this application's: leave the store as it was
                Path(store, "licences", licence.sha256).unlink(missing_ok=True)
            raise
        return Submitted(registration, token)


def review_registration(uow: UnitOfWork, reviewer: Account, registration_id: int, approve: bool,
                        reason: str | None = None) -> Registration:
    """An operator's decision. Approval registers the party and its first staff account (with the
    applicant's password) in this one transaction; rejection needs a reason. A notice either way."""
    if reviewer is None or reviewer.role != Role.OPERATOR:
        raise OperatorsOnly()
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ReasonRequired(field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidPartyData(f"理由不得超过 {MAX_REASON} 个字符 (the reason may have at most {MAX_REASON} "
                               "characters)", field="reason")
    with uow:
        registration = uow.session.get(Registration, registration_id, with_for_update=True)
        if registration is None:
            raise RegistrationNotFound(registration=registration_id)
        if registration.state != RegistrationState.SUBMITTED:
            raise RegistrationAlreadyReviewed(state=registration.state.value)
        registration.reviewed_by_id, registration.reviewed_at = reviewer.id, uow.clock.now()
        registration.reason = reason or None
        if approve:
            _approve(uow, registration)
        else:
            registration.state = RegistrationState.REJECTED
            registration.password_hash = None
            add_notice(uow, f"您的主体注册申请（{registration.name}）未通过审核。理由：{reason}",
                       registration_id=registration.id)
        uow.audit(f"registration.{registration.state.value}", registration, reviewer=reviewer.id,
                  reason=registration.reason, party_id=registration.party_id)
        uow.commit()
        return registration


def find_by_token(uow: UnitOfWork, registration_id: int, token: str) -> Registration:
    """The application whose status page this is; unknown id and wrong token are told apart from
    nothing (both: not found)."""
    registration = uow.session.get(Registration, registration_id)
    if registration is None or not hmac.compare_digest(registration.status_token_sha256,
                                                       _token_hash(token or "")):
        raise RegistrationNotFound(registration=registration_id)
    return registration


def list_registrations(uow: UnitOfWork, state: RegistrationState | None = None) -> list[Registration]:
    query = select(Registration).order_by(Registration.submitted_at.desc(), Registration.id.desc())
    if state is not None:
        query = query.where(Registration.state == state)
    return list(uow.session.scalars(query))


def get_registration(uow: UnitOfWork, registration_id: int) -> Registration:
    registration = uow.session.get(Registration, registration_id)
    if registration is None:
        raise RegistrationNotFound(registration=registration_id)
    return registration


# -- the steps ----------------------------------------------------------------------------------------
def _approve(uow: UnitOfWork, registration: Registration) -> None:
    party = add_party(uow, name=registration.name, kind=registration.kind, credit_code=registration.credit_code,
                      source=f"registration:{registration.id}")
    account = add_account(uow, username=registration.username, role=STAFF_ROLES[registration.kind],
                          password_hash=registration.password_hash or "", display_name=registration.contact_name,
                          party_id=party.id)
    registration.state, registration.party_id, registration.password_hash = RegistrationState.APPROVED, party.id, None
    add_notice(uow, f"您的主体注册申请（{registration.name}）已审核通过。请使用用户名 {account.username} 登录，"
                    "绑定数字证书后签署入驻承诺书。", party_id=party.id, registration_id=registration.id)


def _checked_fields(a: Application) -> dict:
    if a.kind not in STAFF_ROLES:
        raise InvalidPartyData("主体类型须为供应商、代理机构或采购人 (the kind must be supplier, agency or purchaser)",
                               field="kind")
    try:
        code = validate_credit_code(a.credit_code or "")
    except IdentityError as exc:
        raise InvalidPartyData(str(exc), field="credit_code") from exc
    values = {"name": _text(a.name, "name", "主体名称", 200), "credit_code": code,
              "legal_representative": _text(a.legal_representative, "legal_representative", "法定代表人", 50),
              "address": _text(a.address, "address", "住所", 200),
              "contact_name": _text(a.contact_name, "contact_name", "联系人", 50)}
    phone = (a.contact_phone or "").strip().replace(" ", "")
    if not PHONE.match(phone):
        raise InvalidPartyData("联系电话须为 11 位手机号或带区号的固定电话 (a mobile number of 11 digits or a "
                               "landline with its area code)", field="contact_phone")
    username = (a.username or "").strip()
    if not USERNAME.match(username):
        raise InvalidPartyData("用户名须为 3–64 个字符，仅限小写字母、数字和 . _ - "
                               "(a user name has 3–64 characters: a-z, 0-9, '.', '_', '-')", field="username")
    try:
        check_new_password(username, a.password)
    except WeakPassword as exc:
        raise WeakPassword(field="password") from exc
    return {**values, "kind": a.kind, "contact_phone": phone, "username": username}


def _text(value: str, field: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise InvalidPartyData(f"{label}须为 1–{limit} 个字符 ({field} must have 1–{limit} characters)", field=field)
    return value


def _check_unique(uow: UnitOfWork, credit_code: str, username: str) -> None:
    if uow.session.scalars(select(Party.id).where(Party.credit_code == credit_code)).first() is not None:
        raise PartyAlreadyRegistered(credit_code=credit_code, field="credit_code")
    pending = select(Registration.id).where(Registration.state == RegistrationState.SUBMITTED)
    if uow.session.scalars(pending.where(Registration.credit_code == credit_code)).first() is not None:
        raise RegistrationPending(credit_code=credit_code, field="credit_code")
    if (uow.session.scalars(select(Account.id).where(Account.username == username)).first() is not None
            or uow.session.scalars(pending.where(Registration.username == username)).first() is not None):
        raise UsernameTaken(username=username, field="username")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
