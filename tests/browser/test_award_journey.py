"""The award journey (定标) in a real browser with the real local signing agent: the evaluation of
``support.award`` done (three experts signed the summary and the report, the agency stamped the
report; supplier2 first, supplier second), the
purchaser and the agency each with a SoftHSM2 token holding its signing key and seal, bound to it.
The purchaser opens the ranking from the tender page, is refused the second-ranked bidder without a
reason, confirms the first and stamps the confirmation through ``bidtool agent``; the agency makes the
notices and stamps the award notice, then the result notice; the winner and the other bidder each
see their own notice. The stamped award notice verifies. Screenshots of every step at 1280 px and
390 px (``award-*``); no page scrolls sideways at 390 px."""
from __future__ import annotations

import base64

import pytest
from playwright.sync_api import Page, expect
from support.auth import PASSWORD
from support.award import award_bid_ca, award_world_of  # noqa: F401  (award_bid_ca is the fixture ``bid_ca``)
from support.bids import CA_T0
from support.browser import log_in_with_password, log_out, steps
from support.experts import expert_world  # noqa: F401  (fixture)
from support.journeys import agent_options, served
from support.stamping import party_identity

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca.tokens import issue_to_token

pytestmark = pytest.mark.browser

PIN, SO_PIN = "award-pin-2468", "award-so-1357"


def _bind_token_certificate(app, party_id: int, agent, origin: str, cert_der: bytes, seal_png: bytes,
                            seal_kind: str) -> None:
    """Bind the token's certificate with its seal as the bind page does: a challenge the agent signs."""
    from app import context
    from app.certificates.proof import proof_settings
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from bidding.parties.models import Party
    from pki.seal import Seal
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", "award-journey", origin)
        signed = agent.post("/v1/sign", {"certificate": agent.cert_id(cert_der), "pin": PIN,
                                         "data": base64.b64encode(issued.message).decode()}, origin=origin)
        assert signed.status == 200, signed.body
        party = context.uow().session.get(Party, party_id)
        bind_certificate(context.uow(), party_id, base64.b64decode(signed.json["signature"]), issued.id,
                         "award-journey", origin, seal=Seal(party.name, party.credit_code, seal_kind, seal_png),
                         **proof_settings())


def _token(ca, hsm_dir, label: str, identity, algorithm: str):
    """A SoftHSM2 token with a signing key pair, its certificate (issued at CA_T0, before the frozen
    clock) and the seal the CA delivers with it."""
    hsm = init_softhsm_token(hsm_dir, label, SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    made = issue_to_token(ca, session, "cfca", identity, algorithm=algorithm, purpose="signing",
                          label=f"signing-{algorithm}", at=CA_T0)
    tokens.close_sessions()
    return hsm, made


@pytest.fixture
def journey(expert_world, bid_ca, tmp_path):  # noqa: F811  (the fixtures imported above)
    world = award_world_of(expert_world, bid_ca)       # its file keys are not in the agent: only the tokens show
    app = world.app
    on_tokens = {who: _token(bid_ca, tmp_path / "hsm", f"award-{who}", party_identity(who), algorithm)
                 for who, algorithm in (("purchaser", "rsa"), ("agency", "ec"))}
    agent = agent_options(bid_ca, "cfca", hsms=[hsm for hsm, _ in on_tokens.values()], chains=["rsa", "ec"])
    app.config["WTF_CSRF_ENABLED"] = True                # the pages as in production
    with served(app, "award-journey", agent=agent, state_dir=tmp_path / "agent-state") as live:
        for who, (_, on_token) in on_tokens.items():
            record = on_token.record
            _bind_token_certificate(app, world.parties[who], live.agent, live.base,
                                    bid_ca.certificate(record.serial).dump(), bid_ca.path(record.seal_file).read_bytes(),
                                    record.seal_kind)
        tokens.close_sessions()
        yield live.base, world


_step = steps("award")


def _stamp(page: Page, expected: str, where: str) -> None:
    panel = page.locator("#stamp-panel")
    option = panel.locator(".stamp-option")
    expect(option).to_have_count(1, timeout=20_000)
    expect(option.locator("img.seal-thumb")).to_be_visible()
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="签章").click()
    expect(page.locator(where)).to_contain_text(expected, timeout=60_000)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)       # one backend is enough for the pages
def test_confirm_the_winner_and_send_the_notices(page: Page, journey, screenshots):
    base, world = journey
    tid = world.tender_id
    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#award-link").get_by_role("link", name="定标：确认中标人").click()
    expect(page.locator("#ranking tbody tr")).to_have_count(2)
    expect(page.locator("#ranking tbody tr").first).to_contain_text("测试供应商乙")
    _step(page, screenshots, "ranking")

    form = page.locator("#confirm-form")
    form.get_by_label("第 2 名：测试供应商甲", exact=False).check()
    form.get_by_role("button", name="生成中标人确认书").click()
    expect(page.locator("#action-error")).to_contain_text("须说明理由")
    _step(page, screenshots, "reason-required")

    page.locator("#confirm-form").get_by_label("第 1 名：测试供应商乙", exact=False).check()
    page.locator("#confirm-form").get_by_role("button", name="生成中标人确认书").click()
    expect(page.locator("#award-state")).to_contain_text("待采购人签章确认")
    expect(page.locator("#stamp-panel .stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "confirmation-drafted")
    _stamp(page, "采购人已确认中标人", "#award-state")
    expect(page.locator("#confirmed-note")).to_be_visible()
    _step(page, screenshots, "confirmed")
    log_out(page)

    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#award-link").get_by_role("link").click()
    form = page.locator("#notices-form")
    form.get_by_label("履约期限（可不填）").fill("合同签订后 30 日内交货并安装调试")
    form.get_by_label("签订合同的期限（天）").fill("25")
    _step(page, screenshots, "notices-form")
    form.get_by_role("button", name="生成中标通知书和中标结果通知书").click()
    expect(page.locator("#stamp-heading")).to_contain_text("中标通知书：")
    expect(page.locator("#notices .notice-row")).to_have_count(2)
    _step(page, screenshots, "notices-made")
    _stamp(page, "中标通知书已发出", "#award-state")
    expect(page.locator("#stamp-heading")).to_contain_text("中标结果通知书")
    _step(page, screenshots, "award-notice-sent")
    _stamp(page, "全部通知书均已签章发出", "#all-sent")
    _step(page, screenshots, "all-sent")
    notice_href = page.locator("#notices a").first.get_attribute("href")
    log_out(page)

    log_in_with_password(page, base, "supplier2", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#award-link").get_by_role("link").click()
    expect(page.locator("#won")).to_be_visible()
    expect(page.locator("#notice-title")).to_have_text("中标通知书")
    _step(page, screenshots, "winner")
    pdf = page.request.get(base + page.locator("#download-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
    from app.certificates.proof import crls
    from app.trust import trust_list
    from pki.pdf import verify_pdf
    with world.app.app_context():
        report = verify_pdf(pdf.body(), trust=trust_list(), crls=crls(), at=world.clock.now())
    assert report.ok(), [s.problems for s in report.signatures]
    assert len(report.signatures) == 1 and "测试代理机构" in report.signatures[0].signer_subject
    log_out(page)

    log_in_with_password(page, base, "supplier", PASSWORD)
    page.goto(f"{base}/tenders/{tid}/award/my-notice")
    expect(page.locator("#not-won")).to_be_visible()
    expect(page.locator("#own-rank")).to_contain_text("第 2 名")
    _step(page, screenshots, "other-bidder")
    assert page.request.get(base + notice_href).status == 404           # the winner's notice is not theirs
