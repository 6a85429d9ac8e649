"""Browser tests: Playwright (sync API) drives Debian's Chromium against a real server on a free
loopback port. No outside host is ever looked up (STACK.md: Chromium flags)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(pytestconfig):
    """pytest-playwright's launch options: Debian's Chromium with no outside look-ups."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)")
    options = {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}
    if pytestconfig.getoption("--headed"):
        options["headless"] = False
    return options


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The application on a migrated SQLite database, served by werkzeug in a thread; yields the
    base URL (``http://127.0.0.1:<port>``)."""
    import flask_migrate
    from werkzeug.serving import make_server

    from app import create_app
    from app.extensions import db

    instance = tmp_path_factory.mktemp("live-instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'ebid.sqlite3'}",
                      "INSTANCE_PATH": str(instance), "SECRET_KEY": "browser-test-secret",
                      "ENV_NAME": "testing"})
    with app.app_context():
        flask_migrate.upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
