"""Home page (the trusted CAs) and the health check. Every URL of the blueprint is listed here."""
from flask import Blueprint

from app.main import views

bp = Blueprint("main", __name__)
bp.add_url_rule("/", view_func=views.home)
bp.add_url_rule("/healthz", view_func=views.healthz)
bp.record_once(lambda state: state.app.extensions["nav"].append(("main.home", "首页")))
