"""The award's pages (定标, docs/award.md). Every URL of the blueprint is listed here; the state
changes are in ``bidding.award.services``, stamping through ``app/api/documents.py``
(app/static/js/stamp.js); the JSON twin is ``app/api/award.py``.

- the tender's purchaser: ``/tenders/<id>/award`` (the ranking, the choice, the confirmation's stamp)
- the tender's agency (and the purchaser, reading): ``/tenders/<id>/award/notices`` (make the notices,
  stamp them one by one)
- a bidder: ``/tenders/<id>/award/my-notice`` (its own notice, once stamped)
- ``/tenders/<id>/award/documents/<public id>.pdf``: each PDF for whoever may read it
"""
from flask import Blueprint

from app.award import views

bp = Blueprint("award", __name__)
bp.add_url_rule("/tenders/<int:tender_id>/award", view_func=views.confirm_page, methods=["GET", "POST"])
bp.add_url_rule("/tenders/<int:tender_id>/award/notices", view_func=views.notices_page, methods=["GET", "POST"])
bp.add_url_rule("/tenders/<int:tender_id>/award/my-notice", view_func=views.my_notice_page)
bp.add_url_rule("/tenders/<int:tender_id>/award/documents/<public_id>.pdf", view_func=views.document_pdf)
