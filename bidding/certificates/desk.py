"""The certificate service desk (证书服务): renewal (R7), change of the subject's data (R5), lost- or
damaged-key replacement (R8), PIN unlock (R9, R21) and revocation of a bound certificate.

The platform applies its rules first and forwards the request to the CA through a
:class:`~bidding.certificates.ca_gateway.CaGateway` only when they allow it:

- renewal, change and replacement ask :func:`~bidding.certificates.guard.ensure_change_allowed`
  first (R10): a pending item holding the certificate refuses the request, naming it; the binding's
  row is locked first (:func:`lock_bindings`), and a bid upload locks the same rows before it
  records a bid encrypted to them, so a renewal and an upload racing for one certificate cannot
  both succeed;
- renewal: the CA profile's window (``pki.trust.RenewalRules``): refused before it opens, with the
  date it opens; past the expired limit, documents are needed;
- when the CA answers, the new certificate is bound in place of the old one (same party, the seal
  carried over for a main key), and the old binding is ``superseded`` (renewal, change) or
  ``revoked`` (replacement, revocation), ``superseded_by_id`` naming the new one;
- PIN unlock: done at once when the handler (经办人) named in the request is the one registered on
  the party, else it waits for an operator (:func:`review_pin_unlock`).

Every use case runs in one unit of work with one audit entry; a refusal changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bidding.accounts.models import Account, Role
from bidding.certificates.ca_gateway import CaGateway, Handler
from bidding.certificates.errors import BindingNotFound, BindingOfAnotherParty
from bidding.certificates.guard import ensure_change_allowed
from bidding.certificates.desk_models import RequestState, ServiceKind, ServiceRequest
from bidding.certificates.models import BindingState, CertificateBinding
from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bidding.parties.models import Party
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256, key_algorithm, to_asn1
from pki.errors import PkiError
from pki.trust import RenewalNeedsDocuments, RenewalNotOpen, RenewalRefused, TrustList

REVOCATION_REASONS = ("key_compromise", "affiliation_changed", "cessation_of_operation", "unspecified")
STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


# -- refusals -----------------------------------------------------------------------------------------
class BindingNotActive(Conflict):
    code = "binding_not_active"
    message = "该证书绑定已失效（已被取代或已吊销），不能办理 (the binding is no longer active)"


class RenewalNotYetOpen(Conflict):
    code = "renewal_not_open"
    message = "续期尚未开放 (renewal is not open yet)"


class RenewalNeedsPapers(Conflict):
    code = "renewal_needs_documents"
    message = "证书过期过久，不能在线续期，须携带资料办理 (expired too long ago: documents are needed)"


class ServiceRequestInvalid(InvalidInput):
    code = "service_request_invalid"
    message = "服务申请内容有误 (the service request is not valid)"


class CaRefusedRequest(Conflict):
    code = "ca_refused"
    message = "CA 拒绝了该申请 (the CA refused the request)"


class ServiceRequestNotFound(NotFound):
    code = "service_request_not_found"
    message = "服务申请不存在 (no such service request)"


class NotAwaitingReview(Conflict):
    code = "service_request_decided"
    message = "该申请不在待审核状态 (the request is not awaiting review)"


class OperatorsOnly(PermissionDenied):
    code = "operators_only"
    message = "只有平台运营人员可以审核 (only operators review requests)"


# -- use cases ------------------------------------------------------------------------------------------
def request_renewal(uow: UnitOfWork, gateway: CaGateway, account: Account, binding_id: int, years: int, *,
                    trust: TrustList) -> ServiceRequest:
    """R7 renewal: refused before the window opens (with its date) or past the expired limit; R10 first."""
    with uow:
        binding = _own_active_binding(uow, account, binding_id)
        ensure_change_allowed(uow, binding)
        now = uow.clock.now()
        _check_renewal_window(trust, binding, now, years)
        der = _ask_ca(lambda: gateway.renew(binding.certificate_der, years=years, at=now))
        return _replace(uow, account, binding, ServiceKind.RENEWAL, der, trust, {"years": years},
                        BindingState.SUPERSEDED, carry_seal=True)


def request_subject_change(uow: UnitOfWork, gateway: CaGateway, account: Account, binding_id: int, name: str,
                           *, trust: TrustList) -> ServiceRequest:
    """R5: the subject's data (its name) changed: a new certificate; the old one is superseded. The
    seal names the old subject (R3): it is not carried over; the CA's new seal is attached anew."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceRequestInvalid("新的主体名称须为 1–100 个字符 (the new subject name must have 1–100 characters)",
                                    field="name")
    with uow:
        binding = _own_active_binding(uow, account, binding_id)
        ensure_change_allowed(uow, binding)
        now = uow.clock.now()
        der = _ask_ca(lambda: gateway.change_subject(binding.certificate_der, name=name, at=now))
        return _replace(uow, account, binding, ServiceKind.CHANGE_SUBJECT, der, trust, {"name": name},
                        BindingState.SUPERSEDED, carry_seal=False)


