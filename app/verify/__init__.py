"""The public verification page (验签): no log-in. Every URL of the blueprint is listed here; the
JSON form is ``app/api/verify.py``, the checks are ``bidding.documents.verification``."""
from flask import Blueprint

from app.verify import views

bp = Blueprint("verify", __name__)
bp.add_url_rule("/verify", view_func=views.verify_page, methods=["GET", "POST"])
bp.add_app_template_filter(views.b64, "b64")
