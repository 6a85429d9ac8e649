"""``/api/v1``: bids (投标) — the resumable upload of a bid envelope (docs/uploads.md), the bids a
supplier made, withdrawal, receipts (投标回执, DER) and what a tender's agency sees before the
opening. The same use cases as the pages (``bidding.bids.services``).

    POST   /tenders/<id>/uploads      {size, sha256}            → 201 upload (its url, offset 0)
    PATCH  /uploads/<id>              Upload-Offset: n, body    → 200 offset (and the bid when complete)
    HEAD   /uploads/<id>                                        → Upload-Offset, Upload-Length
    GET    /uploads/<id>                                        → the upload (state, offset, expiry)
    DELETE /uploads/<id>                                        → 204 (the bytes are removed)
    GET    /bids[?tender_id=]  /bids/<id>                        the supplier's own bids
    POST   /bids/<id>/withdrawal                                → the withdrawal and its receipt
    GET    /bids/<id>/receipt  /bids/<id>/withdrawal-receipt     DER, for the bidder only
    GET    /tenders/<id>/bids                                   the agency and supervisors: who bid, sizes, times
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, make_response, request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select
from werkzeug.exceptions import ClientDisconnected

from app import context
from app.api.schemas import ErrorSchema
from app.auth.access import roles_required
from app.bids.common import bid_store, receipt_issuer, upload_limits
from app.errors import error_response
from app.routing import ROW_ID_MAX
from bidding.accounts.models import Role
from bidding.bids import services
from bidding.bids.models import Bid, BidRecipient, BidState, BidUpload, UploadState
from bidding.bids.receipts import SUBMITTED, WITHDRAWN
from bidding.bids.uploads import UploadOffsetMismatch
from bidding.errors import DomainError, InvalidInput
from bidding.tenders.models import Tender

blp = Blueprint("api_bids", __name__, url_prefix="/api/v1",
                description="投标：断点续传上传、撤回、回执 (bids: resumable upload, withdrawal, receipts)")
CHUNK_TYPE = "application/offset+octet-stream"     # tus; plain application/octet-stream is taken too
CHUNK_TYPES = (CHUNK_TYPE, "application/octet-stream")
RECEIPT_TYPE = "application/pkcs7-mime"
SUPPLIER = Role.SUPPLIER_STAFF


# -- HTTP-level refusals of a PATCH ------------------------------------------------------------------------
class LengthRequired(DomainError):
    code = "upload_length_required"
    message = "分片请求须带 Content-Length，不接受分块传输编码 (a chunk needs a Content-Length header, not chunked encoding)"
    http_status = 411


class ChunkTypeUnsupported(DomainError):
    code = "upload_content_type"
    message = f"分片的 Content-Type 须为 {CHUNK_TYPE} (a chunk's Content-Type must be {CHUNK_TYPE} or application/octet-stream)"
    http_status = 415


class OffsetHeaderInvalid(InvalidInput):
    code = "upload_offset_header"
    message = "缺少或无效的 Upload-Offset 请求头 (missing or invalid Upload-Offset header)"


# -- schemas ------------------------------------------------------------------------------------------------
class BidUploadRequestSchema(ma.Schema):
    size = fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=2**53 - 1),
                          metadata={"description": "the envelope's size in bytes"})
    sha256 = fields.String(required=True, validate=ma.validate.Regexp(r"^[0-9a-fA-F]{64}$"),
                           metadata={"description": "the envelope's SHA-256, hex"})


class BidUploadRefusalSchema(ma.Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)


class BidRecipientSchema(ma.Schema):
    fingerprint_sha256 = fields.String(required=True)
    not_after = fields.DateTime(required=True)


class BidSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "the bid's public id, as on its receipt"})
    tender_id = fields.Integer(required=True)
    tender = fields.String(required=True, metadata={"description": "the tender's number (招标编号)"})
    state = fields.Enum(BidState, by_value=True, required=True)
    state_label = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    sm3 = fields.String(required=True)
    envelope_format = fields.String(required=True)
    cipher = fields.String(required=True)
    received_at = fields.DateTime(required=True, metadata={"description": "when its last byte arrived (R17)"})
    replaces = fields.String(allow_none=True)
    replaced_by = fields.String(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    recipients = fields.List(fields.Nested(BidRecipientSchema), required=True)
    receipt_url = fields.String(required=True)
    withdrawal_receipt_url = fields.String(allow_none=True)


class BidUploadSchema(ma.Schema):
    id = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "PATCH the chunks here"})
    tender_id = fields.Integer(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    offset = fields.Integer(required=True, metadata={"description": "bytes received so far: send the next chunk from here"})
    state = fields.Enum(UploadState, by_value=True, required=True)
    state_label = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True, metadata={"description": "its lifetime's end or the bid deadline"})
    max_chunk = fields.Integer(required=True, metadata={"description": "largest body of one PATCH"})
    refusal = fields.Nested(BidUploadRefusalSchema, allow_none=True)
    bid = fields.Nested(BidSchema, allow_none=True, metadata={"description": "the bid, once accepted"})
    warnings = fields.List(fields.String(), required=True)


class BidWithdrawalSchema(ma.Schema):
    bid = fields.Nested(BidSchema, required=True)
    receipt_url = fields.String(required=True)


class BidsQuerySchema(ma.Schema):
    tender_id = fields.Integer(validate=ma.validate.Range(1, ROW_ID_MAX))


class ReceivedBidSchema(ma.Schema):
    bidder = fields.String(required=True)
    size = fields.Integer(required=True)
    received_at = fields.DateTime(required=True)


class TenderBidsSchema(ma.Schema):
    tender_id = fields.Integer(required=True)
    tender = fields.String(required=True)
    count = fields.Integer(required=True)
    bids = fields.List(fields.Nested(ReceivedBidSchema), required=True)


_401 = {"schema": ErrorSchema, "description": "未登录 (not logged in)"}
_403 = {"schema": ErrorSchema, "description": "仅供应商经办人 (supplier staff only)"}
_404_UPLOAD = {"schema": ErrorSchema, "description": "上传不存在或不属于本单位 (upload_not_found)"}
_404_BID = {"schema": ErrorSchema, "description": "投标不存在或不属于本单位 (bid_not_found)"}


# -- answers ------------------------------------------------------------------------------------------------
def bid_json(uow, bid: Bid) -> dict[str, Any]:
    tender = uow.session.get(Tender, bid.tender_id)
    receipts = services.receipts_of(uow, bid)
    linked = [i for i in (bid.replaces_id, bid.replaced_by_id) if i is not None]
    others = {b.id: b.public_id for b in uow.session.scalars(select(Bid).where(Bid.id.in_(linked)))} if linked else {}
    recipients = uow.session.scalars(select(BidRecipient).where(BidRecipient.bid_id == bid.id).order_by(BidRecipient.id))
    return {"id": bid.public_id, "tender_id": bid.tender_id, "tender": tender.public_id, "state": bid.state,
            "state_label": bid.state.label, "size": bid.size, "sha256": bid.sha256, "sm3": bid.sm3,
            "envelope_format": bid.envelope_format, "cipher": bid.cipher, "received_at": bid.received_at,
            "replaces": others.get(bid.replaces_id), "replaced_by": others.get(bid.replaced_by_id),
            "withdrawn_at": bid.withdrawn_at,
            "recipients": [{"fingerprint_sha256": r.fingerprint_sha256, "not_after": r.not_after} for r in recipients],
            "receipt_url": url_for("api_bids.BidReceiptFile", bid_id=bid.public_id),
            "withdrawal_receipt_url": url_for("api_bids.BidWithdrawalReceiptFile", bid_id=bid.public_id)
            if WITHDRAWN in receipts else None}


def _upload_json(uow, upload: BidUpload, tender: Tender, *, warnings: list[str] = (),
                 bid: Bid | None = None) -> dict[str, Any]:
    if bid is None and upload.bid_id is not None:
        bid = uow.session.get(Bid, upload.bid_id)
    return {"id": upload.public_id, "url": url_for("api_bids.Upload", upload_id=upload.public_id),
            "tender_id": upload.tender_id, "size": upload.size, "sha256": upload.sha256, "offset": upload.received,
            "state": upload.state, "state_label": upload.state.label, "created_at": upload.created_at,
            "expires_at": services.upload_expiry(upload, tender), "max_chunk": upload_limits().max_chunk,
            "refusal": {"code": upload.refusal_code, "message": upload.refusal_message}
            if upload.refusal_code else None,
            "bid": bid_json(uow, bid) if bid is not None else None, "warnings": list(warnings)}


def _offset_headers(upload: BidUpload) -> dict[str, str]:
    return {"Upload-Offset": str(upload.received), "Upload-Length": str(upload.size), "Cache-Control": "no-store"}


def receipt_response(der: bytes, bid: Bid, action: str) -> Response:
    response = make_response(der)
    response.headers["Content-Type"] = RECEIPT_TYPE
    suffix = "" if action == SUBMITTED else "-withdrawal"
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{bid.public_id}{suffix}.p7m"'
    response.headers["Cache-Control"] = "no-store"
    return response


class _Body:
    """The request body, read in pieces; a client that went away reads as the end of the body."""

    def __init__(self) -> None:
        self.stream = request.stream

    def read(self, n: int) -> bytes:
        try:
            return self.stream.read(n)
        except (ClientDisconnected, OSError):
            return b""


def _chunk_length() -> int:
    """The chunk's length: Content-Length; a request without a body (no Content-Length, not
    chunked) is a chunk of 0 bytes; a chunked body of unknown length is refused (411)."""
    if request.content_length is not None:
        return request.content_length
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        raise LengthRequired()
    return 0


def _chunk_offset() -> int:
    text = request.headers.get("Upload-Offset", "")
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise OffsetHeaderInvalid()
    return int(text)


# -- uploads ------------------------------------------------------------------------------------------------
@blp.route("/tenders/<int:tender_id>/uploads")
class Uploads(MethodView):
    @roles_required(SUPPLIER)
    @blp.arguments(BidUploadRequestSchema)
    @blp.response(201, BidUploadSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="大小或 SHA-256 有误 (upload_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="非供应商，或未报名该项目 (tender_not_registered)")
    @blp.alt_response(404, schema=ErrorSchema, description="招标项目不存在 (tender_not_found)")
    @blp.alt_response(409, schema=ErrorSchema, description="投标已截止、未发布，或没有在开标解密结束后仍有效的加密证书 "
                                                           "(bid_deadline_passed, no_encryption_certificate, "
                                                           "certificate_expires_before_opening)")
    @blp.alt_response(422, schema=ErrorSchema, description="请求内容不合格式 (http_422)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台暂不能签发回执 (receipts_unavailable)")
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """Start uploading a bid envelope (size and SHA-256 first); then PATCH its bytes to ``url``."""
        uow = context.uow()
        started = services.start_upload(uow, current_user, tender_id, args["size"], args["sha256"],
                                        store=bid_store(), limits=upload_limits(), receipts=receipt_issuer)
        tender = uow.session.get(Tender, started.upload.tender_id)
        headers = {**_offset_headers(started.upload),
                   "Location": url_for("api_bids.Upload", upload_id=started.upload.public_id)}
        return _upload_json(uow, started.upload, tender, warnings=started.warnings), 201, headers


@blp.route("/uploads/<string(maxlength=40):upload_id>")
class Upload(MethodView):
    @roles_required(SUPPLIER)
    @blp.response(200, BidUploadSchema, headers={
        "Upload-Offset": {"description": "bytes received so far", "schema": {"type": "integer"}},
        "Upload-Length": {"description": "the announced size", "schema": {"type": "integer"}}})
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, **_404_UPLOAD)
    def get(self, upload_id: str) -> Any:
        """Where the upload stands (HEAD gives the same in the Upload-Offset header): resume from ``offset``."""
        uow = context.uow()
        upload, tender = services.upload_status(uow, current_user, upload_id)
        return _upload_json(uow, upload, tender), 200, _offset_headers(upload)

    @roles_required(SUPPLIER)
    @blp.doc(parameters=[{"in": "header", "name": "Upload-Offset", "required": True,
                          "description": "where this chunk starts: the upload's offset",
                          "schema": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}}],
             requestBody={"required": True, "description": "the chunk's bytes (at most max_chunk)",
                          "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in CHUNK_TYPES}})
    @blp.response(200, BidUploadSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="Upload-Offset 无效，连接中断（已收到的已保存），或不是数字信封（R16） "
                                                           "(upload_offset_header, upload_chunk_incomplete, "
                                                           "upload_exceeds_size, bid_not_encrypted, bid_envelope_malformed)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, **_404_UPLOAD)
    @blp.alt_response(409, schema=ErrorSchema, description="起始位置不符（details.offset 与 Upload-Offset 头给出当前位置）、"
                                                           "正被另一请求写入、已结束、已截止或证书到期过早 "
                                                           "(upload_offset_mismatch, upload_busy, upload_closed, "
                                                           "bid_deadline_passed, certificate_expires_before_opening)")
    @blp.alt_response(410, schema=ErrorSchema, description="上传已过期 (upload_expired, upload_lost)")
    @blp.alt_response(411, schema=ErrorSchema, description="缺少 Content-Length (upload_length_required)")
    @blp.alt_response(413, schema=ErrorSchema, description="分片过大 (upload_chunk_too_large)")
    @blp.alt_response(415, schema=ErrorSchema, description=f"Content-Type 须为 {CHUNK_TYPE} (upload_content_type)")
    @blp.alt_response(422, schema=ErrorSchema, description="摘要不符，或接收者不是本单位的加密证书 "
                                                           "(bid_digest_mismatch, bid_recipient_refused)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台暂不能签发回执：文件已完整，稍后以 0 字节分片重试 "
                                                           "(receipts_unavailable)")
    def patch(self, upload_id: str) -> Any:
        """Send the next chunk at ``Upload-Offset``. The chunk that completes the file makes it a bid:
        the answer then carries ``bid`` (with its receipt's URL) and any warnings."""
        length = _chunk_length()
        if request.mimetype not in CHUNK_TYPES:
            raise ChunkTypeUnsupported()
        offset = _chunk_offset()
        uow = context.uow()
        try:
            outcome = services.receive_chunk(uow, current_user, upload_id, offset, length, _Body().read,
                                             store=bid_store(), limits=upload_limits(), receipts=receipt_issuer)
        except UploadOffsetMismatch as exc:
            response = make_response(error_response(exc.http_status, exc.code, exc.message, exc.details))
            response.headers["Upload-Offset"] = str(exc.details["offset"])
            return response
        upload = outcome.upload
        tender = uow.session.get(Tender, upload.tender_id)
        submission = outcome.submission
        body = _upload_json(uow, upload, tender, bid=submission.bid if submission else None,
                            warnings=submission.warnings if submission else ())
        return body, 200, _offset_headers(upload)

    @roles_required(SUPPLIER)
    @blp.response(204)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, **_404_UPLOAD)
    @blp.alt_response(409, schema=ErrorSchema, description="已结束或正被写入 (upload_closed, upload_busy)")
    def delete(self, upload_id: str) -> Any:
        """Give up an unfinished upload; its bytes are removed."""
        services.cancel_upload(context.uow(), current_user, upload_id, store=bid_store())
        return ""