def request_key_replacement(uow: UnitOfWork, gateway: CaGateway, account: Account, binding_id: int, *,
                            trust: TrustList, public_key: bytes | None = None) -> ServiceRequest:
    """R8: the key is lost or damaged: the CA revokes the old certificate (it goes on the CRL) and
    certifies a new key for the same validity; the old binding is revoked."""
    with uow:
        binding = _own_active_binding(uow, account, binding_id)
        ensure_change_allowed(uow, binding)
        now = uow.clock.now()
        der = _ask_ca(lambda: gateway.replace_key(binding.certificate_der, public_key=public_key, at=now))
        return _replace(uow, account, binding, ServiceKind.REPLACE_KEY, der, trust, {"reason": "key_compromise"},
                        BindingState.REVOKED, carry_seal=True)


def request_revocation(uow: UnitOfWork, gateway: CaGateway, account: Account, binding_id: int,
                       reason: str = "unspecified") -> ServiceRequest:
    """Revoke a bound certificate at the CA; its binding is revoked (its seal with it, R22)."""
    if reason not in REVOCATION_REASONS:
        raise ServiceRequestInvalid(f"吊销原因只能是 {'、'.join(REVOCATION_REASONS)} (the reason must be one of "
                                    f"{list(REVOCATION_REASONS)})", field="reason")
    with uow:
        binding = _own_active_binding(uow, account, binding_id)
        now = uow.clock.now()
        _ask_ca(lambda: gateway.revoke(binding.serial, reason=reason, at=now))
        binding.state = BindingState.REVOKED
        request = _record(uow, account, binding, ServiceKind.REVOKE, RequestState.DONE, {"reason": reason})
        uow.audit("certificate.service.revoked", request, binding=binding.id, serial=binding.serial, reason=reason)
        uow.commit()
        return request


def request_pin_unlock(uow: UnitOfWork, gateway: CaGateway, account: Account, binding_id: int, handler: Handler,
                       *, token_label: str | None = None) -> ServiceRequest:
    """R9/R21: unlock the token holding the certificate's key. Done at once when ``handler`` is the
    handler registered on the party (name, last 4 of the ID number, phone); otherwise the request
    waits for an operator's review."""
    handler = handler.normalised()
    if not handler.name or not handler.id_last4 or not handler.phone:
        raise ServiceRequestInvalid("请填写经办人姓名、身份证号码后 4 位和联系电话 (give the handler's name, the last 4 "
                                    "characters of the ID number and the phone)", field="handler")
    label = (token_label or "").strip() or None
    with uow:
        binding = _own_active_binding(uow, account, binding_id)
        details: dict[str, Any] = {"handler": vars(handler), "token_label": label}
        if not _handler_matches(uow.session.get(Party, binding.party_id), handler):
            request = _record(uow, account, binding, ServiceKind.UNLOCK_PIN, RequestState.AWAITING_REVIEW, details)
            uow.audit("certificate.service.unlock_requested", request, binding=binding.id, handler_matches=False)
            uow.commit()
            return request
        unlocked = _ask_ca(lambda: gateway.unlock(binding.certificate_der, handler=handler, token_label=label))
        request = _record(uow, account, binding, ServiceKind.UNLOCK_PIN, RequestState.DONE,
                          {**details, "token_label": unlocked})
        uow.audit("certificate.service.unlocked", request, binding=binding.id, token=unlocked, automatic=True)
        uow.commit()
        return request


