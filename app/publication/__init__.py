"""Open publication (公开发布, docs/publication.md): a tender's OCDS release package, public and
anonymous. Every URL of the blueprint is listed here; the package is built by
``bidding.publication.ocds``."""
from flask import Blueprint

from app.publication import views

bp = Blueprint("publication", __name__)
bp.add_url_rule("/tenders/<int:tender_id>/ocds.json", view_func=views.ocds_package)
