"""Log-in, log-out, the account page and recovery with a certificate (R20). Every URL of the
blueprint is listed here; the session handling (rotation on log-in, the user loader) is in
sessions.py, the role check in access.py."""
from flask import Blueprint

from app.auth import recovery_views, views

bp = Blueprint("auth", __name__)
bp.add_url_rule("/login", view_func=views.login, methods=["GET", "POST"])
bp.add_url_rule("/login/recover", view_func=recovery_views.recover)
bp.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
bp.add_url_rule("/account", view_func=views.account)
bp.add_url_rule("/account/password", view_func=views.change_password, methods=["POST"])
