"""The tender pages. Each view parses its form, calls one use case of ``bidding.tenders`` and
renders or redirects; who may see which tender and file is decided there (``get_tender_for``,
``tender_file``); the roles a page is for are checked here first."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from app import context
from app.auth.access import roles_required
from app.certificates.proof import request_origin
from app.documents.common import file_store, stamp_candidates, verify_url
from app.documents.views import pdf_response
from app.tenders.forms import (
    LOT_ROWS, ActionForm, AmendmentForm, DocumentsForm, ProjectForm, PublishForm, ReviewForm, review_item_choices)
from bidding.accounts.models import Role
from bidding.errors import DomainError
from bidding.tenders import documents, services
from bidding.tenders.access import Relation
from bidding.tenders.errors import ProjectInvalid, TenderPdfTooLarge
from bidding.tenders.models import TenderPhase
from bidding.tenders.times import WINDOW_MINUTES_DEFAULT
from bidding.tenders.uploads import MAX_TENDER_PDF_BYTES

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


def account() -> Any | None:
    """The acting account, or None for an anonymous visitor."""
    return current_user if getattr(current_user, "is_authenticated", False) else None


def pdf_limit() -> int:
    return int(current_app.config.get("TENDER_PDF_MAX_BYTES") or MAX_TENDER_PDF_BYTES)


def read_pdf_upload(storage: FileStorage | None) -> tuple[bytes, str]:
    """The upload's bytes (one more than the limit is refused unread) and its name."""
    limit = pdf_limit()
    data = storage.stream.read(limit + 1) if storage is not None else b""
    if len(data) > limit:
        raise TenderPdfTooLarge(f"文件不得超过 {limit // (1024 * 1024)} MiB (the file may have at most {limit} bytes)",
                                field="file", max_bytes=limit)
    return data, (storage.filename if storage is not None else "") or "document.pdf"


# -- lists -----------------------------------------------------------------------------------------------------
def index():  # type: ignore[no-untyped-def]
    """招标公告: every published tender, for everyone."""
    uow = context.uow()
    tenders = services.published_tenders(uow)
    return render_template("tenders/index.html", tenders=tenders, now=uow.clock.now(), mine=False,
                           names=services.party_names(uow, {t.agency_id for t in tenders} | {t.purchaser_id for t in tenders}))


@roles_required(*STAFF)
def mine():  # type: ignore[no-untyped-def]
    """The account's own tenders: an agency's and a purchaser's projects, a supplier's registrations."""
    uow = context.uow()
    tenders = services.tenders_for(uow, current_user)
    return render_template("tenders/index.html", tenders=tenders, now=uow.clock.now(), mine=True,
                           names=services.party_names(uow, {t.agency_id for t in tenders} | {t.purchaser_id for t in tenders}))


# -- projects ----------------------------------------------------------------------------------------------------
@roles_required(Role.AGENCY_STAFF)
def new_project():  # type: ignore[no-untyped-def]
    uow = context.uow()
    form = ProjectForm()
    choices = services.purchasers_for(uow, current_user.party_id)
    form.purchaser_id.choices = [SelectChoice("", "请选择采购人")] + [
        SelectChoice(str(p.id), f"{p.name}（委托协议 {a.number}）") for p, a in choices]
    lots = _lot_rows()
    if not form.validate_on_submit():
        return _project_page(form, lots, choices, 400 if request.method == "POST" else 200)
    terms = services.ProjectTerms(
        purchaser_id=form.purchaser_id.data, title=form.title.data, budget=form.budget.data, method=form.method.data,
        description=form.description.data, lots=[services.LotTerms(n, b) for n, b in lots])
    try:
        tender = services.create_project(uow, current_user.party_id, terms)
    except ProjectInvalid as refusal:
        field = getattr(form, refusal.details.get("field", "") or "", None)
        if field is not None:
            field.errors = [*field.errors, refusal.message]
            return _project_page(form, lots, choices, refusal.http_status)
        return _project_page(form, lots, choices, refusal.http_status, error=refusal)
    except DomainError as refusal:         # no filed agreement in force (403 on the API; here: said on the form)
        return _project_page(form, lots, choices, refusal.http_status, error=refusal)
    flash(f"采购项目已创建，招标编号 {tender.public_id}。请上传招标文件并签章。", "success")
    return redirect(url_for("tenders.detail", tender_id=tender.id))


def _lot_rows() -> list[tuple[str, str]]:
    names, budgets = request.form.getlist("lot_name"), request.form.getlist("lot_budget")
    rows = list(zip(names, budgets))[:50]
    return rows + [("", "")] * max(0, LOT_ROWS - len(rows))


def _project_page(form: ProjectForm, lots, choices, status: int, error: DomainError | None = None):  # type: ignore[no-untyped-def]
    return render_template("tenders/project_form.html", form=form, lots=lots, has_purchasers=bool(choices),
                           error=error), status


