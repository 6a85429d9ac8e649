"""The bid pages. Each view calls the use cases of ``bidding.bids.services`` (which decide what the
acting account may see: a supplier only its own bids, the agency only that bids exist) and renders
or redirects."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from asn1crypto.pem import armor
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app import context
from app.api.bids import bid_json
from app.auth.access import roles_required
from app.bids.common import receipt_issuer, upload_limits
from bidding.accounts.models import Role
from bidding.bids import services
from bidding.bids.models import BidState
from bidding.certificates.models import BindingState, CertificatePurpose
from bidding.certificates.services import list_bindings
from bidding.errors import DomainError
from bidding.tenders.access import load_tender
from bidding.tenders.models import Tender, TenderPhase
from bidding.tenders.services import tender_registration


BEIJING = timezone(timedelta(hours=8))


def beijing_ms(moment: datetime | None) -> str:
    """2026-12-01 19:59:59.999: Beijing time to the millisecond (the deadline is decided to it)."""
    if moment is None:
        return "—"
    local = moment.astimezone(BEIJING)
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def filesize(size: int) -> str:
    """1.5 MB (bytes below 1 KB)."""
    for unit, step in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= step:
            return f"{size / step:.1f} {unit}"
    return f"{size} B"


def common_name(subject: str) -> str:
    """The subject's common name (asn1crypto's human-friendly form), else the whole subject."""
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part.removeprefix("Common Name: ")
    return subject


class WithdrawForm(FlaskForm):
    """The withdraw button: only the CSRF token."""


@roles_required(Role.SUPPLIER_STAFF)
def index():  # type: ignore[no-untyped-def]
    """The supplier's bids in every tender, newest first."""
    uow = context.uow()
    bids = services.own_bids(uow, current_user)
    tenders = {t.id: t for t in (uow.session.get(Tender, i) for i in {b.tender_id for b in bids})}
    return render_template("bids/index.html", bids=bids, tenders=tenders)


@roles_required(Role.SUPPLIER_STAFF)
def tender_bid(tender_id: int):  # type: ignore[no-untyped-def]
    """The supplier's bid page for one tender it registered for."""
    uow = context.uow()
    tender = load_tender(uow, tender_id)
    tender_registration(uow, tender.id, current_user.party_id)
    now = uow.clock.now()
    bids = [bid_json(uow, b) for b in services.own_bids(uow, current_user, tender.id)]
    certificates = [s for s in list_bindings(uow, current_user.party_id)
                    if s.binding.purpose == CertificatePurpose.ENCRYPTION and s.binding.state == BindingState.ACTIVE]
    usable = {s.binding.id: tender.window_end is not None and s.binding.not_after >= tender.window_end
              for s in certificates}
    warnings = {s.binding.id: services.expiry_warning(s.binding, now) for s in certificates}
    names = {s.binding.id: common_name(s.binding.subject) for s in certificates}
    pem = {s.binding.id: armor("CERTIFICATE", s.binding.certificate_der).decode("ascii") for s in certificates}
    return render_template("bids/tender.html", tender=tender, phase=tender.phase(now), phases=TenderPhase,
                           bids=bids, states=BidState, certificates=certificates, usable=usable, warnings=warnings,
                           names=names, pem=pem,
                           party=current_user.party, form=WithdrawForm(), max_chunk=upload_limits().max_chunk,
                           base_url=current_app.config["PUBLIC_BASE_URL"])


@roles_required(Role.SUPPLIER_STAFF)
def withdraw(bid_id: str):  # type: ignore[no-untyped-def]
    """Withdraw a bid (the page's button); the receipt of the withdrawal is offered at once."""
    uow = context.uow()
    bid = services.own_bid(uow, current_user, bid_id)
    tender_id = bid.tender_id
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash("表单已过期，请刷新页面后重试 (the form expired: reload the page)", "error")
        return redirect(url_for("bids.tender_bid", tender_id=tender_id))
    try:
        services.withdraw_bid(uow, current_user, bid_id, receipts=receipt_issuer)
    except DomainError as refusal:
        if refusal.http_status >= 500:
            raise
        flash(refusal.message, "error")
        return redirect(url_for("bids.tender_bid", tender_id=tender_id))
    flash(f"投标 {bid_id} 已撤回，撤回回执已签发，可在下方下载。", "success")
    return redirect(url_for("bids.tender_bid", tender_id=tender_id))


@roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR)
def received(tender_id: int):  # type: ignore[no-untyped-def]
    """The agency's (and supervisors') view before the opening: who bid, how big, when; no content."""
    uow = context.uow()
    overview = services.tender_bids(uow, current_user, tender_id)
    return render_template("bids/received.html", overview=overview, tender=overview.tender,
                           phase=overview.tender.phase(uow.clock.now()))
