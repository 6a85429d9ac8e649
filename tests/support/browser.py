"""Helpers of the browser tests (fixtures are in tests/browser/conftest.py): the 390 px check,
screenshot steps, and logging in and out through the pages. The agent pages' steps are in
tests/support/journeys.py."""
from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def assert_fits_390(page) -> None:
    """At 390 px the page has no horizontal scroll and no element sticks out on the right, except
    inside a box meant to scroll on its own (``.table-scroll``); the desktop size is restored."""
    page.set_viewport_size(PHONE)
    try:
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .filter(el => !el.closest('.table-scroll'))
            .map(el => el.tagName + '.' + el.className)""")
        assert wide == [], wide
    finally:
        page.set_viewport_size(DESKTOP)


def settle_at(page, size: dict) -> None:
    """Resize the viewport and wait until the page has painted at the new size (two animation
    frames): a screenshot taken at once may show the layout of the size before."""
    page.set_viewport_size(size)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def steps(prefix: str) -> Callable[..., None]:
    """``step(page, screenshots, name)``: the ``screenshots`` fixture's PNGs as ``<prefix>-<name>``
    (it lets each size paint first), then :func:`assert_fits_390`."""
    def step(page, screenshots, name: str) -> None:
        screenshots(page, f"{prefix}-{name}")
        assert_fits_390(page)
    return step


def fill_password_login(page, base: str, username: str, password: str) -> None:
    """Open /login and send the password card (``#password-login``)."""
    page.goto(base + "/login")
    card = page.locator("#password-login")
    card.get_by_label("用户名").fill(username)
    card.get_by_label("口令").fill(password)
    card.get_by_role("button", name="登录").click()


def log_in_with_password(page, base: str, username: str, password: str) -> None:
    """Log in through the password card and land on /account."""
    fill_password_login(page, base, username, password)
    expect(page).to_have_url(base + "/account")


def log_out(page) -> None:
    page.get_by_role("button", name="退出").click()
