"""Public PKI services of the platform: CRL distribution and the RFC 3161 time-stamping authority.

Both are machine endpoints: no CSRF (they take no browser forms), no session.
"""
from flask import Blueprint

from app.extensions import csrf
from app.pkiweb import views

bp = Blueprint("pkiweb", __name__)
bp.add_url_rule("/crl/<name>.crl", view_func=views.crl, methods=["GET"])
bp.add_url_rule("/tsa", view_func=views.tsa, methods=["POST"])
csrf.exempt(views.tsa)
