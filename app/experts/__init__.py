"""The expert area's pages (docs/experts.md). Every URL of the blueprint is listed here; the JSON
twin is ``app/api/experts.py``.

- the operator's pool: ``/operator/experts`` (list, add), ``…/<id>/conflicts``, ``…/<id>/active``
- the agency's draw on its tender: ``/tenders/<id>/experts`` (draw, status; the list from the
  evaluation start — opening it goes through the local agent and the API)
- the expert's own pages (one-time-code session): ``/experts/sign-in``, ``/experts/sign-out``,
  ``/experts/assignments`` (confirm/decline), ``/experts/assignments/<id>/commitment`` (signing step)
"""
from flask import Blueprint

from app.experts import views

bp = Blueprint("experts", __name__)
bp.add_url_rule("/operator/experts", view_func=views.pool_page)
bp.add_url_rule("/operator/experts", endpoint="add_expert", view_func=views.add_expert, methods=["POST"])
bp.add_url_rule("/operator/experts/<int:expert_id>/conflicts", view_func=views.declare_conflict, methods=["POST"])
bp.add_url_rule("/operator/experts/<int:expert_id>/active", view_func=views.set_active, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/experts", view_func=views.draw_page)
bp.add_url_rule("/tenders/<int:tender_id>/experts", endpoint="draw", view_func=views.draw, methods=["POST"])
bp.add_url_rule("/experts/sign-in", view_func=views.sign_in, methods=["GET", "POST"])
bp.add_url_rule("/experts/sign-out", view_func=views.sign_out, methods=["POST"])
bp.add_url_rule("/experts/assignments", view_func=views.assignments)
bp.add_url_rule("/experts/assignments/<int:assignment_id>/answer", view_func=views.answer, methods=["POST"])
bp.add_url_rule("/experts/assignments/<int:assignment_id>/commitment", view_func=views.commitment,
                methods=["GET", "POST"])
