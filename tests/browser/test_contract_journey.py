"""The contract journey in a real browser with the real local signing agent: a tender whose award
is notified (rows: support.contracts' shortcut, which the e2e journey replaces), the purchaser (RSA
token) and the winning supplier (EC token), each with its seal bound. The purchaser opens the
contract from the tender page, drafts it (a refused field first), stamps it with its cross-page
seal; the supplier refuses with a reason; the purchaser revises and stamps again; the supplier
stamps; the purchaser files it. The final PDF verifies with both signatures, each with its slices.
Screenshots of every step at 1280 px and 390 px (``contract-*``); nothing scrolls sideways at 390 px."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.auth import PASSWORD, make_accounts
from support.bids import open_tender
from support.browser import log_in_with_password, log_out, steps
from support.contracts import bind_token_certificate, notified_award, opened_bid
from support.journeys import (
    JOURNEY_SETTINGS,
    agent_options,
    migrated_app,
    served,
    token_with_keys,
)
from support.stamping import party_identity, tsa_identity

from pki import pkcs11 as tokens
from pki.devca import DevCA

pytestmark = pytest.mark.browser

PIN, SO_PIN = "contract-pin-2468", "contract-so-1357"
TITLE = "2027 年度办公设备采购"


@pytest.fixture
def journey(tmp_path, isolated_tokens):
    from app.extensions import db
    from bidding.accounts.models import Account

    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
    accounts = make_accounts(app, ("purchaser", "agency", "supplier", "supplier2"))
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
        now = app.extensions["clock"].now()
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["cfca"])
    ca.ensure_service_certificate("tsa", Path(app.config["DEVCA_DIR"]) / "tsa", tsa_identity(), profile="cfca",
                                  algorithm="rsa")
    tender_id = open_tender(app, parties, deadline=now - timedelta(days=3), title=TITLE)
    bid = opened_bid(app, tender_id, parties["supplier"], accounts["supplier"], "900000.00", now - timedelta(days=4))
    opened_bid(app, tender_id, parties["supplier2"], accounts["supplier2"], "980000.00", now - timedelta(days=4))
    notified_award(app, tender_id=tender_id, bid_id=bid, winner_party_id=parties["supplier"],
                   agency_party_id=parties["agency"], purchaser_account_id=accounts["purchaser"], price="900000.00")
    on_tokens = {who: token_with_keys(ca, tmp_path / "hsm", f"contract-{who}", party_identity(who), "cfca",
                                      [(algorithm, "signing")], pin=PIN, so_pin=SO_PIN)
                 for who, algorithm in (("purchaser", "rsa"), ("supplier", "ec"))}
    agent = agent_options(ca, "cfca", hsms=[hsm for hsm, _ in on_tokens.values()], chains=["rsa", "ec"])
    with served(app, "contract-journey", agent=agent, state_dir=tmp_path / "agent-state") as live:
        for who, (_, (on_token,)) in on_tokens.items():
            record = on_token.record
            bind_token_certificate(app, parties[who], live.agent, live.base, ca.certificate(record.serial).dump(),
                                   ca.path(record.seal_file).read_bytes(), record.seal_kind, PIN)
        tokens.close_sessions()
        yield live.base, app, tender_id


_step = steps("contract")


def _stamp(page: Page, expected_state: str) -> None:
    panel = page.locator("#stamp-panel")
    option = panel.locator(".stamp-option")
    expect(option).to_have_count(1, timeout=20_000)
    expect(option.locator("img.seal-thumb")).to_be_visible()
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="签章").click()
    try:
        expect(page.locator("#contract-state")).to_contain_text(expected_state, timeout=180_000)   # a loaded machine
    except AssertionError:      # say what the panel answered
        raise AssertionError(panel.locator(".stamp-result").inner_text()) from None


def _open_contract(page: Page, base: str) -> None:
    page.goto(base + "/contracts")
    page.get_by_role("link", name=TITLE).click()


def test_draft_stamp_refuse_revise_stamp_file(page: Page, journey, screenshots):
    base, app, tender_id = journey
    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.get_by_role("link", name="采购合同").click()
    expect(page.locator("#awards-to-contract")).to_contain_text("测试供应商甲")
    _step(page, screenshots, "list-to-draft")

    page.goto(base + f"/tenders/{tender_id}")
    page.locator("#contract-link a").click()
    expect(page.locator("#award-summary")).to_contain_text("900,000.00 元（玖拾万元整）")
    form = page.locator("#contract-form")
    form.locator("textarea[name=payment_terms]").fill("合同签订后 10 个工作日内支付 30%，验收合格后 15 个工作日内支付 70%。")
    form.locator("input[name=delivery_place]").fill("广州市天河区体育西路 1 号")
    form.locator("input[name=delivery_date]").fill("2020-01-01")
    form.get_by_role("button", name="生成合同文件").click()
    expect(page.locator(".field-error")).to_contain_text("交付日期不能早于今天")
    _step(page, screenshots, "draft-form-error")
    page.locator("input[name=delivery_date]").fill("2027-03-31")
    page.get_by_role("button", name="生成合同文件").click()
    expect(page.locator("#contract-state")).to_contain_text("草稿（待采购人签章）")
    pdf = page.request.get(base + page.locator("#view-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "draft")
    _stamp(page, "采购人已签章（待供应商签章）")
    _step(page, screenshots, "stamped-by-purchaser")
    log_out(page)

    log_in_with_password(page, base, "supplier", PASSWORD)
    _open_contract(page, base)
    expect(page.locator("#refuse-form")).to_be_visible()
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "supplier-incoming")
    page.locator("#refuse-form textarea").fill("交付期限应为投标文件承诺的 2027-02-28，请修改。")
    page.locator("#refuse-form").get_by_role("button", name="拒签并通知采购人").click()
    expect(page.locator("#contract-state")).to_contain_text("供应商已拒签")
    _step(page, screenshots, "refused")
    log_out(page)

    log_in_with_password(page, base, "purchaser", PASSWORD)
    _open_contract(page, base)
    expect(page.locator("#refusal-reason")).to_contain_text("2027-02-28")
    page.locator("#revise-link").click()
    page.locator("input[name=delivery_date]").fill("2027-02-28")
    _step(page, screenshots, "revise-form")
    page.get_by_role("button", name="保存修改并生成新的合同文件").click()
    expect(page.locator("#contract-state")).to_contain_text("-2")
    _stamp(page, "采购人已签章（待供应商签章）")
    log_out(page)

    log_in_with_password(page, base, "supplier", PASSWORD)
    _open_contract(page, base)
    _stamp(page, "双方已签章（待采购人备案）")
    _step(page, screenshots, "stamped-by-both")
    log_out(page)

    log_in_with_password(page, base, "purchaser", PASSWORD)
    _open_contract(page, base)
    page.locator("#file-form").get_by_role("button", name="备案").click()
    expect(page.locator("#contract-state")).to_contain_text("已备案")
    history = page.locator("#history")
    for step in ("采购人起草", "供应商拒签", "采购人修改后重新起草", "供应商签章（含骑缝章）", "采购人备案"):
        expect(history).to_contain_text(step)
    expect(page.locator("#revisions tbody tr")).to_have_count(3)
    _step(page, screenshots, "filed")

    final = page.request.get(base + page.locator("#download-pdf").get_attribute("href"))
    assert final.ok
    from app.certificates.proof import crls
    from app.trust import trust_list
    from pki.pdf import verify_pdf
    with app.app_context():
        report = verify_pdf(final.body(), trust=trust_list(), crls=crls())
    assert report.ok(), [s.problems for s in report.signatures]
    assert [s.cross_page for s in report.signatures] == [True, True]
    assert "测试采购单位" in report.signatures[0].signer_subject and "测试供应商甲" in report.signatures[1].signer_subject