# -- one tender ------------------------------------------------------------------------------------------------------
def detail(tender_id: int, forms: dict[str, Any] | None = None, error: DomainError | None = None,
           status: int = 200):  # type: ignore[no-untyped-def]
    """The tender notice (招标公告) for everyone once published; with the agency's and the
    purchaser's work on it (documents, stamps, publication, amendments), the supplier's registration."""
    uow = context.uow()
    tender = services.get_tender_for(uow, tender_id, account())
    view = services.overview(uow, tender, account())
    forms = {"documents": DocumentsForm(formdata=None), "review": ReviewForm(formdata=None),
             "publish": PublishForm(formdata=None), "amendment": AmendmentForm(formdata=None),
             "action": ActionForm(formdata=None), **(forms or {})}
    due = view.stamp_due
    return render_template(
        "tenders/detail.html", v=view, t=tender, forms=forms, error=error, phases=TenderPhase, rel=Relation,
        review_items=review_item_choices(), window_default=WINDOW_MINUTES_DEFAULT,
        document=due, candidates=stamp_candidates(uow, current_user.party_id) if due is not None else [],
        agent_url=current_app.config["AGENT_URL"], platform_origin=request_origin(),
        verify_link=verify_url(due.public_id) if due is not None else None), status


def _act(tender_id: int, name: str, form, action, success: str):  # type: ignore[no-untyped-def]
    """Run ``action()`` for a validated form; a refusal about the request is shown on the tender's
    page with the form as typed (403 and 404 are answered as such)."""
    if not form.validate_on_submit():
        return detail(tender_id, forms={name: form}, status=400)
    try:
        action()
    except DomainError as refusal:
        if refusal.http_status in (403, 404):
            raise
        field = getattr(form, refusal.details.get("field", "") or "", None)
        if field is not None:
            field.errors = [*field.errors, refusal.message]
        return detail(tender_id, forms={name: form}, error=refusal, status=refusal.http_status)
    flash(success, "success")
    return redirect(url_for("tenders.detail", tender_id=tender_id))


@roles_required(Role.AGENCY_STAFF)
def upload_documents(tender_id: int):  # type: ignore[no-untyped-def]
    form = DocumentsForm()

    def action() -> None:
        data, filename = read_pdf_upload(form.file.data)
        documents.upload_tender_documents(context.uow(), file_store(), tender_id, current_user.party_id, data, filename,
                                          max_bytes=pdf_limit(), seal_page=int(form.seal_page.data or 0))
    return _act(tender_id, "documents", form, action, "招标文件已上传。请核对后用本机构的数字证书签章。")


@roles_required(Role.PURCHASER_STAFF)
def review(tender_id: int):  # type: ignore[no-untyped-def]
    form = ReviewForm()
    items = [(item, request.form.get(f"item_{n}", ""), request.form.get(f"remark_{n}", ""))
             for n, (item, _) in enumerate(review_item_choices(), start=1)]

    def action() -> None:
        documents.write_review_opinion(context.uow(), file_store(), tender_id, current_user.party_id,
                                       documents.ReviewTerms(form.opinion.data, form.conclusion.data, items),
                                       verify_url=verify_url)
    return _act(tender_id, "review", form, action, "审核意见书已生成。请核对后用本单位的数字证书签章。")


@roles_required(Role.AGENCY_STAFF)
def publish(tender_id: int):  # type: ignore[no-untyped-def]
    form = PublishForm()

    def action() -> None:
        services.publish_tender(context.uow(), tender_id, current_user.party_id, bid_deadline=form.bid_deadline.data,
                                opening_at=form.opening_at.data,
                                decryption_window_minutes=form.decryption_window_minutes.data)
    return _act(tender_id, "publish", form, action, "招标公告已发布。")


@roles_required(Role.AGENCY_STAFF)
def amend(tender_id: int):  # type: ignore[no-untyped-def]
    form = AmendmentForm()

    def action() -> None:
        data, filename = read_pdf_upload(form.file.data)
        terms = documents.AmendmentTerms(form.title.data, form.summary.data, form.new_bid_deadline.data,
                                         form.new_opening_at.data)
        documents.upload_amendment(context.uow(), file_store(), tender_id, current_user.party_id, terms, data,
                                   filename, max_bytes=pdf_limit(), seal_page=int(form.seal_page.data or 0))
    return _act(tender_id, "amendment", form, action, "更正公告已上传。签章后即发布，并通知已报名的供应商。")


@roles_required(Role.SUPPLIER_STAFF)
def register(tender_id: int):  # type: ignore[no-untyped-def]
    form = ActionForm()
    return _act(tender_id, "action", form, lambda: services.register_for_tender(context.uow(), tender_id, current_user),
                "报名成功。现在可以下载招标文件。")


# -- files -------------------------------------------------------------------------------------------------------------
@roles_required(*STAFF)
def documents_pdf(tender_id: int):  # type: ignore[no-untyped-def]
    return _file(tender_id, "documents", None)


@roles_required(Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
def review_pdf(tender_id: int):  # type: ignore[no-untyped-def]
    return _file(tender_id, "review", None)


@roles_required(*STAFF)
def amendment_pdf(tender_id: int, seq: int):  # type: ignore[no-untyped-def]
    return _file(tender_id, "amendment", seq)


def _file(tender_id: int, which: str, seq: int | None):  # type: ignore[no-untyped-def]
    document, revision, data = documents.tender_file(context.uow(), file_store(), tender_id, current_user, which, seq)
    return pdf_response(data, f"{document.public_id}-r{revision.seq}.pdf", attachment=request.args.get("download") == "1")
