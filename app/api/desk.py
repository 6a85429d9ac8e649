"""``/api/v1``: the certificate service desk (证书服务), the JSON twins of the pages in
``app/certificates/desk_views.py``, calling the same :mod:`bidding.certificates.desk` functions."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema
from app.auth.access import roles_required
from app.certificates.desk_views import submit
from app.certificates.gateway import ca_gateway
from bidding.accounts.models import Role
from bidding.certificates import desk
from bidding.certificates.desk_models import RequestState, ServiceKind

blp = Blueprint("api_desk", __name__, url_prefix="/api/v1",
                description="证书服务：续期、变更、补办、解锁、吊销 (certificate service desk)")

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


class ServiceRequestInSchema(ma.Schema):
    kind = fields.Enum(ServiceKind, by_value=True, required=True)
    years = fields.Integer(load_default=1, metadata={"description": "renewal: the service period"})
    name = fields.String(load_default=None, validate=ma.validate.Length(0, 100),
                         metadata={"description": "change_subject: the subject's new name"})
    reason = fields.String(load_default=None, validate=ma.validate.OneOf(desk.REVOCATION_REASONS),
                           metadata={"description": "revoke: the CRL reason"})
    handler_name = fields.String(load_default=None, validate=ma.validate.Length(0, 50))
    handler_id_last4 = fields.String(load_default=None, validate=ma.validate.Length(0, 4))
    handler_phone = fields.String(load_default=None, validate=ma.validate.Length(0, 20))
    token_label = fields.String(load_default=None, validate=ma.validate.Length(0, 64))


class ServiceRequestSchema(ma.Schema):
    id = fields.Integer(required=True)
    party_id = fields.Integer(required=True)
    binding_id = fields.Integer(required=True)
    kind = fields.Enum(ServiceKind, by_value=True, required=True)
    state = fields.Enum(RequestState, by_value=True, required=True)
    details = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    new_binding_id = fields.Integer(allow_none=True)


class ServiceRequestQuerySchema(ma.Schema):
    state = fields.Enum(RequestState, by_value=True, load_default=None)


class ServiceReviewSchema(ma.Schema):
    approve = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=ma.validate.Length(0, 500))


@blp.route("/certificates/<int:binding_id>/service-requests")
class BindingServiceRequests(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ServiceRequestInSchema)
    @blp.response(201, ServiceRequestSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="申请内容有误 (service_request_invalid)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书属于其他主体 (binding_of_another_party)")
    @blp.alt_response(404, schema=ErrorSchema, description="证书绑定不存在 (binding_not_found)")
    @blp.alt_response(409, schema=ErrorSchema, description="R7 续期窗口、R10 未完成事项、CA 拒绝 (renewal_not_open, "
                                                           "renewal_needs_documents, certificate_change_blocked, ca_refused)")
    def post(self, args: dict[str, Any], binding_id: int) -> Any:
        """Ask the desk for a renewal, subject change, key replacement, PIN unlock or revocation of
        one of the own party's bindings; answered with the request (done, or awaiting review)."""
        return submit(args["kind"], binding_id, args)


@blp.route("/service-requests")
class ServiceRequests(MethodView):
    @roles_required(*STAFF, Role.OPERATOR)
    @blp.arguments(ServiceRequestQuerySchema, location="query")
    @blp.response(200, ServiceRequestSchema(many=True))
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="无权查看 (forbidden)")
    def get(self, args: dict[str, Any]) -> Any:
        """Operators: every request; staff: their own party's. ``?state=awaiting_review`` filters."""
        return desk.list_service_requests(context.uow(), current_user, state=args["state"])


@blp.route("/service-requests/<int:request_id>/review")
class ServiceRequestReview(MethodView):
    @roles_required(Role.OPERATOR)
    @blp.arguments(ServiceReviewSchema)
    @blp.response(200, ServiceRequestSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="驳回须说明理由 (service_request_invalid)")
    @blp.alt_response(404, schema=ErrorSchema, description="申请不存在 (service_request_not_found)")
    @blp.alt_response(409, schema=ErrorSchema, description="不在待审核状态 (service_request_decided, ca_refused)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="仅平台运营人员 (operators only)")
    def post(self, args: dict[str, Any], request_id: int) -> Any:
        """Approve (the token is unlocked through the CA) or reject a PIN unlock awaiting review."""
        return desk.review_pin_unlock(context.uow(), ca_gateway(), current_user, request_id, args["approve"],
                                      args["reason"])
