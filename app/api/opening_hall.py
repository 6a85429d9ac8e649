"""``/api/v1``: the opening hall (开标大厅, docs/opening.md "The hall"): its live state, polled by the
hall page every 2 s; sign-in (签到), objections (异议) and the agency's answers; the opening record
(开标记录表) generated for the agency's stamp and published with the transcript; both public once
published. The same use cases as the hall page (``bidding.opening.hall``, ``bidding.opening.record``);
the bidder's release and key are ``app/api/opening.py``.

    GET  /tenders/<id>/opening                              the hall as the account sees it
    POST /tenders/<id>/opening/sign-in                      签到 (a bidder)
    POST /tenders/<id>/opening/objections  {text}           异议 (a registered supplier)
    POST /tenders/<id>/opening/objections/<seq>/answer {text}   the agency's answer
    POST /tenders/<id>/opening/record                       the record for the agency's stamp
    POST /tenders/<id>/opening/publication                  publish record and transcript (agency)
    GET  /tenders/<id>/opening/record.pdf                   public once published
    GET  /tenders/<id>/opening/transcript.der               public once published (SignedData)
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema
from app.auth.access import roles_required
from app.bids.common import receipt_issuer
from app.documents.common import file_store, verify_url
from app.documents.views import pdf_response
from bidding.accounts.models import Role
from bidding.opening import hall, record
from bidding.opening.hall import HallState, TEXT_MAX

blp = Blueprint("api_opening_hall", __name__, url_prefix="/api/v1",
                description="开标大厅：状态、签到、异议与答复、开标记录与开标过程记录 (the opening hall)")
HALL_ROLES = (Role.AGENCY_STAFF, Role.PURCHASER_STAFF, Role.SUPERVISOR, Role.SUPPLIER_STAFF)
TRANSCRIPT_TYPE = "application/pkcs7-mime"


# -- schemas ------------------------------------------------------------------------------------------------
class TextSchema(ma.Schema):
    text = fields.String(required=True, validate=ma.validate.Length(1, TEXT_MAX),
                         metadata={"description": f"1 to {TEXT_MAX} characters"})


class ViewerSchema(ma.Schema):
    role = fields.String(required=True, metadata={"description": "agency | purchaser | supervisor | bidder | supplier"})
    role_label = fields.String(required=True)
    read_only = fields.Boolean(required=True)
    own_bid = fields.String(allow_none=True, required=True)
    own_state = fields.String(allow_none=True, required=True)
    own_state_label = fields.String(allow_none=True, required=True)
    signed_in = fields.Boolean(required=True)
    may_sign_in = fields.Boolean(required=True)
    may_decrypt = fields.Boolean(required=True)
    may_object = fields.Boolean(required=True)
    may_answer = fields.Boolean(required=True)
    may_make_record = fields.Boolean(required=True)
    may_publish = fields.Boolean(required=True)


class HallBidSchema(ma.Schema):
    bidder = fields.String(required=True)
    signed_in = fields.Boolean(required=True)
    state = fields.String(required=True, metadata={"description": "awaiting | released | decrypted | failed | "
                                                                  "invalid | withdrawn"})
    state_label = fields.String(required=True)
    own = fields.Boolean(required=True)


class ItemSchema(ma.Schema):
    name = fields.String(required=True)
    value = fields.String(required=True)


class HallResultSchema(ma.Schema):
    bidder = fields.String(required=True)
    credit_code = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)
    price = fields.String(allow_none=True, required=True, metadata={"description": "exactly as the manifest signs it"})
    currency = fields.String(allow_none=True, required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)
    received_at = fields.DateTime(required=True)


class ObjectionSchema(ma.Schema):
    seq = fields.Integer(required=True)
    by = fields.String(required=True)
    text = fields.String(required=True)
    raised_at = fields.DateTime(required=True)
    answer = fields.String(allow_none=True, required=True)
    answered_at = fields.DateTime(allow_none=True, required=True)
    own = fields.Boolean(required=True)


class RecordSchema(ma.Schema):
    document = fields.String(required=True, metadata={"description": "stamp it through /documents/<id>/stamp-sessions"})
    stamped = fields.Boolean(required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    record_url = fields.String(allow_none=True, required=True)
    transcript_url = fields.String(allow_none=True, required=True)


class TenderRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    public_id = fields.String(required=True)
    title = fields.String(required=True)


class HallStateSchema(ma.Schema):
    tender = fields.Nested(TenderRefSchema, required=True)
    phase = fields.String(required=True)
    phase_label = fields.String(required=True)
    server_time = fields.DateTime(required=True, metadata={"description": "the platform's clock: count down from it"})
    opening_at = fields.DateTime(allow_none=True, required=True)
    window_end = fields.DateTime(allow_none=True, required=True)
    sign_in_from = fields.DateTime(allow_none=True, required=True)
    viewer = fields.Nested(ViewerSchema, required=True)
    bid_count = fields.Integer(allow_none=True, required=True, metadata={"description": "before the opening: the agency only"})
    signed_in_count = fields.Integer(allow_none=True, required=True)
    bids = fields.List(fields.Nested(HallBidSchema), allow_none=True, required=True,
                       metadata={"description": "from the opening time on"})
    results = fields.List(fields.Nested(HallResultSchema), allow_none=True, required=True,
                          metadata={"description": "唱标: once the decryption window has closed"})
    objections = fields.List(fields.Nested(ObjectionSchema), required=True)
    record = fields.Nested(RecordSchema, allow_none=True, required=True)


class RecordMadeSchema(ma.Schema):
    document = fields.String(required=True, metadata={"description": "stamp it through /documents/<id>/stamp-sessions"})
    title = fields.String(required=True)
    download_url = fields.String(required=True)


def hall_json(state: HallState) -> dict[str, Any]:
    """The hall state as the API answers it (and the hall page embeds it)."""
    t, v = state.tender, state.viewer
    rec = state.record
    published = rec is not None and rec.published_at is not None
    record_json = None if rec is None else {
        "document": rec.document, "stamped": rec.stamped, "published_at": rec.published_at,
        "record_url": url_for("api_opening_hall.OpeningRecordFile", tender_id=t.id) if published
        else (url_for("documents.download", public_id=rec.document) if v.role is hall.HallRole.AGENCY else None),
        "transcript_url": url_for("api_opening_hall.OpeningTranscript", tender_id=t.id) if published else None}
    return {
        "tender": {"id": t.id, "public_id": t.public_id, "title": t.title},
        "phase": state.phase.value, "phase_label": state.phase.label, "server_time": state.now,
        "opening_at": t.opening_at, "window_end": t.window_end, "sign_in_from": state.sign_in_from,
        "viewer": {"role": v.role.value, "role_label": v.role.label, "read_only": v.read_only, "own_bid": v.own_bid,
                   "own_state": v.own_state.value if v.own_state else None,
                   "own_state_label": v.own_state.label if v.own_state else None, "signed_in": v.signed_in,
                   "may_sign_in": v.may_sign_in, "may_decrypt": v.may_decrypt, "may_object": v.may_object,
                   "may_answer": v.may_answer, "may_make_record": v.may_make_record, "may_publish": v.may_publish},
        "bid_count": state.bid_count, "signed_in_count": state.signed_in_count,
        "bids": None if state.bids is None else [
            {"bidder": b.bidder, "signed_in": b.signed_in, "state": b.state.value, "state_label": b.state.label,
             "own": b.own} for b in state.bids],
        "results": None if state.results is None else [
            {"bidder": r.bidder, "credit_code": r.credit_code, "state": r.state.value, "state_label": r.state.label,
             "price": r.price, "currency": r.currency, "items": [{"name": n, "value": val} for n, val in r.items],
             "received_at": r.received_at} for r in state.results],
        "objections": [{"seq": o.seq, "by": o.by, "text": o.text, "raised_at": o.raised_at, "answer": o.answer,
                        "answered_at": o.answered_at, "own": o.own} for o in state.objections],
        "record": record_json}


def current_state(tender_id: int) -> dict[str, Any]:
    uow = context.uow()
    return hall_json(hall.hall_state(uow, tender_id, current_user, uow.clock.now()))


_401 = {"schema": ErrorSchema, "description": "未登录 (not logged in)"}
_403 = {"schema": ErrorSchema, "description": "不在本项目的开标大厅中 (opening_hall_not_visible) 或角色不符"}
_404 = {"schema": ErrorSchema, "description": "项目不存在或未发布 (tender_not_found)"}


def _errors(*extra: tuple[int, str]):  # type: ignore[no-untyped-def]
    """The answers every hall operation of a logged-in account can give, and ``extra`` ones."""
    def decorate(view):  # type: ignore[no-untyped-def]
        view = blp.alt_response(401, **_401)(view)
        view = blp.alt_response(403, **_403)(view)
        view = blp.alt_response(404, **_404)(view)
        for status, description in extra:
            view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
        return view
    return decorate


# -- the hall ----------------------------------------------------------------------------------------------------
@blp.route("/tenders/<int:tender_id>/opening")
class OpeningHallState(MethodView):
    @roles_required(*HALL_ROLES)
    @blp.response(200, HallStateSchema)
    @_errors()
    def get(self, tender_id: int) -> Any:
        """The hall as the account sees it now: phase, times, bids, 唱标, objections, record."""
        return current_state(tender_id)


@blp.route("/tenders/<int:tender_id>/opening/sign-in")
class OpeningSignIn(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.response(201, HallStateSchema)
    @_errors((400, "缺少安全令牌 (csrf)"),
             (409, "不在签到时间内或已签到 (sign_in_not_open, already_signed_in)"))
    def post(self, tender_id: int) -> Any:
        """签到: a supplier with a bid, from 30 minutes before the opening until the window ends."""
        hall.sign_in(context.uow(), current_user, tender_id)
        return current_state(tender_id)


@blp.route("/tenders/<int:tender_id>/opening/objections")
class OpeningObjections(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.arguments(TextSchema)
    @blp.response(201, ObjectionSchema)
    @_errors((400, "内容有误 (hall_text_invalid)"),
             (409, "开标前或开标记录已公布 (objection_not_open)"))
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """异议: a registered supplier, from the opening until the record is published."""
        objection = hall.raise_objection(context.uow(), current_user, tender_id, args["text"])
        return next(o for o in current_state(tender_id)["objections"] if o["seq"] == objection.seq)


@blp.route("/tenders/<int:tender_id>/opening/objections/<int:seq>/answer")
class OpeningObjectionAnswer(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(TextSchema)
    @blp.response(200, ObjectionSchema)
    @_errors((400, "内容有误 (hall_text_invalid)"),
             (409, "已答复或已公布 (objection_already_answered, opening_published)"))
    def post(self, args: dict[str, Any], tender_id: int, seq: int) -> Any:
        """The agency's answer to objection ``seq`` (once)."""
        hall.answer_objection(context.uow(), current_user, tender_id, seq, args["text"])
        return next(o for o in current_state(tender_id)["objections"] if o["seq"] == seq)


