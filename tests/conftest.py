"""Shared test fixtures. Area-specific fixtures live in each area's own conftest.py."""
from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(__file__).resolve().parent / "vectors"


# argon2id at the platform's parameters (argon2-cffi's RFC 9106 low-memory profile: 64 MiB, 3 passes)
# costs about 0.3 s per hash and per log-in, and most tests log in several accounts. They are about
# who may do what, not about the hash, so they hash with cheap parameters; the tests of the hash
# itself (marked production_hasher: tests/integration/accounts/test_accounts.py) keep the platform's
# own, and servers the tests start in other processes (gunicorn, the scenario) use the platform's.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(request, monkeypatch):
    from bidding.accounts import passwords
    if request.node.get_closest_marker("production_hasher") is None:
        monkeypatch.setattr(passwords, "HASHER", CHEAP_HASHER)


@pytest.fixture(scope="session")
def sm2_vectors() -> Path:
    path = VECTORS / "sm2"
    if not path.is_dir():
        pytest.fail(f"the SM2 vectors are missing at {path} (they are part of the repository)")
    return path


# ----------------------------------------------------------------------------- databases
#
# `postgres_server` starts a real PostgreSQL (as the postgres user: initdb refuses root) in a folder
# under /tmp and removes it at the end of the session. `db_url` / `empty_db_url` are parametrised
# over both backends; `db_url` is a fresh database with every migration applied (copied from a
# template that the migrations built once per session), `empty_db_url` a fresh empty one.
# If PostgreSQL cannot start, the tests that need it FAIL: there is no skip.

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_db_names = itertools.count(1)


def _postgres_bin() -> Path:
    base = Path("/usr/lib/postgresql")
    versions = sorted((p for p in base.glob("*") if (p / "bin" / "initdb").is_file()),
                      key=lambda p: int(p.name) if p.name.isdigit() else 0)
    if not versions:
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql "
                    "(apt-get install postgresql; `make test` does it)")
    return versions[-1] / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster reachable through a Unix socket in ``socket_dir``."""

    bin_dir: Path
    socket_dir: Path
    port: int

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@/{name}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name: str, template: str | None = None) -> str:
        import psycopg
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            conn.execute(sql)
        return self.url(name)


def _as_postgres(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def postgres_server():
    """A running PostgreSQL server for the whole session (about a second to start)."""
    bin_dir = _postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="ebid-pg-", dir="/tmp"))
    root.chmod(0o755)
    shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "server.log"
    port = _free_port()
    init = _as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-locale", "--no-sync", cwd=root)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stderr}")
    options = (f"-k {root} -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off "
               f"-c full_page_writes=off")
    start = _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                         "-t", "60", "-o", options, "start", cwd=root)
    if start.returncode != 0:
        text = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {start.stdout}{start.stderr}\n{text}")
    try:
        yield PostgresServer(bin_dir, root, port)
    finally:
        _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def _build_app(db_url: str, instance: Path, **config):
    from app import create_app
    devca = instance / "devca"   # never the developer's EBID_* directories
    settings = {"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(instance),
                "SECRET_KEY": "test-secret-key", "FILE_STORE": str(instance / "files"),
                "DEVCA_DIR": str(devca), "CRL_DIR": str(devca / "crl"),
                "TRUST_ANCHORS_DIR": str(devca / "anchors")}
    settings.update(config)
    return create_app(settings)


def dispose_app(app) -> None:
    """Close every pooled connection of ``app`` (lets PostgreSQL drop or copy the database)."""
    from app.extensions import db
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def migrate_database(db_url: str, instance: Path) -> None:
    """Apply every migration to ``db_url`` with ``flask db upgrade``'s own code path."""
    import flask_migrate
    app = _build_app(db_url, instance)
    with app.app_context():
        flask_migrate.upgrade()
    dispose_app(app)


@pytest.fixture(scope="session")
def _migrated_templates(tmp_path_factory):
    """Per backend, a database migrated once per session, built on first use."""
    built: dict[str, str] = {}
    root = tmp_path_factory.mktemp("templates")

    def template(backend: str, request) -> str:
        if backend not in built:
            if backend == "sqlite":
                path = root / "template.sqlite3"
                migrate_database(f"sqlite:///{path}", root / "instance")
                built[backend] = str(path)
            else:
                server = request.getfixturevalue("postgres_server")
                url = server.create_database("ebid_template")
                migrate_database(url, root / "instance")
                built[backend] = "ebid_template"
        return built[backend]

    return template


def _fresh_db(backend: str, request, tmp_path: Path, template: str | None) -> str:
    name = f"ebid_test_{next(_db_names)}"
    if backend == "sqlite":
        path = tmp_path / f"{name}.sqlite3"
        if template:
            shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(name, template=template)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path) -> str:
    """A fresh, empty database on each backend (no tables)."""
    return _fresh_db(request.param, request, tmp_path, None)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, _migrated_templates) -> str:
    """A fresh database on each backend with every migration applied."""
    return _fresh_db(request.param, request, tmp_path,
                     _migrated_templates(request.param, request))


# ----------------------------------------------------------------------------- application

@pytest.fixture
def clock():
    """A frozen clock at 2026-11-23 08:00:00 UTC, shared by the app under test."""
    from bidding.clock import FrozenClock
    return FrozenClock(datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))


@pytest.fixture
def app(db_url, tmp_path, clock):
    """The application on a migrated database (both backends), with a frozen clock."""
    application = _build_app(db_url, tmp_path / "instance", CLOCK=clock)
    yield application
    dispose_app(application)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_app(tmp_path):
    """Build more apps: ``make_app(db_url, **settings)``; each is disposed at the end of the test."""
    built = []

    def make(db_url: str, **config):
        application = _build_app(db_url, tmp_path / f"instance{len(built)}", **config)
        built.append(application)
        return application

    yield make
    for application in built:
        dispose_app(application)


@pytest.fixture
def isolated_tokens(monkeypatch):
    """PKCS#11 state of one test: SOFTHSM2_CONF and the token settings are restored and every
    cached session is closed afterwards (pki.pkcs11 keeps one session per process and token)."""
    from pki import pkcs11 as tokens
    monkeypatch.setenv("SOFTHSM2_CONF", "/nonexistent/softhsm2.conf")
    saved = tokens.settings()
    yield
    tokens.close_sessions()
    tokens.configure(**saved.__dict__)


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: pytest-playwright's session-scoped Playwright (sync API) leaves an
    asyncio loop marked running in the main thread until the session ends, which breaks every later
    ``asyncio.run()`` (pyhanko-certvalidator, pyHanko's sync wrappers)."""
    browser_dir = Path(__file__).parent / "browser"
    items.sort(key=lambda item: Path(str(item.fspath)).is_relative_to(browser_dir))
