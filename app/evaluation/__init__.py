"""The evaluation's pages (docs/evaluation.md). Every URL of the blueprint is listed here; the JSON
twin is ``app/api/evaluation.py``.

- the tender's agency: ``/tenders/<id>/evaluation`` (scheme, progress, summary),
  ``…/evaluation/scheme`` (set it, JSON), ``…/evaluation/summary`` (compute it)
- the expert (one-time-code session): ``/experts/evaluations/<tender id>`` (its sheets, the forms),
  ``…/sheets`` (fill one), ``/experts/sheets/<id>/sign`` (code, then signature)
- the evaluation report (评标报告): ``/tenders/<id>/evaluation/report`` (the agency: generate, who
  signed, its stamp through the agent; the purchaser: the final report), ``…/report.pdf``;
  ``/experts/evaluations/<tender id>/report`` (the expert: read, code, sign in the PDF), ``…/report.pdf``
"""
from flask import Blueprint

from app.evaluation import views

bp = Blueprint("evaluation", __name__)
bp.add_url_rule("/tenders/<int:tender_id>/evaluation", view_func=views.agency_page)
bp.add_url_rule("/tenders/<int:tender_id>/evaluation/scheme", view_func=views.set_scheme, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/evaluation/summary", view_func=views.compute_summary, methods=["POST"])
bp.add_url_rule("/experts/evaluations/<int:tender_id>", view_func=views.expert_page)
bp.add_url_rule("/experts/evaluations/<int:tender_id>/sheets", view_func=views.fill_sheet, methods=["POST"])
bp.add_url_rule("/experts/sheets/<int:sheet_id>/sign", view_func=views.sign_sheet, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/evaluation/report", view_func=views.report_page)
bp.add_url_rule("/tenders/<int:tender_id>/evaluation/report/generate", view_func=views.generate_report,
                methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/evaluation/report.pdf", view_func=views.report_file)
bp.add_url_rule("/experts/evaluations/<int:tender_id>/report", view_func=views.expert_report_page)
bp.add_url_rule("/experts/evaluations/<int:tender_id>/report.pdf", view_func=views.expert_report_file)
bp.add_url_rule("/experts/evaluations/<int:tender_id>/report/sign", view_func=views.expert_sign_report,
                methods=["POST"])
