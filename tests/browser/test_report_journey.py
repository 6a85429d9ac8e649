"""The evaluation report (评标报告) in a real browser (issue 16, part 3's end): the agency generates
the report from the tender page; each of the three experts signs in with a one-time code, opens the
report from its invitations and signs it inside the PDF with a fresh code (its event certificate on
the platform's SoftHSM token, its name in its box); the agency stamps it last through the real local
agent (its RSA main key and seal on a SoftHSM2 token); the purchaser reads the final report. The
final PDF verifies with four signatures. Screenshots at 1280 px and 390 px (``report-*``); no page
scrolls sideways at 390 px.

The evaluation before the report (sheets, summary) is done through the API in the fixture
(``support.report``), on the frozen clock the served app shares."""
from __future__ import annotations

import base64
import re
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from support.auth import PASSWORD
from support.bids import CA_T0, bid_ca  # noqa: F401  (fixture)
from support.browser import log_in_with_password, log_out, steps
from support.experts import expert_world  # noqa: F401  (fixture)
from support.journeys import agent_options, served
from support.report import report_world  # noqa: F401  (fixture)
from support.stamping import party_identity

from pki import pkcs11 as tokens
from pki.devca.tokens import issue_to_token
from pki.pdf import verify_pdf

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

PIN, SO_PIN = "report-agency-2468", "report-agency-1357"
_step = steps("report")


def _bind_token_certificate(app, party_id: int, agent, origin: str, cert_der: bytes, seal_png: bytes,
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
        bind_certificate(context.uow(), party_id, base64.b64decode(signed.json["signature"]), issued.id,
                         "journey-session", origin, seal=Seal(party.name, party.credit_code, seal_kind, seal_png),
                         **proof_settings())


@pytest.fixture
def journey(report_world, bid_ca, tmp_path):  # noqa: F811
    from devsetup.softhsm import init_softhsm_token
    world = report_world
    app = world.app
    hsm = init_softhsm_token(tmp_path / "hsm", "report-agency", SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    on_token = issue_to_token(bid_ca, session, "cfca", party_identity("agency"), algorithm="rsa",
                              purpose="signing", label="signing-rsa", at=CA_T0)
    tokens.close_sessions()
    world.ev.base.clock.set(world.ev.base.clock.now() + timedelta(minutes=2))   # past the sign-in codes' pace
    options = agent_options(bid_ca, "cfca", hsms=[hsm], chains=["rsa"])
    with served(app, "report-journey", agent=options, state_dir=tmp_path / "agent-state") as live:
        record = on_token.record
        _bind_token_certificate(app, world.ev.base.parties["agency"], live.agent, live.base,
                                bid_ca.certificate(record.serial).dump(), bid_ca.path(record.seal_file).read_bytes(),
                                record.seal_kind)
        tokens.close_sessions()
        yield live.base, world


def _last_code(world, key: str) -> str:
    return world.ev.base.last_code(key)


def _expert_signs(page: Page, base: str, world, key: str, screenshots, shoot: bool) -> None:
    contact = world.ev.base.contacts[key]
    page.goto(base + "/experts/sign-in")
    page.locator("#code-request").get_by_label("手机号或邮箱").fill(contact)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-entry")).to_be_visible()
    page.locator("#code-entry").get_by_label("验证码").fill(_last_code(world, key))
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/experts/assignments")
    page.get_by_role("link", name="评标报告").click()
    expect(page.locator("#report-signers")).to_contain_text("待签")
    pdf = page.request.get(base + page.locator("#view-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    if shoot:
        _step(page, screenshots, "expert-before")
    page.get_by_role("button", name="获取签名验证码").click()
    expect(page.get_by_label("验证码")).to_be_visible()
    page.get_by_label("验证码").fill(_last_code(world, key))
    page.get_by_role("button", name="确认签名").click()
    expect(page.locator("#signed-note")).to_be_visible(timeout=30_000)
    if shoot:
        _step(page, screenshots, "expert-signed")
    page.goto(base + "/experts/assignments")
    page.get_by_role("button", name="退出专家登录").click()


def test_experts_sign_the_report_in_the_pdf_and_the_agency_stamps_it(page: Page, journey, screenshots, tmp_path):
    base, world = journey
    tender = world.tender_id
    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tender}")
    page.locator("#to-evaluation-report").click()
    expect(page.locator("#generate-form")).to_be_visible()
    _step(page, screenshots, "agency-generate")
    page.get_by_role("button", name="生成评标报告").click()
    expect(page.locator("#report-state")).to_contain_text("待评审专家签名")
    expect(page.locator("#waiting")).to_be_visible()
    _step(page, screenshots, "agency-waiting")
    log_out(page)

    for n, key in enumerate(world.ev.evaluators):
        _expert_signs(page, base, world, key, screenshots, shoot=n == 0)

    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tender}/evaluation/report")
    expect(page.locator("#report-state")).to_contain_text("待代理机构签章")
    panel = page.locator("#stamp-panel")
    expect(panel.locator(".stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "agency-stamp")
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="签章").click()
    expect(page.locator("#report-state")).to_contain_text("已完成签署", timeout=60_000)
    _step(page, screenshots, "agency-final")
    log_out(page)

    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(f"{base}/tenders/{tender}")
    page.locator("#to-evaluation-report").click()
    expect(page.locator("#final-note")).to_be_visible()
    _step(page, screenshots, "purchaser")
    pdf = page.request.get(base + page.locator("#view-pdf").get_attribute("href")).body()

    from app.certificates.proof import crls
    from app.trust import trust_list
    with world.app.app_context():
        report = verify_pdf(pdf, trust=trust_list(), crls=crls(), at=world.ev.base.clock.now())
    assert report.ok() and len(report.signatures) == 4, [s.problems for s in report.signatures]
    assert [s.algorithm for s in report.signatures] == ["ec", "ec", "ec", "rsa"]
    # the signature page as a person sees it, kept with the screenshots
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", out).group(1))
    from tests.browser.conftest import SCREENSHOT_DIR
    subprocess.run(["pdftoppm", "-r", "80", "-f", str(pages), "-l", str(pages), "-png", "-singlefile", str(path),
                    str(SCREENSHOT_DIR / "report-signed-pdf-last-page")], check=True)
