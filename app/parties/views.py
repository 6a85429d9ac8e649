"""Registration, its status, the operators' review, the party page. Each view parses its form,
calls one service function of ``bidding.parties`` and renders or redirects."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.parties.common import STAFF, file_store, licence_limit, party_view, read_upload
from app.parties.forms import HandlerForm, RegistrationForm, ReviewForm
from bidding.accounts.models import Role
from bidding.errors import Conflict, InvalidInput
from bidding.parties import registrations
from bidding.parties.licences import licence_path
from bidding.parties.models import PartyKind, RegistrationState
from bidding.parties.notices import notices_for_registration
from bidding.parties.services import update_certificate_handler


def register():  # type: ignore[no-untyped-def]
    """The public registration form with the licence upload."""
    form = RegistrationForm()
    if not form.validate_on_submit():
        return _form_page(form, 400 if request.method == "POST" else 200)
    try:
        data, filename = read_upload(form.licence.data)
        application = registrations.Application(
            kind=PartyKind(form.kind.data), name=form.name.data, credit_code=form.credit_code.data,
            legal_representative=form.legal_representative.data, address=form.address.data,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            username=form.username.data, password=form.password.data)
        submitted = registrations.submit_registration(context.uow(), application, data, filename, store=file_store(),
                                                      max_licence_bytes=licence_limit())
    except (InvalidInput, Conflict) as refusal:
        return _refused(form, refusal)
    flash("注册申请已提交，请保存本页地址以便查看审核进度 (application submitted: keep this page's address)", "success")
    return redirect(url_for("parties.registration_status", registration_id=submitted.registration.id,
                            t=submitted.status_token))


def _refused(form: RegistrationForm, refusal):  # type: ignore[no-untyped-def]
    name = refusal.details.get("field") or ("licence" if refusal.code.startswith("licence") else "")
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, refusal.message]
        return _form_page(form, refusal.http_status)
    return _form_page(form, refusal.http_status, error=refusal)


def _form_page(form: RegistrationForm, status: int, error=None):  # type: ignore[no-untyped-def]
    return render_template("parties/register.html", form=form, error=error,
                           limit_mib=licence_limit() // (1024 * 1024)), status


def registration_status(registration_id: int):  # type: ignore[no-untyped-def]
    """The applicant's view of its application, by the token it got at submission (``?t=``)."""
    uow = context.uow()
    registration = registrations.find_by_token(uow, registration_id, request.args.get("t", ""))
    return render_template("parties/status.html", registration=registration,
                           notices=notices_for_registration(uow, registration.id))


@roles_required(Role.OPERATOR)
def operator_registrations():  # type: ignore[no-untyped-def]
    state_value = request.args.get("state") or None
    try:
        state = RegistrationState(state_value) if state_value else None
    except ValueError:
        abort(400)
    items = registrations.list_registrations(context.uow(), state)
    return render_template("parties/operator_list.html", registrations=items, state=state,
                           states=list(RegistrationState))


@roles_required(Role.OPERATOR)
def operator_registration(registration_id: int, form: ReviewForm | None = None, error=None,
                          status: int = 200):  # type: ignore[no-untyped-def]
    registration = registrations.get_registration(context.uow(), registration_id)
    return render_template("parties/operator_detail.html", registration=registration, form=form or ReviewForm(),
                           error=error), status


@roles_required(Role.OPERATOR)
def licence(registration_id: int):  # type: ignore[no-untyped-def]
    registration = registrations.get_registration(context.uow(), registration_id)
    path = licence_path(file_store(), registration.licence_sha256)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=registration.licence_media_type, as_attachment=True,
                     download_name=registration.licence_filename)


@roles_required(Role.OPERATOR)
def review(registration_id: int):  # type: ignore[no-untyped-def]
    form = ReviewForm()
    if not form.validate_on_submit():
        return operator_registration(registration_id, form=form, status=400)
    try:
        registrations.review_registration(context.uow(), current_user, registration_id,
                                          form.decision.data == "approve", form.reason.data)
    except (InvalidInput, Conflict) as refusal:
        return operator_registration(registration_id, form=form, error=refusal, status=refusal.http_status)
    flash("审核结果已保存，申请人已收到通知 (decision saved; the applicant is notified)", "success")
    return redirect(url_for("parties.operator_registration", registration_id=registration_id))


@roles_required(*STAFF)
def party(form: HandlerForm | None = None, error=None, status: int = 200):  # type: ignore[no-untyped-def]
    """Own party: its data, certificate handler (经办人) with the change form, notices, commitment letter."""
    view = party_view(current_user)
    if form is None:
        p = view["party"]
        form = HandlerForm(data={"name": p.handler_name, "id_last4": p.handler_id_last4, "phone": p.handler_phone})
    return render_template("parties/party.html", form=form, error=error, **view), status


@roles_required(*STAFF)
def change_handler():  # type: ignore[no-untyped-def]
    form = HandlerForm()
    if not form.validate_on_submit():
        return party(form=form, status=400)
    try:
        update_certificate_handler(context.uow(), current_user.party_id, name=form.name.data,
                                   id_last4=form.id_last4.data, phone=form.phone.data)
    except InvalidInput as refusal:
        field = getattr(form, refusal.details.get("field", ""), None)
        if field is not None:
            field.errors = [*field.errors, refusal.message]
        return party(form=form, error=None if field is not None else refusal, status=refusal.http_status)
    flash("经办人信息已更新；数字证书不受影响 (handler updated; no certificate changed)", "success")
    return redirect(url_for("parties.party"))


@roles_required(Role.SUPPLIER_STAFF)
def commitment_letter():  # type: ignore[no-untyped-def]
    """Sign the commitment letter (入驻承诺书) through the local signing agent (app/static/js/commitment.js)."""
    return render_template("parties/commitment.html", **party_view(current_user))
