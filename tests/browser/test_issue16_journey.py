"""Issue 16 end to end in a real browser, each role on its own pages, with the real local signing
agent (SoftHSM2 tokens: the purchaser's RSA key, the agency's EC key, the winner's EC key, each with
its seal bound) and the experts' event certificates on the platform's SoftHSM token.

Start: the fixture state of ``support.experts`` (a published tender, two bids, the expert pool with
one expert who declared a conflict with a bidder; the two pool members who work for a bidder or the
purchaser are set inactive, so the only exclusion is the declared conflict), the clock past the
deadline. The bidding part (bids uploaded and opened) is not replayed in the browser: after the draw
the two bids are marked decrypted with their prices as rows (``support.evaluation.decrypt_bids``) and
the agency's evaluation scheme is put through the JSON API (the agency's session in a test client); the expert list is opened through the
JSON API with the agency's session (``ExpertWorld.open_list``: the agency's encryption key is a file
here, not on a token). Everything else is done on the pages:

the agency draws three experts (the page shows one exclusion; the excluded expert is not on the
list); each expert signs in with a one-time code from the outbox, confirms, signs the commitment
letter, the qualification sheet, the score sheets and the summary; the agency's summary ranks the
bidders as the lowest-price method says for the prices used; the agency generates the report, the
experts sign it in the PDF, the agency stamps it; the purchaser confirms the winner and stamps; the
agency stamps the award notice (and the result notice); the purchaser drafts the contract and stamps
it, the winner stamps it (cross-page seals), the purchaser files it. Finally the report, the award
notice and the contract are downloaded: pdfsig says "Signature is Valid." for each signature (4, 1,
2) and ``pki.pdf.verify_pdf`` validates every one; every contract page has both parties' slices.
Screenshots at 1280 px and 390 px (``issue16-*``)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.auth import PASSWORD, test_uow
from support.award import AWARD_AT, SCORES, award_bid_ca  # noqa: F401  (award_bid_ca is the fixture ``bid_ca``)
from support.bids import CA_T0, DEADLINE, register
from support.browser import log_in_with_password, log_out, steps
from support.contracts import bind_token_certificate
from support.evaluation import SCHEME, decrypt_bids
from support.experts import SPECIALITY, expert_world  # noqa: F401  (fixture)
from support.journeys import agent_options, served
from support.pdfwitness import pdfsig_verdicts, slices_per_page
from support.stamping import party_identity

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca.tokens import issue_to_token

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

PIN, SO_PIN = "issue16-pin-2468", "issue16-so-1357"
PRICES = {"supplier": "900000.00", "supplier2": "1000000.00"}
NAMES = {"supplier": "测试供应商甲", "supplier2": "测试供应商乙"}
TITLE = "2027 年度办公设备采购"     # support.bids.open_tender's title
LONG = 180_000          # the machine is loaded: stamping and PDF signing may take long

_step = steps("issue16")


def _token(ca, hsm_dir, who: str, algorithm: str):
    hsm = init_softhsm_token(hsm_dir, f"i16-{who}", SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    made = issue_to_token(ca, session, "cfca", party_identity(who), algorithm=algorithm, purpose="signing",
                          label=f"signing-{algorithm}", at=CA_T0)
    tokens.close_sessions()
    return hsm, made


@pytest.fixture
def journey(expert_world, bid_ca, tmp_path):  # noqa: F811
    from app.extensions import db
    from bidding.accounts.models import Account
    from bidding.experts.pool import set_expert_active
    world = expert_world
    app = world.app
    for username in ("supplier", "supplier2"):          # 报名 while the tender is open
        register(app, world.tender_id, username)
    with app.app_context():
        operator = db.session.get(Account, world.accounts["operator"])
        for key in ("bidder_employee", "purchaser_employee"):   # only the declared conflict is left to exclude
            set_expert_active(test_uow(app), operator, world.experts[key], False)
    world.after_deadline()
    on_tokens = {who: _token(bid_ca, tmp_path / "hsm", who, algorithm)
                 for who, algorithm in (("purchaser", "rsa"), ("agency", "ec"), ("supplier2", "ec"))}
    agent = agent_options(bid_ca, "cfca", hsms=[hsm for hsm, _ in on_tokens.values()], chains=["rsa", "ec"])
    app.config["WTF_CSRF_ENABLED"] = True                # the pages as in production
    with served(app, "issue16-journey", agent=agent, state_dir=tmp_path / "agent-state") as live:
        for who, (_, on_token) in on_tokens.items():
            record = on_token.record
            bind_token_certificate(app, world.parties[who], live.agent, live.base,
                                   bid_ca.certificate(record.serial).dump(), bid_ca.path(record.seal_file).read_bytes(),
                                   record.seal_kind, PIN)
        tokens.close_sessions()
        yield live.base, world


@contextmanager
def _without_csrf(world):
    """The two JSON API steps in a test client (no CSRF token there): CSRF off for those moments only
    (no page posts meanwhile)."""
    world.app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield
    finally:
        world.app.config["WTF_CSRF_ENABLED"] = True


def _tick(world) -> None:
    """A minute on: past the pace of one-time codes to the same person."""
    world.clock.set(world.clock.now() + timedelta(seconds=61))


def _expected_ranking() -> list[tuple[str, Decimal, Decimal]]:
    """The scheme's lowest-price method: price score = lowest price ÷ price × price weight; total =
    the averages of the experts' scores + the price score; the highest total first."""
    cent = Decimal("0.01")
    lowest = min(Decimal(p) for p in PRICES.values())
    rows = []
    for who, sheets in SCORES.items():
        price_score = (lowest / Decimal(PRICES[who]) * Decimal(SCHEME["price_weight"])).quantize(cent, ROUND_HALF_UP)
        averages = sum((sum(Decimal(s[c]) for s in sheets) / len(sheets)).quantize(cent, ROUND_HALF_UP)
                       for c in ("tech", "service"))
        rows.append((NAMES[who], price_score, averages + price_score))
    return sorted(rows, key=lambda r: -r[2])


