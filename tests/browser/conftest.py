"""Browser tests: Playwright (sync API) drives Debian's Chromium against a real server on a free
loopback port. No outside host is ever looked up (STACK.md: Chromium flags).

``screenshots(page, name)`` saves the page at a desktop size and at a phone width into
``test-artifacts/screenshots/`` (git ignores it; ``EBID_SCREENSHOT_DIR`` moves it), so that a person
can look at what the browser drew."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.browser import DESKTOP, PHONE, settle_at    # PHONE: a current phone's CSS width
from tests.support.journeys import migrated_app, served

CHROMIUM = Path("/usr/lib/chromium/chromium")
SCREENSHOT_DIR = Path(os.environ.get("EBID_SCREENSHOT_DIR")
                      or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots")
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
    with served(migrated_app(tmp_path_factory.mktemp("live-instance")), "live-server") as live:
        yield live.base


@pytest.fixture(scope="session")
def screenshots() -> Callable[..., dict[str, Path]]:
    """``screenshots(page, name)``: full-page PNGs of the page's current URL at 1280×800
    (``<name>-desktop.png``) and 390×844 (``<name>-390.png``) in :data:`SCREENSHOT_DIR`; returns
    ``{"desktop": path, "phone": path}``. The viewport is left at the desktop size."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> dict[str, Path]:
        paths = {}
        for label, size, suffix in (("phone", PHONE, "390"), ("desktop", DESKTOP, "desktop")):
            settle_at(page, size)     # a shot taken at once may show the layout of the size before
            path = SCREENSHOT_DIR / f"{name}-{suffix}.png"
            page.screenshot(path=str(path), full_page=True)
            paths[label] = path
        return paths

    return take
