"""The expert pool (专家库), kept by the platform operator: experts and their declared conflicts.

Listings show the ID number masked (:attr:`Expert.masked_id_number`); the full number is only put
into an expert's event certificate (:mod:`bidding.experts.signing`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from bidding.accounts.models import Account, Role
from bidding.errors import InvalidInput, PermissionDenied
from bidding.experts.errors import ExpertExists, ExpertUnknown
from bidding.experts.models import Expert, ExpertConflict
from bidding.uow import UnitOfWork
from pki.identity import validate_credit_code, validate_id_number

_PHONE = re.compile(r"^1\d{10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ExpertDetails:
    """What the operator enters for an expert."""

    name: str
    id_number: str
    phone: str | None
    email: str | None
    specialities: list[str]
    region: str
    employer_name: str
    employer_credit_code: str


def require_operator(account: Account) -> None:
    if account.role != Role.OPERATOR:
        raise PermissionDenied("仅平台运营人员可维护专家库 (only operators keep the expert pool)")


def add_expert(uow: UnitOfWork, account: Account, details: ExpertDetails) -> Expert:
    """Put an expert into the pool (every field checked; the ID number, phone and e-mail unique)."""
    require_operator(account)
    with uow:
        fields = _checked(details)
        clash = uow.session.scalars(select(Expert).where(Expert.id_number == fields["id_number"])).first()
        if clash is not None:
            raise ExpertExists()
        for name in ("phone", "email"):
            if fields[name] and uow.session.scalars(select(Expert).where(getattr(Expert, name) == fields[name])).first():
                raise InvalidInput(f"该{'手机号' if name == 'phone' else '邮箱'}已属于库中另一位专家 (this {name} belongs to "
                                   f"another expert)", field=name)
        expert = Expert(**fields, active=True, created_at=uow.clock.now())
        uow.session.add(expert)
        uow.session.flush()
        uow.audit("expert.added", expert, specialities=expert.specialities, region=expert.region,
                  employer=expert.employer_credit_code)
        uow.commit()
        return expert


def set_expert_active(uow: UnitOfWork, account: Account, expert_id: int, active: bool) -> Expert:
    """Take an expert out of the pool (inactive: never drawn, cannot sign in) or back in."""
    require_operator(account)
    with uow:
        expert = _expert(uow, expert_id)
        expert.active = active
        uow.audit("expert.activated" if active else "expert.deactivated", expert)
        uow.commit()
        return expert


def declare_conflict(uow: UnitOfWork, account: Account, expert_id: int, *, credit_code: str, party_name: str,
                     reason: str) -> ExpertConflict:
    """Record that the expert declared it must be avoided for the party of ``credit_code``."""
    require_operator(account)
    with uow:
        expert = _expert(uow, expert_id)
        code = validate_credit_code(credit_code)
        party_name, reason = party_name.strip(), reason.strip()
        if not party_name or len(party_name) > 200 or not reason or len(reason) > 200:
            raise InvalidInput("请填写回避单位名称和原因（各至多 200 字） (give the party's name and the reason, at most 200 "
                               "characters each)")
        if uow.session.scalars(select(ExpertConflict).where(ExpertConflict.expert_id == expert.id,
                                                            ExpertConflict.credit_code == code)).first():
            raise InvalidInput("该回避单位已申报 (this conflict is already declared)", credit_code=code)
        conflict = ExpertConflict(expert_id=expert.id, credit_code=code, party_name=party_name, reason=reason,
                                  declared_at=uow.clock.now())
        uow.session.add(conflict)
        uow.session.flush()
        uow.audit("expert.conflict_declared", conflict, expert_id=expert.id, credit_code=code)
        uow.commit()
        return conflict


def list_experts(uow: UnitOfWork, account: Account) -> list[tuple[Expert, list[ExpertConflict]]]:
    """Every expert of the pool with its declared conflicts (operators only)."""
    require_operator(account)
    experts = list(uow.session.scalars(select(Expert).order_by(Expert.id)))
    conflicts: dict[int, list[ExpertConflict]] = {}
    for conflict in uow.session.scalars(select(ExpertConflict).order_by(ExpertConflict.id)):
        conflicts.setdefault(conflict.expert_id, []).append(conflict)
    return [(expert, conflicts.get(expert.id, [])) for expert in experts]


def _expert(uow: UnitOfWork, expert_id: int) -> Expert:
    expert = uow.session.get(Expert, expert_id)
    if expert is None:
        raise ExpertUnknown(expert_id=expert_id)
    return expert


def _checked(details: ExpertDetails) -> dict[str, object]:
    name, region, employer = details.name.strip(), details.region.strip(), details.employer_name.strip()
    specialities = sorted({s.strip() for s in details.specialities if s.strip()})
    if not name or len(name) > 50:
        raise InvalidInput("请填写专家姓名（至多 50 字） (give the expert's name, at most 50 characters)", field="name")
    if not specialities or any(len(s) > 30 or "," in s for s in specialities) or len(",".join(specialities)) > 200:
        raise InvalidInput("请填写至少一个专业（每个至多 30 字） (give at least one speciality of at most 30 characters)",
                           field="specialities")
    if not region or len(region) > 50 or not employer or len(employer) > 200:
        raise InvalidInput("请填写地区和工作单位 (give the region and the employer)", field="region")
    phone = "".join((details.phone or "").split()) or None
    email = (details.email or "").strip().lower() or None
    if phone is None and email is None:
        raise InvalidInput("手机号和邮箱至少填一项（用于发送验证码） (give a phone number or an e-mail for the one-time "
                           "codes)", field="phone")
    if phone is not None and not _PHONE.match(phone):
        raise InvalidInput("手机号应为 11 位数字 (a phone number has 11 digits)", field="phone")
    if email is not None and (len(email) > 120 or not _EMAIL.match(email)):
        raise InvalidInput("邮箱格式不正确 (invalid e-mail)", field="email")
    return {"name": name, "id_number": validate_id_number(details.id_number), "phone": phone, "email": email,
            "specialities": ",".join(specialities), "region": region, "employer_name": employer,
            "employer_credit_code": validate_credit_code(details.employer_credit_code)}


__all__ = ["ExpertDetails", "add_expert", "declare_conflict", "list_experts", "require_operator", "set_expert_active"]
