"""The delegation agreement journey in a real browser with the real local signing agent: a
purchaser and an agency (the test parties, each with a SoftHSM2 token holding its signing key and
the seal the CA delivered, bound to it) — the purchaser drafts an agreement and stamps it through
``bidtool agent``; the agency refuses it with a reason; the purchaser revises and stamps again; the
agency stamps; the agency files it. The final PDF verifies with both signatures. Screenshots of every
step at 1280 px and 390 px (``agreement-*``); no page scrolls sideways at 390 px."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pki import pkcs11 as tokens
from pki.devca import DevCA
from support.agent import AgentClient
from support.auth import PASSWORD, make_accounts
from support.browser import log_in_with_password, log_out, steps
from support.journeys import (JOURNEY_SETTINGS, agent_options, expect_the_agent_missing, migrated_app, served,
                              token_with_keys, without_the_agent)
from support.stamping import party_identity, tsa_identity

pytestmark = pytest.mark.browser

PIN, SO_PIN = "agreement-pin-2468", "agreement-so-1357"


@dataclass
class Journey:
    base: str
    app: object


def _bind_token_certificate(app, party_id: int, agent: AgentClient, origin: str, cert_der: bytes, seal_png: bytes,
                            seal_kind: str) -> None:
    """Bind the token's certificate to the party as the bind page does: a challenge signed by the agent."""
    from app import context
    from app.certificates.proof import proof_settings
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from bidding.parties.models import Party
    from pki.seal import Seal
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", "journey-session", origin)
        signed = agent.post("/v1/sign", {"certificate": agent.cert_id(cert_der), "pin": PIN,
                                         "data": base64.b64encode(issued.message).decode()}, origin=origin)
        assert signed.status == 200, signed.body
        party = context.uow().session.get(Party, party_id)
        seal = Seal(party.name, party.credit_code, seal_kind, seal_png)
        bind_certificate(context.uow(), party_id, base64.b64decode(signed.json["signature"]), issued.id,
                         "journey-session", origin, seal=seal, **proof_settings())


@pytest.fixture
def journey(tmp_path, isolated_tokens):
    from app.extensions import db
    from bidding.accounts.models import Account

    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
    accounts = make_accounts(app, ("purchaser", "agency", "supplier"))
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["cfca"])                                  # the app's own anchors and CRL directory
    ca.ensure_service_certificate("tsa", Path(app.config["DEVCA_DIR"]) / "tsa", tsa_identity(), profile="cfca",
                                  algorithm="rsa")           # where /tsa (and stamping) find the platform's TSA

    on_tokens = {who: token_with_keys(ca, tmp_path / "hsm", f"journey-{who}", party_identity(who), "cfca",
                                      [(algorithm, "signing")], pin=PIN, so_pin=SO_PIN)
                 for who, algorithm in (("purchaser", "rsa"), ("agency", "ec"))}
    agent = agent_options(ca, "cfca", hsms=[hsm for hsm, _ in on_tokens.values()], chains=["rsa", "ec"])
    with served(app, "agreement-journey", agent=agent, state_dir=tmp_path / "agent-state") as live:
        for who, (_, (on_token,)) in on_tokens.items():
            record = on_token.record
            _bind_token_certificate(app, parties[who], live.agent, live.base, ca.certificate(record.serial).dump(),
                                    ca.path(record.seal_file).read_bytes(), record.seal_kind)
        tokens.close_sessions()
        yield Journey(live.base, app)


_step = steps("agreement")


def _stamp(page: Page, expected_state: str) -> None:
    panel = page.locator("#stamp-panel")
    option = panel.locator(".stamp-option")
    expect(option).to_have_count(1, timeout=20_000)
    expect(option.locator("img.seal-thumb")).to_be_visible()
    expect(panel.locator(".stamp-unusable")).to_contain_text("未绑定到本单位")     # the other party's token
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="签章").click()
    expect(page.locator("#agreement-state")).to_contain_text(expected_state, timeout=60_000)


