"""Bids (投标): the supplier's bid page for a tender (its encryption certificates, how to seal the
bid with ``bidtool pack``, the resumable upload in the page, its bids with their receipts,
withdrawal), the list of its bids, and what the tender's agency sees before the opening. Every URL
of the blueprint is listed here; the upload itself is ``app/api/bids.py`` (app/static/js/upload.js,
docs/uploads.md), the use cases ``bidding.bids.services``."""
from flask import Blueprint

from app.bids import views

bp = Blueprint("bids", __name__)
bp.add_url_rule("/bids", view_func=views.index)
bp.add_url_rule("/tenders/<int:tender_id>/bid", view_func=views.tender_bid)
bp.add_url_rule("/bids/<string(maxlength=40):bid_id>/withdraw", view_func=views.withdraw, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/bids", view_func=views.received)
bp.add_app_template_filter(views.beijing_ms, "beijing_ms")
bp.add_app_template_filter(views.filesize, "filesize")
