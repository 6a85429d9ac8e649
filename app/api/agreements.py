"""``/api/v1``: delegation agreements (委托协议) for the purchaser and the agency. Amounts are
strings of yuan with at most two decimals (``"1200000.00"``), dates ``YYYY-MM-DD``. Stamping the
agreement's document goes through ``/api/v1/documents/<id>/stamp-sessions`` (``app/api/documents.py``)
with the ``document.public_id`` answered here. The same use cases as the pages."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from app import context
from app.api.schemas import ErrorSchema, PartySchema
from app.auth.access import roles_required
from app.documents.common import file_store, verify_url
from app.routing import ROW_ID_MAX
from bidding.accounts.models import Role
from bidding.agreements import services
from bidding.agreements.models import AgreementAction, AgreementState
from bidding.parties.models import Party

blp = Blueprint("api_agreements", __name__, url_prefix="/api/v1",
                description="委托协议：起草、拒签、备案、办理记录 (delegation agreements)")
PARTY_STAFF = (Role.PURCHASER_STAFF, Role.AGENCY_STAFF)
AMOUNT = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"


class TermsSchema(ma.Schema):
    agency_id = fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, ROW_ID_MAX))
    project_name = fields.String(required=True, validate=ma.validate.Length(1, services.PROJECT_NAME_MAX))
    scope = fields.String(required=True, validate=ma.validate.Length(1, services.SCOPE_MAX))
    procurement_method = fields.String(load_default="", validate=ma.validate.OneOf(("",) + services.PROCUREMENT_METHODS))
    budget = fields.String(required=True, validate=ma.validate.Regexp(AMOUNT), metadata={"description": "yuan"})
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    fee = fields.String(load_default=None, allow_none=True, validate=ma.validate.Regexp(AMOUNT),
                        metadata={"description": "a fixed agency fee in yuan, if agreed"})
    fee_terms = fields.String(load_default="", validate=ma.validate.Length(0, services.FEE_TERMS_MAX),
                              metadata={"description": "how the fee is computed and who pays it"})


class RefusalSchema(ma.Schema):
    reason = fields.String(required=True, validate=ma.validate.Length(1, services.REASON_MAX))


class AgreementDocumentSchema(ma.Schema):
    public_id = fields.String(required=True)
    current_revision = fields.Integer(required=True)
    download_url = fields.String(required=True)
    verify_url = fields.String(required=True)


class AgreementSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    state = fields.Enum(AgreementState, by_value=True, required=True)
    state_label = fields.String(required=True)
    next_signer = fields.String(allow_none=True, metadata={"description": "purchaser | agency: whose stamp is due"})
    purchaser = fields.Nested(PartySchema, required=True)
    agency = fields.Nested(PartySchema, required=True)
    project_name = fields.String(required=True)
    scope = fields.String(required=True)
    procurement_method = fields.String(required=True)
    budget = fields.String(required=True)
    fee = fields.String(allow_none=True)
    fee_terms = fields.String(required=True)
    term_start = fields.Date(required=True)
    term_end = fields.Date(required=True)
    revision = fields.Integer(required=True)
    refusal_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)
    filed_at = fields.DateTime(allow_none=True)
    document = fields.Nested(AgreementDocumentSchema, required=True)


class AgreementEventSchema(ma.Schema):
    at = fields.DateTime(required=True)
    party_id = fields.Integer(required=True)
    action = fields.Enum(AgreementAction, by_value=True, required=True)
    action_label = fields.String(required=True)
    revision = fields.Integer(required=True)
    document = fields.String(required=True)
    reason = fields.String(allow_none=True)


_401 = {"schema": ErrorSchema, "description": "未登录 (not logged in)"}
_403_ROLE = {"schema": ErrorSchema, "description": "仅采购人或代理机构经办人；不是该协议的一方 (agreement_access_denied)"}
_404 = {"schema": ErrorSchema, "description": "委托协议不存在 (agreement_not_found)"}


def _agreement(uow, agreement) -> dict[str, Any]:
    parties = {p.id: p for p in uow.session.scalars(select(Party).where(
        Party.id.in_([agreement.purchaser_id, agreement.agency_id])))}
    document = services.document_of(uow, agreement)
    return {**{c: getattr(agreement, c) for c in (
        "id", "number", "state", "project_name", "scope", "procurement_method", "fee_terms", "term_start",
        "term_end", "revision", "refusal_reason", "created_at", "sent_at", "filed_at")},
        "state_label": agreement.state.label, "next_signer": services.next_signer_role(agreement),
        "purchaser": parties[agreement.purchaser_id], "agency": parties[agreement.agency_id],
        "budget": str(agreement.budget), "fee": str(agreement.fee) if agreement.fee is not None else None,
        "document": {"public_id": document.public_id, "current_revision": document.current_seq,
                     "download_url": url_for("documents.download", public_id=document.public_id),
                     "verify_url": verify_url(document.public_id)}}


def _terms(args: dict[str, Any]) -> services.AgreementTerms:
    return services.AgreementTerms(**args)


@blp.route("/agreements")
class Agreements(MethodView):
    @roles_required(*PARTY_STAFF)
    @blp.response(200, AgreementSchema(many=True))
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403_ROLE)
    def get(self) -> Any:
        """The acting party's agreements, newest first (an agency: those sent to it)."""
        uow = context.uow()
        return [_agreement(uow, a) for a in services.list_agreements(uow, current_user.party_id)]

    @roles_required(Role.PURCHASER_STAFF)
    @blp.arguments(TermsSchema)
    @blp.response(201, AgreementSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="协议内容有误，details.field 指出字段 (agreement_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅采购人经办人 (purchaser staff only)")
    def post(self, args: dict[str, Any]) -> Any:
        """Draft an agreement with an agency: the PDF is generated; the purchaser stamps it next."""
        uow = context.uow()
        agreement = services.draft_agreement(uow, file_store(), current_user.party_id, _terms(args),
                                             verify_url=verify_url)
        return _agreement(uow, agreement)


