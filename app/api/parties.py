"""``/api/v1``: registration (主体入库) and its review, the acting account's own party, its
certificate handler (经办人, R5) and the commitment letter (入驻承诺书). The same service functions
as the pages (``app/parties``)."""
from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema, PartySchema, base64_bytes
from app.auth.access import roles_required
from app.parties.common import STAFF, file_store, held_crls, licence_limit, party_view, read_upload
from app.trust import trust_list
from bidding.accounts.models import Role
from bidding.errors import InvalidInput
from bidding.parties import commitment, registrations
from bidding.parties.models import PartyKind, RegistrationState
from bidding.parties.services import update_certificate_handler

blp = Blueprint("api_parties", __name__, url_prefix="/api/v1",
                description="主体注册、审核与本单位信息 (registration, review, own party)")
MAX_SIGNATURE = 256 * 1024


# -- schemas --------------------------------------------------------------------------------------------
class RegistrationFormSchema(ma.Schema):
    kind = fields.Enum(PartyKind, by_value=True, required=True,
                       metadata={"description": "supplier | agency | purchaser"})
    name = fields.String(required=True, validate=ma.validate.Length(1, 200))
    credit_code = fields.String(required=True, validate=ma.validate.Length(1, 18))
    legal_representative = fields.String(required=True, validate=ma.validate.Length(1, 50))
    address = fields.String(required=True, validate=ma.validate.Length(1, 200))
    contact_name = fields.String(required=True, validate=ma.validate.Length(1, 50))
    contact_phone = fields.String(required=True, validate=ma.validate.Length(1, 20))
    username = fields.String(required=True, validate=ma.validate.Length(1, 64))
    password = fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 1024))


class LicenceFileSchema(ma.Schema):
    licence = Upload(required=True, metadata={"description": "营业执照：PDF、PNG 或 JPEG（按文件内容判断）"})


class RegistrationSchema(ma.Schema):
    id = fields.Integer(required=True)
    state = fields.Enum(RegistrationState, by_value=True, required=True)
    kind = fields.Enum(PartyKind, by_value=True, required=True)
    name = fields.String(required=True)
    credit_code = fields.String(required=True)
    legal_representative = fields.String(required=True)
    address = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True)
    licence_sha256 = fields.String(required=True)
    licence_media_type = fields.String(required=True)
    licence_size = fields.Integer(required=True)
    username = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    reviewed_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    party_id = fields.Integer(allow_none=True)


class SubmittedSchema(ma.Schema):
    registration = fields.Nested(RegistrationSchema, required=True)
    status_url = fields.String(required=True, metadata={"description": "申请人查看进度的地址（含一次性显示的令牌）"})


class RegistrationQuerySchema(ma.Schema):
    state = fields.Enum(RegistrationState, by_value=True)


class ReviewSchema(ma.Schema):
    approve = fields.Boolean(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class HandlerSchema(ma.Schema):
    name = fields.String(required=True, validate=ma.validate.Length(1, 50))
    id_last4 = fields.String(required=True, validate=ma.validate.Length(4, 4))
    phone = fields.String(required=True, validate=ma.validate.Length(1, 20))


class NoticeSchema(ma.Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True)


class OwnPartySchema(PartySchema):
    handler = fields.Function(lambda p: {"name": p.handler_name, "id_last4": p.handler_id_last4,
                                         "phone": p.handler_phone})
    created_at = fields.DateTime(required=True)


class PartyPageSchema(ma.Schema):
    party = fields.Nested(OwnPartySchema, required=True)
    registration = fields.Nested(RegistrationSchema, allow_none=True)
    notices = fields.List(fields.Nested(NoticeSchema), required=True)
    unread_notices = fields.Integer(required=True, metadata={"description": "未读通知数 (unread notices)"})
    commitment_signed = fields.Boolean(required=True)


class LetterSchema(ma.Schema):
    text = fields.String(required=True, metadata={"description": "the letter; its UTF-8 bytes are what is signed"})
    text_base64 = fields.String(required=True, metadata={"description": "the exact bytes to sign (base64)"})
    signed = fields.Boolean(required=True)
    signature = fields.String(allow_none=True, metadata={"description": "detached SignedData, DER, base64"})
    signer_fingerprint = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)


class SignatureSchema(ma.Schema):
    signature = fields.String(required=True, validate=ma.validate.Length(1, MAX_SIGNATURE * 2),
                              metadata={"description": "detached CMS or GM/T 0010 SignedData, DER, base64"})


