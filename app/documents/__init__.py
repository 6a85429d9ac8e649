"""Documents the platform generated, as their parties download them (each revision is a PDF with
one more stamp). Every URL of the blueprint is listed here; stamping is done by the pages' script
(app/static/js/stamp.js) through ``app/api/documents.py``."""
from flask import Blueprint

from app.documents import views

bp = Blueprint("documents", __name__)
bp.add_url_rule("/documents/<public_id>.pdf", view_func=views.download)
bp.add_url_rule("/documents/<public_id>/revisions/<int:seq>.pdf", view_func=views.download)