# -- bids ----------------------------------------------------------------------------------------------------
@blp.route("/bids")
class Bids(MethodView):
    @roles_required(SUPPLIER)
    @blp.arguments(BidsQuerySchema, location="query")
    @blp.response(200, BidSchema(many=True))
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, schema=ErrorSchema, description="招标项目不存在 (tender_not_found)")
    def get(self, args: dict[str, Any]) -> Any:
        """The acting supplier's bids (every state), newest first; of one tender with ``tender_id``."""
        uow = context.uow()
        return [bid_json(uow, b) for b in services.own_bids(uow, current_user, args.get("tender_id"))]


@blp.route("/bids/<string(maxlength=40):bid_id>")
class BidResource(MethodView):
    @roles_required(SUPPLIER)
    @blp.response(200, BidSchema)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, **_404_BID)
    def get(self, bid_id: str) -> Any:
        """One of the acting supplier's bids."""
        uow = context.uow()
        return bid_json(uow, services.own_bid(uow, current_user, bid_id))


@blp.route("/bids/<string(maxlength=40):bid_id>/withdrawal")
class BidWithdrawal(MethodView):
    @roles_required(SUPPLIER)
    @blp.response(201, BidWithdrawalSchema)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, **_404_BID)
    @blp.alt_response(409, schema=ErrorSchema, description="已截止，或投标已撤回、被替换 (bid_deadline_passed, bid_not_pending)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台暂不能签发回执 (receipts_unavailable)")
    def post(self, bid_id: str) -> Any:
        """Withdraw the bid before the deadline: the answer names the withdrawal's receipt."""
        uow = context.uow()
        withdrawal = services.withdraw_bid(uow, current_user, bid_id, receipts=receipt_issuer)
        return {"bid": bid_json(uow, withdrawal.bid),
                "receipt_url": url_for("api_bids.BidWithdrawalReceiptFile", bid_id=withdrawal.bid.public_id)}