def review_pin_unlock(uow: UnitOfWork, gateway: CaGateway, operator: Account, request_id: int, approve: bool,
                      reason: str = "") -> ServiceRequest:
    """An operator approves (the token is unlocked through the CA) or rejects (with a reason) a PIN
    unlock whose handler did not match the party's record (R21)."""
    reason = (reason or "").strip()
    if operator.role != Role.OPERATOR:
        raise OperatorsOnly()
    if not approve and not reason:
        raise ServiceRequestInvalid("驳回须说明理由 (a rejection needs a reason)", field="reason")
    with uow:
        request = uow.session.get(ServiceRequest, request_id)
        if request is None:
            raise ServiceRequestNotFound(request=request_id)
        if request.state != RequestState.AWAITING_REVIEW:
            raise NotAwaitingReview(state=request.state.value)
        now = uow.clock.now()
        if approve:
            binding = uow.session.get(CertificateBinding, request.binding_id)
            handler = Handler(**request.details["handler"])
            label = _ask_ca(lambda: gateway.unlock(binding.certificate_der, handler=handler,
                                                   token_label=request.details.get("token_label")))
            request.details = {**request.details, "token_label": label}
        request.state = RequestState.DONE if approve else RequestState.REJECTED
        request.decided_by, request.decided_at, request.reason = operator.id, now, reason or None
        uow.audit("certificate.service.reviewed", request, approved=approve, reason=reason or None)
        uow.commit()
        return request


def list_service_requests(uow: UnitOfWork, account: Account, *, state: RequestState | None = None
                          ) -> list[ServiceRequest]:
    """Operators: every request (those awaiting review first); staff: their own party's."""
    query = select(ServiceRequest)
    if account.role != Role.OPERATOR:
        if account.role not in STAFF or account.party_id is None:
            raise PermissionDenied()
        query = query.where(ServiceRequest.party_id == account.party_id)
    if state is not None:
        query = query.where(ServiceRequest.state == state)
    return list(uow.session.scalars(query.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())))


def own_binding(uow: UnitOfWork, account: Account, binding_id: int) -> CertificateBinding:
    """The binding, when it belongs to the account's own party (else 404 / 403)."""
    binding = uow.session.get(CertificateBinding, binding_id)
    if binding is None:
        raise BindingNotFound(binding=binding_id)
    if account.role not in STAFF or account.party_id != binding.party_id:
        raise BindingOfAnotherParty(binding=binding_id)
    return binding


# -- the steps ------------------------------------------------------------------------------------------
def lock_bindings(session: Session, binding_ids: Iterable[int]) -> list[CertificateBinding]:
    """Lock the rows of these bindings until the transaction ends and load them afresh, in id order
    (two lockers of several rows never wait for each other in a circle).

    PostgreSQL: ``SELECT … FOR UPDATE``; a change committed before the lock was granted is seen by
    every later statement of the transaction. SQLite has no row locks: a write that changes nothing
    takes the database's one write lock instead (the first write of a transaction waits for it,
    busy timeout), so the check that follows and the change it allows happen under it. The R10
    guard's callers (this desk, the bid upload) take it before they check."""
    ids = sorted(set(binding_ids))
    if not ids:
        return []
    table = CertificateBinding.__table__
    query = select(CertificateBinding).where(CertificateBinding.id.in_(ids)).order_by(CertificateBinding.id)
    if session.connection().dialect.name == "sqlite":
        session.execute(update(table).where(table.c.id.in_(ids)).values(state=table.c.state))
    else:
        query = query.with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _own_active_binding(uow: UnitOfWork, account: Account, binding_id: int) -> CertificateBinding:
    own_binding(uow, account, binding_id)
    binding = lock_bindings(uow.session, [binding_id])[0]
    if binding.state != BindingState.ACTIVE:
        raise BindingNotActive(binding=binding_id, state=binding.state.value)
    return binding


