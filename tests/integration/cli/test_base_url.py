"""One setting for the platform's public base URL (``PUBLIC_BASE_URL``, env ``EBID_BASE_URL``, else
``http://$HOST:$PORT``): the trust list's CRL addresses and the certificates the development CA
issues follow it, so ``make run PORT=5077`` yields certificates that say 5077."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.cli import T0, build_app, dispose, invoke

from config.settings import load_settings
from pki.trust import load_trust_list

CONFIG = Path(__file__).resolve().parents[3] / "config" / "trust"
BASE = "http://127.0.0.1:5077"


@pytest.fixture
def no_base_env(monkeypatch):
    for var in ("EBID_BASE_URL", "HOST", "PORT"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_setting_defaults_to_host_and_port(no_base_env, tmp_path):
    assert load_settings("development", tmp_path)["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    no_base_env.setenv("PORT", "5077")
    assert load_settings("development", tmp_path)["PUBLIC_BASE_URL"] == BASE
    no_base_env.setenv("HOST", "10.0.0.7")
    assert load_settings("development", tmp_path)["PUBLIC_BASE_URL"] == "http://10.0.0.7:5077"
    no_base_env.setenv("EBID_BASE_URL", "https://ebid.example.gov.cn/")
    assert load_settings("production", tmp_path)["PUBLIC_BASE_URL"] == "https://ebid.example.gov.cn"


def test_trust_list_loader_puts_the_base_url_into_crl_addresses():
    trust = load_trust_list(CONFIG, base_url=BASE + "/")
    for profile in trust.profiles:
        assert profile.crl_url_for("rsa") == f"{BASE}/crl/{profile.id}-rsa.crl"
        assert "{base_url}" not in profile.crl_url
    assert load_trust_list(CONFIG, base_url="https://ebid.example.gov.cn").profile("netca") \
        .crl_url_for("sm2-root") == "https://ebid.example.gov.cn/crl/netca-sm2-root.crl"


def _crl_points(openssl, path) -> list[str]:
    text = openssl("x509", "-in", str(path), "-noout", "-text").stdout.decode()
    return re.findall(r"URI:(\S+)", text.split("CRL Distribution Points", 1)[1])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)   # no database work here
def test_dev_ca_on_port_5077_issues_certificates_that_say_5077(db_url, tmp_path, no_base_env, openssl):
    from bidding.clock import FrozenClock
    no_base_env.setenv("PORT", "5077")                  # what `make run PORT=5077` exports
    instance = tmp_path / "instance"
    app = build_app(db_url, instance, FrozenClock(T0))
    try:
        assert app.config["PUBLIC_BASE_URL"] == BASE
        assert invoke(app, "devca", "init").exit_code == 0
        result = invoke(app, "devca", "issue", "--profile", "netca", "--alg", "rsa", "--type", "institution",
                        "--name", "甲公司", "--code", "91110108551385082Q", "--pass-env", "KEYPASS",
                        "--out", str(tmp_path / "out"), env={"KEYPASS": "correct horse battery"})
        assert result.exit_code == 0, result.output + result.stderr
        serial = re.search(r"序列号 serial: ([0-9A-F]+)", result.output).group(1)
        devca = instance / "devca"
        assert _crl_points(openssl, tmp_path / "out" / f"{serial}.pem") == [f"{BASE}/crl/netca-rsa.crl"]
        assert _crl_points(openssl, devca / "ca" / "netca-rsa" / "ca.pem") == [f"{BASE}/crl/netca-rsa-root.crl"]
        assert _crl_points(openssl, devca / "tsa" / "tsa.pem")[0].startswith(f"{BASE}/crl/")
    finally:
        dispose(app)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_setup_dev_says_when_the_ca_was_made_for_another_address(db_url, instance, no_base_env):
    from bidding.clock import FrozenClock
    no_base_env.setenv("PORT", "5077")          # the copied CA was made for http://127.0.0.1:5000
    app = build_app(db_url, instance, FrozenClock(T0))
    try:
        result = invoke(app, "setup-dev")
        assert result.exit_code == 0, result.output + result.stderr
        assert "WARNING" in result.output and "make clean-instance" in result.output
        assert "http://127.0.0.1:5000/crl/" in result.output and f"不在 {BASE} 下" in result.output
    finally:
        dispose(app)
