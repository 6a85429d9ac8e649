"""The JSON API's session endpoints, its CSRF rule, its error shape, and the OpenAPI document the
library makes from the views' schemas."""
from __future__ import annotations

import pytest

from support.auth import PASSWORD, make_accounts


@pytest.fixture
def accounts(app):
    return make_accounts(app, ("supplier", "operator"))


def test_log_in_me_log_out(client, accounts):
    assert client.get("/api/v1/me").status_code == 401
    response = client.post("/api/v1/session", json={"username": "supplier", "password": PASSWORD})
    assert response.status_code == 200
    account = response.json["account"]
    assert account["username"] == "supplier" and account["role"] == "supplier_staff"
    assert account["party"]["kind"] == "supplier" and account["party"]["name"] == "测试供应商甲"
    assert "password" not in str(response.json) and response.json["csrf_token"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["id"] == accounts["supplier"]
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    assert client.delete("/api/v1/session").status_code == 401


def test_refusals_use_the_error_shape(client, accounts):
    wrong = client.post("/api/v1/session", json={"username": "supplier", "password": "wrong-one"})
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "login_failed"
    assert wrong.json["error"]["message"] == "用户名或口令错误 (wrong user name or password)"
    assert set(wrong.json["error"]) == {"code", "message", "details", "request_id"}
    unknown = client.post("/api/v1/session", json={"username": "nobody", "password": "wrong-one"})
    assert unknown.json["error"]["message"] == wrong.json["error"]["message"]
    bad = client.post("/api/v1/session", json={"username": "supplier"})
    assert bad.status_code == 422
    assert bad.json["error"]["code"] == "http_422"
    assert "password" in bad.json["error"]["details"]["fields"]["json"]
    for _ in range(5):      # the fifth failure locks
        client.post("/api/v1/session", json={"username": "operator", "password": "wrong-one"})
    locked = client.post("/api/v1/session", json={"username": "operator", "password": PASSWORD})
    assert locked.status_code == 403 and locked.json["error"]["code"] == "account_locked"
    assert locked.json["error"]["details"]["unlocks_at"] == "2026-11-23T08:15:00+00:00"
    not_logged_in = client.get("/api/v1/me")
    assert not_logged_in.json["error"]["code"] == "login_required"


def test_api_writes_need_the_csrf_header(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, WTF_CSRF_ENABLED=True)
    make_accounts(app, ("operator",))
    client = app.test_client()
    credentials = {"username": "operator", "password": PASSWORD}
    refused = client.post("/api/v1/session", json=credentials)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    token = client.get("/api/v1/csrf").json["csrf_token"]
    response = client.post("/api/v1/session", json=credentials, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    new_token = response.json["csrf_token"]
    assert new_token != token                                     # the session was renewed
    assert client.delete("/api/v1/session").status_code == 400
    assert client.delete("/api/v1/session", headers={"X-CSRFToken": token}).status_code == 400
    assert client.delete("/api/v1/session", headers={"X-CSRFToken": new_token}).status_code == 204


def _refs(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"] == "v1"
    assert {"/api/v1/session", "/api/v1/me", "/api/v1/csrf"} <= set(spec["paths"])
    assert {"post", "delete"} <= set(spec["paths"]["/api/v1/session"])
    # every $ref points at something that exists
    for ref in _refs(spec, set()):
        section, kind, name = ref.removeprefix("#/").split("/")
        assert name in spec[section][kind], ref
    # every documented error answer uses the one Error schema
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":      # path-level parameters (e.g. {registration_id}), not an operation
                continue
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) or status == "default":
                    if "$ref" in answer:
                        answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
                    assert answer["content"]["application/json"]["schema"] == error, (path, method, status)
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"error"}
    assert set(spec["components"]["schemas"]["ErrorDetail"]["properties"]) == {
        "code", "message", "details", "request_id"}
    login = spec["components"]["schemas"]["Login"]
    assert set(login["required"]) == {"username", "password"}

