"""The tender journey in a real browser with the real local signing agent (``bidtool agent``): the
agency (EC key on a SoftHSM2 token, bound with its seal) creates a project for the purchaser under
their filed delegation agreement, uploads the 招标文件 and stamps it through the agent; the purchaser
(RSA token) writes the 采购文件审核意见书 and stamps it; the agency publishes with Beijing times; a
supplier finds the tender on the public list, registers (报名) and downloads the stamped 招标文件,
whose signature verifies. Screenshots of every step at 1280 px and 390 px (``tender-*``); no page
scrolls sideways at 390 px. The delegation agreement is recorded straight into the database (its own
journey is tests/browser/test_agreement_journey.py)."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pki import pkcs11 as tokens
from pki.devca import DevCA
from support.agent import AgentClient
from support.auth import PASSWORD, make_accounts
from support.browser import log_in_with_password, log_out, steps
from support.journeys import JOURNEY_SETTINGS, agent_options, migrated_app, served, token_with_keys
from support.stamping import party_identity, tsa_identity
from support.tenders import recorded_agreement, tender_pdf

pytestmark = pytest.mark.browser

PIN, SO_PIN = "tender-pin-2468", "tender-so-1357"
BEIJING = timezone(timedelta(hours=8))
_step = steps("tender")


@dataclass
class Journey:
    base: str
    app: object
    pdf: Path


def _bind(app, party_id: int, agent: AgentClient, origin: str, cert_der: bytes, seal_png: bytes, seal_kind: str) -> None:
    """Bind the token's certificate to the party as the bind page does: a challenge signed by the agent."""
    from app import context
    from app.certificates.proof import proof_settings
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from bidding.parties.models import Party
    from pki.seal import Seal
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", "tender-journey", origin)
        signed = agent.post("/v1/sign", {"certificate": agent.cert_id(cert_der), "pin": PIN,
                                         "data": base64.b64encode(issued.message).decode()}, origin=origin)
        assert signed.status == 200, signed.body
        party = context.uow().session.get(Party, party_id)
        bind_certificate(context.uow(), party_id, base64.b64decode(signed.json["signature"]), issued.id,
                         "tender-journey", origin, seal=Seal(party.name, party.credit_code, seal_kind, seal_png),
                         **proof_settings())


@pytest.fixture
def journey(tmp_path, isolated_tokens):
    from app.extensions import db
    from bidding.accounts.models import Account

    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
    accounts = make_accounts(app, ("purchaser", "agency", "supplier"))
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    recorded_agreement(app, parties["purchaser"], parties["agency"])
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["cfca"])                                  # the app's own anchors and CRL directory
    ca.ensure_service_certificate("tsa", Path(app.config["DEVCA_DIR"]) / "tsa", tsa_identity(), profile="cfca",
                                  algorithm="rsa")
    on_tokens = {who: token_with_keys(ca, tmp_path / "hsm", f"tender-{who}", party_identity(who), "cfca",
                                      [(algorithm, "signing")], pin=PIN, so_pin=SO_PIN)
                 for who, algorithm in (("purchaser", "rsa"), ("agency", "ec"))}
    agent = agent_options(ca, "cfca", hsms=[hsm for hsm, _ in on_tokens.values()], chains=["rsa", "ec"])
    document = tmp_path / "招标文件.pdf"
    document.write_bytes(tender_pdf("Tender documents: office equipment 2027", pages=4))
    with served(app, "tender-journey", agent=agent, state_dir=tmp_path / "agent-state") as live:
        for who, (_, (on_token,)) in on_tokens.items():
            record = on_token.record
            _bind(app, parties[who], live.agent, live.base, ca.certificate(record.serial).dump(),
                  ca.path(record.seal_file).read_bytes(), record.seal_kind)
        tokens.close_sessions()
        yield Journey(live.base, app, document)


def _stamp(page: Page, state: str, expected: str) -> None:
    panel = page.locator("#stamp-panel")
    option = panel.locator(".stamp-option")
    expect(option).to_have_count(1, timeout=20_000)
    expect(option.locator("img.seal-thumb")).to_be_visible()
    expect(panel.locator(".stamp-unusable")).to_contain_text("未绑定到本单位")     # the other party's token
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="签章").click()
    expect(page.locator(state)).to_contain_text(expected, timeout=60_000)


def _open_my_tender(page: Page) -> None:
    page.get_by_role("link", name="我的项目").click()
    page.get_by_role("link", name="2027 年度办公设备采购项目").click()


