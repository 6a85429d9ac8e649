"""``/api/v1``: the platform's documents for their parties, and stamping (电子签章) in two steps:

1. ``POST /documents/<id>/stamp-sessions`` {binding_id}: the platform checks the certificate may
   stamp (R4, R6, R22, the party's turn), prepares the seal in a new revision and answers the digest
   to sign (``digest`` hex, ``digest_algorithm`` sha256 | sm3) and the session's id; it expires after
   ten minutes.
2. The page has the local agent sign that digest (``POST /v1/sign`` with ``digest``) and posts the
   detached CMS / GM/T 0010 signature to ``POST /stamp-sessions/<id>/signature``: the platform
   embeds it with its timestamp and validation data and answers the new revision, once it verifies.

The same use cases as the pages (``bidding.documents.services``).
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema, base64_bytes
from app.auth.access import roles_required
from app.documents.common import file_store, stamping
from app.documents.views import pdf_response
from app.routing import ROW_ID_MAX
from bidding.accounts.models import Role
from bidding.documents import services
from bidding.documents.models import Document

blp = Blueprint("api_documents", __name__, url_prefix="/api/v1",
                description="平台文件与电子签章 (documents and stamping)")
STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
MAX_SIGNATURE_B64 = 128 * 1024       # a detached signature with its chain is a few KiB


class DocumentRevisionSchema(ma.Schema):
    seq = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    signer_party_id = fields.Integer(allow_none=True)
    signer_expert_id = fields.Integer(allow_none=True, metadata={"description": "评审专家签名的版本 (a revision an evaluation expert signed)"})
    field_name = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


class DocumentSignerSchema(ma.Schema):
    role = fields.String(required=True)
    party_id = fields.Integer(required=True, allow_none=True,
                              metadata={"description": "签章主体；评审专家签名时为空 (null for an evaluation expert)"})
    expert_id = fields.Integer(allow_none=True, metadata={"description": "评审专家 (an evaluation expert, R12)"})
    sign_order = fields.Integer(required=True)
    signed_revision = fields.Integer(allow_none=True, attribute="signed_seq")


class DocumentSchema(ma.Schema):
    public_id = fields.String(required=True)
    kind = fields.Function(lambda d: d["document"].kind.value, required=True)
    title = fields.Function(lambda d: d["document"].title, required=True)
    created_at = fields.Function(lambda d: d["document"].created_at.isoformat(), required=True)
    current_revision = fields.Function(lambda d: d["document"].current_seq, required=True)
    signers = fields.List(fields.Nested(DocumentSignerSchema), required=True)
    revisions = fields.List(fields.Nested(DocumentRevisionSchema), required=True)
    download_url = fields.String(required=True)


class StampRequestSchema(ma.Schema):
    binding_id = fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, ROW_ID_MAX),
                                metadata={"description": "the party's certificate binding whose seal to use"})


class StampSessionSchema(ma.Schema):
    id = fields.Integer(required=True)
    document = fields.String(required=True, metadata={"description": "the document's public id"})
    base_revision = fields.Integer(required=True)
    binding_id = fields.Integer(required=True)
    role = fields.String(required=True)
    field_name = fields.String(required=True)
    digest = fields.String(required=True, metadata={"description": "hex: what the agent signs (POST /v1/sign digest)"})
    digest_algorithm = fields.String(required=True, metadata={"description": "sha256 (RSA, ECDSA) | sm3 (SM2)"})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    revision = fields.Integer(allow_none=True)


class StampSignatureSchema(ma.Schema):
    signature = fields.String(required=True, validate=ma.validate.Length(1, MAX_SIGNATURE_B64), metadata={
        "description": "the agent's detached CMS / GM/T 0010 SignedData over the digest, DER, base64"})


def _session(session, public_id: str) -> dict[str, Any]:
    return {"id": session.id, "document": public_id, "base_revision": session.base_seq,
            "binding_id": session.binding_id, "role": session.role, "field_name": session.field_name,
            "digest": session.digest, "digest_algorithm": session.digest_algorithm, "created_at": session.created_at,
            "expires_at": session.expires_at, "completed_at": session.completed_at, "revision": session.revision_seq}


def _document(uow, document) -> dict[str, Any]:
    return {"public_id": document.public_id, "document": document,
            "signers": services.signers_of(uow, document), "revisions": services.revisions_of(uow, document),
            "download_url": url_for("documents.download", public_id=document.public_id)}


@blp.route("/documents/<public_id>")
class DocumentResource(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, DocumentSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="不是该文件的签署方，或尚未轮到 (document_access_denied)")
    @blp.alt_response(404, schema=ErrorSchema, description="文件不存在 (document_not_found)")
    def get(self, public_id: str) -> dict[str, Any]:
        """A document the acting party signs: its signers and revisions (digests)."""
        uow = context.uow()
        return _document(uow, services.readable_document(uow, public_id, current_user.party_id))


@blp.route("/documents/<public_id>/revisions/<int:seq>/pdf")
class DocumentFile(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                  description="the revision's PDF")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="不是该文件的签署方 (document_access_denied)")
    @blp.alt_response(404, schema=ErrorSchema, description="文件或版本不存在 (document_not_found)")
    @blp.alt_response(409, schema=ErrorSchema, description="存储中的文件已损坏 (document_file_damaged)")
    def get(self, public_id: str, seq: int) -> Any:
        """One revision's PDF (revision 1: as generated; each later one adds a stamp)."""
        document, revision, data = services.read_revision(context.uow(), file_store(), public_id,
                                                          current_user.party_id, seq)
        return pdf_response(data, f"{document.public_id}-r{revision.seq}.pdf", attachment=True)


