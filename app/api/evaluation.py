"""``/api/v1`` for the evaluation (docs/evaluation.md): the agency's scheme, progress and summary;
the expert's sheets, each signed with a one-time code; the evaluation report (评标报告), which each
expert signs inside the PDF with a code and the agency then stamps through
``/api/v1/documents/<id>/stamp-sessions``. The same service functions as the pages."""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import error_answers
from app.auth.access import roles_required
from app.documents.common import file_store, stamping, verify_url
from app.documents.views import pdf_response
from app.experts.support import (
    current_expert_id,
    expert_required,
    expert_uow,
    signing_support,
)
from app.trust import trust_list
from bidding.accounts.models import Role
from bidding.evaluation import report, services

blp = Blueprint("api_evaluation", __name__, url_prefix="/api/v1",
                description="评标：评标办法、专家评审表签名、汇总、评标报告 (evaluation: scheme, signed sheets, summary, "
                            "the evaluation report signed in the PDF)")
AGENCY = Role.AGENCY_STAFF

_ANSWERS = {
    400: "请求无效或验证码错误 (invalid_input, scheme_invalid, sheet_invalid, code_invalid, code_expired)",
    401: "未登录，或未用验证码登录专家账户 (not logged in, expert_session_required)",
    403: "无权执行 (permission_denied, not_the_agency)",
    404: "不存在 (tender_not_found, evaluation_unknown, sheet_unknown)",
    409: "当前状态不允许 (scheme_locked, scheme_missing, evaluation_not_started, commitment_unsigned, sheet_signed, "
         "sheet_not_due, sheets_incomplete, sheet_tampered, summary_exists, summary_missing, event_certificate_expired, "
         "report_exists, report_missing, report_not_final, report_signature_refused, document_already_stamped, "
         "document_not_your_turn)",
    422: "请求内容不合格式 (http_422)",
    429: "过于频繁 (code_rate_limited)",
    503: "平台令牌或时间戳服务未配置 (expert_signing_unavailable, tsa_unavailable)",
}


answers = error_answers(blp, _ANSWERS)


class SchemeInSchema(ma.Schema):
    qualification = fields.List(fields.Dict(), required=True)
    scored = fields.List(fields.Dict(), load_default=list)
    price_weight = fields.Raw(required=True, metadata={"description": "a decimal string, e.g. \"30\" or \"27.50\""})
    tie_break = fields.List(fields.String(), required=True)


class SchemeSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    scheme = fields.Dict(allow_none=True)
    sha256 = fields.String(allow_none=True)
    set_at = fields.DateTime(allow_none=True)


class ProgressSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    scheme_set = fields.Boolean(required=True)
    started = fields.Boolean(required=True)
    experts = fields.List(fields.Dict(), required=True)
    summary = fields.Boolean(required=True)
    summary_signed = fields.Boolean(required=True)
    report = fields.Boolean(required=True, metadata={"description": "the evaluation report is generated"})
    report_signed = fields.Boolean(required=True, metadata={"description": "every expert signed it (in the PDF)"})
    report_final = fields.Boolean(required=True, metadata={"description": "and the agency stamped it"})


class SummarySchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    computed_at = fields.DateTime(required=True)
    summary = fields.Dict(required=True)
    content = fields.String(required=True, metadata={"description": "the canonical bytes (base64) every expert signs"})


class SheetInSchema(ma.Schema):
    kind = fields.String(required=True, validate=ma.validate.OneOf(["qualification", "score", "opinion"]))
    bid_id = fields.Integer(load_default=None)
    data = fields.Dict(required=True)


class SheetSchema(ma.Schema):
    id = fields.Integer(required=True)
    tender_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    subject = fields.String(required=True)
    mine = fields.Boolean(required=True)
    sheet = fields.Dict(required=True)
    content = fields.String(required=True, metadata={"description": "the canonical bytes (base64) signed"})
    signed_at = fields.DateTime(allow_none=True)
    signature = fields.String(allow_none=True, metadata={"description": "detached CMS (base64 DER)"})
    certificate = fields.String(allow_none=True, metadata={"description": "the event certificate (base64 DER)"})


class ExpertEvaluationSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    tender = fields.String(required=True)
    title = fields.String(required=True)
    scheme = fields.Dict(required=True)
    bids = fields.List(fields.Dict(), required=True)
    qualified = fields.List(fields.String(), allow_none=True)
    commitment_signed = fields.Boolean(required=True)
    sheets = fields.List(fields.Nested(SheetSchema), required=True)
    summary = fields.Dict(allow_none=True)


class SignatureRequestSchema(ma.Schema):
    id = fields.Integer(required=True)
    document_sha256 = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class SignSheetSchema(ma.Schema):
    request_id = fields.Integer(required=True)
    code = fields.String(required=True, validate=ma.validate.Length(1, 20))


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None


def sheet_out(sheet: Any, expert_id: int | None) -> dict[str, Any]:
    signature = sheet.signature
    return {"id": sheet.id, "tender_id": sheet.tender_id, "kind": sheet.kind.value, "subject": sheet.subject,
            "mine": sheet.expert_id == expert_id, "content": _b64(sheet.content),
            "sheet": json.loads(sheet.content) if sheet.kind.is_json else {
                "kind": sheet.kind.value, "sha256": hashlib.sha256(sheet.content).hexdigest(), "size": len(sheet.content)},
            "signed_at": sheet.signed_at, "signature": _b64(signature.signature_der if signature else None),
            "certificate": _b64(signature.certificate.certificate_der if signature else None)}


def summary_out(summary: Any) -> dict[str, Any]:
    return {"tender_id": summary.tender_id, "sha256": summary.sha256, "computed_at": summary.computed_at,
            "summary": json.loads(summary.content), "content": _b64(summary.content)}


# -- the agency ---------------------------------------------------------------------------------------------
@blp.route("/tenders/<int:tender_id>/evaluation/scheme")
class Scheme(MethodView):
    @roles_required(AGENCY)
    @blp.response(200, SchemeSchema)
    @answers(401, 403, 404)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The tender's evaluation scheme (评标办法); ``scheme`` null until set."""
        row = services.agency_scheme(context.uow(), current_user, tender_id)
        return {"tender_id": tender_id, "scheme": json.loads(row.document) if row else None,
                "sha256": row.sha256 if row else None, "set_at": row.set_at if row else None}

    @roles_required(AGENCY)
    @blp.arguments(SchemeInSchema)
    @blp.response(200, SchemeSchema)
    @answers(400, 401, 403, 404, 409, 422)
    def put(self, args: dict[str, Any], tender_id: int) -> dict[str, Any]:
        """Set the scheme (weights sum to 100; price by the lowest-price method) before the evaluation starts."""
        row = services.set_scheme(context.uow(), current_user, tender_id, args)
        return {"tender_id": tender_id, "scheme": json.loads(row.document), "sha256": row.sha256, "set_at": row.set_at}


@blp.route("/tenders/<int:tender_id>/evaluation")
class Progress(MethodView):
    @roles_required(AGENCY)
    @blp.response(200, ProgressSchema)
    @answers(401, 403, 404)
    def get(self, tender_id: int) -> dict[str, Any]:
        """Per expert, how many sheets are filled and signed (no contents); the summary's state."""
        return services.progress(context.uow(), current_user, tender_id)


