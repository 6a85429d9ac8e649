"""Helpers shared by the CLI tests (imported as ``support.cli``)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)   # the frozen clock of tests/conftest.py


def build_app(db_url: str, instance: Path, clock):
    from app import create_app
    devca = instance / "devca"
    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": "test-secret-key", "FILE_STORE": str(instance / "files"),
                       "DEVCA_DIR": str(devca), "CRL_DIR": str(devca / "crl"),
                       "TRUST_ANCHORS_DIR": str(devca / "anchors"), "CLOCK": clock})


def invoke(app, *args: str, env: dict[str, str] | None = None):
    """Run ``flask <args>`` through the app's test CLI runner (stdout and stderr kept apart)."""
    return app.test_cli_runner().invoke(args=list(args), env=env)


def dispose(app) -> None:
    """Close the app's pooled connections (PostgreSQL can then drop the database)."""
    from app.extensions import db
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def assert_one_line_error(result) -> str:
    """The command failed (exit ≠ 0, no traceback) with exactly one line of message."""
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    text = (result.stderr or "").strip()
    assert "Traceback" not in text and "Traceback" not in result.output
    assert text and len(text.splitlines()) == 1, f"not one line: {text!r}"
    return text
