"""``/api/v1/verify``: the verification page (验签) as JSON, open to everyone. ``POST /verify``
(multipart: ``file`` a PDF or a CMS / GM/T 0010 signature, ``content`` the signed content of a
detached one) answers every signature; ``GET /verify/documents/<id>`` what the platform recorded of
one of its documents (digests, never content). Like every write of the API, the POST needs the
X-CSRFToken header (``GET /api/v1/csrf``), though it changes nothing."""
from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema
from app.certificates.proof import crls
from app.trust import trust_list
from app.verify.views import acting_party, read_limited, upload_limit
from bidding.documents.verification import public_record, verify_upload
from pki.pdf import MAX_PDF_BYTES

blp = Blueprint("api_verify", __name__, url_prefix="/api/v1", description="验签 (verification, public)")


@blp.before_request
def _bounded_upload() -> None:
    """Read no more than a file and its content may be (413 beyond), not the platform's 2 GiB."""
    request.max_content_length = upload_limit()


class VerifyFilesSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "a PDF, or a CMS / GM/T 0010 signature (DER or PEM)"})
    content = Upload(metadata={"description": "the signed content of a detached signature"})


class SignerPartySchema(ma.Schema):
    party_id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    binding_state = fields.String(required=True)


class VerifiedSignatureSchema(ma.Schema):
    index = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    field_name = fields.String(allow_none=True)
    algorithm = fields.String(allow_none=True)
    signer_subject = fields.String(allow_none=True)
    fingerprint_sha256 = fields.String(allow_none=True)
    party = fields.Nested(SignerPartySchema, allow_none=True)
    seal_png = fields.Function(lambda s: base64.b64encode(s.seal_png).decode("ascii") if s.seal_png else None,
                               allow_none=True, metadata={"description": "the seal image, PNG, base64"})
    signing_time = fields.DateTime(allow_none=True)
    timestamp_time = fields.DateTime(allow_none=True)
    intact = fields.Boolean(required=True)
    signature_valid = fields.Boolean(required=True)
    trusted = fields.Boolean(required=True)
    certificate_status = fields.String(required=True)
    covers_whole_document = fields.Boolean(allow_none=True)
    modified_after = fields.Boolean(allow_none=True)
    modification = fields.String(allow_none=True, metadata={"description": "none | seal_slices | validation_data | other"})
    cross_page = fields.Boolean(required=True)
    problems = fields.List(fields.String(), required=True)


class RecordMatchSchema(ma.Schema):
    public_id = fields.String(required=True)
    title = fields.String(required=True)
    seq = fields.Integer(required=True)
    latest = fields.Boolean(required=True)


class StatementSchema(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "receipt | transcript"})
    title = fields.String(required=True)
    ok = fields.Boolean(required=True)
    facts = fields.List(fields.List(fields.String()), required=True, metadata={"description": "[label, value] pairs"})
    problems = fields.List(fields.String(), required=True)


class VerificationSchema(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "pdf | cms"})
    ok = fields.Boolean(required=True)
    summary = fields.String(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    flavour = fields.String(allow_none=True)
    revisions = fields.Integer(allow_none=True)
    record = fields.Nested(RecordMatchSchema, allow_none=True)
    signatures = fields.List(fields.Nested(VerifiedSignatureSchema), required=True)
    statement = fields.Nested(StatementSchema, allow_none=True, metadata={
        "description": "a bid receipt or an opening transcript found in a CMS file, checked as such"})


class RevisionRecordSchema(ma.Schema):
    seq = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    signer = fields.String(allow_none=True)
    role = fields.String(allow_none=True)


class RecordSignerSchema(ma.Schema):
    role = fields.String(required=True)
    name = fields.String(required=True)
    stamped = fields.Boolean(required=True)


class DocumentRecordSchema(ma.Schema):
    public_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    signers = fields.Function(lambda r: [{"role": a, "name": b, "stamped": c} for a, b, c in r.signers],
                              required=True)
    revisions = fields.List(fields.Nested(RevisionRecordSchema), required=True)
    may_download = fields.Boolean(required=True)


@blp.route("/verify")
class Verify(MethodView):
    @blp.arguments(VerifyFilesSchema, location="files")
    @blp.response(200, VerificationSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="无法识别的文件，或分离式签名缺少原文 (verify_input_unreadable)")
    @blp.alt_response(413, schema=ErrorSchema, description="文件过大 (verify_input_too_large)")
    def post(self, files: dict[str, Any]) -> Any:
        """Verify every signature of a PDF, or of a CMS / GM/T 0010 signature with its content."""
        data = read_limited(files["file"], MAX_PDF_BYTES, "文件")
        content = read_limited(files["content"], MAX_PDF_BYTES, "原文文件") if files.get("content") else None
        return verify_upload(context.uow(), data, trust=trust_list(), crls=crls(), content=content)


@blp.route("/verify/documents/<public_id>")
class DocumentRecord(MethodView):
    @blp.response(200, DocumentRecordSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="文件不存在 (document_not_found)")
    def get(self, public_id: str) -> Any:
        """What the platform recorded of one of its documents: revisions and their digests."""
        return public_record(context.uow(), public_id, acting_party())
