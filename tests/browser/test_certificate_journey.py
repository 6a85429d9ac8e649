"""The certificate journey in a real browser with the real local signing agent: a supplier's staff
logs in with its password, binds the RSA signing certificate of its USB key (a SoftHSM2 token, with
the seal image the CA delivered) and its SM2 key-file certificate through ``bidtool agent``, sees
both under 我的证书, logs out, and logs in again with the certificate. The development CA is the
app's own (its anchors are the app's trust list, its CRLs are in the app's CRL_DIR); the agent runs
in this process with ``--origin`` = the live server's origin. Screenshots of every step at 1280 px
and 390 px; no page scrolls sideways at 390 px."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca import DevCA
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity
from support.agent import start_agent
from support.auth import PARTIES, PASSWORD, make_accounts
from support.browser import assert_fits_390

pytestmark = pytest.mark.browser

PIN, SO_PIN, KEY_PASSWORD = "journey-pin-2468", "journey-so-1357", "journey-sm2-9753"


@dataclass
class Journey:
    base: str
    seal_png: Path


@pytest.fixture
def journey(tmp_path, isolated_tokens):
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
    ca.init(["netca"])                                  # anchors and first CRLs: the app's own directories
    _, name, code17 = PARTIES["supplier"]
    from pki.identity import credit_code_check_char
    ident = PartyIdentity("institution", name, credit_code=code17 + credit_code_check_char(code17))

    hsm = init_softhsm_token(tmp_path / "hsm", "journey-supplier", SO_PIN, PIN)
    on_token = issue_to_token(ca, tokens.open_token(hsm.label, pin=PIN), "netca", ident, algorithm="rsa",
                              purpose="signing", label="signing-rsa")
    tokens.close_sessions()
    seal_png = tmp_path / "signing-rsa.seal.png"                 # as devsetup/demo.py hands it to the party
    seal_png.write_bytes(ca.path(on_token.record.seal_file).read_bytes())
    sm2 = ca.issue("netca", ident, algorithm="sm2", purpose="signing", password=KEY_PASSWORD.encode(), seal_kind=None)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    agent, agent_thread = start_agent([
        "agent", "--port", "0", "--origin", base, "--state-dir", str(tmp_path / "agent-state"),
        "--pkcs11", hsm.uri().format(), "--key", str(ca.path(sm2.key_file)), "--cert", str(ca.path(sm2.cert_file)),
        "--chain", str(Path(app.config["TRUST_ANCHORS_DIR"]) / "netca" / "rsa-ca.pem"),
        "--chain", str(Path(app.config["TRUST_ANCHORS_DIR"]) / "netca" / "sm2-ca.pem")])
    app.config["AGENT_URL"] = f"http://127.0.0.1:{agent.port}"
    thread = threading.Thread(target=server.serve_forever, name="journey-server", daemon=True)
    thread.start()
    try:
        yield Journey(base, seal_png)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        agent.shutdown()
        agent.server_close()
        agent_thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _step(page: Page, screenshots, name: str) -> None:
    screenshots(page, f"certificates-{name}")
    assert_fits_390(page)


def _sign_with(page: Page, panel: str, option_text: str, pin: str, button: str) -> None:
    options = page.locator(f"{panel} .cert-option")
    expect(options.first).to_be_visible(timeout=20_000)
    options.filter(has_text=option_text).locator("input[type=radio]").check()
    page.locator(f"{panel} input[name=pin]").fill(pin)
    page.locator(f"{panel} button[type=submit]", has_text=button).click()


def test_bind_two_certificates_then_log_in_with_one(page: Page, journey, screenshots):
    base = journey.base
    page.goto(base + "/login")
    page.locator("#password-login").get_by_label("用户名").fill("supplier")
    page.locator("#password-login").get_by_label("口令").fill(PASSWORD)
    page.locator("#password-login").get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/account")

    page.goto(base + "/certificates")
    expect(page.locator("#no-bindings")).to_be_visible()
    _step(page, screenshots, "empty")
    page.get_by_role("link", name="绑定证书", exact=True).click()
    expect(page).to_have_url(base + "/certificates/bind")
    expect(page.locator("#agent-panel .cert-option")).to_have_count(2, timeout=20_000)
    _step(page, screenshots, "bind-agent-list")

    page.locator("details.seal-upload summary").click()
    page.locator("select[name=seal_kind]").select_option("公章")
    page.locator("input[name=seal_image]").set_input_files(str(journey.seal_png))
    _sign_with(page, "#agent-panel", "USB Key", PIN, "签名并绑定")
    expect(page.locator(".agent-result")).to_contain_text("证书已绑定", timeout=30_000)
    expect(page.locator(".agent-result")).to_contain_text("可用于签章")
    _step(page, screenshots, "bound-rsa-token")

    page.locator("input[name=seal_image]").set_input_files([])
    _sign_with(page, "#agent-panel", "密钥文件", KEY_PASSWORD, "签名并绑定")
    expect(page.locator(".agent-result")).to_contain_text("证书已绑定", timeout=30_000)
    expect(page.locator("#agent-panel .cert-option", has_text="已绑定")).to_have_count(2)
    _step(page, screenshots, "bound-sm2-file")

    page.goto(base + "/certificates")
    bindings = page.locator("#bindings .binding")
    expect(bindings).to_have_count(2)
    expect(bindings.filter(has_text="RSA")).to_contain_text("公章")
    expect(bindings.filter(has_text="RSA")).to_contain_text("主锁")
    expect(bindings.filter(has_text="SM2")).to_contain_text("副锁")
    expect(page.locator("img.seal-image")).to_have_count(1)
    _step(page, screenshots, "list")

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(base + "/")
    page.goto(base + "/login")
    expect(page.locator("#certificate-login .cert-option")).to_have_count(2, timeout=20_000)
    _step(page, screenshots, "login-card")
    _sign_with(page, "#certificate-login", "USB Key", PIN, "证书登录")
    expect(page).to_have_url(base + "/account", timeout=30_000)
    expect(page.locator("#account-info")).to_contain_text("supplier")
    expect(page.locator("#account-info")).to_contain_text("测试供应商甲")
    _step(page, screenshots, "logged-in-by-certificate")


def test_without_the_agent_the_page_says_how_to_start_it(page: Page, journey, screenshots):
    """The log-in card when nothing answers at AGENT_URL: the message and the command to run."""
    base = journey.base
    page.route("http://127.0.0.1:*/v1/**", lambda route: route.abort())
    page.goto(base + "/login")
    missing = page.locator("#certificate-login .agent-missing")
    expect(missing).to_be_visible(timeout=20_000)
    expect(missing).to_contain_text(f"bidtool agent --origin {base}")
    expect(page.locator("#certificate-login .agent-status")).to_contain_text("无法连接本机签名助手")
    _step(page, screenshots, "login-no-agent")
