"""Fixtures for the CLI tests: a development CA made once per session by ``flask devca init`` (a
pristine copy for each test), apps on that copy, SoftHSM isolation, and openssl."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


from support.cli import T0, build_app, dispose  # noqa: F401  (re-exported for fixtures)


@dataclass
class PristineCa:
    """The result of the session's ``flask devca init``: its instance and the command output."""

    instance: Path
    output: str


@pytest.fixture(scope="session")
def pristine_ca(tmp_path_factory) -> PristineCa:
    """``flask devca init`` once, on an empty instance, at the frozen time T0."""
    from bidding.clock import FrozenClock
    instance = tmp_path_factory.mktemp("pristine") / "instance"
    app = build_app(f"sqlite:///{instance / 'unused.sqlite3'}", instance, FrozenClock(T0))
    result = app.test_cli_runner().invoke(args=["devca", "init"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return PristineCa(instance, result.output)


@pytest.fixture
def instance(tmp_path, pristine_ca) -> Path:
    """An instance folder holding a copy of the pristine development CA."""
    target = tmp_path / "instance"
    shutil.copytree(pristine_ca.instance / "devca", target / "devca")
    return target


@pytest.fixture
def cli_app(db_url, instance, clock):
    """The application on a migrated database with the copied CA and the frozen clock."""
    application = build_app(db_url, instance, clock)
    yield application
    dispose(application)


@pytest.fixture
def devca(cli_app):
    from pki.devca import DevCA
    config = cli_app.config
    return DevCA(config["DEVCA_DIR"], config["TRUST_ANCHORS_DIR"], config_dir=config["TRUST_CONFIG_DIR"],
                 clock=cli_app.extensions["clock"], base_url=config["PUBLIC_BASE_URL"])


@pytest.fixture(autouse=True)
def _isolated_tokens(isolated_tokens):
    """SOFTHSM2_CONF and token settings are restored, sessions closed, after every test."""


@pytest.fixture
def openssl():
    """Run the openssl command line; fail the test with its stderr if it fails (unless check=False)."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is missing")

    def run(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(["openssl", *args], capture_output=True, check=False,
                                env=dict(os.environ, **(env or {})))
        if check and result.returncode != 0:
            pytest.fail(f"openssl {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
        return result

    return run
