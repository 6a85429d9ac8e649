"""R20 in a real browser with the real local signing agent: a supplier's staff has forgotten its user
name and password. From /login it follows "忘记账号/密码？用证书找回", signs with its SM2 key-file
certificate (bound to its party) through ``bidtool agent``, sees the party's two user names, is told
why a new password equal to the user name is refused, sets a good one (a second signature), and
logs in with it. Screenshots of every step at 1280 px and 390 px (``recovery-*.png``); no page
scrolls sideways at 390 px."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.agent import start_agent
from support.auth import PASSWORD, make_accounts, test_uow
from support.browser import PHONE, assert_fits_390, settle_at

from pki.devca import DevCA
from pki.identity import PartyIdentity
from pki.keyops import FileKey
from pki.keys import load_private_key
from pki.signature import sign

pytestmark = pytest.mark.browser

KEY_PASSWORD = "recovery-sm2-9753"
NEW_PASSWORD = "a-fresh-password-42"


def _bind_in_the_domain(app, ca: DevCA, record) -> None:
    """Bind the key file's certificate to the supplier as the bind page would (a signed challenge)."""
    from app import context
    from app.certificates.proof import proof_settings
    from app.extensions import db
    from bidding.accounts.models import Account
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate

    key = FileKey(load_private_key(ca.path(record.key_file).read_bytes(), KEY_PASSWORD.encode()))
    cert = ca.certificate(record.serial)
    with app.test_request_context():
        party_id = db.session.scalars(select(Account).where(Account.username == "supplier")).one().party_id
        issued = issue_challenge(context.uow(), "bind", "fixture-session", "http://fixture")
        der = sign(issued.message, key=key, certificate=cert, chain=[ca.chain("netca", "sm2").intermediate],
                   detached=True, signing_time=datetime.now(UTC))
        bind_certificate(context.uow(), party_id, der, issued.id, "fixture-session", "http://fixture",
                         **proof_settings())


@pytest.fixture
def recovery(tmp_path, isolated_tokens):
    import flask_migrate
    from werkzeug.serving import make_server

    from app import create_app
    from app.extensions import db
    from bidding.accounts.models import Account, Role
    from bidding.accounts.services import create_account

    instance = tmp_path / "instance"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'ebid.sqlite3'}",
                      "INSTANCE_PATH": str(instance), "SECRET_KEY": "browser-test-secret",
                      "ENV_NAME": "testing", "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
    make_accounts(app, ("supplier",))
    with app.app_context():
        party = db.session.scalars(select(Account).where(Account.username == "supplier")).one().party
        create_account(test_uow(app), username="supplier-b", role=Role.SUPPLIER_STAFF, password=PASSWORD,
                       party_id=party.id)
        ident = PartyIdentity("institution", party.name, credit_code=party.credit_code)
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["netca"])
    sm2 = ca.issue("netca", ident, algorithm="sm2", purpose="signing", password=KEY_PASSWORD.encode(),
                   seal_kind=None, at=datetime.now(UTC) - timedelta(minutes=5))
    _bind_in_the_domain(app, ca, sm2)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    agent, agent_thread = start_agent([
        "agent", "--port", "0", "--origin", base, "--state-dir", str(tmp_path / "agent-state"),
        "--key", str(ca.path(sm2.key_file)), "--cert", str(ca.path(sm2.cert_file)),
        "--chain", str(Path(app.config["TRUST_ANCHORS_DIR"]) / "netca" / "sm2-ca.pem")])
    app.config["AGENT_URL"] = f"http://127.0.0.1:{agent.port}"
    thread = threading.Thread(target=server.serve_forever, name="recovery-server", daemon=True)
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


def _step(page: Page, screenshots, name: str) -> None:
    settle_at(page, PHONE)     # the fixture shoots right after resizing: let the phone layout paint first
    screenshots(page, f"recovery-{name}")
    assert_fits_390(page)


def test_recover_the_account_names_and_set_a_new_password(page: Page, recovery, screenshots):
    base = recovery
    page.goto(base + "/login")
    page.get_by_role("link", name="忘记账号/密码？用证书找回").click()
    expect(page).to_have_url(base + "/login/recover")
    options = page.locator("#recover-accounts .cert-option")
    expect(options).to_have_count(1, timeout=20_000)
    expect(options).to_contain_text("密钥文件")
    expect(page.locator("#reset-password")).to_be_hidden()
    _step(page, screenshots, "01-start")

    page.locator("#recover-pin").fill("wrong-password-1")            # the agent counts it, the page says so
    page.get_by_role("button", name="签名并找回账户名").click()
    expect(page.locator("#accounts-result")).to_contain_text("还可尝试 9 次", timeout=30_000)
    page.locator("#recover-pin").fill(KEY_PASSWORD)
    page.get_by_role("button", name="签名并找回账户名").click()
    expect(page.locator("#accounts-result")).to_contain_text("找到 2 个账户", timeout=30_000)
    expect(page.locator("#recovered-accounts li")).to_have_text(["supplier", "supplier-b"])
    expect(page.locator("#reset-password")).to_be_visible()
    _step(page, screenshots, "02-accounts")

    page.get_by_label("账户名").select_option("supplier-b")
    page.get_by_label("新口令（至少 10 个字符）").fill(NEW_PASSWORD)
    page.get_by_label("再次输入新口令").fill(NEW_PASSWORD + "x")
    page.get_by_label("PIN 码（再次签名）").fill(KEY_PASSWORD)
    page.get_by_role("button", name="签名并重置口令").click()
    expect(page.locator("#reset-result")).to_contain_text("两次输入的新口令不一致")

    page.get_by_label("新口令（至少 10 个字符）").fill("SUPPLIER-B")         # 10 characters, the user name
    page.get_by_label("再次输入新口令").fill("SUPPLIER-B")
    page.get_by_role("button", name="签名并重置口令").click()
    expect(page.locator("#reset-result")).to_contain_text("不得与用户名相同", timeout=30_000)
    expect(page.locator("#reset-result")).to_contain_text("[password_weak]")
    _step(page, screenshots, "03-weak-password")

    page.get_by_label("新口令（至少 10 个字符）").fill(NEW_PASSWORD)
    page.get_by_label("再次输入新口令").fill(NEW_PASSWORD)
    page.get_by_label("PIN 码（再次签名）").fill(KEY_PASSWORD)
    page.get_by_role("button", name="签名并重置口令").click()
    expect(page.locator("#reset-result")).to_contain_text("账户 supplier-b 的口令已重置", timeout=30_000)
    expect(page.locator("#reset-password-form")).to_be_hidden()
    _step(page, screenshots, "04-done")

    page.locator("#reset-result").get_by_role("link", name="去登录").click()
    expect(page).to_have_url(base + "/login")
    card = page.locator("#password-login")
    card.get_by_label("用户名").fill("supplier-b")
    card.get_by_label("口令").fill(PASSWORD)                                   # the old one is gone
    card.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).to_be_visible()
    card.get_by_label("口令").fill(NEW_PASSWORD)
    card.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/account")
    expect(page.locator("#account-info")).to_contain_text("supplier-b")