def test_draft_stamp_refuse_revise_stamp_file(page: Page, journey, screenshots):
    base = journey.base
    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.get_by_role("link", name="委托协议").click()
    expect(page.locator("#no-agreements")).to_be_visible()
    _step(page, screenshots, "list-empty")

    page.get_by_role("link", name="起草委托协议").click()
    form = page.locator("#agreement-form")
    form.locator("select[name=agency_id]").select_option(index=1)
    form.get_by_label("项目名称").fill("2027 年度办公设备采购")
    form.locator("textarea[name=scope]").fill("台式计算机 200 台、激光打印机 30 台的采购，含三年上门维保。")
    form.locator("select[name=procurement_method]").select_option("公开招标")
    form.get_by_label("采购预算（元）").fill("1,200,000.00")
    form.locator("input[name=fee]").fill("十五万")
    form.locator("textarea[name=fee_terms]").fill("由中标人在领取中标通知书时支付")
    form.get_by_role("button", name="生成协议文件").click()
    expect(page.locator(".field-error")).to_contain_text("代理服务费须为数字金额")
    _step(page, screenshots, "draft-form-error")
    form.locator("input[name=fee]").fill("15000")
    form.get_by_role("button", name="生成协议文件").click()
    expect(page.locator("#agreement-state")).to_contain_text("草稿（待采购人签章）")
    pdf = page.request.get(base + page.locator("#view-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "draft")
    _stamp(page, "采购人已签章（待代理机构签章）")
    _step(page, screenshots, "stamped-by-purchaser")
    log_out(page)

    log_in_with_password(page, base, "agency", PASSWORD)
    page.get_by_role("link", name="委托协议").click()
    page.get_by_role("link", name="2027 年度办公设备采购").click()
    expect(page.locator("#refuse-form")).to_be_visible()
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "agency-incoming")
    page.locator("#refuse-form textarea").fill("代理服务费应由采购人支付，请修改后重新发送。")
    page.locator("#refuse-form").get_by_role("button", name="拒签并通知采购人").click()
    expect(page.locator("#agreement-state")).to_contain_text("代理机构已拒签")
    _step(page, screenshots, "refused")
    log_out(page)

    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(base + "/party")
    expect(page.locator("body")).to_contain_text("代理服务费应由采购人支付")          # the notice
    page.goto(base + "/agreements")
    page.get_by_role("link", name="2027 年度办公设备采购").click()
    expect(page.locator("#refusal-reason")).to_contain_text("代理服务费应由采购人支付")
    page.locator("#revise-link").click()
    page.locator("textarea[name=fee_terms]").fill("由采购人在协议备案后 30 日内支付")
    _step(page, screenshots, "revise-form")
    page.get_by_role("button", name="保存修改并生成新的协议文件").click()
    expect(page.locator("#agreement-state")).to_contain_text("WT-")
    expect(page.locator("#agreement-state")).to_contain_text("-2")
    _stamp(page, "采购人已签章（待代理机构签章）")
    log_out(page)

    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(base + "/agreements")
    page.get_by_role("link", name="2027 年度办公设备采购").click()
    _stamp(page, "双方已签章（待备案）")
    _step(page, screenshots, "stamped-by-both")
    page.locator("#file-form").get_by_role("button", name="备案").click()
    expect(page.locator("#agreement-state")).to_contain_text("已备案")
    history = page.locator("#history")
    for step in ("采购人起草", "代理机构拒签", "采购人修改后重新起草", "代理机构签章", "备案"):
        expect(history).to_contain_text(step)
    expect(page.locator("#revisions tbody tr")).to_have_count(3)
    _step(page, screenshots, "filed")

    final = page.request.get(base + page.locator("#download-pdf").get_attribute("href"))
    assert final.ok
    from app.trust import trust_list
    from pki.pdf import verify_pdf
    from app.certificates.proof import crls
    with journey.app.app_context():
        report = verify_pdf(final.body(), trust=trust_list(), crls=crls())
    assert report.ok(), [s.problems for s in report.signatures]
    assert len(report.signatures) == 2
    assert "测试采购单位" in report.signatures[0].signer_subject and "测试代理机构" in report.signatures[1].signer_subject


def test_without_the_agent_the_stamp_panel_says_how_to_start_it(page: Page, journey, screenshots):
    base = journey.base
    without_the_agent(page)
    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(base + "/agreements/new")
    page.locator("select[name=agency_id]").select_option(index=1)
    page.locator("input[name=project_name]").fill("物业服务采购")
    page.locator("textarea[name=scope]").fill("办公楼物业服务一年")
    page.locator("input[name=budget]").fill("360000")
    page.locator("textarea[name=fee_terms]").fill("按国家规定标准的 80% 收取")
    page.get_by_role("button", name="生成协议文件").click()
    expect_the_agent_missing(page, "#stamp-panel", base)
    _step(page, screenshots, "no-agent")
