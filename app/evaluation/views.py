"""The evaluation's pages: each parses the form, calls one service function and renders or
redirects. A refusal of the domain becomes a flash message (app/errors.py answers the rest)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.certificates.proof import request_origin
from app.documents.common import file_store, stamp_candidates, stamping, verify_url
from app.documents.views import pdf_response
from app.experts.support import current_expert_id, expert_uow, signing_support
from app.trust import trust_list
from bidding.accounts.models import Role
from bidding.errors import DomainError
from bidding.evaluation import report, services
from bidding.evaluation.errors import ReportMissing, ReportNotFinal


# -- the agency ---------------------------------------------------------------------------------------------
@roles_required(Role.AGENCY_STAFF)
def agency_page(tender_id: int):  # type: ignore[no-untyped-def]
    uow = context.uow()
    progress = services.progress(uow, current_user, tender_id)
    scheme = services.agency_scheme(uow, current_user, tender_id)
    summary = None
    if progress["summary"]:
        summary = json.loads(services.summary_of(uow, current_user, tender_id).content)
    return render_template("evaluation/agency.html", tender_id=tender_id, progress=progress, summary=summary,
                           scheme=scheme.document.decode("utf-8") if scheme else "")


@roles_required(Role.AGENCY_STAFF)
def set_scheme(tender_id: int):  # type: ignore[no-untyped-def]
    try:
        data = json.loads(request.form.get("scheme", ""))
    except ValueError:
        flash("评标办法应为 JSON (the scheme must be JSON)", "error")
        return redirect(url_for("evaluation.agency_page", tender_id=tender_id))
    try:
        services.set_scheme(context.uow(), current_user, tender_id, data)
        flash("评标办法已保存", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("evaluation.agency_page", tender_id=tender_id))


@roles_required(Role.AGENCY_STAFF)
def compute_summary(tender_id: int):  # type: ignore[no-untyped-def]
    trust = trust_list()
    try:
        services.compute_summary(context.uow(), current_user, tender_id, trust_roots=trust.roots,
                                 intermediates=trust.intermediates)
        flash("评标汇总表已生成，请各位专家签名", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("evaluation.agency_page", tender_id=tender_id))


# -- the expert ---------------------------------------------------------------------------------------------
def expert_page(tender_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    view = services.my_sheets(expert_uow(), expert_id, tender_id)
    pending = request.args.get("pending", type=int), request.args.get("request", type=int)
    sheets = [(s, json.loads(s.content), s.content.decode("utf-8")) if s.kind.is_json else
              (s, {}, f"PDF，SHA-256 {hashlib.sha256(s.content).hexdigest()}") for s in view.sheets]
    return render_template("evaluation/expert.html", view=view, sheets=sheets, expert_id=expert_id,
                           pending_sheet=pending[0], pending_request=pending[1],
                           summary=json.loads(view.summary.content) if view.summary else None)


def fill_sheet(tender_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    kind = request.form.get("kind", "")
    try:
        services.fill_sheet(expert_uow(), expert_id, tender_id, kind, _sheet_data(kind), request.form.get("bid_id"))
        flash("评审表已保存，请获取验证码签名", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("evaluation.expert_page", tender_id=tender_id))


def sign_sheet(sheet_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    tender_id = request.form.get("tender_id", type=int) or 0
    args: dict[str, Any] = {}
    try:
        if request.form.get("action") == "code":
            row = services.request_sheet_signature(expert_uow(), expert_id, sheet_id, signing_support())
            args = {"pending": sheet_id, "request": row.id}
            flash("验证码已发送；输入验证码即确认签名", "success")
        else:
            services.sign_sheet(expert_uow(), expert_id, sheet_id, request.form.get("request_id"),
                                request.form.get("code", ""), signing_support())
            flash("已用专家事件证书签名", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("evaluation.expert_page", tender_id=tender_id, **args))


def _sheet_data(kind: str) -> dict[str, Any]:
    """The form's fields as the service's ``data``: ``bid-<id>`` pass/fail with ``reason-<id>``;
    ``score-<criterion>``; ``text``."""
    form = request.form
    if kind == "qualification":
        results = []
        for name in form:
            if name.startswith("bid-") and name[4:].isdigit():
                results.append({"bid": int(name[4:]), "passed": form[name] == "pass",
                                "reason": form.get(f"reason-{name[4:]}", "")})
        return {"results": results}
    if kind == "score":
        return {"scores": {name[6:]: form[name] for name in form if name.startswith("score-")}}
    return {"text": form.get("text", "")}


# -- the evaluation report (评标报告) -------------------------------------------------------------------------
@roles_required(Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
def report_page(tender_id: int):  # type: ignore[no-untyped-def]
    """The agency: generate, who signed, its stamp through the agent; the purchaser: the final report."""
    uow = context.uow()
    is_agency = current_user.role == Role.AGENCY_STAFF
    view, waiting, progress = None, None, None
    try:
        view = report.party_report(uow, current_user, tender_id)
    except (ReportMissing, ReportNotFinal) as exc:
        waiting = exc.message
    if is_agency:
        progress = services.progress(uow, current_user, tender_id)
    agency_turn = is_agency and view is not None and view.experts_signed and not view.final
    return render_template(
        "evaluation/report.html", tender_id=tender_id, view=view, waiting=waiting, progress=progress,
        is_agency=is_agency, document=view.document if view else None,
        candidates=stamp_candidates(uow, current_user.party_id) if agency_turn else [], agency_turn=agency_turn,
        agent_url=current_app.config["AGENT_URL"], platform_origin=request_origin(),
        verify_link=verify_url(view.document.public_id) if view else None)


@roles_required(Role.AGENCY_STAFF)
def generate_report(tender_id: int):  # type: ignore[no-untyped-def]
    try:
        report.generate_report(context.uow(), file_store(), current_user, tender_id, verify_url=verify_url)
        flash("评标报告已生成，已通知各位评审专家签名", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("evaluation.report_page", tender_id=tender_id))


@roles_required(Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
def report_file(tender_id: int):  # type: ignore[no-untyped-def]
    uow = context.uow()
    view = report.party_report(uow, current_user, tender_id)
    revision, data = report.report_pdf(uow, file_store(), view, request.args.get("seq", type=int))
    return pdf_response(data, f"{view.document.public_id}-r{revision.seq}.pdf",
                        attachment=request.args.get("download") == "1")


def expert_report_page(tender_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    uow = expert_uow()
    try:
        view = report.expert_report(uow, expert_id, tender_id)
    except ReportMissing as exc:
        return render_template("evaluation/expert_report.html", view=None, waiting=exc.message, tender_id=tender_id)
    mine = next(s for s in view.signers if s.expert_id == expert_id)
    return render_template("evaluation/expert_report.html", view=view, mine=mine, tender_id=tender_id, waiting=None,
                           pending_request=request.args.get("request", type=int))


def expert_report_file(tender_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    uow = expert_uow()
    view = report.expert_report(uow, expert_id, tender_id)
    revision, data = report.report_pdf(uow, file_store(), view)
    return pdf_response(data, f"{view.document.public_id}-r{revision.seq}.pdf", attachment=False)


def expert_sign_report(tender_id: int):  # type: ignore[no-untyped-def]
    expert_id = current_expert_id()
    if expert_id is None:
        return redirect(url_for("experts.sign_in"))
    args: dict[str, Any] = {}
    try:
        if request.form.get("action") == "code":
            row = report.request_report_signature(expert_uow(), file_store(), expert_id, tender_id, signing_support())
            args = {"request": row.id}
            flash("验证码已发送；输入验证码即确认在评标报告上签名", "success")
        else:
            report.sign_report(expert_uow(), stamping(), expert_id, tender_id, request.form.get("request_id"),
                               request.form.get("code", ""), signing_support())
            flash("已在评标报告上签名（专家事件证书，PDF 内签名）", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("evaluation.expert_report_page", tender_id=tender_id, **args))
