"""Refusals are 4xx answers with a Chinese reason, as HTML pages or JSON; CSRF is enforced."""
from __future__ import annotations

import re

import pytest
from flask import Blueprint, render_template_string, request

from bidding.errors import Conflict, DomainError, NotFound
from pki.envelope import IntegrityError
from pki.errors import PkiError
from pki.pkcs11 import PinIncorrect

FORM = """{% extends "base.html" %}{% block content %}
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input name="name"><button>提交</button></form>{% endblock %}"""

# HTTP behaviour only: one database backend is enough (the DB tests run on both).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class DeadlinePassed(Conflict):
    code = "deadline_passed"
    message = "投标截止时间已过 (the bid deadline has passed)"


class _DiskFull(PkiError):
    code = "store_write_failed"
    message = "写入文件失败 (writing the file failed)"
    kind = "io"


def _add_test_routes(app) -> None:
    """Routes a later blueprint would have: one raising domain errors, one POST form."""
    bp = Blueprint("t", __name__)

    @bp.route("/t/refuse/<kind>")
    def refuse(kind: str):
        if kind == "conflict":
            raise DeadlinePassed(tender="T-1")
        if kind == "missing":
            raise NotFound()
        raise DomainError()

    @bp.route("/api/t/refuse")
    def api_refuse():
        raise DeadlinePassed(tender="T-1")

    @bp.route("/t/form", methods=["GET", "POST"])
    def form():
        if request.method == "POST":
            return f"已保存 {request.form['name']}"
        return render_template_string(FORM)

    @bp.route("/t/boom")
    def boom():
        raise RuntimeError("a bug")

    @bp.route("/t/pki/<kind>")
    def pki_refuse(kind: str):
        if kind == "pin":
            raise PinIncorrect(2)
        if kind == "tampered":
            raise IntegrityError()
        raise _DiskFull("/srv/store/envelopes/secret-path.der")

    app.register_blueprint(bp)


@pytest.fixture
def test_app(app):
    _add_test_routes(app)
    return app


def test_not_found_page_is_chinese_html(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "页面不存在" in page and "返回首页" in page and response.headers["X-Request-ID"] in page


def test_not_found_is_json_for_json_clients(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "http_404"
    assert response.json["error"]["message"].startswith("页面不存在")


def test_method_not_allowed_keeps_allow_header(client):
    response = client.get("/tsa")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.json["error"]["message"].startswith("不支持此请求方法")


def test_domain_errors_become_their_status(test_app):
    client = test_app.test_client()
    response = client.get("/t/refuse/conflict")
    assert response.status_code == 409
    assert "投标截止时间已过" in response.get_data(as_text=True)
    assert client.get("/t/refuse/missing").status_code == 404
    generic = client.get("/t/refuse/other")
    assert generic.status_code == 400 and "操作无法完成" in generic.get_data(as_text=True)
    api = client.get("/api/t/refuse")
    assert api.status_code == 409
    assert api.json["error"] == {"code": "deadline_passed",
                                 "message": "投标截止时间已过 (the bid deadline has passed)",
                                 "details": {"tender": "T-1"},
                                 "request_id": api.headers["X-Request-ID"]}


def test_wrong_pin_is_a_4xx_page_in_chinese_and_json_for_json_clients(test_app):
    client = test_app.test_client()
    page = client.get("/t/pki/pin")
    assert 400 <= page.status_code < 500
    assert page.mimetype == "text/html"
    assert "PIN 码错误，还可尝试 2 次" in page.get_data(as_text=True)
    api = client.get("/t/pki/pin", headers={"Accept": "application/json"})
    assert api.status_code == page.status_code
    error = api.json["error"]
    assert error["code"] == PinIncorrect(2).code and error["message"].startswith("PIN 码错误")
    assert error["request_id"] == api.headers["X-Request-ID"]


def test_pki_integrity_error_is_422(test_app):
    client = test_app.test_client()
    page = client.get("/t/pki/tampered")
    assert page.status_code == 422
    assert "数字信封完整性校验失败" in page.get_data(as_text=True)
    api = client.get("/t/pki/tampered", headers={"Accept": "application/json"})
    assert api.status_code == 422
    assert api.json["error"]["code"] == "envelope_tampered"


def test_pki_io_error_is_a_generic_500(test_app, caplog):
    response = test_app.test_client().get("/t/pki/io", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "secret-path" not in response.get_data(as_text=True)
    assert any(r.levelname == "ERROR" and getattr(r, "error_code", None) == "store_write_failed"
               for r in caplog.records)


def test_unexpected_exception_is_a_500_page_outside_tests(test_app):
    test_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = test_app.test_client().get("/t/boom")
    assert response.status_code == 500
    assert "服务器内部错误" in response.get_data(as_text=True)
    assert "a bug" not in response.get_data(as_text=True)


def test_csrf_is_enforced_on_post_forms(test_app):
    test_app.config["WTF_CSRF_ENABLED"] = True
    client = test_app.test_client()
    refused = client.post("/t/form", data={"name": "甲"})
    assert refused.status_code == 400
    assert "安全令牌" in refused.get_data(as_text=True)
    page = client.get("/t/form").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    wrong = client.post("/t/form", data={"name": "甲", "csrf_token": token[:-2] + "xx"})
    assert wrong.status_code == 400
    accepted = client.post("/t/form", data={"name": "甲", "csrf_token": token})
    assert accepted.status_code == 200 and accepted.get_data(as_text=True) == "已保存 甲"
