"""A party's certificates (我的证书): the list of its bindings and the page that binds one through
the local signing agent. Every URL of the blueprint is listed here; the JSON the bind page and the
log-in page's certificate card call is in ``app/api/certificates.py``."""
from flask import Blueprint

from app.certificates import desk_views, selftest_views, views

bp = Blueprint("certificates", __name__)
bp.add_url_rule("/certificates", view_func=views.index)
bp.add_url_rule("/certificates/bind", view_func=views.bind)
bp.add_url_rule("/certificates/<int:binding_id>/service", view_func=desk_views.service, methods=["GET", "POST"])
bp.add_url_rule("/operator/service-requests", view_func=desk_views.operator_requests)
bp.add_url_rule("/operator/service-requests/<int:request_id>/review", view_func=desk_views.review_request,
                methods=["POST"])
bp.add_url_rule("/certificates/self-test", view_func=selftest_views.self_test)
