"""``/api/v1``: the CSRF token, log-in and log-out (``/session``), who am I (``/me``), and account
recovery with a bound certificate (R20, ``/recovery/…``: the user names of the certificate's party,
then a new password; each step proven by a fresh signed "login" challenge of ``POST /challenges``)."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from marshmallow import fields

from app import context
from app.api.certificates import ProofSchema
from app.api.schemas import AccountSchema, CsrfTokenSchema, ErrorSchema, LoginSchema, SessionSchema, base64_bytes
from app.auth.access import login_required
from app.auth.sessions import end_session, start_session
from app.auth.views import login_rate_limit
from app.certificates.proof import proof_settings, request_origin, session_key
from app.extensions import limiter
from bidding.accounts import services
from bidding.certificates.login import recover_account, reset_password_with_certificate

blp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="会话与账户 (session and account)")


@blp.route("/csrf")
class Csrf(MethodView):
    @blp.response(200, CsrfTokenSchema)
    def get(self) -> dict[str, str]:
        """The session's CSRF token, for the X-CSRFToken header of every POST, PUT, PATCH, DELETE."""
        return {"csrf_token": generate_csrf()}


@blp.route("/session")
class Session(MethodView):
    decorators = [limiter.shared_limit(login_rate_limit, scope="login", methods=["POST"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, SessionSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="用户名或口令错误 (login_failed)")
    @blp.alt_response(403, schema=ErrorSchema, description="账户已锁定 (account_locked, details.unlocks_at)")
    @blp.alt_response(429, schema=ErrorSchema, description="尝试过于频繁 (too many attempts)")
    def post(self, credentials: dict[str, str]) -> dict[str, Any]:
        """Log in with user name and password: a new session cookie and its CSRF token."""
        account = services.authenticate_password(context.uow(), credentials["username"],
                                                 credentials["password"], request.remote_addr)
        start_session(account)
        return {"account": account, "csrf_token": generate_csrf()}

    @login_required
    @blp.response(204)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    def delete(self) -> None:
        """Log out: this and every other session cookie of the account stop working."""
        services.end_sessions(context.uow(), current_user.id)
        end_session()


@blp.route("/me")
class Me(MethodView):
    @login_required
    @blp.response(200, AccountSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    def get(self) -> Any:
        """The logged-in account and its party."""
        return current_user._get_current_object()


# -- R20: recovery with a bound certificate -------------------------------------------------------------
class RecoveredAccountsSchema(ma.Schema):
    usernames = fields.List(fields.String(), required=True,
                            metadata={"description": "本单位可登录的经办人账户 (the party's active staff accounts)"})


class PasswordResetSchema(ProofSchema):
    username = fields.String(required=True, validate=ma.validate.Length(1, 64),
                             metadata={"description": "one of the user names the first step gave"})
    new_password = fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 1024),
                                 metadata={"description": "至少 10 个字符，且不同于用户名 (as a password change)"})


class PasswordResetDoneSchema(ma.Schema):
    username = fields.String(required=True)


@blp.route("/recovery/accounts")
class RecoveredAccounts(MethodView):
    decorators = [limiter.shared_limit(login_rate_limit, scope="login", methods=["POST"])]

    @blp.arguments(ProofSchema)
    @blp.response(200, RecoveredAccountsSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="挑战、签名或证书无效 (challenge_*, certificate_*)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书未绑定，或主体没有账户 (certificate_not_bound, "
                                                            "certificate_no_account)")
    @blp.alt_response(429, schema=ErrorSchema, description="尝试过于频繁 (too many attempts)")
    def post(self, proof: dict[str, Any]) -> dict[str, list[str]]:
        """找回用户名: the user names of the party whose bound certificate signed a "login" challenge."""
        usernames = recover_account(context.uow(), proof["challenge"], session_key(), request_origin(),
                                    base64_bytes(proof["signature"], "signature", "签名"), **proof_settings())
        return {"usernames": usernames}


@blp.route("/recovery/password")
class RecoveredPassword(MethodView):
    decorators = [limiter.shared_limit(login_rate_limit, scope="login", methods=["POST"])]

    @blp.arguments(PasswordResetSchema)
    @blp.response(200, PasswordResetDoneSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="挑战、签名或证书无效，或新口令太弱 (challenge_*, "
                                                            "certificate_*, password_weak)")
    @blp.alt_response(403, schema=ErrorSchema, description="证书未绑定，或用户名不属于证书所属主体 "
                                                            "(certificate_not_bound, certificate_account_mismatch)")
    @blp.alt_response(429, schema=ErrorSchema, description="尝试过于频繁 (too many attempts)")
    def post(self, args: dict[str, Any]) -> dict[str, str]:
        """重置口令: a new password for one of the certificate's party's accounts, proven by a fresh
        signed "login" challenge. The lock-out is lifted and every session of the account ends."""
        account = reset_password_with_certificate(context.uow(), args["challenge"], session_key(), request_origin(),
                                                  base64_bytes(args["signature"], "signature", "签名"),
                                                  username=args["username"],
                                                  new_password=args["new_password"], **proof_settings())
        return {"username": account.username}
