"""The expert area's pages: each parses the form, calls one service function and renders. A
refusal of the domain becomes a flash message on the same page (app/errors.py answers the rest)."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.auth.views import login_rate_limit
from app.certificates.proof import request_origin
from app.experts.support import (
    current_expert_id,
    end_expert_session,
    expert_uow,
    signing_support,
    start_expert_session,
    tsa_responder,
)
from app.extensions import limiter
from bidding.accounts.models import Role
from bidding.errors import DomainError, InvalidInput
from bidding.experts import codes, pool, services, signing
from pki.errors import PkiError


def _int(name: str, default: int | None = None) -> int:
    try:
        return int(request.form.get(name, default if default is not None else ""))
    except ValueError:
        raise InvalidInput(f"{name} 应为整数 ({name} must be a whole number)", field=name) from None


def _refused(exc: DomainError | PkiError) -> None:
    flash(exc.message, "error")


# -- the operator's pool ---------------------------------------------------------------------------------
@roles_required(Role.OPERATOR)
def pool_page():  # type: ignore[no-untyped-def]
    return render_template("experts/pool.html", experts=pool.list_experts(context.uow(), current_user))


@roles_required(Role.OPERATOR)
def add_expert():  # type: ignore[no-untyped-def]
    form = request.form
    details = pool.ExpertDetails(
        name=form.get("name", ""), id_number=form.get("id_number", ""), phone=form.get("phone"),
        email=form.get("email"), specialities=form.get("specialities", "").replace("，", ",").split(","),
        region=form.get("region", ""), employer_name=form.get("employer_name", ""),
        employer_credit_code=form.get("employer_credit_code", ""))
    try:
        expert = pool.add_expert(context.uow(), current_user, details)
        flash(f"已将 {expert.name} 加入专家库", "success")
    except (DomainError, PkiError) as exc:
        _refused(exc)
    return redirect(url_for("experts.pool_page"))


@roles_required(Role.OPERATOR)
def declare_conflict(expert_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    try:
        pool.declare_conflict(context.uow(), current_user, expert_id, credit_code=form.get("credit_code", ""),
                              party_name=form.get("party_name", ""), reason=form.get("reason", ""))
        flash("已记录回避申报", "success")
    except (DomainError, PkiError) as exc:
        _refused(exc)
    return redirect(url_for("experts.pool_page"))


@roles_required(Role.OPERATOR)
def set_active(expert_id: int):  # type: ignore[no-untyped-def]
    try:
        pool.set_expert_active(context.uow(), current_user, expert_id, request.form.get("active") == "1")
    except DomainError as exc:
        _refused(exc)
    return redirect(url_for("experts.pool_page"))


# -- the agency's draw -----------------------------------------------------------------------------------
@roles_required(Role.AGENCY_STAFF)
def draw_page(tender_id: int):  # type: ignore[no-untyped-def]
    status = services.draw_status(context.uow(), current_user, tender_id)
    listed = None
    if status is not None and not status.draw.sealed:
        listed = services.expert_list(context.uow(), current_user, tender_id)
    return render_template("experts/draw.html", tender_id=tender_id, status=status, listed=listed,
                           record=services.record_of(status.draw) if status else None, reasons=services.REASONS,
                           evaluation_due=status is not None and status.evaluation_due,
                           agent_url=current_app.config["AGENT_URL"], platform_origin=request_origin())


@roles_required(Role.AGENCY_STAFF)
def draw(tender_id: int):  # type: ignore[no-untyped-def]
    try:
        request_ = services.DrawRequest(request.form.get("speciality", ""), _int("count"), _int("reserves", 0))
        services.draw_experts(context.uow(), current_user, tender_id, request_, tsa=tsa_responder())
        flash("已抽取专家；名单已加密，评审开始时才能解密查看", "success")
    except DomainError as exc:
        _refused(exc)
    return redirect(url_for("experts.draw_page", tender_id=tender_id))


# -- the expert ------------------------------------------------------------------------------------------
@limiter.shared_limit(login_rate_limit, scope="expert-code", methods=["POST"])
def sign_in():  # type: ignore[no-untyped-def]
    contact = request.form.get("contact", "").strip()
    sent = False
    if request.method == "POST":
        try:
            if request.form.get("action") == "code":
                codes.request_sign_in_code(expert_uow(), contact)
                sent = True
                flash("如该联系方式在专家库中，验证码已发送（10 分钟内有效）", "success")
            else:
                start_expert_session(codes.sign_in_with_code(expert_uow(), contact, request.form.get("code", "")))
                return redirect(url_for("experts.assignments"))
        except DomainError as exc:
            _refused(exc)
            sent = bool(contact)            # a code sent a moment ago may still be typed in
    return render_template("experts/sign_in.html", contact=contact, sent=sent)


def sign_out():  # type: ignore[no-untyped-def]
    end_expert_session()
    return redirect(url_for("experts.sign_in"))



def assignments():  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    return render_template("experts/assignments.html", rows=services.my_assignments(expert_uow(), expert_id))


def answer(assignment_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    try:
        services.answer_assignment(expert_uow(), expert_id, assignment_id, accept=request.form.get("accept") == "1")
        flash("已确认参加" if request.form.get("accept") == "1" else "已拒绝，平台将通知下一位备选专家", "success")
    except DomainError as exc:
        _refused(exc)
    return redirect(url_for("experts.assignments"))


def commitment(assignment_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    pending: Any = None
    signature: Any = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "code":
                pending = signing.request_commitment_signature(expert_uow(), expert_id, assignment_id,
                                                               signing_support())
                flash("验证码已发送；输入验证码即确认签名", "success")
            else:
                signature = signing.confirm_commitment_signature(
                    expert_uow(), expert_id, assignment_id, request.form.get("request_id"),
                    request.form.get("code", ""), signing_support())
                flash("已签署评审专家承诺书", "success")
        except DomainError as exc:
            _refused(exc)
            pending = {"id": request.form.get("request_id")} if request.form.get("request_id") else None
    title, text = services.commitment_letter(expert_uow(), expert_id, assignment_id)
    return render_template("experts/commitment.html", assignment_id=assignment_id, title=title,
                           text=text.decode("utf-8"), pending=pending, signature=signature)
