"""The award pages. Each view parses its form, calls one use case of ``bidding.award.services`` and
renders or redirects; who sees what is decided there (the purchaser and the agency of the tender
everything, a bidder only its own notice once stamped)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.award.forms import ConfirmForm, NoticesForm
from app.certificates.proof import request_origin
from app.documents.common import file_store, stamp_candidates, verify_url
from app.documents.views import pdf_response
from bidding.accounts.models import Role
from bidding.award import services
from bidding.award.models import AwardState
from bidding.errors import DomainError

PURCHASER_AGENCY = (Role.PURCHASER_STAFF, Role.AGENCY_STAFF)
SUPPLIERS = (Role.SUPPLIER_STAFF,)
STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


@roles_required(Role.PURCHASER_STAFF)
def confirm_page(tender_id: int):  # type: ignore[no-untyped-def]
    """The purchaser's page: the recommended ranking, the choice of the winner, the confirmation's stamp."""
    uow = context.uow()
    view = services.award_overview(uow, current_user, tender_id)
    form = ConfirmForm()
    form.bid_id.choices = [(r.bid_id, r.party) for r in view.ranking]
    if request.method == "POST":
        if not form.validate_on_submit():
            return _confirm(view, form, None, 400)
        try:
            services.confirm_winner(uow, file_store(), current_user, tender_id, form.bid_id.data, form.reason.data,
                                    verify_url=verify_url)
        except DomainError as refusal:
            if refusal.http_status in (403, 404):
                raise
            return _confirm(services.award_overview(uow, current_user, tender_id), form, refusal,
                            refusal.http_status)
        flash("已生成中标人确认书。请核对后用本单位的数字证书签章确认。", "success")
        return redirect(url_for("award.confirm_page", tender_id=tender_id))
    if view.award is not None:
        form.bid_id.data = view.award.bid_id
        form.reason.data = view.award.reason or ""
    elif view.ranking:
        form.bid_id.data = view.ranking[0].bid_id
    return _confirm(view, form, None, 200)


@roles_required(*PURCHASER_AGENCY)
def notices_page(tender_id: int):  # type: ignore[no-untyped-def]
    """The agency makes the notices and stamps them one by one; the purchaser follows."""
    if request.method == "POST" and current_user.role != Role.AGENCY_STAFF:
        abort(403)                      # the purchaser reads this page; only the agency makes the notices
    uow = context.uow()
    view = services.award_overview(uow, current_user, tender_id)
    form = NoticesForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _notices(view, form, None, 400)
        terms = services.NoticeTerms(form.performance_period.data, form.contract_within_days.data, form.notes.data)
        try:
            services.issue_notices(uow, file_store(), current_user, tender_id, terms, verify_url=verify_url)
        except DomainError as refusal:
            if refusal.http_status in (403, 404):
                raise
            return _notices(services.award_overview(uow, current_user, tender_id), form, refusal, refusal.http_status)
        flash("已生成中标通知书和中标结果通知书。请先签章发出中标通知书，再逐一签章发出中标结果通知书。", "success")
        return redirect(url_for("award.notices_page", tender_id=tender_id))
    return _notices(view, form, None, 200)


@roles_required(*SUPPLIERS)
def my_notice_page(tender_id: int):  # type: ignore[no-untyped-def]
    """A bidder's own notice (中标通知书 or 中标结果通知书), once the agency stamped it."""
    notice = services.my_notice(context.uow(), current_user, tender_id)
    return render_template("award/my_notice.html", n=notice, AwardState=AwardState,
                           verify_link=verify_url(notice.document.public_id))


@roles_required(*STAFF)
def document_pdf(tender_id: int, public_id: str):  # type: ignore[no-untyped-def]
    """One of the award's PDFs (current revision), for whoever may read it."""
    document, revision, data = services.award_document(context.uow(), file_store(), current_user, tender_id,
                                                       public_id)
    return pdf_response(data, f"{document.public_id}-r{revision.seq}.pdf",
                        attachment=request.args.get("download") == "1")


# -- helpers -------------------------------------------------------------------------------------------------
def _stamp_context(view: services.AwardOverview, role: str) -> dict:
    """The stamping panel's data when the next stamp is this party's."""
    due = view.next_stamp if view.relation == role else None
    uow = context.uow()
    return {"document": due, "candidates": stamp_candidates(uow, current_user.party_id) if due is not None else [],
            "agent_url": current_app.config["AGENT_URL"], "platform_origin": request_origin()}


def _confirm(view: services.AwardOverview, form: ConfirmForm, error: DomainError | None, status: int):  # type: ignore[no-untyped-def]
    return render_template("award/confirm.html", v=view, form=form, error=error, AwardState=AwardState,
                           **_stamp_context(view, "purchaser")), status


def _notices(view: services.AwardOverview, form: NoticesForm, error: DomainError | None, status: int):  # type: ignore[no-untyped-def]
    return render_template("award/notices.html", v=view, form=form, error=error, AwardState=AwardState,
                           **_stamp_context(view, "agency")), status
