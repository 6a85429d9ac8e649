"""The contract pages. Each view parses its form, calls one use case of
``bidding.contracts.services`` and renders or redirects; which contracts an account sees is decided
there (the purchaser its own, the winner those sent to it, a supervisor the filed ones)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import context
from app.auth.access import roles_required
from app.certificates.proof import request_origin
from app.contracts.forms import ActionForm, ContractForm, RefuseForm
from app.documents.common import file_store, stamp_candidates, verify_url
from bidding.accounts.models import Role
from bidding.contracts import services
from bidding.contracts.errors import ContractInvalid
from bidding.contracts.models import ContractState
from bidding.documents.services import revisions_of
from bidding.errors import DomainError
from bidding.parties.models import Party
from bidding.tenders.models import Tender

VIEWERS = (Role.PURCHASER_STAFF, Role.SUPPLIER_STAFF, Role.SUPERVISOR)
PARTIES = (Role.PURCHASER_STAFF, Role.SUPPLIER_STAFF)


@roles_required(*VIEWERS)
def index():  # type: ignore[no-untyped-def]
    uow = context.uow()
    seen = services.overview(uow, current_user)
    items, awards = seen.contracts, seen.awards_to_draft
    names = _names(uow, {c.purchaser_id for c in items} | {c.supplier_id for c in items}
                   | {a.winner_party_id for a in awards})
    tenders = _tenders(uow, {a.tender_id for a in awards} | {c.tender_id for c in items})
    return render_template("contracts/index.html", contracts=items, awards=awards, names=names, tenders=tenders,
                           role=current_user.role.value)


@roles_required(Role.PURCHASER_STAFF)
def new(award_id: int):  # type: ignore[no-untyped-def]
    uow = context.uow()
    award = services.award_for_drafting(uow, award_id, current_user.party_id)
    form = ContractForm()
    if request.method == "GET":
        form.delivery_date.data = services.beijing_today(uow) + timedelta(days=90)
    if not form.validate_on_submit():
        return _form_page(uow, form, award, None, 400 if request.method == "POST" else 200)
    try:
        contract = services.draft_contract(uow, file_store(), award_id, current_user.party_id, _terms(form),
                                           verify_url=verify_url)
    except ContractInvalid as refusal:
        return _refused(uow, form, award, None, refusal)
    flash(f"合同 {contract.number} 已生成。请核对 PDF 后用本单位的数字证书签章（含骑缝章）发送给中标供应商。", "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@roles_required(Role.PURCHASER_STAFF)
def revise(contract_id: int):  # type: ignore[no-untyped-def]
    uow = context.uow()
    contract = services.get_contract(uow, contract_id, current_user)
    form = ContractForm()
    if request.method == "GET":
        for name in ("payment_terms", "delivery_place", "delivery_date"):
            getattr(form, name).data = getattr(contract, name)
    award = services.award_of(uow, contract)
    if not form.validate_on_submit():
        return _form_page(uow, form, award, contract, 400 if request.method == "POST" else 200)
    try:
        services.revise_contract(uow, file_store(), contract_id, current_user.party_id, _terms(form),
                                 verify_url=verify_url)
    except ContractInvalid as refusal:
        return _refused(uow, form, award, contract, refusal)
    flash("合同已修改，已生成新的合同文件。请核对后重新签章发送。", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@roles_required(*VIEWERS)
def detail(contract_id: int, refuse_form: RefuseForm | None = None, error: DomainError | None = None,
           status: int = 200):  # type: ignore[no-untyped-def]
    uow = context.uow()
    contract = services.get_contract(uow, contract_id, current_user)
    document = services.document_of(uow, contract)
    events = services.history(uow, contract_id, current_user)
    revisions = revisions_of(uow, document)
    names = _names(uow, {contract.purchaser_id, contract.supplier_id} | {e.party_id for e in events})
    party_id = current_user.party_id
    role = "purchaser" if party_id == contract.purchaser_id else "supplier" if party_id == contract.supplier_id \
        else "supervisor"
    my_turn = services.next_signer_role(contract) == role
    return render_template(
        "contracts/detail.html", contract=contract, document=document, events=events, revisions=revisions,
        names=names, role=role, my_turn=my_turn, refuse_form=refuse_form or RefuseForm(), action_form=ActionForm(),
        error=error, candidates=stamp_candidates(uow, party_id) if my_turn else [],
        agent_url=current_app.config["AGENT_URL"], platform_origin=request_origin(),
        verify_link=verify_url(document.public_id), states=ContractState,
        tender=uow.session.get(Tender, contract.tender_id)), status


@roles_required(Role.SUPPLIER_STAFF)
def refuse(contract_id: int):  # type: ignore[no-untyped-def]
    form = RefuseForm()
    if not form.validate_on_submit():
        return detail(contract_id, refuse_form=form, status=400)
    try:
        services.refuse_contract(context.uow(), contract_id, current_user.party_id, form.reason.data)
    except DomainError as refusal:
        if refusal.http_status in (403, 404):
            raise
        return detail(contract_id, refuse_form=form, error=refusal, status=refusal.http_status)
    flash("已拒签该合同，采购人已收到通知和理由。", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@roles_required(Role.PURCHASER_STAFF)
def file(contract_id: int):  # type: ignore[no-untyped-def]
    form = ActionForm()
    if not form.validate_on_submit():
        return detail(contract_id, status=400)
    try:
        services.file_contract(context.uow(), contract_id, current_user.party_id)
    except DomainError as refusal:
        if refusal.http_status in (403, 404):
            raise
        return detail(contract_id, error=refusal, status=refusal.http_status)
    flash("合同已备案。", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@roles_required(*PARTIES)
def tender_contract(tender_id: int):  # type: ignore[no-untyped-def]
    """The tender page's link: the tender's contract, or its drafting form for the purchaser."""
    target = services.tender_contract_target(context.uow(), tender_id, current_user)
    if target is not None:
        kind, row_id = target
        return redirect(url_for("contracts.detail", contract_id=row_id) if kind == "contract"
                        else url_for("contracts.new", award_id=row_id))
    flash("该项目暂无可办理的合同：中标通知书签发后由采购人起草，采购人签章后中标供应商可见。", "info")
    return redirect(url_for("contracts.index"))


# -- helpers -----------------------------------------------------------------------------------------------
def _terms(form: ContractForm) -> services.ContractTerms:
    return services.ContractTerms(payment_terms=form.payment_terms.data, delivery_place=form.delivery_place.data,
                                  delivery_date=form.delivery_date.data)


def _form_page(uow, form: ContractForm, award, contract, status: int, error=None):  # type: ignore[no-untyped-def]
    tender = uow.session.get(Tender, award.tender_id)
    return render_template("contracts/form.html", form=form, award=award, contract=contract, tender=tender,
                           names=_names(uow, {tender.purchaser_id, award.winner_party_id}), error=error), status


def _refused(uow, form: ContractForm, award, contract, refusal: ContractInvalid):  # type: ignore[no-untyped-def]
    field = getattr(form, refusal.details.get("field", "") or "", None)
    if field is not None:
        field.errors = [*field.errors, refusal.message]
        return _form_page(uow, form, award, contract, refusal.http_status)
    return _form_page(uow, form, award, contract, refusal.http_status, error=refusal)


def _names(uow, ids) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {p.id: p.name for p in uow.session.scalars(select(Party).where(Party.id.in_(list(ids))))} if ids else {}


def _tenders(uow, ids) -> dict[int, Tender]:  # type: ignore[no-untyped-def]
    return {t.id: t for t in uow.session.scalars(select(Tender).where(Tender.id.in_(list(ids))))} if ids else {}
