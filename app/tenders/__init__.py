"""Procurement projects and tenders (采购项目与招标): the public list of tender notices and each
tender's page for everyone; the agency creates a project under a filed delegation agreement,
uploads and stamps the 招标文件, publishes and amends; the purchaser reviews and stamps its review
opinion; suppliers register (报名) and download. Every URL of the blueprint is listed here; the
state changes are in ``bidding.tenders``, stamping in ``app/api/documents.py`` (stamp.js)."""
from flask import Blueprint

from app.tenders import views

bp = Blueprint("tenders", __name__)
bp.add_url_rule("/tenders", view_func=views.index)
bp.add_url_rule("/tenders/mine", view_func=views.mine)
bp.add_url_rule("/projects/new", view_func=views.new_project, methods=["GET", "POST"])
bp.add_url_rule("/tenders/<int:tender_id>", view_func=views.detail)
bp.add_url_rule("/tenders/<int:tender_id>/documents", view_func=views.upload_documents, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/review", view_func=views.review, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/publish", view_func=views.publish, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/amendments", view_func=views.amend, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/registration", view_func=views.register, methods=["POST"])
bp.add_url_rule("/tenders/<int:tender_id>/documents.pdf", view_func=views.documents_pdf)
bp.add_url_rule("/tenders/<int:tender_id>/review.pdf", view_func=views.review_pdf)
bp.add_url_rule("/tenders/<int:tender_id>/amendments/<int:seq>.pdf", view_func=views.amendment_pdf)
