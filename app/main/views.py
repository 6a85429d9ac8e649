"""Views of the home page and the health check."""
from __future__ import annotations

import logging

from flask import current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import context
from app.extensions import db
from app.trust import TrustListUnavailable, profile_views, trust_list

log = logging.getLogger(__name__)


def home() -> ResponseReturnValue:
    """首页: what the platform offers now (trust list, CRLs, the timestamp service, bidtool), what
    comes next, and the trusted CAs with their profiles. Addresses come from ``PUBLIC_BASE_URL``."""
    try:
        profiles, problem = profile_views(trust_list()), None
    except TrustListUnavailable as exc:
        log.warning("trust list unavailable: %s", exc)
        profiles, problem = [], str(exc)
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return render_template("main/home.html", profiles=profiles, problem=problem, base_url=base_url,
                           tsa_url=f"{base_url}/tsa", crl_pattern=f"{base_url}/crl/<CA>-<算法>.crl")


def healthz() -> ResponseReturnValue:
    """Liveness and database reachability, as JSON (503 when the database does not answer)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        log.error("health check: database unreachable: %s", exc)
        database = "unreachable"
    finally:
        db.session.rollback()
    ok = database == "ok"
    body = {"status": "ok" if ok else "degraded", "database": database,
            "time": context.clock().now().isoformat()}
    return jsonify(body), 200 if ok else 503
