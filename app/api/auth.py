"""``/api/v1``: the CSRF token, log-in and log-out (``/session``), and who am I (``/me``)."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from app import context
from app.api.schemas import AccountSchema, CsrfTokenSchema, ErrorSchema, LoginSchema, SessionSchema
from app.auth.access import login_required
from app.auth.sessions import end_session, start_session
from app.auth.views import login_rate_limit
from app.extensions import limiter
from bidding.accounts import services

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
