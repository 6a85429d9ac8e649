"""``/api/v1`` for the expert area (docs/experts.md): the operator's pool, the agency's draw and
the list's opening at the evaluation start, the draw's public record, and the expert's own session
(one-time codes), assignments and signatures. The same service functions as the pages."""
from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from marshmallow import fields

from app import context
from app.api.schemas import EncryptionCertificateSchema, UnwrapAnswerSchema, base64_bytes, error_answers
from app.auth.access import roles_required
from app.auth.views import login_rate_limit
from app.certificates.selftest_views import (
    transport_certificate_der,
    transport_credentials,
)
from app.experts.support import (
    current_expert_id,
    end_expert_session,
    expert_required,
    expert_uow,
    signing_support,
    start_expert_session,
    tsa_responder,
)
from app.extensions import limiter
from bidding.accounts.models import Role
from bidding.experts import codes, pool, services, signing

blp = Blueprint("api_experts", __name__, url_prefix="/api/v1",
                description="评审专家：专家库、抽取、验证码登录与事件证书签名 (experts: pool, draw, one-time codes, signatures)")
OPERATOR, AGENCY = Role.OPERATOR, Role.AGENCY_STAFF
_code_limit = limiter.shared_limit(login_rate_limit, scope="expert-code", methods=["POST"])


_ANSWERS = {
    400: "请求无效、验证码错误或失效 (invalid_input, code_invalid, code_expired, expert_list_unreadable, …)",
    401: "未登录，或未用验证码登录专家账户 (not logged in, expert_session_required)",
    403: "无权执行，或评审开始前名单加密 (permission_denied, expert_list_sealed)",
    404: "不存在 (tender_not_found, expert_unknown, draw_unknown, assignment_unknown)",
    409: "当前状态不允许 (draw_not_allowed, draw_exists, pool_too_small, agency_encryption_missing, "
         "evaluation_not_due, assignment_closed, event_certificate_expired, expert_exists)",
    422: "请求内容不合格式 (http_422)",
    429: "过于频繁 (code_rate_limited, too many requests)",
    503: "时间戳服务、传输证书或平台令牌未配置 (tsa_unavailable, self_test_unavailable, expert_signing_unavailable)",
}


answers = error_answers(blp, _ANSWERS)


class ExpertConflictSchema(ma.Schema):
    credit_code = fields.String(required=True, validate=ma.validate.Length(1, 40))
    party_name = fields.String(required=True, validate=ma.validate.Length(1, 200))
    reason = fields.String(required=True, validate=ma.validate.Length(1, 200))


class ExpertInSchema(ma.Schema):
    name = fields.String(required=True, validate=ma.validate.Length(1, 50))
    id_number = fields.String(required=True, validate=ma.validate.Length(1, 40))
    phone = fields.String(load_default=None, validate=ma.validate.Length(0, 40))
    email = fields.String(load_default=None, validate=ma.validate.Length(0, 120))
    specialities = fields.List(fields.String(validate=ma.validate.Length(1, 30)), required=True,
                               validate=ma.validate.Length(1, 10))
    region = fields.String(required=True, validate=ma.validate.Length(1, 50))
    employer_name = fields.String(required=True, validate=ma.validate.Length(1, 200))
    employer_credit_code = fields.String(required=True, validate=ma.validate.Length(1, 40))


class ExpertOutSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, attribute="masked_id_number", metadata={"description": "masked"})
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    specialities = fields.List(fields.String(), attribute="speciality_list")
    region = fields.String(required=True)
    employer_name = fields.String(required=True)
    employer_credit_code = fields.String(required=True)
    active = fields.Boolean(required=True)
    conflicts = fields.List(fields.Nested(ExpertConflictSchema))


class ExpertActiveSchema(ma.Schema):
    active = fields.Boolean(required=True)


class ExpertDrawInSchema(ma.Schema):
    speciality = fields.String(required=True, validate=ma.validate.Length(1, 30))
    count = fields.Integer(required=True, strict=True)
    reserves = fields.Integer(load_default=0, strict=True)


