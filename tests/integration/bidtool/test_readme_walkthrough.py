"""The bidtool walkthrough of README.md runs as written.

A temporary folder stands in for the project root (``.venv`` is a symlink to the real one, the
instance folder is its own): ``flask setup-dev`` makes the dev CA and the demo supplier there,
gunicorn serves the platform (its ``/tsa``) on a free port, and the ```sh block of README.md's
bidtool section, read from README.md, runs under ``bash -euo pipefail`` with ``BASE`` pointing at
that server. Then ``openssl cms -verify`` must accept the RSA signature the walkthrough made.
"""
from __future__ import annotations

import io
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from support.bidtool_env import openssl

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = REPO / ".venv" / "bin"
INPUT_FILES = ("技术标.pdf", "报价.xlsx", "plan.pdf", "承诺书.pdf")
# Settings that would send the set-up or the server outside the temporary instance folder (and
# every EBID_* variable: config/settings.py derives each path from EBID_INSTANCE_PATH otherwise).
FOREIGN_SETTINGS = ("DATABASE_URL", "SECRET_KEY", "SOFTHSM2_CONF", "FLASK_APP", "BIDTOOL_DEBUG")

pytestmark = pytest.mark.slow


def readme_walkthrough(readme: Path = REPO / "README.md") -> str:
    """The first ```sh block of README.md's bidtool section."""
    text = readme.read_text(encoding="utf-8")
    section = re.search(r"^## bidtool\b.*?(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## bidtool' section"
    block = re.search(r"^```sh\n(.*?)^```", section.group(0), re.MULTILINE | re.DOTALL)
    assert block, "README.md's bidtool section has no ```sh block"
    return block.group(1)


def _commands(script: str) -> list[list[str]]:
    """The walkthrough's command lines (continuations joined, comments dropped), split into words."""
    joined = script.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{base}/healthz did not answer within {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture
def project(tmp_path):
    """A stand-in project root with the dev set-up done in its own instance folder; yields the
    root and the environment that points there."""
    root = tmp_path / "project"
    root.mkdir()
    (root / ".venv").symlink_to(REPO / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS and not k.startswith("EBID_")}
    env.update(EBID_ENV="development", EBID_INSTANCE_PATH=str(root / "instance"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    for step in (["db", "upgrade"], ["setup-dev"]):
        proc = subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *step], cwd=root, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"flask {' '.join(step)}:\n{proc.stdout}\n{proc.stderr}"
    for made in ("devca/tsa/tsa.pem", "demo/SECRETS.txt", "softhsm/softhsm2.conf"):
        assert (root / "instance" / made).is_file(), made
    return root, env


def _contract_pdf() -> bytes:
    """A real two-page PDF for the walkthrough's `bidtool stamp`."""
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for page in (1, 2):
        c.drawString(72, 770, f"contract, page {page} of 2")
        c.showPage()
    c.save()
    return out.getvalue()


def test_readme_walkthrough_runs_as_written(project):
    root, env = project
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(env, EBID_BASE_URL=base)       # the platform's address, for whatever it writes
    log = root / "gunicorn.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "--worker-class", "gthread", "--workers", "1",
                                   "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        _wait_healthy(base, server, log)
        script = readme_walkthrough()
        for name in INPUT_FILES:
            (root / name).write_bytes(name.encode() + os.urandom(5000))
        (root / "合同.pdf").write_bytes(_contract_pdf())
        (root / "walkthrough.sh").write_text(script, encoding="utf-8")
        proc = subprocess.run(["bash", "-euo", "pipefail", "-O", "inherit_errexit", "-x", "walkthrough.sh"],
                              cwd=root, env=dict(env, BASE=base), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"the walkthrough stopped:\n{proc.stdout}\n{proc.stderr[-6000:]}"
        assert proc.stdout.count("Verification successful") == sum(
            1 for cmd in _commands(script) if cmd[:2] == ["bidtool", "verify"])
        assert "timestamp 20" in proc.stdout
        assert "cross-page seal: valid" in proc.stdout and "(timestamp)" in proc.stdout
        pdfsig = subprocess.run(["pdfsig", str(root / "合同.stamped.pdf")], capture_output=True, text=True, timeout=60)
        assert "Signature Validation: Signature is Valid." in pdfsig.stdout, pdfsig.stdout

        rsa_signatures = [cmd[-1] for cmd in _commands(script)
                          if cmd[:2] == ["bidtool", "sign"] and any("signing-rsa" in w for w in cmd)]
        assert rsa_signatures, "the walkthrough makes no RSA signature for openssl to check"
        for name in rsa_signatures:
            cmd = _commands(script)
            signed = next(c[-2] for c in cmd if c[:2] == ["bidtool", "sign"] and c[-1] == name)
            detached = "--detached" in next(c for c in cmd if c[:2] == ["bidtool", "sign"] and c[-1] == name)
            check = ["cms", "-verify", "-inform", "DER", "-in", root / name, "-CAfile",
                     root / "instance/devca/anchors/netca/rsa-root.pem", "-purpose", "any",
                     "-out", root / "verified.out"]
            if detached:
                check += ["-content", root / signed, "-binary"]
            result = openssl(*check)
            assert result.returncode == 0, result.stderr
            assert (root / "verified.out").read_bytes() == (root / signed).read_bytes()
    finally:
        _stop(server)
