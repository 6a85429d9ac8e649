"""``/api/v1``: one-time challenges, the party's certificate bindings, and certificate log-in.

The page asks for a challenge (``POST /challenges``), has the local signing agent sign its bytes
(``message``, base64) with the chosen certificate, and sends ``{challenge, signature}`` to bind
(``POST /certificates``) or to log in (``POST /session/certificate``). The challenge is bound to the
session and the request's origin (``app/certificates/proof.py`` says how); binding and log-in call
``bidding.certificates`` exactly as the pages do.
"""
from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from marshmallow import fields

from app import context
from app.api.schemas import (DecryptionChallengeSchema, EncryptionCertificateSchema, ErrorSchema, SessionSchema,
                             UnwrapAnswerSchema, base64_bytes)
from app.auth.access import roles_required
from app.auth.sessions import start_session
from app.auth.views import login_rate_limit
from app.certificates.proof import proof_settings, request_origin, session_key
from app.certificates.selftest_views import (
    transport_certificate_der,
    transport_credentials,
)
from app.extensions import limiter
from bidding.accounts.models import Role
from bidding.certificates import services
from bidding.certificates.challenges import issue_challenge
from bidding.certificates.login import login_with_certificate
from bidding.certificates.models import ChallengePurpose
from bidding.certificates.services import SEAL_IMAGE_MAX_BYTES
from pki.seal import SEAL_KINDS, Seal

blp = Blueprint("api_certificates", __name__, url_prefix="/api/v1",
                description="数字证书：挑战、绑定、证书登录 (certificates: challenges, bindings, certificate log-in)")

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
MAX_SIGNATURE_B64 = 96 * 1024      # a detached signature with a chain is a few KiB


class ChallengeRequestSchema(ma.Schema):
    purpose = fields.Enum(ChallengePurpose, by_value=True, required=True,
                          validate=ma.validate.OneOf([ChallengePurpose.BIND, ChallengePurpose.LOGIN]),
                          metadata={"description": "bind 绑定证书 | login 证书登录 (an encryption certificate's "
                                                   "proof: POST /certificates/encryption-proofs)"})


class ChallengeSchema(ma.Schema):
    id = fields.Integer(required=True)
    purpose = fields.String(required=True)
    origin = fields.String(required=True, metadata={"description": "the origin the challenge is bound to"})
    message = fields.String(required=True, metadata={"description": "the exact bytes to sign, base64"})
    expires_at = fields.DateTime(required=True)


class SealUploadSchema(ma.Schema):
    kind = fields.String(required=True, validate=ma.validate.OneOf(SEAL_KINDS))
    image = fields.String(required=True, validate=ma.validate.Length(1, SEAL_IMAGE_MAX_BYTES * 4 // 3 + 8),
                          metadata={"description": "the seal's PNG as the CA delivered it, base64"})


class ProofSchema(ma.Schema):
    challenge = fields.Integer(required=True)
    signature = fields.String(required=True, validate=ma.validate.Length(1, MAX_SIGNATURE_B64),
                              metadata={"description": "DER CMS / GM/T 0010 SignedData over the challenge, base64"})


class BindRequestSchema(ProofSchema):
    seal = fields.Nested(SealUploadSchema, allow_none=True, load_default=None)


class CertificateLoginSchema(ProofSchema):
    username = fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(0, 64),
                             metadata={"description": "only when the party has several staff accounts"})


class BindingSchema(ma.Schema):
    id = fields.Integer(required=True)
    subject = fields.String(required=True)
    issuer = fields.String(required=True)
    serial = fields.String(required=True)
    fingerprint_sha256 = fields.String(required=True)
    algorithm = fields.String(required=True)
    certificate_type = fields.Function(lambda b: b.certificate_type.value)
    purpose = fields.Function(lambda b: b.purpose.value)
    not_before = fields.DateTime(required=True)
    not_after = fields.DateTime(required=True)
    is_main_key = fields.Boolean(required=True)
    seal_kind = fields.String(allow_none=True)
    may_stamp = fields.Boolean(required=True)
    stamp_refusal = fields.String(allow_none=True)
    state = fields.Function(lambda b: b.state.value)
    bound_at = fields.DateTime(required=True)


class BindingStatusSchema(ma.Schema):
    binding = fields.Nested(BindingSchema, required=True)
    expires_soon = fields.Boolean(required=True)
    expired = fields.Boolean(required=True)
    days_left = fields.Integer(required=True)


class EncryptionProofSchema(DecryptionChallengeSchema):
    id = fields.Integer(required=True, metadata={"description": "the proof (a one-time challenge) to answer"})


