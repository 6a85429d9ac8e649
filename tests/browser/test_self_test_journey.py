"""The encryption/decryption self-test (加解密测试, R11) in a real browser with the real local signing
agent: a supplier's staff logs in, opens 我的证书 → 加解密测试, picks the RSA encryption certificate of
its USB key (a SoftHSM2 token), types the PIN, and the page says 数字证书加解密测试成功. The platform's
transport certificate is made by the development CA into ``<DEVCA_DIR>/platform`` as ``flask
setup-dev`` does. Screenshots at 1280 px and 390 px; no sideways scrolling at 390 px."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.agent import start_agent
from support.auth import PARTIES, PASSWORD, make_accounts

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca import DevCA
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity, credit_code_check_char
from support.browser import assert_fits_390

pytestmark = pytest.mark.browser

PIN, SO_PIN = "selftest-pin-2468", "selftest-so-1357"


@pytest.fixture
def live(tmp_path, isolated_tokens):
    import flask_migrate
    from werkzeug.serving import make_server

    from app import create_app
    from app.extensions import db

    instance = tmp_path / "instance"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'ebid.sqlite3'}",
                      "INSTANCE_PATH": str(instance), "SECRET_KEY": "browser-test-secret",
                      "ENV_NAME": "testing", "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
    make_accounts(app, ("supplier",))
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["netca"])
    _, name, code17 = PARTIES["supplier"]
    ident = PartyIdentity("institution", name, credit_code=code17 + credit_code_check_char(code17))
    ca.ensure_service_certificate("transport", Path(app.config["DEVCA_DIR"]) / "platform", ident, profile="netca",
                                  at=datetime.now(UTC) - timedelta(minutes=5))
    hsm = init_softhsm_token(tmp_path / "hsm", "selftest-supplier", SO_PIN, PIN)
    issue_to_token(ca, tokens.open_token(hsm.label, pin=PIN), "netca", ident, algorithm="rsa",
                   purpose="encryption", label="encryption-rsa")
    tokens.close_sessions()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    agent, agent_thread = start_agent(["agent", "--port", "0", "--origin", base, "--state-dir",
                                       str(tmp_path / "agent-state"), "--pkcs11", hsm.uri().format()])
    app.config["AGENT_URL"] = f"http://127.0.0.1:{agent.port}"
    thread = threading.Thread(target=server.serve_forever, name="selftest-server", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        agent.shutdown()
        agent.server_close()
        agent_thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_self_test_with_the_token(page: Page, live, screenshots):
    page.goto(live + "/login")
    page.locator("#password-login").get_by_label("用户名").fill("supplier")
    page.locator("#password-login").get_by_label("口令").fill(PASSWORD)
    page.locator("#password-login").get_by_role("button", name="登录").click()
    expect(page).to_have_url(live + "/account")

    page.goto(live + "/certificates")
    page.get_by_role("link", name="加解密测试").click()
    expect(page).to_have_url(live + "/certificates/self-test")
    expect(page.locator("#self-test-panel .cert-option")).to_have_count(1, timeout=20_000)
    screenshots(page, "self-test-list")
    assert_fits_390(page)

    page.locator("#self-test-panel input[name=pin]").fill("wrong-pin-0000")
    page.get_by_role("button", name="开始加解密测试").click()
    expect(page.locator(".agent-result")).to_contain_text("还可尝试 9 次", timeout=30_000)
    screenshots(page, "self-test-wrong-pin")

    page.locator("#self-test-panel input[name=pin]").fill(PIN)
    page.get_by_role("button", name="开始加解密测试").click()
    expect(page.locator(".agent-result")).to_contain_text("数字证书加解密测试成功", timeout=30_000)
    screenshots(page, "self-test-success")
    assert_fits_390(page)
