"""Account and password recovery with a bound certificate (R20, 忘记账号/密码？用证书找回). The page
is the form; its script (app/static/js/recovery.js) has the local signing agent sign one-time
"login" challenges and calls ``POST /api/v1/recovery/accounts`` and ``/api/v1/recovery/password``
(``app/api/auth.py``), which call ``bidding.certificates.login``."""
from __future__ import annotations

from flask import current_app, render_template

from app.certificates.proof import request_origin
from bidding.accounts.services import MIN_PASSWORD_LENGTH


def recover():  # type: ignore[no-untyped-def]
    """The recovery page (anyone: it is for those who cannot log in)."""
    return render_template("auth/recover.html", agent_url=current_app.config["AGENT_URL"],
                           platform_origin=request_origin(), min_password_length=MIN_PASSWORD_LENGTH)