# -- registrations ------------------------------------------------------------------------------------
@blp.route("/registrations")
class Registrations(MethodView):
    @blp.arguments(RegistrationFormSchema, location="form")
    @blp.arguments(LicenceFileSchema, location="files")
    @blp.response(201, SubmittedSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="信息有误（details.field 指出字段）")
    @blp.alt_response(409, schema=ErrorSchema, description="已注册或已有待审核的申请")
    @blp.alt_response(413, schema=ErrorSchema, description="营业执照过大")
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
        """Apply (multipart): the organisation, its business licence and its first staff account."""
        from flask import url_for
        data, filename = read_upload(files["licence"])
        submitted = registrations.submit_registration(
            context.uow(), registrations.Application(**form), data, filename, store=file_store(),
            max_licence_bytes=licence_limit())
        return {"registration": submitted.registration,
                "status_url": url_for("parties.registration_status", registration_id=submitted.registration.id,
                                      t=submitted.status_token)}

    @roles_required(Role.OPERATOR)
    @blp.arguments(RegistrationQuerySchema, location="query")
    @blp.response(200, RegistrationSchema(many=True))
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="仅平台运营人员")
    def get(self, query: dict[str, Any]) -> Any:
        """The applications, newest first, optionally of one state (operators)."""
        return registrations.list_registrations(context.uow(), query.get("state"))


@blp.route("/registrations/<int:registration_id>/review")
class Review(MethodView):
    @roles_required(Role.OPERATOR)
    @blp.arguments(ReviewSchema)
    @blp.response(200, RegistrationSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="驳回须填写理由 (reason_required)")
    @blp.alt_response(404, schema=ErrorSchema, description="申请不存在")
    @blp.alt_response(409, schema=ErrorSchema, description="已审核")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="仅平台运营人员")
    def post(self, decision: dict[str, Any], registration_id: int) -> Any:
        """Approve (the party and its first account are made) or reject with a reason (operators)."""
        return registrations.review_registration(context.uow(), current_user, registration_id,
                                                 decision["approve"], decision.get("reason"))


# -- own party ------------------------------------------------------------------------------------------
@blp.route("/party")
class OwnParty(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, PartyPageSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    def get(self) -> dict[str, Any]:
        """The acting account's party, its registration, certificate handler and notices."""
        view = party_view(current_user)
        return {**view, "commitment_signed": view["letter"] is not None}


@blp.route("/party/handler")
class Handler(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(HandlerSchema)
    @blp.response(200, OwnPartySchema)
    @blp.alt_response(400, schema=ErrorSchema, description="经办人信息有误 (handler_invalid)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    def put(self, handler: dict[str, str]) -> Any:
        """Record a new certificate handler (经办人); no certificate changes (R5)."""
        return update_certificate_handler(context.uow(), current_user.party_id, **handler)


@blp.route("/party/commitment-letter")
class CommitmentLetter(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.response(200, LetterSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="仅供应商经办人 (supplier staff only)")
    def get(self) -> dict[str, Any]:
        """The letter to sign today, or the signed letter with its signature (suppliers)."""
        _, text, letter = commitment.letter_for(context.uow(), current_user.party_id)
        return _letter(text, letter)

    @roles_required(Role.SUPPLIER_STAFF)
    @blp.arguments(SignatureSchema)
    @blp.response(201, LetterSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="签名无效或签名证书未绑定到本单位")
    @blp.alt_response(409, schema=ErrorSchema, description="已签署")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="仅供应商经办人 (supplier staff only)")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Keep the supplier's signature over the letter (a certificate bound to the party must sign)."""
        der = base64_bytes(body["signature"], "signature", "签名")
        if len(der) > MAX_SIGNATURE:
            raise InvalidInput("签名过大 (the signature is too large)", field="signature")
        letter = commitment.sign_commitment_letter(context.uow(), current_user.party_id, der, trust=trust_list(),
                                                   crls=held_crls(),
                                                   revocation=current_app.config["COMMITMENT_REVOCATION"])
        return _letter(letter.text, letter)


def _letter(text: str, letter) -> dict[str, Any]:
    return {"text": text, "text_base64": base64.b64encode(text.encode("utf-8")).decode("ascii"),
            "signed": letter is not None,
            "signature": base64.b64encode(letter.signature_der).decode("ascii") if letter else None,
            "signer_fingerprint": letter.signer_fingerprint if letter else None,
            "signed_at": letter.signed_at if letter else None}
