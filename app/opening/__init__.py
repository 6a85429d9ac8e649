"""The opening hall's page (开标大厅): one page per tender for its agency, purchaser, supervisors and
registered suppliers, kept live by app/static/js/opening-hall.js from ``GET
/api/v1/tenders/<id>/opening`` (``app/api/opening_hall.py``), through which it also signs in, raises
and answers objections, has the record generated and publishes; the bidder's decryption goes through
the local agent and ``app/api/opening.py``, the record's stamp through stamp.js. Every URL of the
blueprint is listed here."""
from flask import Blueprint

from app.opening import listeners as _listeners  # noqa: F401  (registers the record's making at the close)
from app.opening import views

bp = Blueprint("opening", __name__)
bp.add_url_rule("/tenders/<int:tender_id>/opening", view_func=views.hall_page)