@blp.route("/challenges")
class Challenges(MethodView):
    @blp.arguments(ChallengeRequestSchema)
    @blp.response(201, ChallengeSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="无效的请求 (bad request)")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """A one-time challenge (2 minutes) bound to this session and this origin."""
        origin = request_origin()
        issued = issue_challenge(context.uow(), args["purpose"], session_key(), origin)
        return {"id": issued.id, "purpose": args["purpose"].value, "origin": origin,
                "message": base64.b64encode(issued.message).decode("ascii"), "expires_at": issued.expires_at}


@blp.route("/certificates")
class Certificates(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, BindingStatusSchema(many=True))
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    def get(self) -> Any:
        """The bindings of the logged-in account's own party, newest first."""
        return services.list_bindings(context.uow(), current_user.party_id)

    @roles_required(*STAFF)
    @blp.arguments(BindRequestSchema)
    @blp.response(201, BindingSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="挑战、签名或证书无效 (challenge_*, certificate_*, seal_*)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书属于其他主体，或非经办人账户 (certificate_of_another_party, not a staff account)")
    @blp.alt_response(409, schema=ErrorSchema, description="证书已绑定 (certificate_already_bound)")
    def post(self, args: dict[str, Any]) -> Any:
        """Bind the certificate that signed the challenge to the account's own party; with the seal
        image the CA delivered for a certificate issued for this platform (R2, R3, R4, R6)."""
        party = current_user.party
        seal = None
        if args["seal"]:
            seal = Seal(party.name, party.credit_code or "", args["seal"]["kind"],
                        base64_bytes(args["seal"]["image"], "seal.image", "印章图片"))
        signature = base64_bytes(args["signature"], "signature", "签名")
        return services.bind_certificate(context.uow(), party.id, signature, args["challenge"], session_key(),
                                         request_origin(), seal=seal, **proof_settings())


@blp.route("/certificates/encryption-proofs")
class EncryptionProofs(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(EncryptionCertificateSchema)
    @blp.response(201, EncryptionProofSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="证书无效、过期、吊销、不受信任或非加密证书 (certificate_*)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书属于其他主体，或非经办人账户 (certificate_of_another_party)")
    @blp.alt_response(409, schema=ErrorSchema, description="证书已绑定 (certificate_already_bound)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台传输证书未配置 (self_test_unavailable)")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Start binding an encryption certificate by proof of decryption (2 minutes, this session
        and origin, used once): random data sealed to it, for the agent's /v1/unwrap."""
        transport = transport_certificate_der()
        proof = services.start_encryption_binding(context.uow(), current_user.party_id,
                                                  base64_bytes(args["certificate"], "certificate", "证书"), session_key(), request_origin(),
                                                  **proof_settings())
        return {"id": proof.challenge.id, "fingerprint_sha256": proof.fingerprint, "subject": proof.subject,
                "recipient_info": base64.b64encode(proof.recipient_info).decode("ascii"),
                "transport_certificate": base64.b64encode(transport).decode("ascii"),
                "expires_at": proof.challenge.expires_at}


@blp.route("/certificates/encryption-proofs/<int:proof_id>")
class EncryptionProof(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(UnwrapAnswerSchema)
    @blp.response(201, BindingSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="验证已用、超时、属于其他会话或来源，解密验证未通过，证书无效 "
                                                            "(challenge_*, encryption_proof_failed, certificate_*)")
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书属于其他主体，或非经办人账户 (certificate_of_another_party)")
    @blp.alt_response(409, schema=ErrorSchema, description="证书已绑定 (certificate_already_bound)")
    @blp.alt_response(503, schema=ErrorSchema, description="平台传输证书未配置 (self_test_unavailable)")
    def post(self, args: dict[str, Any], proof_id: int) -> Any:
        """Finish the proof with the agent's answer: the encryption certificate is bound (no seal)."""
        answer = base64_bytes(args["envelope"], "envelope", "应答")
        certificate, key = transport_credentials()
        return services.finish_encryption_binding(context.uow(), current_user.party_id, proof_id, session_key(),
                                                  request_origin(), answer, transport_key=key,
                                                  transport_certificate=certificate, **proof_settings())


@blp.route("/session/certificate")
class CertificateSession(MethodView):
    decorators = [limiter.shared_limit(login_rate_limit, scope="login", methods=["POST"])]

    @blp.arguments(CertificateLoginSchema)
    @blp.response(200, SessionSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="挑战、签名或证书无效 (challenge_*, certificate_*)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书未绑定 (certificate_not_bound, certificate_account_mismatch)")
    @blp.alt_response(429, schema=ErrorSchema, description="尝试过于频繁 (too many attempts)")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Log in with a certificate bound to the party: a new session cookie and its CSRF token."""
        account = login_with_certificate(context.uow(), args["challenge"], session_key(), request_origin(),
                                         base64_bytes(args["signature"], "signature", "签名"),
                                         username=args["username"],
                                         address=request.remote_addr, **proof_settings())
        start_session(account)
        return {"account": account, "csrf_token": generate_csrf()}
