"""Operators' pages about the platform itself: the development notifier's outbox (发件箱). Every URL
of the blueprint is listed here; the JSON twin is ``app/api/operator.py``."""
from flask import Blueprint

from app.operator import views

bp = Blueprint("operator", __name__)
bp.add_url_rule("/operator/outbox", view_func=views.outbox)
