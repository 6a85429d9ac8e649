"""Migrations: upgrade from nothing, downgrade, upgrade again; the models match the migrations."""
from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from app.extensions import db
from bidding.audit.models import GENESIS_DIGEST, AuditChainHead

TABLES = {"party", "audit_entry", "audit_chain_head", "alembic_version"}


def test_upgrade_downgrade_upgrade(empty_db_url, make_app):
    app = make_app(empty_db_url)
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) == set()
        flask_migrate.upgrade()
        assert TABLES <= set(inspect(db.engine).get_table_names())
        head = db.session.get(AuditChainHead, 1)
        assert (head.entries, head.last_sha256, head.last_sm3) == (0, GENESIS_DIGEST, GENESIS_DIGEST)
        db.session.remove()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert TABLES <= set(inspect(db.engine).get_table_names())


def test_models_match_migrations(app):
    """Autogenerate finds nothing to do: every model change came with its migration."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_flask_db_upgrade_command_is_idempotent(runner, app):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(AuditChainHead.entries)).scalar_one() == 0
