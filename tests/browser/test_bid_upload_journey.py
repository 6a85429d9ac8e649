"""The supplier's bid upload in a real browser: the bid page of a tender it registered for shows its
bound encryption certificate and how to seal the bid with ``bidtool pack``; a plaintext PDF is refused
at once; the sealed package (made as ``bidtool pack`` makes it) uploads in chunks with a progress bar
and a connection that breaks twice on the way (the page waits, asks where the upload stands and goes
on); the platform's receipt downloads and verifies. A second, replacing bid whose connection dies is
resumed after the page is reloaded and the same file chosen again; the first bid shows as replaced;
the current one is withdrawn with its own receipt. Screenshots of every step at 1280 px and 390 px
(``bid-upload-*``); no page scrolls sideways at 390 px."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bidding.clock import FrozenClock
from pki.certs import load_certificate
from pki.receipts import verify_receipt
from support.auth import PASSWORD, make_accounts
from support.bids import (CLOCK_T, bid_ca, bid_settings, bind_encryption, keys, open_tender,  # noqa: F401
                          register, root_pem, sealed_package, tender_of)
from support.browser import log_in_with_password, steps
from support.journeys import JOURNEY_SETTINGS, migrated_app, served
from support.tenders import tender_pdf

pytestmark = pytest.mark.browser

CHUNK = 64 * 1024


@dataclass
class Journey:
    base: str
    app: object
    tender_id: int
    first: Path
    second: Path
    plaintext: Path


@pytest.fixture
def journey(tmp_path, bid_ca, keys):
    from app.extensions import db
    from bidding.accounts.models import Account
    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS, **bid_settings(bid_ca), CLOCK=FrozenClock(CLOCK_T),
                       BID_MAX_CHUNK=CHUNK)
    accounts = make_accounts(app, ("supplier", "agency", "purchaser"))
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
        code = db.session.get(Account, accounts["supplier"]).party.credit_code
    tender_id = open_tender(app, parties, title="2027 年度办公设备采购项目")
    register(app, tender_id, "supplier")
    bind_encryption(app, parties["supplier"], keys["rsa"])
    tender = tender_of(app, tender_id)
    files = {}
    for name, price in (("first", "1234567.80"), ("second", "1198000.00")):
        data = sealed_package(tmp_path / name, keys["signing"], [keys["rsa"]], tender=tender.public_id, bidder=code,
                              price=price, files={"技术标.pdf": tender_pdf(f"Technical {name}", 12),
                                                  "报价单.pdf": tender_pdf(f"Price {price}", 2),
                                                  "图纸.bin": os.urandom(700 * 1024)})   # ~12 chunks
        files[name] = tmp_path / f"{name}-bid.p7m"
        files[name].write_bytes(data)
    plaintext = tmp_path / "unsealed-bid.pdf"
    plaintext.write_bytes(tender_pdf("Unsealed bid", 3))
    with served(app, "bid-upload-journey") as live:
        yield Journey(live.base, app, tender_id, files["first"], files["second"], plaintext)


_step = steps("bid-upload")


def _choose_and_upload(page: Page, path: Path) -> None:
    page.locator("#bid-file").set_input_files(str(path))
    page.locator("#upload-button").click()


def _break_patches(page: Page, which: set[int]) -> list[int]:
    """Abort the PATCH requests whose number (from 1) is in ``which``; returns the running count."""
    seen = [0]

    def handle(route):
        if route.request.method == "PATCH":
            seen[0] += 1
            if seen[0] in which:
                route.abort("connectionreset")
                return
        route.continue_()
    page.route("**/api/v1/uploads/*", handle)
    return seen


def test_upload_with_progress_resume_receipt_replace_and_withdraw(page: Page, journey, screenshots, bid_ca):
    base = journey.base
    log_in_with_password(page, base, "supplier", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="我的投标").click()
    expect(page.locator("#no-bids")).to_be_visible()
    page.goto(f"{base}/tenders/{journey.tender_id}/bid")
    expect(page.locator("#encryption-certificates li")).to_have_count(1)
    expect(page.locator("#pack-instructions")).to_contain_text("bidtool pack --tender ZB-")
    _step(page, screenshots, "page")

    # a plaintext PDF is refused at its first chunk (R16)
    _choose_and_upload(page, journey.plaintext)
    expect(page.locator("#upload-status")).to_contain_text("投标文件必须加密", timeout=30_000)
    _step(page, screenshots, "plaintext-refused")

    # the sealed bid, with two broken chunks on the way
    seen = _break_patches(page, {3, 4})
    _choose_and_upload(page, journey.first)
    expect(page.locator("#upload-status")).to_contain_text("连接中断", timeout=30_000)
    expect(page.locator("#upload-progress")).to_be_visible()
    _step(page, screenshots, "interrupted")
    result = page.locator("#upload-result")
    expect(result).to_contain_text("投标已提交", timeout=60_000)
    expect(page.locator("#upload-progress")).to_have_attribute("value", "100")
    assert seen[0] > journey.first.stat().st_size // CHUNK + 2       # every chunk, and the two retried
    page.unroute("**/api/v1/uploads/*")
    expect(page.locator("#bids-table tbody tr")).to_have_count(1, timeout=10_000)
    expect(page.locator("#bids-table")).to_contain_text("已递交")
    _step(page, screenshots, "submitted")

    receipt = page.request.get(base + result.locator("#receipt-download").get_attribute("href"))
    assert receipt.ok and receipt.headers["content-type"] == "application/pkcs7-mime"
    root = load_certificate(root_pem(bid_ca).read_bytes())
    check = verify_receipt(receipt.body(), trust_roots=[root], tsa_roots=[root])
    assert check.ok, check.reasons
    assert check.fields.size == journey.first.stat().st_size and check.fields.action == "submitted"

    # a replacing bid: the connection dies for good after two chunks; the page is reloaded, the same
    # file chosen again, and the upload goes on where it stopped
    _break_patches(page, set(range(3, 1000)))
    _choose_and_upload(page, journey.second)
    expect(page.locator("#upload-status")).to_contain_text("连接中断", timeout=30_000)
    page.unroute("**/api/v1/uploads/*")
    page.reload()
    _choose_and_upload(page, journey.second)
    expect(page.locator("#upload-status")).to_contain_text("从上次中断处", timeout=30_000)
    expect(page.locator("#upload-result")).to_contain_text("投标已提交", timeout=60_000)
    rows = page.locator("#bids-table tbody tr")
    expect(rows).to_have_count(2, timeout=10_000)
    expect(rows.nth(0)).to_contain_text("已递交")
    expect(rows.nth(0)).to_contain_text("替换")
    expect(rows.nth(1)).to_contain_text("已替换")
    _step(page, screenshots, "replaced")

    # withdraw the current bid: its receipt is offered
    page.once("dialog", lambda dialog: dialog.accept())
    rows.nth(0).locator(".withdraw-button").click()
    expect(page.locator(".flash")).to_contain_text("已撤回")
    expect(page.locator("#bids-table tbody tr").nth(0)).to_contain_text("已撤回")
    withdrawal = page.locator(".withdrawal-receipt-link")
    expect(withdrawal).to_have_count(1)
    answer = page.request.get(base + withdrawal.get_attribute("href"))
    check = verify_receipt(answer.body(), trust_roots=[root], tsa_roots=[root])
    assert check.ok and check.fields.action == "withdrawn"
    _step(page, screenshots, "withdrawn")

    page.get_by_role("navigation").get_by_role("link", name="我的投标").click()
    expect(page.locator("#bids-table tbody tr")).to_have_count(2)
    _step(page, screenshots, "list")
