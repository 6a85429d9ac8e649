"""The contract (政府采购合同) pages: the purchaser drafts it from a notified award, both parties stamp
it with their cross-page seal through the local signing agent, the winner may refuse with a reason,
the purchaser files it; both see its history, a supervisor the filed ones. Every URL of the
blueprint is listed here; the state changes are in ``bidding.contracts.services``, stamping in
``app/api/documents.py`` (app/static/js/stamp.js); the JSON twin is ``app/api/contracts.py``."""
from flask import Blueprint

from app.contracts import views

bp = Blueprint("contracts", __name__)
bp.add_url_rule("/contracts", view_func=views.index)
bp.add_url_rule("/contracts/draft/<int:award_id>", view_func=views.new, methods=["GET", "POST"])
bp.add_url_rule("/contracts/<int:contract_id>", view_func=views.detail)
bp.add_url_rule("/contracts/<int:contract_id>/revise", view_func=views.revise, methods=["GET", "POST"])
bp.add_url_rule("/contracts/<int:contract_id>/refuse", view_func=views.refuse, methods=["POST"])
bp.add_url_rule("/contracts/<int:contract_id>/file", view_func=views.file, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/contract", view_func=views.tender_contract)