@blp.route("/tenders/<int:tender_id>/evaluation/summary")
class Summary(MethodView):
    @roles_required(AGENCY)
    @blp.response(200, SummarySchema)
    @answers(401, 403, 404, 409)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The summary sheet (评标汇总表)."""
        return summary_out(services.summary_of(context.uow(), current_user, tender_id))

    @roles_required(AGENCY)
    @blp.response(201, SummarySchema)
    @answers(401, 403, 404, 409)
    def post(self, tender_id: int) -> dict[str, Any]:
        """Compute the summary from the signed sheets, each verified over its stored bytes."""
        trust = trust_list()
        return summary_out(services.compute_summary(context.uow(), current_user, tender_id,
                                                    trust_roots=trust.roots, intermediates=trust.intermediates))


class ReportSignerSchema(ma.Schema):
    role = fields.String(required=True, metadata={"description": "expert:<n> | agency, in signing order"})
    label = fields.String(required=True)
    name = fields.String(required=True)
    signed = fields.Boolean(required=True)
    revision = fields.Integer(allow_none=True, metadata={"description": "the revision its signature made"})
    signed_at = fields.DateTime(allow_none=True)


class ReportSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    document = fields.String(required=True, metadata={"description": "the document's public id: the agency stamps it "
                                                                     "through /api/v1/documents/<id>/stamp-sessions"})
    current_revision = fields.Integer(required=True)
    generated_sha256 = fields.String(required=True, metadata={"description": "SHA-256 of the generated PDF (revision 1)"})
    generated_at = fields.DateTime(required=True)
    signers = fields.List(fields.Nested(ReportSignerSchema), required=True)
    experts_signed = fields.Boolean(required=True)
    final = fields.Boolean(required=True, metadata={"description": "every expert signed and the agency stamped"})
    verify_url = fields.String(required=True)


def report_out(view: Any) -> dict[str, Any]:
    return {"tender_id": view.tender.id, "document": view.document.public_id,
            "current_revision": view.document.current_seq, "generated_sha256": view.generated_sha256,
            "generated_at": view.generated_at, "experts_signed": view.experts_signed, "final": view.final,
            "verify_url": verify_url(view.document.public_id),
            "signers": [{"role": s.role, "label": s.label, "name": s.name, "signed": s.signed_seq is not None,
                         "revision": s.signed_seq, "signed_at": s.signed_at} for s in view.signers]}


def pdf_answer(revision: Any, data: bytes, public_id: str) -> Response:
    return pdf_response(data, f"{public_id}-r{revision.seq}.pdf", attachment=False)


PDF_ANSWER = {"type": "string", "format": "binary"}
READERS = (Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


@blp.route("/tenders/<int:tender_id>/evaluation/report")
class Report(MethodView):
    @roles_required(*READERS)
    @blp.response(200, ReportSchema)
    @answers(401, 403, 404, 409)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The evaluation report (评标报告): who signs it in which order and who did. The agency at any
        time; the tender's purchaser once it is final (``report_not_final`` before)."""
        return report_out(report.party_report(context.uow(), current_user, tender_id))

    @roles_required(AGENCY)
    @blp.response(201, ReportSchema)
    @answers(401, 403, 404, 409)
    def post(self, tender_id: int) -> dict[str, Any]:
        """Generate the evaluation report once every expert signed the summary: a platform document that
        every expert signs inside the PDF (PAdES, event certificate, one revision each), then the agency
        stamps through its local agent."""
        uow = context.uow()
        report.generate_report(uow, file_store(), current_user, tender_id, verify_url=verify_url)
        return report_out(report.agency_report(context.uow(), current_user, tender_id))


@blp.route("/tenders/<int:tender_id>/evaluation/report.pdf")
class ReportPdf(MethodView):
    @roles_required(*READERS)
    @blp.response(200, PDF_ANSWER, content_type="application/pdf", description="the report's current revision")
    @answers(401, 403, 404, 409)
    def get(self, tender_id: int) -> Response:
        """The report's current revision (the agency: any time; the purchaser: once final)."""
        uow = context.uow()
        view = report.party_report(uow, current_user, tender_id)
        return pdf_answer(*report.report_pdf(uow, file_store(), view), view.document.public_id)


# -- the expert ---------------------------------------------------------------------------------------------
@blp.route("/expert-session/evaluations/<int:tender_id>")
class ExpertEvaluation(MethodView):
    @expert_required
    @blp.response(200, ExpertEvaluationSchema)
    @answers(401, 404, 409)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The scheme, the bids, the expert's own sheets (every sheet once the summary exists)."""
        expert_id = current_expert_id()
        view = services.my_sheets(expert_uow(), expert_id, tender_id)
        return {"tender_id": view.tender.id, "tender": view.tender.public_id, "title": view.tender.title,
                "scheme": view.scheme, "bids": view.bids, "qualified": view.qualified,
                "commitment_signed": view.commitment_signed,
                "sheets": [sheet_out(s, expert_id) for s in view.sheets],
                "summary": json.loads(view.summary.content) if view.summary else None}


