"""Helpers of the browser tests (fixtures are in tests/browser/conftest.py)."""
from __future__ import annotations

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
