"""The home page in a real browser: the trusted CAs are listed and the page renders in Chinese."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/ebid-home.png"


def test_home_page_lists_trusted_cas(page: Page, live_server: str):
    failed: list[str] = []
    page.on("requestfailed", lambda req: failed.append(req.url))
    response = page.goto(live_server + "/")
    assert response is not None and response.status == 200
    expect(page).to_have_title("电子招投标平台")
    expect(page.locator("header .brand")).to_have_text("电子招投标平台")
    expect(page.get_by_role("heading", name="信任的证书机构（CA）")).to_be_visible()
    cards = page.locator("article.ca-profile")
    expect(cards).to_have_count(5)
    text = page.locator("#trusted-cas").inner_text()
    for ca in ("NETCA", "GDCA", "CFCA", "BJCA", "HBCA"):
        assert ca in text
    # The stylesheet loaded (the header is coloured, not the default transparent background).
    background = page.locator("header.site-header").evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert failed == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_unknown_page_shows_chinese_404(page: Page, live_server: str):
    response = page.goto(live_server + "/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator(".error-message")).to_contain_text("页面不存在")
