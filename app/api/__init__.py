"""The JSON API (``/api/v1``) with flask-smorest: the views' own marshmallow schemas make the
OpenAPI document, served at ``/api/v1/openapi.json`` (settings ``OPENAPI_URL_PREFIX`` and
``OPENAPI_JSON_PATH``). The API calls the same service functions as the pages.

Errors are answered by ``app/errors.py`` for pages and API alike (flask-smorest's own handler is
not installed), in the shape of :class:`app.api.schemas.ErrorSchema`, which every documented
error answer refers to. CSRF: the API is not exempt; see docs/architecture.md, "Sessions and the
API".
"""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.api.schemas import ErrorSchema


class PlatformApi(Api):
    """flask-smorest's ``Api`` with the platform's error schema and error handling."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Nothing: ``app/errors.py`` answers every error of the application in one shape."""


def init_api(app: Flask) -> PlatformApi:
    """A new ``Api`` on ``app`` (one per app: the spec belongs to the app) with every API blueprint."""
    from app.api import (agreements, auth, award, bids, certificates, contracts, desk, documents, evaluation, experts,
                         notices, opening, opening_hall, operator, parties, selftest, tenders, verify)
    api = PlatformApi(app, spec_kwargs={"info": {
        "description": "电子招投标平台的 JSON 接口；会话 Cookie 认证，写操作需 X-CSRFToken 头 "
                       "(session cookie; writes need the X-CSRFToken header from GET /api/v1/csrf)"}})
    api.register_blueprint(auth.blp)
    api.register_blueprint(parties.blp)
    api.register_blueprint(certificates.blp)
    api.register_blueprint(desk.blp)
    api.register_blueprint(selftest.blp)
    api.register_blueprint(notices.blp)
    api.register_blueprint(documents.blp)
    api.register_blueprint(agreements.blp)
    api.register_blueprint(tenders.blp)
    api.register_blueprint(bids.blp)
    api.register_blueprint(opening.blp)
    api.register_blueprint(opening_hall.blp)
    api.register_blueprint(verify.blp)
    api.register_blueprint(operator.blp)
    api.register_blueprint(experts.blp)
    api.register_blueprint(evaluation.blp)
    api.register_blueprint(award.blp)
    api.register_blueprint(contracts.blp)
    return api