@blp.route("/expert-session/evaluations/<int:tender_id>/sheets")
class ExpertSheets(MethodView):
    @expert_required
    @blp.arguments(SheetInSchema)
    @blp.response(201, SheetSchema)
    @answers(400, 401, 404, 409, 422)
    def post(self, args: dict[str, Any], tender_id: int) -> dict[str, Any]:
        """Fill (or refill, while unsigned) the qualification sheet, a score sheet or the opinion sheet."""
        sheet = services.fill_sheet(expert_uow(), current_expert_id(), tender_id, args["kind"], args["data"],
                                    args["bid_id"])
        return sheet_out(sheet, current_expert_id())


@blp.route("/expert-session/sheets/<int:sheet_id>")
class ExpertSheet(MethodView):
    @expert_required
    @blp.response(200, SheetSchema)
    @answers(401, 404, 409)
    def get(self, sheet_id: int) -> dict[str, Any]:
        """One sheet: the expert's own; another's only once the summary exists."""
        return sheet_out(services.sheet_of(expert_uow(), current_expert_id(), sheet_id), current_expert_id())


@blp.route("/expert-session/sheets/<int:sheet_id>/signature-requests")
class SheetSignatureRequests(MethodView):
    @expert_required
    @blp.response(201, SignatureRequestSchema)
    @answers(400, 401, 404, 409, 429, 503)
    def post(self, sheet_id: int) -> Any:
        """Send a one-time code for signing the sheet's canonical bytes."""
        return services.request_sheet_signature(expert_uow(), current_expert_id(), sheet_id, signing_support())


@blp.route("/expert-session/sheets/<int:sheet_id>/signature")
class SheetSignature(MethodView):
    @expert_required
    @blp.arguments(SignSheetSchema)
    @blp.response(201, SheetSchema)
    @answers(400, 401, 404, 409, 422, 503)
    def post(self, args: dict[str, Any], sheet_id: int) -> dict[str, Any]:
        """Sign the sheet with the code (event certificate on the platform's token); final then."""
        sheet = services.sign_sheet(expert_uow(), current_expert_id(), sheet_id, args["request_id"], args["code"],
                                    signing_support())
        return sheet_out(sheet, current_expert_id())


@blp.route("/expert-session/evaluations/<int:tender_id>/report")
class ExpertReport(MethodView):
    @expert_required
    @blp.response(200, ReportSchema)
    @answers(401, 404, 409)
    def get(self, tender_id: int) -> dict[str, Any]:
        """The evaluation report of a tender the expert evaluates: signers and state (``report_missing`` before)."""
        return report_out(report.expert_report(expert_uow(), current_expert_id(), tender_id))


@blp.route("/expert-session/evaluations/<int:tender_id>/report.pdf")
class ExpertReportPdf(MethodView):
    @expert_required
    @blp.response(200, PDF_ANSWER, content_type="application/pdf", description="the report's current revision")
    @answers(401, 404, 409)
    def get(self, tender_id: int) -> Response:
        """The report's current revision, as the expert reads it before signing."""
        uow = expert_uow()
        view = report.expert_report(uow, current_expert_id(), tender_id)
        return pdf_answer(*report.report_pdf(uow, file_store(), view), view.document.public_id)


@blp.route("/expert-session/evaluations/<int:tender_id>/report/signature-requests")
class ReportSignatureRequests(MethodView):
    @expert_required
    @blp.response(201, SignatureRequestSchema)
    @answers(400, 401, 404, 409, 429, 503)
    def post(self, tender_id: int) -> Any:
        """Send a one-time code bound to the SHA-256 of the report's current revision (what the expert
        signs); ``document_already_stamped`` once it signed."""
        return report.request_report_signature(expert_uow(), file_store(), current_expert_id(), tender_id,
                                               signing_support())


@blp.route("/expert-session/evaluations/<int:tender_id>/report/signature")
class ReportSignature(MethodView):
    @expert_required
    @blp.arguments(SignSheetSchema)
    @blp.response(201, ReportSchema)
    @answers(400, 401, 404, 409, 422, 503)
    def post(self, args: dict[str, Any], tender_id: int) -> dict[str, Any]:
        """Sign the report inside the PDF with the code: a PAdES signature (B-LT, timestamped) with the
        expert's event certificate in a new revision, the expert's name in its box."""
        report.sign_report(expert_uow(), stamping(), current_expert_id(), tender_id, args["request_id"],
                           args["code"], signing_support())
        return report_out(report.expert_report(expert_uow(), current_expert_id(), tender_id))
