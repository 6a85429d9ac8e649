"""The JSON API against its own OpenAPI document (``/api/v1/openapi.json``), with schemathesis:
every operation, a bounded and derandomised number of generated requests, as an anonymous visitor and
as a logged-in supplier staff account (session cookie and the X-CSRFToken header from /api/v1/csrf,
CSRF protection on as in production). No answer may be a 5xx, and every answer must be documented:
its status code, content type and body schema. flask-smorest adds a catch-all ``default`` error
answer to every operation, which would make any status code "documented": the test drops it, so each
status code an operation can answer must be listed with its own ``alt_response``.

One backend (SQLite) is enough: the document and the views are the same on both."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from support.auth import PASSWORD, make_accounts
from support.devca import institution

from pki.devca import DevCA

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
EXAMPLES = 25


@pytest.fixture
def schema_app(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True)
    make_accounts(app, ("supplier", "operator"))
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])   # the app's own trust list
    ca.init(["netca"], at=clock.now() - timedelta(days=7))
    ca.ensure_service_certificate("transport", Path(app.config["DEVCA_DIR"]) / "platform", institution(9), profile="netca",
                                  at=clock.now() - timedelta(days=1))    # the self-test's transport key
    return app


def _headers(app, username: str | None) -> dict[str, str]:
    """A session of its own (logged in as ``username`` unless None) and its CSRF token."""
    client = app.test_client()
    token = client.get("/api/v1/csrf").json["csrf_token"]
    if username is not None:
        answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD},
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 200, answer.json
        token = answer.json["csrf_token"]
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return {"X-CSRFToken": token}, {cookie.key: cookie.value}


def _schema(app):
    """The app's document without the catch-all ``default`` answers (module docstring)."""
    document = app.test_client().get("/api/v1/openapi.json").json
    for path in document["paths"].values():
        for operation in path.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema


def _checker(operation, headers: dict[str, str], cookies: dict[str, str]):
    """A Hypothesis test of one operation: generated requests, each answer validated."""
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=operation.as_strategy())
    def check(case) -> None:
        response = case.call(headers=headers, cookies=cookies)
        case.validate_response(response, checks=CHECKS, headers=headers)
    return check


def _run(app, username: str | None) -> list[str]:
    schema = _schema(app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        headers, cookies = _headers(app, username)      # a fresh session: DELETE /session ends it
        try:
            _checker(operation, headers, cookies)()
        except (Exception, BaseExceptionGroup) as exc:   # noqa: BLE001 - gather every failure, report all
            failures.append(f"{operation.label} as {username or 'anonymous'}: {exc}")
    return failures


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_operation_as_anonymous(schema_app):
    failures = _run(schema_app, None)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_operation_as_supplier_staff(schema_app):
    failures = _run(schema_app, "supplier")
    assert not failures, "\n\n".join(failures)
