"""R20 in a real browser with the real local signing agent: a supplier's staff has forgotten its user
name and password. From /login it follows "忘记账号/密码？用证书找回", signs with its SM2 key-file
certificate (bound to its party) through ``bidtool agent``, sees the party's two user names, is told
why a new password equal to the user name is refused, sets a good one (a second signature), and
logs in with it. Screenshots of every step at 1280 px and 390 px (``recovery-*.png``); no page
scrolls sideways at 390 px."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.auth import PASSWORD, make_accounts, test_uow
from support.browser import steps
from support.journeys import JOURNEY_SETTINGS, agent_options, expect_certificates, migrated_app, served

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
    from app.extensions import db
    from bidding.accounts.models import Account, Role
    from bidding.accounts.services import create_account

    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
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
    with served(app, "recovery-server", agent=agent_options(ca, "netca", key_files=[sm2], chains=["sm2"]),
                state_dir=tmp_path / "agent-state") as live:
        yield live.base


_step = steps("recovery")


def test_recover_the_account_names_and_set_a_new_password(page: Page, recovery, screenshots):
    base = recovery
    page.goto(base + "/login")
    page.get_by_role("link", name="忘记账号/密码？用证书找回").click()
    expect(page).to_have_url(base + "/login/recover")
    expect_certificates(page, "#recover-accounts", 1)
    expect(page.locator("#recover-accounts .cert-option")).to_contain_text("密钥文件")
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