def test_project_documents_review_publish_register_download(page: Page, journey, screenshots):
    base = journey.base
    log_in_with_password(page, base, "agency", PASSWORD)
    page.get_by_role("link", name="我的项目").click()
    expect(page.locator("#no-tenders")).to_be_visible()
    page.get_by_role("link", name="创建采购项目").click()
    form = page.locator("#project-form")
    form.locator("select[name=purchaser_id]").select_option(index=1)
    form.get_by_label("项目名称").fill("2027 年度办公设备采购项目")
    form.locator("select[name=method]").select_option("公开招标")
    form.get_by_label("采购预算（元）").fill("1,200,000.00")
    form.locator("textarea[name=description]").fill("台式计算机 200 台、激光打印机 30 台，含三年上门维保。")
    form.locator("#lot-name-1").fill("台式计算机")
    form.locator("#lot-budget-1").fill("1000000")
    form.locator("#lot-name-2").fill("激光打印机")
    form.locator("#lot-budget-2").fill("100000")
    form.get_by_role("button", name="创建项目").click()
    expect(page.locator("#lots-error")).to_contain_text("须等于项目预算")
    _step(page, screenshots, "project-form-error")
    page.locator("#lot-budget-2").fill("200000")
    page.get_by_role("button", name="创建项目").click()
    expect(page.locator("#tender-phase")).to_contain_text("未发布")
    expect(page.locator("#lots")).to_contain_text("激光打印机")
    _step(page, screenshots, "draft")

    page.locator("#documents-form input[name=file]").set_input_files(str(journey.pdf))
    page.locator("#documents-form").get_by_role("button", name="上传招标文件").click()
    expect(page.locator("#documents-state")).to_contain_text("待代理机构签章")
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "documents-uploaded")
    _stamp(page, "#documents-state", "代理机构已签章")
    expect(page.locator("#review-state")).to_contain_text("待采购人审核")
    _step(page, screenshots, "documents-stamped")
    log_out(page)

    log_in_with_password(page, base, "purchaser", PASSWORD)
    _open_my_tender(page)
    review = page.locator("#review-form")
    expect(review).to_be_visible()
    review.locator("textarea[name=opinion]").fill("经审核，采购需求明确，资格条件与评分标准合法合规，同意发布。")
    review.locator("select[name=conclusion]").select_option("同意发布")
    review.get_by_role("button", name="生成审核意见书").click()
    expect(page.locator("#review-state")).to_contain_text("待采购人签章")
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "review-written")
    _stamp(page, "#review-state", "采购人已签章")
    expect(page.locator("#ready")).to_contain_text("文件已齐备")
    _step(page, screenshots, "review-stamped")
    log_out(page)

    log_in_with_password(page, base, "agency", PASSWORD)
    _open_my_tender(page)
    now = datetime.now(BEIJING).replace(second=0, microsecond=0)
    deadline, opening = now + timedelta(days=20), now + timedelta(days=20, hours=1)
    publish = page.locator("#publish-form")
    publish.locator("input[name=bid_deadline]").fill(f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M}")
    publish.locator("input[name=opening_at]").fill(f"{opening:%Y-%m-%dT%H:%M}")
    publish.get_by_role("button", name="发布招标公告").click()
    expect(page.locator("#action-error")).to_contain_text("须晚于当前时间")
    _step(page, screenshots, "publish-error")
    publish = page.locator("#publish-form")
    publish.locator("input[name=bid_deadline]").fill(f"{deadline:%Y-%m-%dT%H:%M}")
    publish.locator("input[name=opening_at]").fill(f"{opening:%Y-%m-%dT%H:%M}")
    publish.get_by_role("button", name="发布招标公告").click()
    expect(page.locator("#tender-phase")).to_contain_text("投标中")
    expect(page.locator("#bid-deadline")).to_contain_text(f"{deadline:%Y-%m-%d %H:%M}")
    expect(page.locator("#amendment-form")).to_be_visible()
    _step(page, screenshots, "published")
    log_out(page)

    log_in_with_password(page, base, "supplier", PASSWORD)
    page.get_by_role("link", name="招标公告").click()
    expect(page.locator("#tenders")).to_contain_text("2027 年度办公设备采购项目")
    _step(page, screenshots, "public-list")
    page.get_by_role("link", name="2027 年度办公设备采购项目").click()
    expect(page.locator("#files-locked")).to_be_visible()
    _step(page, screenshots, "notice-before-registration")
    page.locator("#register-form").get_by_role("button", name="报名").click()
    expect(page.locator("#registered")).to_contain_text("本单位已于")
    _step(page, screenshots, "registered")
    download = page.request.get(base + page.locator("#documents-download").get_attribute("href"))
    assert download.ok and download.headers["content-type"] == "application/pdf"

    from app.certificates.proof import crls
    from app.trust import trust_list
    from pki.pdf import verify_pdf
    with journey.app.app_context():
        report = verify_pdf(download.body(), trust=trust_list(), crls=crls())
    assert report.ok(), [s.problems for s in report.signatures]
    assert len(report.signatures) == 1 and "测试代理机构" in report.signatures[0].signer_subject
    page.get_by_role("link", name="我的报名").click()
    expect(page.locator("#tenders")).to_contain_text("投标中")
    log_out(page)

    page.goto(base + "/tenders")                               # anonymous: the notice, no files
    page.get_by_role("link", name="2027 年度办公设备采购项目").click()
    expect(page.locator("#login-to-register")).to_be_visible()
    _step(page, screenshots, "public-notice")
