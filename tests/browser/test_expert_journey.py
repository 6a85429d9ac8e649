"""The expert draw and an expert's event-certificate signature in a real browser (issue 16 parts 1–2):
the operator sees the pool (ID numbers masked); the agency draws three experts after the deadline
(the list is sealed); a drawn expert signs in with a one-time code from the outbox, confirms and
signs the commitment letter with a fresh code (the key on the platform's SoftHSM token); at the
evaluation start the agency's local agent (a SoftHSM2 token with its encryption key) opens the list.
Screenshots at 1280 px and 390 px; no sideways scrolling at 390 px."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.auth import PASSWORD, make_accounts, test_uow
from support.bids import (
    PROFILE,
    bind_encryption,
    open_tender,
    party_identity,
    platform_identity,
)
from support.browser import log_in_with_password, log_out, steps
from support.experts import SPECIALITY, add_bid, party_code, pool_entries
from support.journeys import (
    JOURNEY_SETTINGS,
    agent_options,
    expect_certificates,
    migrated_app,
    served,
    token_with_keys,
)

from devsetup.softhsm import init_softhsm_token
from pki.devca import DevCA

pytestmark = pytest.mark.browser

PIN, SO_PIN = "expert-agency-2468", "expert-agency-1357"
PLATFORM_PIN = "expert-platform-2468"


class _Bound:
    """What support.bids.bind_encryption needs of a holder: the certificate."""

    def __init__(self, cert):
        self.cert = cert


@pytest.fixture
def live(tmp_path, isolated_tokens):
    from app.extensions import db
    from bidding.accounts.models import Account
    from bidding.experts.pool import add_expert
    app = migrated_app(tmp_path / "instance", PLATFORM_TOKEN_PIN=PLATFORM_PIN, **JOURNEY_SETTINGS)
    accounts = make_accounts(app)
    with app.app_context():
        parties = {name: db.session.get(Account, i).party_id for name, i in accounts.items()}
    now = datetime.now(UTC)
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init([PROFILE], at=now - timedelta(days=1))
    platform_dir = Path(app.config["DEVCA_DIR"])
    ca.ensure_service_certificate("tsa", platform_dir / "tsa", platform_identity(), profile=PROFILE,
                                  at=now - timedelta(hours=1))
    ca.ensure_service_certificate("transport", platform_dir / "platform", platform_identity(), profile=PROFILE,
                                  at=now - timedelta(hours=1))
    hsm, issued = token_with_keys(ca, tmp_path / "hsm", "expert-agency", party_identity("agency"), PROFILE,
                                  [("rsa", "encryption")], pin=PIN, so_pin=SO_PIN)
    init_softhsm_token(tmp_path / "hsm", "ebid-platform", SO_PIN, PLATFORM_PIN)
    from asn1crypto import x509
    bind_encryption(app, parties["agency"], _Bound(x509.Certificate.load(ca.certificate(issued[0].serial).dump())),
                    at=now - timedelta(hours=3))
    # the deadline and the opening are behind us: the draw is allowed and the evaluation may start
    tender_id = open_tender(app, parties, deadline=now - timedelta(hours=3), opening=now - timedelta(hours=2))
    add_bid(app, tender_id, parties["supplier"], accounts["supplier"])
    codes = {key: party_code(key) for key in ("supplier", "supplier2", "purchaser")}
    with app.app_context():
        operator = db.session.get(Account, accounts["operator"])
        contacts = {}
        for details in pool_entries(codes).values():
            expert = add_expert(test_uow(app), operator, details)
            contacts[expert.id] = expert.phone or expert.email
    with served(app, "expert-server", agent=agent_options(ca, PROFILE, hsms=[hsm]),
                state_dir=tmp_path / "agent-state") as served_app:
        yield served_app.base, app, tender_id, contacts


_step = steps("experts")


def _last_code(app, contact: str) -> str:
    from app.extensions import db
    from bidding.notify import OutboxMessage
    with app.app_context():
        text = db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.recipient == contact)
                                  .order_by(OutboxMessage.id.desc()).limit(1)).first()
    return re.search(r"验证码是 (\d{6})", text).group(1)


def _first_called(app) -> int:
    from app.extensions import db
    from bidding.experts.models import AssignmentState, ExpertAssignment
    with app.app_context():
        return db.session.scalars(select(ExpertAssignment.expert_id).where(
            ExpertAssignment.state == AssignmentState.CALLED).order_by(ExpertAssignment.position).limit(1)).one()


def test_the_draw_an_expert_signature_and_the_list_opening(page: Page, live, screenshots):
    base, app, tender_id, contacts = live
    log_in_with_password(page, base, "operator", PASSWORD)
    page.goto(base + "/operator/experts")
    expect(page.locator("#experts tbody tr")).to_have_count(10)
    _step(page, screenshots, "pool")
    log_out(page)

    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tender_id}/experts")
    form = page.locator("#draw-form")
    form.get_by_label("专业").fill(SPECIALITY)
    form.get_by_role("button", name="抽取专家").click()
    expect(page.locator("#list-sealed")).to_be_visible()
    expect(page.locator("#draw-counts")).to_contain_text("待答复 3")
    _step(page, screenshots, "drawn")
    log_out(page)

    contact = contacts[_first_called(app)]
    page.goto(base + "/experts/sign-in")
    page.locator("#code-request").get_by_label("手机号或邮箱").fill(contact)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-entry")).to_be_visible()
    _step(page, screenshots, "code")
    page.locator("#code-entry").get_by_label("验证码").fill(_last_code(app, contact))
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + "/experts/assignments")
    _step(page, screenshots, "assignments")
    page.get_by_role("button", name="确认参加").click()
    expect(page.locator("#assignments")).to_contain_text("已确认")
    page.get_by_role("link", name="签署评审专家承诺书").click()
    page.get_by_role("button", name="获取签名验证码").click()
    expect(page.locator("#signature-confirm")).to_be_visible()
    page.locator("#signature-confirm").get_by_label("验证码（确认签署上述内容）").fill(_last_code(app, contact))
    page.get_by_role("button", name="确认签名").click()
    expect(page.locator("#signed")).to_be_visible(timeout=30_000)
    _step(page, screenshots, "signed")
    page.goto(base + "/experts/assignments")
    page.get_by_role("button", name="退出专家登录").click()

    log_in_with_password(page, base, "agency", PASSWORD)
    page.goto(f"{base}/tenders/{tender_id}/experts")
    expect_certificates(page, "#expert-list-panel", 1)
    page.locator("#expert-list-panel input[name=pin]").fill(PIN)
    page.get_by_role("button", name="解密专家名单，开始评审").click()
    expect(page.locator("#expert-list tbody tr")).to_have_count(5, timeout=30_000)
    expect(page.locator("#expert-list")).to_contain_text("已确认")
    _step(page, screenshots, "list-opened")
