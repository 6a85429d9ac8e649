"""Request and response schemas of the JSON API (marshmallow); they are also the OpenAPI
document's components."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from marshmallow import fields

from bidding.accounts.models import Role
from bidding.certificates.decryption import MAX_ANSWER_BYTES
from bidding.errors import InvalidInput
from bidding.parties.models import PartyKind

#: A certificate in a request (DER, base64): far larger than any real one.
MAX_CERTIFICATE_B64 = 16 * 1024


def base64_bytes(text: str, field: str, what: str) -> bytes:
    """The bytes of a base64 request member ``field`` (``what`` names it in the message); text
    that is not strict base64 is the client's mistake (400 ``invalid_input``), not a 500."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{what}不是有效的 base64 ({field}: not valid base64)", field=field) from None


def error_answers(blp: Any, descriptions: Mapping[int, str]) -> Callable[..., Callable[[Any], Any]]:
    """``answers(400, 404, …)``: a decorator documenting each error status an operation of ``blp``
    can answer, with the area's ``descriptions`` (the schema test requires every one)."""
    def answers(*statuses: int) -> Callable[[Any], Any]:
        def decorate(view: Any) -> Any:
            for status in statuses:
                view = blp.alt_response(status, schema=ErrorSchema, description=descriptions[status])(view)
            return view
        return decorate
    return answers


class EncryptionCertificateSchema(ma.Schema):
    """An encryption certificate to test or to bind by proof of decryption."""

    certificate = fields.String(required=True, validate=ma.validate.Length(1, MAX_CERTIFICATE_B64),
                                metadata={"description": "the encryption certificate, DER, base64"})


class DecryptionChallengeSchema(ma.Schema):
    """Random data sealed to an encryption certificate, for the agent's ``/v1/unwrap``: the self-test
    and the binding of an encryption-only certificate answer the same way (their ``id`` differs)."""

    fingerprint_sha256 = fields.String(required=True)
    subject = fields.String(required=True)
    recipient_info = fields.String(required=True, metadata={"description": "DER RecipientInfo, base64: for /v1/unwrap"})
    transport_certificate = fields.String(required=True, metadata={
        "description": "the platform's transport certificate, DER, base64: the agent re-encrypts the key to it"})
    expires_at = fields.DateTime(required=True)


class UnwrapAnswerSchema(ma.Schema):
    """The agent's ``/v1/unwrap`` answer, posted back to the platform."""

    envelope = fields.String(required=True, validate=ma.validate.Length(1, MAX_ANSWER_BYTES * 4 // 3 + 4),
                             metadata={"description": "the agent's /v1/unwrap envelope, base64"})


class ErrorDetailSchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = fields.String(required=True, metadata={"description": "中文在前，英文在括号内 (Chinese, then English)"})
    details = fields.Dict(required=True, metadata={"description": "machine-readable context"})
    request_id = fields.String(allow_none=True, metadata={"description": "quote it to the operator"})


class ErrorSchema(ma.Schema):
    """Every error answer of the platform: ``{"error": {code, message, details, request_id}}``
    (``app.errors.error_response``)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class CsrfTokenSchema(ma.Schema):
    csrf_token = fields.String(required=True, metadata={"description": "send it as the X-CSRFToken header"})


class LoginSchema(ma.Schema):
    username = fields.String(required=True, validate=ma.validate.Length(1, 64))
    password = fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 1024))


class PartySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(PartyKind, by_value=True, required=True)
    credit_code = fields.String(allow_none=True)


class AccountSchema(ma.Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    role_label = fields.Function(lambda account: account.role.label, metadata={"description": "角色的中文名"})
    party = fields.Nested(PartySchema, allow_none=True)
    last_login_at = fields.DateTime(allow_none=True)


class SessionSchema(ma.Schema):
    account = fields.Nested(AccountSchema, required=True)
    csrf_token = fields.String(required=True, metadata={
        "description": "the new session's CSRF token (log-in renews the session and its token)"})
