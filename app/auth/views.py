"""Log-in page, log-out, account page. Each view parses its form, calls one service function of
``bidding.accounts.services`` and renders or redirects."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import context
from app.auth.access import login_required
from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.sessions import end_session, safe_next, start_session
from app.extensions import limiter
from bidding.accounts import services
from bidding.accounts.errors import AccountLocked, LoginFailed, WeakPassword, WrongPassword


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@limiter.shared_limit(login_rate_limit, scope="login", methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    """The log-in page: user name and password (the certificate log-in comes beside it)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200
    try:
        account = services.authenticate_password(context.uow(), form.username.data, form.password.data,
                                                 request.remote_addr)
    except (LoginFailed, AccountLocked) as refusal:
        return render_template("auth/login.html", form=form, error=refusal), refusal.http_status
    start_session(account)
    flash(f"欢迎，{account.display_name}", "success")
    return redirect(safe_next(form.next.data) or url_for("auth.account"))


@login_required
def logout():  # type: ignore[no-untyped-def]
    """End the session (POST with the CSRF token); every copy of the session cookie stops working."""
    services.end_sessions(context.uow(), current_user.id)
    end_session()
    flash("您已退出登录 (logged out)", "success")
    return redirect(url_for("main.home"))


@login_required
def account():  # type: ignore[no-untyped-def]
    """Who am I, for which party, and the form to change the password."""
    return render_template("auth/account.html", form=ChangePasswordForm())


@login_required
def change_password():  # type: ignore[no-untyped-def]
    """Change the password; the session is renewed and every other session of the account ends."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/account.html", form=form), 400
    try:
        account = services.change_password(context.uow(), current_user.id, old_password=form.old_password.data,
                                           new_password=form.new_password.data)
    except (WrongPassword, WeakPassword) as refusal:
        return render_template("auth/account.html", form=form, error=refusal), refusal.http_status
    start_session(account)
    flash("口令已修改 (password changed)", "success")
    return redirect(url_for("auth.account"))