@blp.route("/agreements/<int:agreement_id>")
class AgreementResource(MethodView):
    @roles_required(*PARTY_STAFF)
    @blp.response(200, AgreementSchema)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403_ROLE)
    @blp.alt_response(404, **_404)
    def get(self, agreement_id: int) -> Any:
        """One agreement of the acting party."""
        uow = context.uow()
        return _agreement(uow, services.get_agreement(uow, agreement_id, current_user.party_id))


@blp.route("/agreements/<int:agreement_id>/terms")
class AgreementTermsResource(MethodView):
    @roles_required(Role.PURCHASER_STAFF)
    @blp.arguments(TermsSchema)
    @blp.response(200, AgreementSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="协议内容有误 (agreement_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403_ROLE)
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="只有草稿或被拒签的协议可以修改 (agreement_state)")
    def put(self, args: dict[str, Any], agreement_id: int) -> Any:
        """Revise a draft or a refused agreement: a new document, a draft again."""
        uow = context.uow()
        agreement = services.revise_agreement(uow, file_store(), agreement_id, current_user.party_id, _terms(args),
                                              verify_url=verify_url)
        return _agreement(uow, agreement)


@blp.route("/agreements/<int:agreement_id>/refusal")
class AgreementRefusal(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(RefusalSchema)
    @blp.response(200, AgreementSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="须说明理由 (agreement_reason_required)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403_ROLE)
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="协议不在待代理机构签章状态 (agreement_state)")
    def post(self, args: dict[str, Any], agreement_id: int) -> Any:
        """The agency refuses the agreement with a reason (the purchaser is notified)."""
        uow = context.uow()
        return _agreement(uow, services.refuse_agreement(uow, agreement_id, current_user.party_id, args["reason"]))


@blp.route("/agreements/<int:agreement_id>/filing")
class AgreementFiling(MethodView):
    @roles_required(*PARTY_STAFF)
    @blp.response(200, AgreementSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="缺少安全令牌 (csrf)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403_ROLE)
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="双方尚未都签章 (agreement_state)")
    def post(self, agreement_id: int) -> Any:
        """File (备案) an agreement both sides stamped."""
        uow = context.uow()
        return _agreement(uow, services.file_agreement(uow, agreement_id, current_user.party_id))


@blp.route("/agreements/<int:agreement_id>/history")
class AgreementHistory(MethodView):
    @roles_required(*PARTY_STAFF)
    @blp.response(200, AgreementEventSchema(many=True))
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403_ROLE)
    @blp.alt_response(404, **_404)
    def get(self, agreement_id: int) -> Any:
        """Every step of the agreement, oldest first."""
        return [{"at": e.at, "party_id": e.party_id, "action": e.action, "action_label": e.action.label,
                 "revision": e.revision, "document": e.document_public_id, "reason": e.reason}
                for e in services.history(context.uow(), agreement_id, current_user.party_id)]


@blp.route("/agencies")
class Agencies(MethodView):
    @roles_required(Role.PURCHASER_STAFF)
    @blp.response(200, PartySchema(many=True))
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅采购人经办人 (purchaser staff only)")
    def get(self) -> Any:
        """The registered agencies a purchaser may entrust."""
        return services.agencies(context.uow())
