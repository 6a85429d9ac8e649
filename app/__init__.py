"""The Flask application: :func:`create_app` is the only place that wires things together."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from bidding.clock import SystemClock
from config.settings import PROJECT_ROOT, load_settings, secret_key

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(test_config: Mapping[str, Any] | None = None, *,
               instance_path: str | os.PathLike[str] | None = None) -> Flask:
    """Build the application.

    ``test_config`` overrides settings (and selects the ``testing`` environment unless it names
    ``ENV_NAME``); it may carry ``INSTANCE_PATH`` and ``CLOCK`` (a :class:`bidding.clock.Clock`).
    Without it the environment comes from ``EBID_ENV`` (default ``development``).
    """
    overrides = dict(test_config or {})
    instance = (instance_path or overrides.pop("INSTANCE_PATH", None)
                or os.environ.get("EBID_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=str(Path(instance).resolve()),
                template_folder=str(PROJECT_ROOT / "templates"), static_folder="static")
    env = overrides.get("ENV_NAME") or ("testing" if test_config is not None else None)
    app.config.update(load_settings(env, Path(app.instance_path)))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(Path(app.instance_path))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["FILE_STORE"]).mkdir(parents=True, exist_ok=True)

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable in JSON
    from app.logs import configure_logging
    configure_logging(app)
    _init_extensions(app)
    app.extensions["clock"] = app.config.pop("CLOCK", None) or SystemClock()
    app.extensions["nav"] = []

    from app import errors, cli
    from app.agreements import bp as agreements_bp
    from app.api import init_api
    from app.auth import bp as auth_bp
    from app.award import bp as award_bp
    from app.bids import bp as bids_bp
    from app.contracts import bp as contracts_bp
    from app.certificates import bp as certificates_bp
    from app.documents import bp as documents_bp
    from app.evaluation import bp as evaluation_bp
    from app.experts import bp as experts_bp
    from app.main import bp as main_bp
    from app.opening import bp as opening_bp
    from app.operator import bp as operator_bp
    from app.parties import bp as parties_bp
    from app.pkiweb import bp as pkiweb_bp
    from app.publication import bp as publication_bp
    from app.tenders import bp as tenders_bp
    from app.verify import bp as verify_bp
    from app.routing import RowIdConverter
    errors.register_error_handlers(app)
    cli.register(app)
    app.url_map.converters["int"] = RowIdConverter     # before any rule: ids fit the database
    app.register_blueprint(main_bp)
    app.register_blueprint(pkiweb_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(parties_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(agreements_bp)
    app.register_blueprint(tenders_bp)
    app.register_blueprint(bids_bp)
    app.register_blueprint(opening_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(operator_bp)
    app.register_blueprint(experts_bp)
    app.register_blueprint(evaluation_bp)
    app.register_blueprint(publication_bp)
    app.register_blueprint(award_bp)
    app.register_blueprint(contracts_bp)
    init_api(app)

    @app.context_processor
    def _nav() -> dict[str, Any]:
        return {"nav_items": app.extensions["nav"]}

    return app


def _init_extensions(app: Flask) -> None:
    from app.auth import sessions  # noqa: F401  (registers the log-in manager's user loader)
    from app.extensions import csrf, db, limiter, login_manager, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, record: Any) -> None:
    """WAL lets readers run beside the one writer; writers wait (busy timeout) rather than fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
