"""The encryption/decryption self-test (加解密测试, R11) in a real browser with the real local signing
agent: a supplier's staff logs in, opens 我的证书 → 加解密测试, picks the RSA encryption certificate of
its USB key (a SoftHSM2 token), types the PIN, and the page says 数字证书加解密测试成功. The platform's
transport certificate is made by the development CA into ``<DEVCA_DIR>/platform`` as ``flask
setup-dev`` does. Screenshots at 1280 px and 390 px; no sideways scrolling at 390 px."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.auth import PASSWORD, make_accounts
from support.browser import log_in_with_password, steps
from support.journeys import (JOURNEY_SETTINGS, agent_options, expect_certificates, migrated_app, run_self_test,
                              served, token_with_keys)
from support.stamping import party_identity

from pki.devca import DevCA

pytestmark = pytest.mark.browser

PIN, SO_PIN = "selftest-pin-2468", "selftest-so-1357"


@pytest.fixture
def live(tmp_path, isolated_tokens):
    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
    make_accounts(app, ("supplier",))
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["netca"])
    ident = party_identity("supplier")
    ca.ensure_service_certificate("transport", Path(app.config["DEVCA_DIR"]) / "platform", ident, profile="netca",
                                  at=datetime.now(UTC) - timedelta(minutes=5))
    hsm, _ = token_with_keys(ca, tmp_path / "hsm", "selftest-supplier", ident, "netca", [("rsa", "encryption")],
                             pin=PIN, so_pin=SO_PIN)
    with served(app, "selftest-server", agent=agent_options(ca, "netca", hsms=[hsm]),
                state_dir=tmp_path / "agent-state") as served_app:
        yield served_app.base


_step = steps("self-test")


def test_self_test_with_the_token(page: Page, live, screenshots):
    log_in_with_password(page, live, "supplier", PASSWORD)

    page.goto(live + "/certificates")
    page.get_by_role("link", name="加解密测试").click()
    expect(page).to_have_url(live + "/certificates/self-test")
    expect_certificates(page, "#self-test-panel", 1)
    _step(page, screenshots, "list")

    run_self_test(page, "wrong-pin-0000", "还可尝试 9 次")
    screenshots(page, "self-test-wrong-pin")

    run_self_test(page, PIN, "数字证书加解密测试成功")
    _step(page, screenshots, "success")