def _expert_sign_in(page: Page, base: str, world, key: str) -> None:
    contact = world.contacts[key]
    _tick(world)
    page.goto(base + "/experts/sign-in")
    page.locator("#code-request").get_by_label("手机号或邮箱").fill(contact)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-entry")).to_be_visible()
    page.locator("#code-entry").get_by_label("验证码").fill(world.last_code(key))
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/experts/assignments")


def _sign_open_sheets(page: Page, world, key: str) -> None:
    """Sign every sheet of this expert still waiting, each with a fresh code."""
    sheets = page.locator("#sheets")
    while sheets.get_by_role("button", name="获取签名验证码").count():
        before = sheets.get_by_text("已签名").count()
        _tick(world)
        sheets.get_by_role("button", name="获取签名验证码").first.click()
        sheets.get_by_label("验证码").fill(world.last_code(key))
        sheets.get_by_role("button", name="确认签名").click()
        expect(sheets.get_by_text("已签名")).to_have_count(before + 1, timeout=LONG)


def _stamp(page: Page, expected: str, where: str) -> None:
    panel = page.locator("#stamp-panel")
    option = panel.locator(".stamp-option")
    expect(option).to_have_count(1, timeout=30_000)
    expect(option.locator("img.seal-thumb")).to_be_visible()
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="签章").click()
    try:
        expect(page.locator(where)).to_contain_text(expected, timeout=LONG)
    except AssertionError:
        raise AssertionError(panel.locator(".stamp-result").inner_text()) from None


def _verified(world, pdf: bytes, count: int, tmp_name: str):
    from app.certificates.proof import crls
    from app.trust import trust_list
    from pki.pdf import verify_pdf
    verdicts = pdfsig_verdicts(pdf)
    assert verdicts == ["Signature is Valid."] * count, (tmp_name, verdicts)
    with world.app.app_context():
        report = verify_pdf(pdf, trust=trust_list(), crls=crls(), at=world.clock.now())
    assert len(report.signatures) == count and report.ok(), (tmp_name, [s.problems for s in report.signatures])
    return report


