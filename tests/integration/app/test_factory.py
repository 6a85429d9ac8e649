"""The application factory, settings per environment, logging, health check."""
from __future__ import annotations

import json
import logging
import stat
import subprocess
from pathlib import Path

import pytest

from app import create_app
from app.logs import JsonFormatter, RequestContextFilter
from bidding.clock import SystemClock
from config.settings import load_settings


def test_development_defaults(tmp_path, monkeypatch):
    for var in ("DATABASE_URL", "SECRET_KEY", "EBID_ENV", "EBID_FILE_STORE", "EBID_DEVCA_DIR", "EBID_BASE_URL",
                "HOST", "PORT"):
        monkeypatch.delenv(var, raising=False)
    app = create_app(instance_path=tmp_path / "inst")
    assert app.config["ENV_NAME"] == "development"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'ebid.sqlite3'}"
    assert app.config["FILE_STORE"] == str(tmp_path / "inst" / "files")
    assert (tmp_path / "inst" / "files").is_dir()
    assert app.config["WTF_CSRF_ENABLED"] is True and not app.testing
    assert isinstance(app.extensions["clock"], SystemClock)
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_secret_key_generated_once_with_private_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app(instance_path=tmp_path).config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64
    assert create_app(instance_path=tmp_path).config["SECRET_KEY"] == first


def test_environment_variables_select_database_and_secret(tmp_path, monkeypatch):
    url = "postgresql+psycopg://ebid@/ebid?host=/run/postgresql"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("EBID_ENV", "production")
    app = create_app(instance_path=tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="EBID_ENV"):
        load_settings("staging", tmp_path)


def test_test_config_selects_testing_and_injects_clock(app, clock):
    assert app.testing and app.config["ENV_NAME"] == "testing"
    assert app.extensions["clock"] is clock


def test_healthz_reports_database_and_clock(client, clock):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "time": clock.now().isoformat()}
    assert len(response.headers["X-Request-ID"]) == 32


def test_request_id_is_taken_from_a_sane_header_only(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-1234-xyz"}) \
        .headers["X-Request-ID"] == "abc-1234-xyz"
    bad = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"})
    assert bad.headers["X-Request-ID"] != "bad id; with spaces"


def test_log_lines_are_json_with_request_context(app):
    record = logging.LogRecord("ebid.test", logging.WARNING, __file__, 1, "投标 %s", ("已受理",), None)
    with app.test_request_context("/x", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        from flask import g
        g.request_id = "req-00000001"
        RequestContextFilter().filter(record)
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert "\n" not in line
    assert data["message"] == "投标 已受理"
    assert data["level"] == "WARNING"
    assert data["request_id"] == "req-00000001"
    assert data["remote_addr"] == "192.0.2.7"
    assert data["path"] == "/x"
    assert data["time"].endswith("Z")


def test_wsgi_module_builds_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("EBID_INSTANCE_PATH", str(tmp_path))
    import importlib
    import wsgi
    module = importlib.reload(wsgi)
    assert Path(module.app.instance_path) == tmp_path.resolve()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_setup_dev_is_idempotent_and_publishes_the_dev_ca(runner, client, tmp_path):
    """`flask setup-dev` twice; then the CRLs are served (OpenSSL reads them) and the home page
    shows each CA's certificates."""
    for _ in range(2):
        result = runner.invoke(args=["setup-dev"])
        assert result.exit_code == 0, result.output
        assert "setup-dev: done" in result.output
    response = client.get("/crl/netca-rsa.crl")
    assert response.status_code == 200
    crl = tmp_path / "netca-rsa.crl"
    crl.write_bytes(response.data)
    out = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", str(crl), "-noout", "-issuer"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="anchors"') == 5 and "尚未安装" not in page
