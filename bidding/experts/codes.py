"""One-time codes (短信/邮件验证码) by which an expert proves who it is (R12): 6 digits, valid for
10 minutes, 5 wrong tries, one use, kept only as an argon2id hash (the accounts' password hasher),
sent through the notifier to the phone or e-mail of the pool. Rate limits per expert and purpose
(:data:`RATE_LIMITS`): sign-in codes one a minute and five an hour; signature codes one every
10 seconds and 60 an hour (an evaluation has many sheets to sign).

A code is for signing in (:data:`CodePurpose.SIGN_IN`) or for exactly one signature
(:data:`CodePurpose.SIGN`, bound to the SHA-256 of what is signed: :mod:`bidding.experts.signing`).
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select

from bidding.accounts.passwords import burn_time, hash_password, verify_password
from bidding.experts.errors import CodeExpired, CodeInvalid, CodeRateLimited
from bidding.experts.models import CodePurpose, Expert, ExpertCode
from bidding.notify import notify_contact
from bidding.uow import UnitOfWork

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_FAILURES = 5
#: purpose -> (the least time between two codes, how many codes an hour)
RATE_LIMITS = {CodePurpose.SIGN_IN: (timedelta(seconds=60), 5), CodePurpose.SIGN: (timedelta(seconds=10), 60)}

_PURPOSE_TEXT = {CodePurpose.SIGN_IN: "登录评审专家账户 (expert sign-in)",
                 CodePurpose.SIGN: "确认签名 (confirm a signature)"}


def expert_by_contact(uow: UnitOfWork, contact: str) -> Expert | None:
    """The active expert whose phone or e-mail is ``contact`` (spaces ignored, e-mail in any case)."""
    contact = "".join(contact.split())
    if not contact or len(contact) > 120:
        return None
    return uow.session.scalars(select(Expert).where(
        Expert.active.is_(True), or_(Expert.phone == contact, func.lower(Expert.email) == contact.lower()))).first()


def issue_code(uow: UnitOfWork, expert: Expert, purpose: CodePurpose, **binding: object) -> ExpertCode:
    """A new code for ``expert``, sent through the notifier; inside the caller's transaction.
    ``binding``: ``document_sha256``, ``document_title``, ``certificate_id`` of a signature's code."""
    now = uow.clock.now()
    resend_after, per_hour = RATE_LIMITS[purpose]
    recent = list(uow.session.scalars(select(ExpertCode.created_at).where(
        ExpertCode.expert_id == expert.id, ExpertCode.purpose == purpose,
        ExpertCode.created_at > now - timedelta(hours=1))))
    if len(recent) >= per_hour or any(at > now - resend_after for at in recent):
        wait = resend_after if len(recent) < per_hour else timedelta(hours=1)
        raise CodeRateLimited(retry_after_seconds=int(wait.total_seconds()))
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    row = ExpertCode(expert_id=expert.id, purpose=purpose, code_hash=hash_password(code), created_at=now,
                     expires_at=now + CODE_LIFETIME, failures=0, **binding)
    uow.session.add(row)
    uow.session.flush()
    notify_contact(uow, recipient=expert.phone or expert.email or f"expert-{expert.id}",
                   subject=f"评审专家验证码：{_PURPOSE_TEXT[purpose]}",
                   text=f"您的验证码是 {code}，10 分钟内有效，仅可使用一次，请勿告诉他人 (your code is {code}: valid "
                        f"for 10 minutes, once; tell nobody)")
    return row


def request_sign_in_code(uow: UnitOfWork, contact: str) -> None:
    """Send a sign-in code to the expert of ``contact``. An unknown contact gets the same answer
    (nothing is sent, nothing tells whether the contact is in the pool)."""
    with uow:
        expert = expert_by_contact(uow, contact)
        if expert is None:
            return
        row = issue_code(uow, expert, CodePurpose.SIGN_IN)
        uow.audit("expert.code_sent", row, expert_id=expert.id, purpose=row.purpose.value)
        uow.commit()


def sign_in_with_code(uow: UnitOfWork, contact: str, code: str) -> Expert:
    """The expert of ``contact`` if ``code`` is its newest sign-in code (used up here)."""
    with uow:
        expert = expert_by_contact(uow, contact)
        if expert is None:
            burn_time(code)
            raise CodeInvalid()
        row = uow.session.scalars(select(ExpertCode).where(
            ExpertCode.expert_id == expert.id, ExpertCode.purpose == CodePurpose.SIGN_IN)
            .order_by(ExpertCode.id.desc()).limit(1)).first()
        use_code(uow, row, code)
        uow.audit("expert.signed_in", expert)
        uow.commit()
        return expert


def use_code(uow: UnitOfWork, row: ExpertCode | None, code: str) -> None:
    """Check ``code`` against ``row`` and mark it used, in the caller's transaction. A wrong code
    is counted and *committed* before :class:`CodeInvalid` is raised (the count must survive the
    refusal); the fifth wrong code, an expired or used one: :class:`CodeExpired`."""
    now = uow.clock.now()
    if row is None or row.used_at is not None or row.expires_at <= now or row.failures >= MAX_FAILURES:
        burn_time(code)
        raise CodeExpired()
    candidate = code.strip()
    if not (len(candidate) == CODE_DIGITS and candidate.isdigit() and verify_password(row.code_hash, candidate)):
        if not (len(candidate) == CODE_DIGITS and candidate.isdigit()):
            burn_time(code)
        row.failures += 1
        remaining = MAX_FAILURES - row.failures
        uow.audit("expert.code_failed", row, expert_id=row.expert_id, remaining=remaining)
        uow.commit()
        if remaining <= 0:
            raise CodeExpired()
        raise CodeInvalid(f"验证码错误，还可尝试 {remaining} 次 (wrong code: {remaining} tries left)", remaining=remaining)
    row.used_at = now


__all__ = [
    "CODE_DIGITS",
    "CODE_LIFETIME",
    "MAX_FAILURES",
    "RATE_LIMITS",
    "expert_by_contact",
    "issue_code",
    "request_sign_in_code",
    "sign_in_with_code",
    "use_code",
]