_RECEIPT_DOC = dict(content_type=RECEIPT_TYPE, description="the receipt: CMS SignedData (DER) with its timestamp token")


def _receipt_file(name: str, action: str, summary: str) -> type[MethodView]:
    """The view of one kind of receipt (``action``), for the bidder only."""
    @roles_required(SUPPLIER)
    @blp.response(200, {"type": "string", "format": "binary"}, **_RECEIPT_DOC)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, **_404_BID)
    def get(self: MethodView, bid_id: str) -> Any:
        bid, der = services.receipt_of(context.uow(), current_user, bid_id, action)
        return receipt_response(der, bid, action)
    get.__doc__ = summary
    return type(name, (MethodView,), {"get": get, "__doc__": summary})


BidReceiptFile = blp.route("/bids/<string(maxlength=40):bid_id>/receipt")(_receipt_file(
    "BidReceiptFile", SUBMITTED, "The bid's receipt (投标回执), for the bidder only: ``openssl cms -verify -inform DER``."))
BidWithdrawalReceiptFile = blp.route("/bids/<string(maxlength=40):bid_id>/withdrawal-receipt")(_receipt_file(
    "BidWithdrawalReceiptFile", WITHDRAWN, "The receipt of the bid's withdrawal, for the bidder only."))


@blp.route("/tenders/<int:tender_id>/bids")
class TenderBids(MethodView):
    @roles_required(Role.AGENCY_STAFF, Role.SUPERVISOR)
    @blp.response(200, TenderBidsSchema)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅该项目的代理机构与监管人员 (bids_not_visible)")
    @blp.alt_response(404, schema=ErrorSchema, description="招标项目不存在 (tender_not_found)")
    def get(self, tender_id: int) -> Any:
        """The bids received for the tender so far: bidder, size, time of receipt; never content."""
        received = services.tender_bids(context.uow(), current_user, tender_id)
        return {"tender_id": received.tender.id, "tender": received.tender.public_id, "count": received.count,
                "bids": [{"bidder": b.bidder, "size": b.size, "received_at": b.received_at} for b in received.bids]}
