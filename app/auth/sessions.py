"""Log-in sessions on Flask's signed cookie: who the cookie names (the user loader), a new session
on every log-in, and what an anonymous request gets.

A cookie session has no server-side id to renew, so "rotation" is: empty the session, drop the
cached CSRF token, then log in. The new cookie shares nothing with the one before (no fixation).
Log-out and password change move the account's ``session_epoch`` on, so a cookie copied before
them no longer authenticates (``Account.get_id`` carries the epoch).
"""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import login_user, logout_user

from app import context
from app.errors import HTTP_MESSAGES, error_response, wants_json
from app.extensions import login_manager
from bidding.accounts.models import Account
from bidding.audit import Actor
from bidding.uow import UnitOfWork
from bidding.accounts.services import session_account


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """The account of the session's user id (``"<id>.<epoch>"``), or nobody. (Not through
    ``context.uow()``: its actor asks who is logged in, which is what is being found out here.)"""
    from app.extensions import db
    return session_account(UnitOfWork(db.session, context.clock(), Actor("session", "local")), session_id)


@login_manager.unauthorized_handler
def unauthorized():  # type: ignore[no-untyped-def]
    """Not logged in: JSON 401 for the API, else the log-in page (coming back here after a GET)."""
    if wants_json():
        return current_app.make_response(error_response(401, "login_required", HTTP_MESSAGES[401]))
    flash(HTTP_MESSAGES[401], "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def start_session(account: Account) -> None:
    """Replace whatever session the client had by a fresh one for ``account``."""
    session.clear()
    g.pop("csrf_token", None)      # flask-wtf caches the token per request: make a new one
    if not login_user(account):
        abort(403)
    session.permanent = False


def end_session() -> None:
    """Forget the logged-in user and everything else in the session."""
    logout_user()
    session.clear()
    g.pop("csrf_token", None)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/…``, not ``//host`` or a full URL), else None."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None
