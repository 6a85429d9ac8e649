"""The agreement pages. Each view parses its form, calls one use case of
``bidding.agreements.services`` and renders or redirects; which agreements an account sees is
decided there (the purchaser its own, the agency those sent to it)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app import context
from app.agreements.forms import ActionForm, AgreementForm, RefuseForm
from app.auth.access import roles_required
from app.certificates.proof import request_origin
from app.documents.common import file_store, stamp_candidates, verify_url
from bidding.accounts.models import Role
from bidding.agreements import services
from bidding.agreements.errors import AgreementInvalid
from bidding.agreements.models import AgreementState
from bidding.documents.pdf.amounts import format_yuan, yuan_in_capitals
from bidding.documents.services import revisions_of
from bidding.errors import DomainError
from bidding.parties.models import Party

PARTY_STAFF = (Role.PURCHASER_STAFF, Role.AGENCY_STAFF)
BEIJING = timezone(timedelta(hours=8))


def yuan(amount: Decimal | None, capitals: bool = False) -> str:
    """1,200,000.00 元（壹佰贰拾万元整）"""
    if amount is None:
        return "—"
    text = f"{format_yuan(amount)} 元"
    return f"{text}（{yuan_in_capitals(amount)}）" if capitals else text


def beijing(moment: datetime | None) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment else "—"


@roles_required(*PARTY_STAFF)
def index():  # type: ignore[no-untyped-def]
    uow = context.uow()
    items = services.list_agreements(uow, current_user.party_id)
    names = _names(uow, {a.purchaser_id for a in items} | {a.agency_id for a in items})
    return render_template("agreements/index.html", agreements=items, names=names,
                           is_purchaser=current_user.role == Role.PURCHASER_STAFF)


@roles_required(Role.PURCHASER_STAFF)
def new():  # type: ignore[no-untyped-def]
    uow = context.uow()
    form = _form(uow)
    if request.method == "GET":
        today = services.beijing_today(uow)
        form.term_start.data, form.term_end.data = today, today.replace(year=today.year + 1) - timedelta(days=1)
    if not form.validate_on_submit():
        return _form_page(form, None, 400 if request.method == "POST" else 200)
    try:
        agreement = services.draft_agreement(uow, file_store(), current_user.party_id, _terms(form),
                                             verify_url=verify_url)
    except AgreementInvalid as refusal:
        return _refused(form, None, refusal)
    flash(f"委托协议 {agreement.number} 已起草。请核对 PDF 后用本单位的数字证书签章发送给代理机构。", "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@roles_required(Role.PURCHASER_STAFF)
def revise(agreement_id: int):  # type: ignore[no-untyped-def]
    uow = context.uow()
    agreement = services.get_agreement(uow, agreement_id, current_user.party_id)
    form = _form(uow)
    if request.method == "GET":
        for name in ("project_name", "scope", "procurement_method", "term_start", "term_end", "fee_terms"):
            getattr(form, name).data = getattr(agreement, name)
        form.agency_id.data = str(agreement.agency_id)
        form.budget.data = str(agreement.budget)
        form.fee.data = str(agreement.fee) if agreement.fee is not None else ""
    if not form.validate_on_submit():
        return _form_page(form, agreement, 400 if request.method == "POST" else 200)
    try:
        services.revise_agreement(uow, file_store(), agreement_id, current_user.party_id, _terms(form),
                                  verify_url=verify_url)
    except AgreementInvalid as refusal:
        return _refused(form, agreement, refusal)
    flash("委托协议已修改，已生成新的协议文件。请核对后重新签章发送。", "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement_id))


@roles_required(*PARTY_STAFF)
def detail(agreement_id: int, refuse_form: RefuseForm | None = None, error: DomainError | None = None,
           status: int = 200):  # type: ignore[no-untyped-def]
    uow = context.uow()
    party_id = current_user.party_id
    agreement = services.get_agreement(uow, agreement_id, party_id)
    document = services.document_of(uow, agreement)
    events = services.history(uow, agreement_id, party_id)
    revisions = revisions_of(uow, document)
    names = _names(uow, {agreement.purchaser_id, agreement.agency_id} | {e.party_id for e in events})
    role = "purchaser" if party_id == agreement.purchaser_id else "agency"
    my_turn = services.next_signer_role(agreement) == role
    return render_template(
        "agreements/detail.html", agreement=agreement, document=document, events=events, revisions=revisions,
        names=names, role=role, my_turn=my_turn, refuse_form=refuse_form or RefuseForm(), action_form=ActionForm(),
        error=error, candidates=stamp_candidates(uow, party_id) if my_turn else [],
        agent_url=current_app.config["AGENT_URL"], platform_origin=request_origin(),
        verify_link=verify_url(document.public_id), states=AgreementState), status


@roles_required(Role.AGENCY_STAFF)
def refuse(agreement_id: int):  # type: ignore[no-untyped-def]
    form = RefuseForm()
    if not form.validate_on_submit():
        return detail(agreement_id, refuse_form=form, status=400)
    try:
        services.refuse_agreement(context.uow(), agreement_id, current_user.party_id, form.reason.data)
    except DomainError as refusal:
        if refusal.http_status == 404 or refusal.http_status == 403:
            raise
        return detail(agreement_id, refuse_form=form, error=refusal, status=refusal.http_status)
    flash("已拒签该委托协议，采购人已收到通知和理由。", "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement_id))


@roles_required(*PARTY_STAFF)
def file(agreement_id: int):  # type: ignore[no-untyped-def]
    form = ActionForm()
    if not form.validate_on_submit():
        return detail(agreement_id, status=400)
    try:
        services.file_agreement(context.uow(), agreement_id, current_user.party_id)
    except DomainError as refusal:
        if refusal.http_status in (403, 404):
            raise
        return detail(agreement_id, error=refusal, status=refusal.http_status)
    flash("委托协议已备案。", "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement_id))


# -- helpers -----------------------------------------------------------------------------------------------
def _form(uow) -> AgreementForm:  # type: ignore[no-untyped-def]
    form = AgreementForm()
    form.agency_id.choices = [SelectChoice("", "请选择代理机构")] + [
        SelectChoice(str(p.id), f"{p.name}（{p.credit_code}）") for p in services.agencies(uow)]
    return form


def _terms(form: AgreementForm) -> services.AgreementTerms:
    return services.AgreementTerms(
        agency_id=form.agency_id.data, project_name=form.project_name.data, scope=form.scope.data,
        budget=form.budget.data, term_start=form.term_start.data, term_end=form.term_end.data,
        fee=form.fee.data, fee_terms=form.fee_terms.data, procurement_method=form.procurement_method.data)


def _form_page(form: AgreementForm, agreement, status: int, error=None):  # type: ignore[no-untyped-def]
    return render_template("agreements/form.html", form=form, agreement=agreement, error=error), status


def _refused(form: AgreementForm, agreement, refusal: AgreementInvalid):  # type: ignore[no-untyped-def]
    field = getattr(form, refusal.details.get("field", "") or "", None)
    if field is not None:
        field.errors = [*field.errors, refusal.message]
        return _form_page(form, agreement, refusal.http_status)
    return _form_page(form, agreement, refusal.http_status, error=refusal)


def _names(uow, ids) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {p.id: p.name for p in uow.session.scalars(select(Party).where(Party.id.in_(list(ids))))} if ids else {}
