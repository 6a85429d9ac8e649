"""``/api/v1`` for the award (定标, docs/award.md): the purchaser confirms the winner from the
recommended ranking, the agency makes the notices, a bidder reads its own notice. Stamping a
document goes through ``/api/v1/documents/<public id>/stamp-sessions`` (``app/api/documents.py``)
with the public ids answered here. The same use cases as the pages (``app/award``)."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import error_answers
from app.auth.access import roles_required
from app.documents.common import file_store, verify_url
from app.documents.views import pdf_response
from app.routing import ROW_ID_MAX
from bidding.accounts.models import Role
from bidding.award import services
from bidding.award.models import AwardState

blp = Blueprint("api_award", __name__, url_prefix="/api/v1",
                description="定标：确认中标人、中标通知书与中标结果通知书 (the award: winner confirmation and notices)")
PURCHASER_AGENCY = (Role.PURCHASER_STAFF, Role.AGENCY_STAFF)
STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)

_ANSWERS = {
    400: "请求无效 (award_not_in_ranking, award_reason_required, award_invalid, csrf)",
    401: "未登录 (not logged in)",
    403: "不是该项目的采购人或代理机构 (award_access_denied, award_only_purchaser, award_only_agency)",
    404: "项目、定标或通知书不存在，或不是给本单位的 (tender_not_found, award_notice_not_found)",
    409: "当前状态不允许 (summary_missing, summary_unsigned, award_confirmed, award_not_confirmed, award_notices_exist, "
         "document_file_damaged)",
    422: "请求内容不合格式 (http_422)",
}
answers = error_answers(blp, _ANSWERS)


class ConfirmSchema(ma.Schema):
    bid_id = fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, ROW_ID_MAX),
                            metadata={"description": "the chosen bid, from ``ranking``"})
    reason = fields.String(load_default="", validate=ma.validate.Length(0, services.REASON_MAX),
                           metadata={"description": "required (2–500 characters) when the bid is not ranked first"})


class NoticesInSchema(ma.Schema):
    performance_period = fields.String(load_default="", validate=ma.validate.Length(0, services.PERIOD_MAX))
    contract_within_days = fields.Integer(load_default=services.CONTRACT_DAYS_DEFAULT, strict=True,
                                          validate=ma.validate.Range(1, services.CONTRACT_DAYS_MAX))
    notes = fields.String(load_default="", validate=ma.validate.Length(0, services.NOTES_MAX))


class RankedSchema(ma.Schema):
    rank = fields.Integer(required=True)
    bid_id = fields.Integer(required=True)
    bid = fields.String(required=True)
    party_id = fields.Integer(required=True)
    party = fields.String(required=True)
    total = fields.String(required=True)
    price = fields.String(required=True)
    currency = fields.String(allow_none=True)


class AwardDocumentSchema(ma.Schema):
    public_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "award_confirmation | award_notice | result_notice"})
    title = fields.String(required=True)
    current_revision = fields.Integer(required=True)
    stamped = fields.Boolean(required=True)
    download_url = fields.String(required=True)
    verify_url = fields.String(required=True)


class ResultNoticeSchema(ma.Schema):
    party_id = fields.Integer(required=True)
    party = fields.String(required=True)
    rank = fields.Integer(allow_none=True)
    score = fields.String(allow_none=True)
    reason = fields.String(required=True)
    notified_at = fields.DateTime(allow_none=True)
    document = fields.Nested(AwardDocumentSchema, required=True)


class AwardSchema(ma.Schema):
    state = fields.Enum(AwardState, by_value=True, required=True)
    bid_id = fields.Integer(required=True)
    winner_party_id = fields.Integer(required=True)
    winner = fields.String(required=True)
    rank = fields.Integer(required=True)
    price = fields.String(required=True)
    currency = fields.String(required=True)
    reason = fields.String(allow_none=True)
    proposed_at = fields.DateTime(required=True)
    confirmed_at = fields.DateTime(allow_none=True)
    notified_at = fields.DateTime(allow_none=True)
    contract_within_days = fields.Integer(allow_none=True)
    confirmation = fields.Nested(AwardDocumentSchema, allow_none=True)
    notice = fields.Nested(AwardDocumentSchema, allow_none=True)
    results = fields.List(fields.Nested(ResultNoticeSchema), required=True)


class AwardStateSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    relation = fields.String(required=True, metadata={"description": "purchaser | agency"})
    ranking = fields.List(fields.Nested(RankedSchema), required=True)
    ranking_unavailable = fields.String(allow_none=True, metadata={
        "description": "why the ranking is not final yet (the evaluation's refusal code), else null"})
    award = fields.Nested(AwardSchema, allow_none=True)
    next_stamp = fields.String(allow_none=True, metadata={"description": "the public id of the document to stamp next"})


class MyNoticeSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "award_notice (you won) | result_notice"})
    winner = fields.String(required=True)
    price = fields.String(required=True)
    rank = fields.Integer(allow_none=True)
    score = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    notified_at = fields.DateTime(required=True)
    document = fields.Nested(AwardDocumentSchema, required=True)


_PDF = {"type": "string", "format": "binary"}


def _document(tender_id: int, document) -> dict[str, Any] | None:
    if document is None:
        return None
    return {"public_id": document.public_id, "kind": document.kind.value, "title": document.title,
            "current_revision": document.current_seq, "stamped": document.current_seq > 1,
            "download_url": url_for("award.document_pdf", tender_id=tender_id, public_id=document.public_id),
            "verify_url": verify_url(document.public_id)}


def _overview(view: services.AwardOverview) -> dict[str, Any]:
    tid, award = view.tender.id, view.award
    out: dict[str, Any] = {
        "tender_id": tid, "relation": view.relation,
        "ranking": [{"rank": r.rank, "bid_id": r.bid_id, "bid": r.bid, "party_id": r.party_id, "party": r.party,
                     "total": str(r.total), "price": str(r.price), "currency": r.currency} for r in view.ranking],
        "ranking_unavailable": getattr(view.ranking_refusal, "code", None), "award": None,
        "next_stamp": view.next_stamp.public_id if view.next_stamp is not None else None}
    if award is not None:
        show_confirmation = view.relation == "purchaser" or award.state != AwardState.PROPOSED
        out["award"] = {
            **{c: getattr(award, c) for c in ("state", "bid_id", "winner_party_id", "rank", "currency", "reason",
                                              "proposed_at", "confirmed_at", "notified_at", "contract_within_days")},
            "winner": view.winner.name, "price": str(award.price),
            "confirmation": _document(tid, view.confirmation) if show_confirmation else None,
            "notice": _document(tid, view.notice),
            "results": [{"party_id": r.party.id, "party": r.party.name, "rank": r.notice.rank,
                         "score": str(r.notice.score) if r.notice.score is not None else None,
                         "reason": r.notice.reason, "notified_at": r.notice.notified_at,
                         "document": _document(tid, r.document)} for r in view.results]}
    return out


@blp.route("/tenders/<int:tender_id>/award")
class AwardResource(MethodView):
    @roles_required(*PURCHASER_AGENCY)
    @blp.response(200, AwardStateSchema)
    @answers(401, 403, 404)
    def get(self, tender_id: int) -> Any:
        """The recommended ranking (once every expert signed the summary), the award and its documents."""
        return _overview(services.award_overview(context.uow(), current_user, tender_id))

    @roles_required(Role.PURCHASER_STAFF)
    @blp.arguments(ConfirmSchema)
    @blp.response(201, AwardStateSchema)
    @answers(400, 401, 403, 404, 409, 422)
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """Choose the winner (确认中标人): the confirmation is generated; stamp it next (``next_stamp``).
        Until it is stamped a new choice replaces the old one."""
        uow = context.uow()
        services.confirm_winner(uow, file_store(), current_user, tender_id, args["bid_id"], args["reason"],
                                verify_url=verify_url)
        return _overview(services.award_overview(uow, current_user, tender_id))


@blp.route("/tenders/<int:tender_id>/award/notices")
class AwardNotices(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(NoticesInSchema)
    @blp.response(201, AwardStateSchema)
    @answers(400, 401, 403, 404, 409, 422)
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """Make the award notice and the result notices (the agency; once the confirmation is stamped).
        Stamp the award notice first, then each result notice."""
        uow = context.uow()
        services.issue_notices(uow, file_store(), current_user, tender_id, services.NoticeTerms(**args),
                               verify_url=verify_url)
        return _overview(services.award_overview(uow, current_user, tender_id))


@blp.route("/tenders/<int:tender_id>/award/my-notice")
class MyNotice(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.response(200, MyNoticeSchema)
    @answers(401, 403, 404)
    def get(self, tender_id: int) -> Any:
        """The acting bidder's own notice, once the agency stamped it (404 otherwise)."""
        n = services.my_notice(context.uow(), current_user, tender_id)
        return {"tender_id": n.tender.id, "kind": n.kind.value, "winner": n.winner.name, "price": str(n.award.price),
                "rank": n.result.rank if n.result else None,
                "score": str(n.result.score) if n.result and n.result.score is not None else None,
                "reason": n.result.reason if n.result else None, "notified_at": n.notified_at,
                "document": _document(n.tender.id, n.document)}


@blp.route("/tenders/<int:tender_id>/award/documents/<public_id>")
class AwardDocumentFile(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, _PDF, content_type="application/pdf", description="the document's current revision")
    @answers(401, 403, 404, 409)
    def get(self, tender_id: int, public_id: str) -> Any:
        """One of the award's PDFs: the purchaser and the agency all; a bidder only its own notice, once stamped."""
        document, revision, data = services.award_document(context.uow(), file_store(), current_user, tender_id,
                                                           public_id)
        return pdf_response(data, f"{document.public_id}-r{revision.seq}.pdf", attachment=True)