class ExpertDrawRecordSchema(ma.Schema):
    """The public record: docs/experts.md says how to recompute the draw from it."""

    tender = fields.String(required=True)
    speciality = fields.String(required=True)
    count = fields.Integer(required=True)
    reserves = fields.Integer(required=True)
    drawn_at = fields.String(required=True)
    commitment = fields.String(required=True)
    timestamp_token = fields.String(required=True, metadata={"description": "RFC 3161 token over the commitment, base64"})
    snapshot_sha256 = fields.String(required=True)
    excluded = fields.Integer(required=True)
    evaluation_started_at = fields.String(allow_none=True)
    seed = fields.String(allow_none=True, metadata={"description": "hex; published from the evaluation start"})
    snapshot = fields.String(allow_none=True, metadata={"description": "the canonical snapshot JSON, exact text"})
    exclusions = fields.List(fields.Dict(), allow_none=True)


class ExpertDrawStatusSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    drawn = fields.Boolean(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    excluded = fields.Integer()
    list_version = fields.Integer()
    evaluation_started_at = fields.DateTime(allow_none=True)


class ExpertListedExpertSchema(ma.Schema):
    position = fields.Integer(required=True)
    name = fields.String(required=True)
    employer = fields.String(required=True)
    phone = fields.String(allow_none=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)


class ExpertListOpeningSchema(ma.Schema):
    version = fields.Integer(required=True)
    fingerprint_sha256 = fields.String(required=True)
    recipient_info = fields.String(required=True)
    transport_certificate = fields.String(required=True)


class ExpertContactSchema(ma.Schema):
    contact = fields.String(required=True, validate=ma.validate.Length(1, 120),
                            metadata={"description": "the phone number or e-mail of the pool"})


class ExpertCodeSignInSchema(ExpertContactSchema):
    code = fields.String(required=True, validate=ma.validate.Length(1, 12))


class ExpertSessionSchema(ma.Schema):
    expert_id = fields.Integer(required=True)
    name = fields.String(required=True)
    csrf_token = fields.String(required=True)


class ExpertAnswerSchema(ma.Schema):
    accept = fields.Boolean(required=True)


class ExpertAssignmentSchema(ma.Schema):
    id = fields.Integer(required=True)
    tender = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)


