"""Log-in in a real browser: the demo operator and the demo supplier staff log in with a password,
see the account page and log out; a wrong password shows the message; every page fits 390 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from support.auth import make_party
from support.browser import assert_fits_390, fill_password_login
from support.journeys import migrated_app, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """A live server whose database holds the demo accounts that ``flask setup-dev`` makes (same
    function, parties registered directly); yields (base URL, passwords by user name)."""
    from app.cli.accounts import PASSWORD_KEY, ensure_demo_accounts

    app = migrated_app(tmp_path_factory.mktemp("login-instance"), WTF_CSRF_ENABLED=True)
    parties = {key: make_party(app, key) for key in ("supplier", "agency", "purchaser")}
    with app.app_context():
        secrets_file = ensure_demo_accounts(parties).secrets_file
    passwords = {line.split(".")[0]: line.split(" = ")[1]
                 for line in secrets_file.read_text().splitlines() if f".{PASSWORD_KEY} = " in line}
    with served(app, "login-server") as live:
        yield live.base, passwords


@pytest.mark.parametrize("username, role, party", [
    ("operator", "平台运营人员", "平台人员"),
    ("supplier", "供应商经办人", "测试供应商甲"),
])
def test_log_in_see_account_log_out(page: Page, demo_server, screenshots, username, role, party):
    base, passwords = demo_server
    page.goto(base + "/")
    expect(page.locator(".site-user")).to_contain_text("登录")
    page.locator(".site-user a", has_text="登录").click()
    expect(page).to_have_url(base + "/login")
    screenshots(page, "login")
    assert_fits_390(page)
    fill_password_login(page, base, username, passwords[username])
    expect(page).to_have_url(base + "/account")
    expect(page.locator("#account-info")).to_contain_text(username)
    expect(page.locator("#account-info")).to_contain_text(role)
    expect(page.locator("#account-info")).to_contain_text(party)
    expect(page.locator(".site-user")).to_contain_text("退出")
    screenshots(page, f"account-{username}")
    assert_fits_390(page)
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(base + "/")
    expect(page.locator(".flash")).to_contain_text("您已退出登录")
    expect(page.locator(".site-user")).to_contain_text("登录")
    page.goto(base + "/account")
    expect(page).to_have_url(base + "/login?next=/account")


def test_wrong_password_shows_the_message(page: Page, demo_server, screenshots):
    base, _ = demo_server
    fill_password_login(page, base, "operator", "not-the-password")
    expect(page.locator("#login-error")).to_have_text("用户名或口令错误 (wrong user name or password)")
    expect(page).to_have_url(base + "/login")
    screenshots(page, "login-wrong-password")
    assert_fits_390(page)
