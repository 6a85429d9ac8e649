"""Delegation agreements (委托协议): the purchaser drafts one with an agency, both stamp it through
their local signing agent, the agency may refuse with a reason, either files it; each side sees its
history. Every URL of the blueprint is listed here; the state changes are in
``bidding.agreements.services``, stamping in ``app/api/documents.py`` (app/static/js/stamp.js)."""
from flask import Blueprint

from app.agreements import views

bp = Blueprint("agreements", __name__)
bp.add_url_rule("/agreements", view_func=views.index)
bp.add_url_rule("/agreements/new", view_func=views.new, methods=["GET", "POST"])
bp.add_url_rule("/agreements/<int:agreement_id>", view_func=views.detail)
bp.add_url_rule("/agreements/<int:agreement_id>/revise", view_func=views.revise, methods=["GET", "POST"])
bp.add_url_rule("/agreements/<int:agreement_id>/refuse", view_func=views.refuse, methods=["POST"])
bp.add_url_rule("/agreements/<int:agreement_id>/file", view_func=views.file, methods=["POST"])
bp.add_app_template_filter(views.yuan, "yuan")
bp.add_app_template_filter(views.beijing, "beijing")