class ExpertSignatureRequestInSchema(ma.Schema):
    title = fields.String(required=True, validate=ma.validate.Length(1, 200))
    content = fields.String(required=True, validate=ma.validate.Length(1, signing.MAX_CONTENT * 4 // 3 + 4))


class ExpertSignatureRequestSchema(ma.Schema):
    id = fields.Integer(required=True)
    document_sha256 = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class ExpertSignatureConfirmSchema(ma.Schema):
    code = fields.String(required=True, validate=ma.validate.Length(1, 12))
    content = fields.String(required=True, validate=ma.validate.Length(1, signing.MAX_CONTENT * 4 // 3 + 4))


class ExpertSignatureSchema(ma.Schema):
    id = fields.Integer(required=True)
    document_sha256 = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "detached CMS SignedData, DER, base64"})
    certificate = fields.String(required=True, metadata={"description": "the event certificate, DER, base64"})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- the operator's pool -------------------------------------------------------------------------------
@blp.route("/experts")
class Experts(MethodView):
    @roles_required(OPERATOR)
    @blp.response(200, ExpertOutSchema(many=True))
    @answers(401, 403)
    def get(self) -> list[dict[str, Any]]:
        """The pool, ID numbers masked, with each expert's declared conflicts."""
        return [_expert_out(e, c) for e, c in pool.list_experts(context.uow(), current_user)]

    @roles_required(OPERATOR)
    @blp.arguments(ExpertInSchema)
    @blp.response(201, ExpertOutSchema)
    @answers(400, 401, 403, 409, 422)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Add an expert to the pool."""
        expert = pool.add_expert(context.uow(), current_user, pool.ExpertDetails(**args))
        return _expert_out(expert, [])


@blp.route("/experts/<int:expert_id>/conflicts")
class ExpertConflicts(MethodView):
    @roles_required(OPERATOR)
    @blp.arguments(ExpertConflictSchema)
    @blp.response(201, ExpertConflictSchema)
    @answers(400, 401, 403, 404, 422)
    def post(self, args: dict[str, Any], expert_id: int) -> Any:
        """Record a conflict the expert declared (the party's credit code)."""
        return pool.declare_conflict(context.uow(), current_user, expert_id, **args)


@blp.route("/experts/<int:expert_id>/active")
class ExpertActive(MethodView):
    @roles_required(OPERATOR)
    @blp.arguments(ExpertActiveSchema)
    @blp.response(200, ExpertOutSchema)
    @answers(401, 403, 404, 422)
    def put(self, args: dict[str, Any], expert_id: int) -> dict[str, Any]:
        """Take an expert out of the pool or back in."""
        return _expert_out(pool.set_expert_active(context.uow(), current_user, expert_id, args["active"]), [])


def _expert_out(expert: Any, conflicts: list[Any]) -> dict[str, Any]:
    return {**{k: getattr(expert, k) for k in ("id", "name", "masked_id_number", "phone", "email", "speciality_list",
                                               "region", "employer_name", "employer_credit_code", "active")},
            "conflicts": conflicts}


# -- the agency's draw -----------------------------------------------------------------------------------
@blp.route("/tenders/<int:tender_id>/expert-draw")
class ExpertDraw(MethodView):
    @blp.response(200, ExpertDrawRecordSchema)
    @answers(404)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The draw's public record: commitment and timestamp token; seed and snapshot from the evaluation start."""
        return services.public_record(context.uow(), tender_id)

    @roles_required(AGENCY)
    @blp.arguments(ExpertDrawInSchema)
    @blp.response(201, ExpertDrawRecordSchema)
    @answers(400, 401, 403, 404, 409, 422, 503)
    def post(self, args: dict[str, Any], tender_id: int) -> dict[str, Any]:
        """Draw the experts (the tender's agency, after the bid deadline)."""
        draw = services.draw_experts(context.uow(), current_user, tender_id, services.DrawRequest(**args),
                                     tsa=tsa_responder())
        return services.record_of(draw)


@blp.route("/tenders/<int:tender_id>/expert-draw/status")
class ExpertDrawStatus(MethodView):
    @roles_required(AGENCY)
    @blp.response(200, ExpertDrawStatusSchema)
    @answers(401, 403, 404)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The agency's view of its draw: how many called, confirmed, declined — no names."""
        status = services.draw_status(context.uow(), current_user, tender_id)
        if status is None:
            return {"tender_id": tender_id, "drawn": False}
        return {"tender_id": tender_id, "drawn": True, "counts": status.counts, "excluded": status.excluded,
                "list_version": status.draw.list_version, "evaluation_started_at": status.draw.evaluation_started_at}


@blp.route("/tenders/<int:tender_id>/expert-draw/experts")
class ExpertDrawList(MethodView):
    @roles_required(AGENCY)
    @blp.response(200, ExpertListedExpertSchema(many=True))
    @answers(401, 403, 404)
    def get(self, tender_id: int) -> list[dict[str, Any]]:
        """The drawn experts with names: from the evaluation start only."""
        return services.expert_list(context.uow(), current_user, tender_id)


@blp.route("/tenders/<int:tender_id>/expert-list-openings")
class ExpertListOpenings(MethodView):
    @roles_required(AGENCY)
    @blp.arguments(EncryptionCertificateSchema)
    @blp.response(201, ExpertListOpeningSchema)
    @answers(400, 401, 403, 404, 409, 422, 503)
    def post(self, args: dict[str, Any], tender_id: int) -> dict[str, Any]:
        """Start the evaluation: the list's RecipientInfo for the agent (/v1/unwrap) and the transport certificate."""
        transport = transport_certificate_der()
        certificate = base64_bytes(args["certificate"], "certificate", "证书")
        opening = services.start_list_opening(context.uow(), current_user, tender_id, certificate)
        return {"version": opening.version, "fingerprint_sha256": opening.fingerprint,
                "recipient_info": _b64(opening.recipient_info), "transport_certificate": _b64(transport)}


@blp.route("/tenders/<int:tender_id>/expert-list-openings/<int:version>")
class ExpertListOpening(MethodView):
    @roles_required(AGENCY)
    @blp.arguments(UnwrapAnswerSchema)
    @blp.response(200, ExpertListedExpertSchema(many=True))
    @answers(400, 401, 403, 404, 409, 422, 503)
    def post(self, args: dict[str, Any], tender_id: int, version: int) -> list[dict[str, Any]]:
        """Finish: the agent's answer opens the list; the evaluation has started."""
        answer = base64_bytes(args["envelope"], "envelope", "应答")
        certificate, key = transport_credentials()
        return services.finish_list_opening(context.uow(), current_user, tender_id, answer, version=version,
                                            transport_key=key, transport_certificate=certificate)


# -- the expert's own session -------------------------------------------------------------------------------
@blp.route("/expert-session/codes")
class ExpertCodes(MethodView):
    decorators = [_code_limit]

    @blp.arguments(ExpertContactSchema)
    @blp.response(202)
    @answers(422, 429)
    def post(self, args: dict[str, Any]) -> None:
        """Send a sign-in code to the phone or e-mail of the pool (the same answer for an unknown contact)."""
        codes.request_sign_in_code(expert_uow(), args["contact"])


@blp.route("/expert-session")
class ExpertSession(MethodView):
    decorators = [_code_limit]

    @blp.arguments(ExpertCodeSignInSchema)
    @blp.response(200, ExpertSessionSchema)
    @answers(400, 422, 429)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Sign in with the code: a new session and its CSRF token."""
        expert = codes.sign_in_with_code(expert_uow(), args["contact"], args["code"])
        start_expert_session(expert)
        return {"expert_id": expert.id, "name": expert.name, "csrf_token": generate_csrf()}

    @blp.response(204)
    def delete(self) -> None:
        """Sign out of the expert session."""
        end_expert_session()


@blp.route("/expert-session/assignments")
class ExpertAssignments(MethodView):
    @expert_required
    @blp.response(200, ExpertAssignmentSchema(many=True))
    @answers(401)
    def get(self) -> list[dict[str, Any]]:
        """The signed-in expert's own assignments."""
        return [_assignment_out(a, t) for a, t in services.my_assignments(expert_uow(), current_expert_id())]


@blp.route("/expert-session/assignments/<int:assignment_id>")
class ExpertAssignmentAnswer(MethodView):
    @expert_required
    @blp.arguments(ExpertAnswerSchema)
    @blp.response(200, ExpertAssignmentSchema)
    @answers(401, 404, 409, 422)
    def post(self, args: dict[str, Any], assignment_id: int) -> dict[str, Any]:
        """Confirm or decline; a decline calls the next reserve."""
        return _assignment_out(*services.answer_assignment(expert_uow(), current_expert_id(), assignment_id,
                                                           accept=args["accept"]))


def _assignment_out(assignment: Any, tender: Any) -> dict[str, Any]:
    return {"id": assignment.id, "tender": tender.public_id, "title": tender.title,
            "state": assignment.state.value, "state_label": assignment.state.label}


@blp.route("/expert-session/signature-requests")
class SignatureRequests(MethodView):
    @expert_required
    @blp.arguments(ExpertSignatureRequestInSchema)
    @blp.response(201, ExpertSignatureRequestSchema)
    @answers(400, 401, 404, 422, 429, 503)
    def post(self, args: dict[str, Any]) -> Any:
        """Ask to sign ``content``: a code bound to its SHA-256 is sent; the event certificate is made if needed."""
        content = base64_bytes(args["content"], "content", "待签名内容")
        return signing.request_signature(expert_uow(), current_expert_id(), content, args["title"], signing_support())


@blp.route("/expert-session/signature-requests/<int:request_id>")
class SignatureRequest(MethodView):
    @expert_required
    @blp.arguments(ExpertSignatureConfirmSchema)
    @blp.response(201, ExpertSignatureSchema)
    @answers(400, 401, 409, 422, 503)
    def post(self, args: dict[str, Any], request_id: int) -> dict[str, Any]:
        """Confirm with the code: the platform's token signs (detached CMS, timestamped)."""
        content = base64_bytes(args["content"], "content", "待签名内容")
        signature = signing.confirm_signature(expert_uow(), current_expert_id(), request_id, args["code"], content,
                                              signing_support())
        return {"id": signature.id, "document_sha256": signature.document_sha256,
                "signature": _b64(signature.signature_der), "certificate": _b64(signature.certificate.certificate_der)}
