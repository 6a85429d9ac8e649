"""The certificate service desk pages (证书服务): a staff account asks for renewal, change of the
subject's data, lost-key replacement, PIN unlock or revocation of one of its party's bindings; an
operator reviews the PIN unlocks whose handler did not match. Each view parses the form and calls
one function of :mod:`bidding.certificates.desk`; the JSON twins are in ``app/api/desk.py``."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.certificates.gateway import ca_gateway
from app.trust import trust_list
from bidding.accounts.models import Role
from bidding.certificates import desk
from bidding.certificates.ca_gateway import Handler
from bidding.certificates.desk_models import RequestState, ServiceKind, ServiceRequest
from bidding.certificates.models import CertificateBinding
from bidding.errors import DomainError, InvalidInput

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
REASON_LABELS = {"key_compromise": "密钥泄露或介质丢失", "affiliation_changed": "单位信息变更",
                 "cessation_of_operation": "不再使用", "unspecified": "其他"}


def submit(kind: ServiceKind, binding_id: int, form: Any) -> ServiceRequest:
    """Hand a request of ``kind`` to the desk (shared with the API). ``form``: a mapping of fields."""
    uow, gateway, account = context.uow(), ca_gateway(), current_user
    if kind == ServiceKind.RENEWAL:
        return desk.request_renewal(uow, gateway, account, binding_id, _years(form.get("years")), trust=trust_list())
    if kind == ServiceKind.CHANGE_SUBJECT:
        return desk.request_subject_change(uow, gateway, account, binding_id, form.get("name") or "",
                                           trust=trust_list())
    if kind == ServiceKind.REPLACE_KEY:
        return desk.request_key_replacement(uow, gateway, account, binding_id, trust=trust_list())
    if kind == ServiceKind.REVOKE:
        return desk.request_revocation(uow, gateway, account, binding_id, form.get("reason") or "unspecified")
    handler = Handler(form.get("handler_name") or "", form.get("handler_id_last4") or "",
                      form.get("handler_phone") or "")
    return desk.request_pin_unlock(uow, gateway, account, binding_id, handler, token_label=form.get("token_label"))


@roles_required(*STAFF)
def service(binding_id: int):  # type: ignore[no-untyped-def]
    """GET: the binding, its renewal window, the forms of each kind and its requests. POST: one request."""
    if request.method == "POST":
        try:
            kind = ServiceKind(request.form.get("kind", ""))
        except ValueError:
            return _page(binding_id, InvalidInput("请选择服务类型 (choose a kind of service)"), 400)
        try:
            done = submit(kind, binding_id, request.form)
        except DomainError as refusal:
            return _page(binding_id, refusal, refusal.http_status, kind=kind)
        flash(_result_message(done), "success" if done.state == RequestState.DONE else "info")
        return redirect(url_for("certificates.service", binding_id=binding_id, request=done.id))
    return _page(binding_id)


@roles_required(Role.OPERATOR)
def operator_requests():  # type: ignore[no-untyped-def]
    """PIN unlocks waiting for an operator (and, with ``?state=``, the others)."""
    state = _state(request.args.get("state", RequestState.AWAITING_REVIEW.value))
    requests = desk.list_service_requests(context.uow(), current_user, state=state)
    return render_template("certificates/desk_operator.html", requests=requests, state=state,
                           states=list(RequestState), bindings=_bindings(requests))


@roles_required(Role.OPERATOR)
def review_request(request_id: int):  # type: ignore[no-untyped-def]
    approve = request.form.get("decision") == "approve"
    try:
        desk.review_pin_unlock(context.uow(), ca_gateway(), current_user, request_id, approve,
                               request.form.get("reason", ""))
    except DomainError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("certificates.operator_requests")), 303
    flash("已批准，令牌已解锁 (approved: the token is unlocked)" if approve else "已驳回 (rejected)", "success")
    return redirect(url_for("certificates.operator_requests"))


# -- helpers ----------------------------------------------------------------------------------------
def _page(binding_id: int, error: DomainError | None = None, status: int = 200, kind: ServiceKind | None = None):  # type: ignore[no-untyped-def]
    uow = context.uow()
    binding = desk.own_binding(uow, current_user, binding_id)
    mine = [r for r in desk.list_service_requests(uow, current_user) if r.binding_id == binding.id]
    shown = request.args.get("request", type=int)
    result = next((r for r in mine if r.id == shown), None)
    new = uow.session.get(CertificateBinding, result.new_binding_id) if result and result.new_binding_id else None
    rules = trust_list().profile(binding.profile_id).renewal
    opens = binding.not_after - timedelta(days=rules.window_days)
    return render_template("certificates/desk.html", binding=binding, error=error, requests=mine, result=result,
                           new_binding=new, opens=opens, rules=rules, now=context.clock().now(),
                           kinds=list(ServiceKind), open_kind=kind or ServiceKind.RENEWAL, reasons=REASON_LABELS,
                           pending=(error.details.get("items", []) if error is not None else [])), status


def _years(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("服务期须为整数年 (the service period is a number of years)", field="years") from None


def _state(value: str) -> RequestState | None:
    try:
        return RequestState(value) if value else None
    except ValueError:
        return None


def _bindings(requests: list[ServiceRequest]) -> dict[int, CertificateBinding]:
    session = context.uow().session
    return {r.binding_id: session.get(CertificateBinding, r.binding_id) for r in requests}


def _result_message(done: ServiceRequest) -> str:
    if done.state == RequestState.AWAITING_REVIEW:
        return ("经办人信息与登记不符，解锁申请已提交平台审核 (the handler does not match the party's record: "
                "the unlock waits for an operator's review)")
    return f"{done.kind.label}已办结 ({done.kind.value} done)"