# -- the record and its publication -------------------------------------------------------------------------------
@blp.route("/tenders/<int:tender_id>/opening/record")
class OpeningRecord(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.response(201, RecordMadeSchema)
    @_errors((400, "缺少安全令牌 (csrf)"),
             (409, ("解密时限未结束、已签章或已公布 (opening_record_not_yet, opening_record_stamped, "
                    "opening_already_published)")))
    def post(self, tender_id: int) -> Any:
        """Generate the opening record (again while unstamped) for the agency to stamp."""
        document = record.make_record(context.uow(), file_store(), current_user.party_id, tender_id,
                                      verify_url=verify_url)
        return {"document": document.public_id, "title": document.title,
                "download_url": url_for("documents.download", public_id=document.public_id)}


@blp.route("/tenders/<int:tender_id>/opening/publication")
class OpeningPublication(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.response(200, HallStateSchema)
    @_errors((400, "缺少安全令牌 (csrf)"),
             (409, "开标记录未签章或已公布 (opening_record_not_stamped, opening_already_published)"),
             (503, "回执证书或时间戳服务不可用 (receipts_unavailable, tsa_unavailable)"))
    def post(self, tender_id: int) -> Any:
        """Publish the stamped record with the signed, timestamped transcript of the hall."""
        record.publish_opening(context.uow(), current_user.party_id, tender_id, signer=receipt_issuer)
        return current_state(tender_id)


@blp.route("/tenders/<int:tender_id>/opening/record.pdf")
class OpeningRecordFile(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                  description="the stamped 开标记录表")
    @blp.alt_response(404, schema=ErrorSchema, description="未公布 (opening_not_published, tender_not_found)")
    @blp.alt_response(409, schema=ErrorSchema, description="存储中的文件已损坏 (document_file_damaged)")
    def get(self, tender_id: int) -> Any:
        """The published opening record (anyone)."""
        _, document, data = record.published_record(context.uow(), file_store(), tender_id)
        return pdf_response(data, f"{document.public_id}.pdf", attachment=True)


@blp.route("/tenders/<int:tender_id>/opening/transcript.der")
class OpeningTranscript(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=TRANSCRIPT_TYPE,
                  description="the transcript: CMS SignedData (DER) of canonical JSON, with its timestamp token")
    @blp.alt_response(404, schema=ErrorSchema, description="未公布 (opening_not_published, tender_not_found)")
    def get(self, tender_id: int) -> Any:
        """The published transcript of the hall (anyone); check it with ``bidtool transcript-verify``."""
        tender, der = record.published_transcript(context.uow(), tender_id)
        response = Response(der, mimetype=TRANSCRIPT_TYPE)
        response.headers["Content-Disposition"] = f'attachment; filename="{tender.public_id}-opening-transcript.p7m"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
