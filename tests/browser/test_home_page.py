"""The home page in a real browser: the trusted CAs are listed, the page renders in Chinese, and it
fits a phone's width (no sideways scrolling at 390 px)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_home_page_lists_trusted_cas(page: Page, live_server: str, screenshots):
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
    shots = screenshots(page, "home")
    assert all(path.stat().st_size > 0 for path in shots.values())


def test_home_page_shows_the_services_at_the_platform_address(page: Page, live_server: str):
    page.goto(live_server + "/")
    expect(page.locator("#tsa-address")).to_have_text(f"{live_server}/tsa")
    expect(page.locator("#crl-address")).to_contain_text(f"{live_server}/crl/")
    expect(page.locator("article.ca-profile[data-profile=netca]")).to_contain_text(
        f"{live_server}/crl/netca-rsa.crl")


@pytest.mark.parametrize("path", ["/", "/no-such-page"])
def test_page_fits_a_phone_without_sideways_scrolling(page: Page, live_server: str, path: str):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + path)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path}: the page is {widths[0]} px wide in a {widths[1]} px window"
    # Nothing sticks out on the right either (an overflowing child of a clipped box would not
    # widen the page but would still be cut off).
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => !el.closest('.table-scroll'))
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(el => el.tagName + '.' + el.className)""")
    assert wide == [], wide


def test_unknown_page_shows_chinese_404(page: Page, live_server: str):
    response = page.goto(live_server + "/no-such-page")
    assert response is not None and response.status == 404
    expect(page.locator(".error-message")).to_contain_text("页面不存在")
