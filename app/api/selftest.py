"""``/api/v1/self-test``: the certificate encryption/decryption self-test (加解密测试, R11).

``POST /self-test`` {certificate} validates the certificate, seals random bytes to it and answers
the RecipientInfo and the platform's transport certificate; the page has the local agent unwrap it
(``/v1/unwrap``) and posts the agent's envelope to ``POST /self-test/<id>``, which answers the
outcome. The pending test lives in this session only (``app/certificates/selftest_views.py``).
"""
from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import (DecryptionChallengeSchema, EncryptionCertificateSchema, ErrorSchema, UnwrapAnswerSchema,
                             base64_bytes)
from app.auth.access import roles_required
from app.certificates.proof import proof_settings
from app.certificates.selftest_views import (
    STAFF,
    keep_pending,
    take_pending,
    transport_certificate_der,
    transport_credentials,
)
from bidding.certificates.selftest import finish_self_test, start_self_test

blp = Blueprint("api_selftest", __name__, url_prefix="/api/v1",
                description="数字证书加解密测试 (certificate encryption/decryption self-test, R11)")


class SelfTestStartedSchema(DecryptionChallengeSchema):
    id = fields.String(required=True)


class SelfTestResultSchema(ma.Schema):
    ok = fields.Boolean(required=True)
    outcome = fields.String(required=True, metadata={
        "description": "success | answer_unreadable | content_key_wrong | content_mismatch"})
    message = fields.String(required=True)
    fingerprint_sha256 = fields.String(required=True, attribute="fingerprint")
    subject = fields.String(required=True)


@blp.route("/self-test")
class SelfTests(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(EncryptionCertificateSchema)
    @blp.response(201, SelfTestStartedSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="证书无效、过期、吊销或不受信任 (certificate_*)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台传输证书未配置 (self_test_unavailable)")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Start a self-test (5 minutes): random data sealed to the certificate."""
        transport = transport_certificate_der()
        certificate = base64_bytes(args["certificate"], "certificate", "证书")
        started = start_self_test(context.uow(), certificate, **proof_settings())
        keep_pending(started.pending)
        pending = started.pending
        return {"id": pending.id, "fingerprint_sha256": pending.fingerprint, "subject": pending.subject,
                "recipient_info": base64.b64encode(started.recipient_info).decode("ascii"),
                "transport_certificate": base64.b64encode(transport).decode("ascii"),
                "expires_at": pending.expires_at}


@blp.route("/self-test/<string:test_id>")
class SelfTest(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(UnwrapAnswerSchema)
    @blp.response(200, SelfTestResultSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="测试已超时或请求无效 (self_test_expired)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    @blp.alt_response(404, schema=ErrorSchema, description="本会话没有这个测试 (self_test_unknown)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台传输证书未配置 (self_test_unavailable)")
    def post(self, args: dict[str, Any], test_id: str) -> Any:
        """Finish the self-test with the agent's answer: the outcome, success or which step failed."""
        answer = base64_bytes(args["envelope"], "envelope", "应答")
        certificate, key = transport_credentials()
        pending = take_pending(test_id)
        return finish_self_test(context.uow(), pending, answer, transport_key=key, transport_certificate=certificate)
