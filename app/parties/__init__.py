"""Registration (主体入库), its review by operators, and the party's own page (data, certificate
handler, notices, commitment letter). Every URL of the blueprint is listed here; the state changes
are in ``bidding.parties``."""
from flask import Blueprint

from app.parties import notice_views, views

bp = Blueprint("parties", __name__)
bp.add_url_rule("/register", view_func=views.register, methods=["GET", "POST"])
bp.add_url_rule("/register/<int:registration_id>/status", view_func=views.registration_status)
bp.add_url_rule("/operator/registrations", view_func=views.operator_registrations)
bp.add_url_rule("/operator/registrations/<int:registration_id>", view_func=views.operator_registration)
bp.add_url_rule("/operator/registrations/<int:registration_id>/licence", view_func=views.licence)
bp.add_url_rule("/operator/registrations/<int:registration_id>/review", view_func=views.review, methods=["POST"])
bp.add_url_rule("/party", view_func=views.party)
bp.add_url_rule("/party/handler", view_func=views.change_handler, methods=["POST"])
bp.add_url_rule("/party/notices/<int:notice_id>/read", view_func=notice_views.read_notice, methods=["POST"])
bp.add_url_rule("/party/notices/read", view_func=notice_views.read_all_notices, methods=["POST"])
bp.add_url_rule("/party/commitment-letter", view_func=views.commitment_letter)
