"""``/api/v1``: the bidder's step at the opening (docs/opening.md): the RecipientInfos of its bid
with a one-time context, and the content key handed back sealed to the tender's opening
certificate with the signed key-release statement. The same use cases as the hall page
(``bidding.opening.services``); the hall itself is ``app/api/opening_hall.py``.

    POST /tenders/<id>/opening/release                           → {bid, context, recipient_infos, opening_certificate, expires_at}
    POST /tenders/<id>/opening/key  {bid, envelope, statement, signature}   → the bid's opening (decrypted)
"""
from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema, base64_bytes
from app.auth.access import roles_required
from app.opening_keys import opening_support
from bidding.accounts.models import Role
from bidding.opening import services
from bidding.opening.models import OpeningState
from bidding.opening.statement import MAX_STATEMENT

blp = Blueprint("api_opening", __name__, url_prefix="/api/v1",
                description="开标解密：下发接收者信息、提交释放的密钥 (the bidder's decryption at the opening)")
#: A sealed content key is a few hundred bytes (a few KiB with an SM2 or EC recipient); signatures
#: carry a chain of two or three certificates.
MAX_ENVELOPE_B64 = 16 * 1024
MAX_SIGNATURE_B64 = 64 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- schemas ------------------------------------------------------------------------------------------------
class ReleasedRecipientSchema(ma.Schema):
    binding_id = fields.Integer(required=True, metadata={"description": "the bound encryption certificate"})
    certificate_sha256 = fields.String(required=True)
    recipient_info = fields.String(required=True, metadata={"description": "DER RecipientInfo, base64: for /v1/unwrap"})


class ReleaseSchema(ma.Schema):
    bid = fields.String(required=True, metadata={"description": "the bid's public id"})
    context = fields.String(required=True, metadata={"description": "one-time challenge: the statement's context"})
    recipient_infos = fields.List(fields.Nested(ReleasedRecipientSchema), required=True)
    opening_certificate = fields.String(required=True, metadata={
        "description": "the tender's opening certificate, DER, base64: /v1/unwrap's transport_certificate"})
    expires_at = fields.DateTime(required=True, metadata={"description": "the decryption window's end"})


class KeySubmissionSchema(ma.Schema):
    bid = fields.String(required=True, validate=ma.validate.Length(1, 40))
    envelope = fields.String(required=True, validate=ma.validate.Length(1, MAX_ENVELOPE_B64),
                             metadata={"description": "the content key sealed to the opening certificate, base64"})
    statement = fields.String(required=True, validate=ma.validate.Length(1, MAX_STATEMENT * 4 // 3 + 4),
                              metadata={"description": "the key-release statement (canonical JSON), base64"})
    signature = fields.String(required=True, validate=ma.validate.Length(1, MAX_SIGNATURE_B64),
                              metadata={"description": "detached CMS / GM/T 0010 signature over the statement, base64"})


class BidOpeningSchema(ma.Schema):
    bid = fields.String(required=True)
    state = fields.Enum(OpeningState, by_value=True, required=True)
    state_label = fields.String(required=True)
    decrypted_at = fields.DateTime(allow_none=True)
    price = fields.String(allow_none=True, metadata={"description": "the manifest's price (the bidder sees its own)"})
    currency = fields.String(allow_none=True)
    manifest_sha256 = fields.String(allow_none=True)


_401 = dict(schema=ErrorSchema, description="未登录 (login_required)")
_403 = dict(schema=ErrorSchema, description="只有投标供应商 (forbidden, opening_only_bidders)")
_409 = dict(schema=ErrorSchema, description="未到开标时间或解密时限已过 (opening_not_started, opening_window_closed)")


# -- views --------------------------------------------------------------------------------------------------
@blp.route("/tenders/<int:tender_id>/opening/release")
class OpeningRelease(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.response(200, ReleaseSchema)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, **_403)
    @blp.alt_response(404, schema=ErrorSchema, description="没有待解密的投标 (tender_not_found, no_bid_to_open)")
    @blp.alt_response(409, **_409)
    @blp.alt_response(503, schema=ErrorSchema, description="平台原因，已记录 (opening_platform_error)")
    def post(self, tender_id: int) -> Any:
        """In the decryption window: the RecipientInfos of the acting bidder's submitted bid, the
        tender's opening certificate and a one-time context (a new release replaces the previous)."""
        release = services.release_recipient_info(context.uow(), current_user, tender_id, support=opening_support())
        return {"bid": release.bid.public_id, "context": release.context, "expires_at": release.expires_at,
                "opening_certificate": _b64(release.opening_certificate),
                "recipient_infos": [{"binding_id": r.binding_id, "certificate_sha256": r.certificate_sha256,
                                     "recipient_info": _b64(r.recipient_info)} for r in release.recipient_infos]}


@blp.route("/tenders/<int:tender_id>/opening/key")
class OpeningKeySubmission(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.arguments(KeySubmissionSchema)
    @blp.response(200, BidOpeningSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="声明、信封或签名有误 (invalid_input, key_release_invalid, "
                                                           "key_release_mismatch, key_release_signature_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="签名者不是投标人 (key_release_signer_not_bidder)")
    @blp.alt_response(404, schema=ErrorSchema, description="没有待解密的投标 (no_bid_to_open)")
    @blp.alt_response(409, schema=ErrorSchema, description="时间不对、凭据无效或已处理 (opening_not_started, "
                                                           "opening_window_closed, opening_context_invalid, "
                                                           "bid_already_opened)")
    @blp.alt_response(422, schema=ErrorSchema, description="密钥打不开投标，可重试；或核验未通过 (wrong_content_key, "
                                                           "bid_package_refused)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台原因，已记录 (opening_platform_error)")
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """Hand back the content key (sealed to the opening certificate) with the signed key-release
        statement; the platform checks it and opens the bid."""
        opening = services.submit_key(
            context.uow(), current_user, tender_id, args["bid"],
            base64_bytes(args["envelope"], "envelope", "信封"), base64_bytes(args["statement"], "statement", "声明"),
            base64_bytes(args["signature"], "signature", "签名"), support=opening_support())
        return {"bid": args["bid"], "state": opening.state, "state_label": opening.state.label,
                "decrypted_at": opening.decrypted_at, "price": opening.price, "currency": opening.currency,
                "manifest_sha256": opening.manifest_sha256}