def _check_renewal_window(trust: TrustList, binding: CertificateBinding, now: datetime, years: int) -> None:
    rules = trust.profile(binding.profile_id).renewal
    try:
        rules.terms(binding.not_after, now, years)
    except RenewalNotOpen:
        opens = binding.not_after - timedelta(days=rules.window_days)
        raise RenewalNotYetOpen(f"证书到期前 {rules.window_days} 天内才能续期，{opens:%Y-%m-%d} 起可办理 (renewal opens on "
                                f"{opens:%Y-%m-%d}, {rules.window_days} days before expiry)",
                                opens_on=f"{opens:%Y-%m-%d}") from None
    except RenewalNeedsDocuments as exc:
        raise RenewalNeedsPapers(exc.message, expired_limit_days=rules.expired_limit_days) from None
    except RenewalRefused as exc:          # an invalid service period
        raise ServiceRequestInvalid(exc.message, field="years") from None


def _ask_ca(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except PkiError as exc:
        raise CaRefusedRequest(f"{CaRefusedRequest.message}：{exc.message}", ca_code=exc.code) from None


def _handler_matches(party: Party | None, handler: Handler) -> bool:
    if party is None or not party.handler_name:
        return False
    registered = Handler(party.handler_name or "", party.handler_id_last4 or "", party.handler_phone or "")
    return registered.normalised() == handler


def _replace(uow: UnitOfWork, account: Account, old: CertificateBinding, kind: ServiceKind, der: bytes,
             trust: TrustList, details: dict[str, Any], old_state: BindingState, *, carry_seal: bool
             ) -> ServiceRequest:
    new = _successor(old, der, trust, uow.clock.now(), carry_seal=carry_seal)
    old.state = old_state
    uow.session.flush()                    # the old one leaves the active fingerprints first
    uow.session.add(new)
    uow.session.flush()
    old.superseded_by_id = new.id
    request = _record(uow, account, old, kind, RequestState.DONE, {**details, "new_serial": new.serial})
    request.new_binding_id = new.id
    uow.audit(f"certificate.service.{kind.value}", request, binding=old.id, new_binding=new.id,
              old_serial=old.serial, new_serial=new.serial, old_state=old_state.value,
              not_after=new.not_after.isoformat(), **{k: v for k, v in details.items() if k != "reason"})
    uow.commit()
    return request


def _successor(old: CertificateBinding, der: bytes, trust: TrustList, now: datetime, *, carry_seal: bool
               ) -> CertificateBinding:
    """The binding of the CA's new certificate: the same party, type, purpose and platform policy as
    the old one; the identity read through the profile must still be the party's."""
    try:
        cert = to_asn1(der)
        identity = trust.profile(old.profile_id).read_identity(cert)
    except PkiError as exc:
        raise CaRefusedRequest(f"CA 返回的证书无法读取 (the CA's certificate cannot be read: {exc.message})") from None
    if identity.number != old.identity_number:
        raise CaRefusedRequest("CA 返回的证书不属于本主体 (the CA's certificate names another party)")
    validity = cert["tbs_certificate"]["validity"]
    seal = carry_seal and old.is_main_key
    return CertificateBinding(
        party_id=old.party_id, certificate_der=cert.dump(), fingerprint_sha256=fingerprint_sha256(cert),
        subject=cert.subject.human_friendly[:500], issuer=cert.issuer.human_friendly[:500],
        serial=format(cert.serial_number, "X"), not_before=validity["not_before"].native,
        not_after=validity["not_after"].native, profile_id=old.profile_id, algorithm=key_algorithm(cert),
        certificate_type=old.certificate_type, identity_number=old.identity_number, purpose=old.purpose,
        is_main_key=seal, seal_kind=old.seal_kind if seal else None, seal_image=old.seal_image if seal else None,
        may_stamp=old.may_stamp, stamp_refusal=old.stamp_refusal, state=BindingState.ACTIVE, bound_at=now)


def _record(uow: UnitOfWork, account: Account, binding: CertificateBinding, kind: ServiceKind,
            state: RequestState, details: dict[str, Any]) -> ServiceRequest:
    request = ServiceRequest(party_id=binding.party_id, binding_id=binding.id, kind=kind, state=state,
                             details=details, requested_by=account.id, created_at=uow.clock.now())
    uow.session.add(request)
    uow.session.flush()
    return request
