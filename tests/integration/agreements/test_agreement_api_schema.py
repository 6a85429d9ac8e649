"""The agreement, document and verification operations of the JSON API against their OpenAPI
document (schemathesis, as tests/integration/test_api_schema.py does for every operation as an
anonymous visitor and a supplier), here as the purchaser and the agency, with an agreement and its
document in the database so that generated requests also reach the use cases. No 5xx, every answer
documented."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from support.agreements import draft
from support.auth import PASSWORD

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
PREFIXES = ("/api/v1/agreements", "/api/v1/agencies", "/api/v1/documents", "/api/v1/stamp-sessions", "/api/v1/verify")


def _schema(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    document["paths"] = {p: ops for p, ops in document["paths"].items() if p.startswith(PREFIXES)}
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema


def _session(app, username: str):
    client = app.test_client()
    token = client.get("/api/v1/csrf").json["csrf_token"]
    answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.json
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return {"X-CSRFToken": answer.json["csrf_token"]}, {cookie.key: cookie.value}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("username", ["purchaser", "agency"])
def test_agreement_operations(world, username):
    app, _, parties = world
    draft(app, parties)
    app.config["WTF_CSRF_ENABLED"] = True
    failures = []
    for result in _schema(app).get_all_operations():
        operation = result.ok()
        headers, cookies = _session(app, username)

        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(case=operation.as_strategy())
        def check(case) -> None:
            response = case.call(headers=headers, cookies=cookies)
            case.validate_response(response, checks=CHECKS, headers=headers)
        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:   # noqa: BLE001 - gather every failure
            failures.append(f"{operation.label} as {username}: {exc}")
    assert not failures, "\n\n".join(failures)
