"""Request and response schemas of the JSON API (marshmallow); they are also the OpenAPI
document's components."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from bidding.accounts.models import Role
from bidding.parties.models import PartyKind


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