def test_issue16_from_the_draw_to_the_filed_contract(page: Page, journey, screenshots, browser):
    base, world = journey
    tid = world.tender_id

    # -- the draw (agency)
    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tid}/experts")
    form = page.locator("#draw-form")
    form.get_by_label("专业").fill(SPECIALITY)
    form.get_by_role("button", name="抽取专家").click()
    expect(page.locator("#list-sealed")).to_be_visible()
    expect(page.locator("#draw-counts")).to_contain_text("待答复 3")
    expect(page.locator("#draw-record")).to_contain_text(re.compile(r"回避排除\s*1 人"))
    _step(page, screenshots, "draw")
    from app.extensions import db
    from bidding.experts.models import AssignmentState, ExpertAssignment
    with world.app.app_context():
        called = db.session.scalars(select(ExpertAssignment.expert_id).where(
            ExpertAssignment.state == AssignmentState.CALLED).order_by(ExpertAssignment.position)).all()
    experts = [world.key_of(i) for i in called]
    assert len(experts) == 3 and "conflicted" not in experts

    # the opening is over: the bids as decrypted (rows) and the agency's scheme (API)
    world.after_opening()
    bids = decrypt_bids(world, PRICES, {"supplier": DEADLINE - timedelta(hours=2),
                                        "supplier2": DEADLINE - timedelta(hours=1)})
    assert set(bids) == {"supplier", "supplier2"}
    with _without_csrf(world):
        agency = world.client("agency")
        put = agency.put(f"/api/v1/tenders/{tid}/evaluation/scheme", json=SCHEME)
    assert put.status_code == 200, put.json

    # -- each expert in its own browser: sign in, confirm, sign the commitment letter
    pages = {key: browser.new_context(viewport={"width": 1280, "height": 800}).new_page() for key in experts}
    for n, key in enumerate(experts):
        p = pages[key]
        _expert_sign_in(p, base, world, key)
        p.get_by_role("button", name="确认参加").click()
        expect(p.locator("#assignments")).to_contain_text("已确认")
        p.get_by_role("link", name="签署评审专家承诺书").click()
        _tick(world)
        p.get_by_role("button", name="获取签名验证码").click()
        expect(p.locator("#signature-confirm")).to_be_visible()
        p.locator("#signature-confirm").get_by_label("验证码（确认签署上述内容）").fill(world.last_code(key))
        p.get_by_role("button", name="确认签名").click()
        expect(p.locator("#signed")).to_be_visible(timeout=LONG)
        if n == 0:
            _step(p, screenshots, "expert-commitment")

    # the evaluation starts: the list opened through the API with the agency's session
    with _without_csrf(world):
        opened = world.open_list(agency)
    assert opened.status_code == 200, opened.json
    page.goto(f"{base}/tenders/{tid}/experts")
    expect(page.locator("#expert-list tbody tr")).to_have_count(5)   # three and two reserves
    expect(page.locator("#expert-list")).not_to_contain_text(world.names["conflicted"])
    _step(page, screenshots, "expert-list")

    # -- the qualification sheets, then the score sheets, each signed
    for key in experts:
        p = pages[key]
        p.goto(f"{base}/experts/evaluations/{tid}")
        p.locator("#qualification-form").get_by_role("button", name="保存资格审查表").click()
        expect(p.locator("#sheets")).to_contain_text("资格审查表")
        _sign_open_sheets(p, world, key)
    for i, key in enumerate(experts):
        p = pages[key]
        p.goto(f"{base}/experts/evaluations/{tid}")
        for m, who in enumerate(("supplier", "supplier2")):
            score_form = p.locator(".score-form").filter(has_text=NAMES[who])
            for criterion, value in SCORES[who][i].items():
                score_form.locator(f"input[name=score-{criterion}]").fill(value)
            score_form.get_by_role("button", name="保存评分表").click()
            expect(p.locator("#sheets li").filter(has_text="评分表")).to_have_count(m + 1)
        if i == 0:
            _step(p, screenshots, "expert-sheets")
        _sign_open_sheets(p, world, key)

    # -- the summary (agency), signed by each expert
    page.goto(f"{base}/tenders/{tid}/evaluation")
    page.locator("#summary-form").get_by_role("button", name="生成评标汇总表").click()
    rows = page.locator("#summary tbody tr")
    expect(rows).to_have_count(2)
    shown = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]
    expected = _expected_ranking()
    assert [(r[0], r[1]) for r in shown] == [("1", expected[0][0]), ("2", expected[1][0])]
    assert [(Decimal(r[3]), Decimal(r[4])) for r in shown] == [(e[1], e[2]) for e in expected]
    _step(page, screenshots, "summary")
    for key in experts:
        p = pages[key]
        p.goto(f"{base}/experts/evaluations/{tid}")
        expect(p.locator("#summary tbody tr").first).to_contain_text(expected[0][0])
        _sign_open_sheets(p, world, key)

    # -- the report: generated by the agency, signed by the experts in the PDF, stamped by the agency
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#to-evaluation-report").click()
    page.get_by_role("button", name="生成评标报告").click()
    expect(page.locator("#report-state")).to_contain_text("待评审专家签名")
    for n, key in enumerate(experts):
        p = pages[key]
        p.goto(f"{base}/experts/evaluations/{tid}/report")
        expect(p.locator("#report-signers")).to_contain_text("待签")
        _tick(world)
        p.get_by_role("button", name="获取签名验证码").click()
        expect(p.get_by_label("验证码")).to_be_visible()
        p.get_by_label("验证码").fill(world.last_code(key))
        p.get_by_role("button", name="确认签名").click()
        expect(p.locator("#signed-note")).to_be_visible(timeout=LONG)
        if n == 2:
            _step(p, screenshots, "expert-report-signed")
    for p in pages.values():
        p.context.close()
    page.goto(f"{base}/tenders/{tid}/evaluation/report")
    expect(page.locator("#report-state")).to_contain_text("待代理机构签章")
    _stamp(page, "已完成签署", "#report-state")
    _step(page, screenshots, "report-stamped")
    report_pdf = page.request.get(base + page.locator("#view-pdf").get_attribute("href")).body()
    log_out(page)

    # -- the award: the purchaser confirms the winner and stamps; the agency stamps the notices
    world.clock.set(AWARD_AT)
    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#award-link").get_by_role("link", name="定标：确认中标人").click()
    expect(page.locator("#ranking tbody tr").first).to_contain_text(expected[0][0])
    page.locator("#confirm-form").get_by_label(f"第 1 名：{expected[0][0]}", exact=False).check()
    page.locator("#confirm-form").get_by_role("button", name="生成中标人确认书").click()
    expect(page.locator("#award-state")).to_contain_text("待采购人签章确认")
    _stamp(page, "采购人已确认中标人", "#award-state")
    _step(page, screenshots, "award-confirmed")
    log_out(page)

    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#award-link").get_by_role("link").click()
    form = page.locator("#notices-form")
    form.get_by_label("签订合同的期限（天）").fill("25")
    form.get_by_role("button", name="生成中标通知书和中标结果通知书").click()
    expect(page.locator("#stamp-heading")).to_contain_text("中标通知书：")
    _stamp(page, "中标通知书已发出", "#award-state")
    _stamp(page, "全部通知书均已签章发出", "#all-sent")
    _step(page, screenshots, "award-notices")
    log_out(page)

    # -- the contract: drafted and stamped by the purchaser, stamped by the winner, filed
    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#contract-link a").click()
    form = page.locator("#contract-form")
    form.locator("textarea[name=payment_terms]").fill("合同签订后 10 个工作日内支付 30%，验收合格后 15 个工作日内支付 70%。")
    form.locator("input[name=delivery_place]").fill("广州市天河区体育西路 1 号")
    form.locator("input[name=delivery_date]").fill("2027-03-31")
    form.get_by_role("button", name="生成合同文件").click()
    expect(page.locator("#contract-state")).to_contain_text("草稿（待采购人签章）")
    _stamp(page, "采购人已签章（待供应商签章）", "#contract-state")
    _step(page, screenshots, "contract-purchaser")
    log_out(page)

    log_in_with_password(page, base, "supplier2", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#award-link").get_by_role("link").click()
    expect(page.locator("#won")).to_be_visible()
    notice_pdf = page.request.get(base + page.locator("#download-pdf").get_attribute("href")).body()
    page.goto(base + "/contracts")
    page.get_by_role("link", name=TITLE).click()
    _stamp(page, "双方已签章（待采购人备案）", "#contract-state")
    _step(page, screenshots, "contract-winner")
    log_out(page)

    log_in_with_password(page, base, "purchaser", PASSWORD)
    page.goto(f"{base}/tenders/{tid}")
    page.locator("#contract-link a").click()
    page.locator("#file-form").get_by_role("button", name="备案").click()
    expect(page.locator("#contract-state")).to_contain_text("已备案")
    _step(page, screenshots, "contract-filed")
    contract_pdf = page.request.get(base + page.locator("#download-pdf").get_attribute("href")).body()

    # -- the three final PDFs, checked from outside (pdfsig) and by the platform's verifier
    report = _verified(world, report_pdf, 4, "report")
    assert [s.algorithm for s in report.signatures] == ["ec", "ec", "ec", "ec"]
    assert "测试代理机构" in report.signatures[3].signer_subject
    notice = _verified(world, notice_pdf, 1, "award notice")
    assert "测试代理机构" in notice.signatures[0].signer_subject
    contract = _verified(world, contract_pdf, 2, "contract")
    assert "测试采购单位" in contract.signatures[0].signer_subject
    assert NAMES["supplier2"] in contract.signatures[1].signer_subject
    assert [s.cross_page for s in contract.signatures] == [True, True]
    per_page = slices_per_page(contract_pdf)
    assert per_page and all(n == 2 for n in per_page), per_page