@blp.route("/documents/<public_id>/stamp-sessions")
class StampSessions(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(StampRequestSchema)
    @blp.response(201, StampSessionSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="证书不能签章：副锁无印章 (R6)、非本平台专用 (R4)、印章无效 (R22)、"
                                                           "不能签名 (stamp_no_seal, stamp_not_platform_certificate, …)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="不是签署方，或证书属于其他主体 (document_not_a_signer, "
                                                           "binding_of_another_party)")
    @blp.alt_response(404, schema=ErrorSchema, description="文件或证书绑定不存在")
    @blp.alt_response(409, schema=ErrorSchema, description="未轮到、已签章、状态不允许、证书绑定已失效")
    @blp.alt_response(422, schema=ErrorSchema, description="无法在该文件上准备签章 (stamp_prepare_refused)")
    def post(self, args: dict[str, Any], public_id: str) -> Any:
        """Prepare the acting party's stamp: the digest for the agent to sign (expires in 10 minutes)."""
        session = services.prepare_stamp(context.uow(), stamping(), public_id, current_user.party_id,
                                         args["binding_id"])
        uow = context.uow()
        return _session(session, uow.session.get(Document, session.document_id).public_id)


@blp.route("/stamp-sessions/<int:session_id>")
class StampSessionResource(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, StampSessionSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    @blp.alt_response(404, schema=ErrorSchema, description="签章会话不存在 (stamp_session_not_found)")
    def get(self, session_id: int) -> Any:
        """One of the acting party's stamp sessions."""
        uow = context.uow()
        session = services.stamp_session(uow, session_id, current_user.party_id)
        return _session(session, uow.session.get(Document, session.document_id).public_id)


@blp.route("/stamp-sessions/<int:session_id>/signature")
class StampSignature(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(StampSignatureSchema)
    @blp.response(201, DocumentRevisionSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="签名不是 base64，或证书已不能签章")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    @blp.alt_response(404, schema=ErrorSchema, description="签章会话不存在 (stamp_session_not_found)")
    @blp.alt_response(409, schema=ErrorSchema, description="已完成、已过期或文件已有新版本 (stamp_session_completed, "
                                                           "stamp_session_expired, stamp_session_stale)")
    @blp.alt_response(422, schema=ErrorSchema, description="签名与准备的摘要或证书不符，或签章后的文件未通过验证 "
                                                           "(stamp_signature_refused)")
    @blp.alt_response(503, schema=ErrorSchema, description="时间戳服务不可用 (tsa_unavailable)")
    def post(self, args: dict[str, Any], session_id: int) -> Any:
        """Embed the agent's signature with the platform's timestamp: the document's new revision."""
        der = base64_bytes(args["signature"], "signature", "签名")
        return services.complete_stamp(context.uow(), stamping(), session_id,
                                       current_user.party_id, der)
