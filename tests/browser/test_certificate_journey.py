"""The certificate journey in a real browser with the real local signing agent: a supplier's staff
logs in with its password, binds the RSA signing certificate of its USB key (a SoftHSM2 token, with
the seal image the CA delivered) and its SM2 key-file certificate through ``bidtool agent``, sees
both under 我的证书, binds the token's RSA encryption certificate by proof of decryption (the
platform seals random data to it, the agent unwraps and re-encrypts the key to the platform's
transport certificate), logs out, and logs in again with the certificate. The development CA is the
app's own (its anchors are the app's trust list, its CRLs are in the app's CRL_DIR); the agent runs
in this process with ``--origin`` = the live server's origin. Screenshots of every step at 1280 px
and 390 px; no page scrolls sideways at 390 px."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pki.devca import DevCA
from support.auth import PASSWORD, make_accounts
from support.browser import log_in_with_password, log_out, steps
from support.journeys import (JOURNEY_SETTINGS, agent_options, bind_encryption_on_the_page, bind_on_the_page,
                              expect_certificates,
                              expect_the_agent_missing, log_in_with_certificate, migrated_app, served,
                              token_with_keys, without_the_agent)
from support.stamping import party_identity

pytestmark = pytest.mark.browser

PIN, SO_PIN, KEY_PASSWORD = "journey-pin-2468", "journey-so-1357", "journey-sm2-9753"


@dataclass
class Journey:
    base: str
    seal_png: Path


@pytest.fixture
def journey(tmp_path, isolated_tokens):
    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
    make_accounts(app, ("supplier",))
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["netca"])                                  # anchors and first CRLs: the app's own directories
    ident = party_identity("supplier")
    ca.ensure_service_certificate("transport", Path(app.config["DEVCA_DIR"]) / "platform", ident, profile="netca",
                                  at=datetime.now(UTC) - timedelta(minutes=5))
    hsm, (on_token, _) = token_with_keys(ca, tmp_path / "hsm", "journey-supplier", ident, "netca",
                                         [("rsa", "signing"), ("rsa", "encryption")], pin=PIN, so_pin=SO_PIN)
    seal_png = tmp_path / "signing-rsa.seal.png"                 # as devsetup/demo.py hands it to the party
    seal_png.write_bytes(ca.path(on_token.record.seal_file).read_bytes())
    sm2 = ca.issue("netca", ident, algorithm="sm2", purpose="signing", password=KEY_PASSWORD.encode(), seal_kind=None)
    agent = agent_options(ca, "netca", hsms=[hsm], key_files=[sm2], chains=["rsa", "sm2"])
    with served(app, "journey-server", agent=agent, state_dir=tmp_path / "agent-state") as live:
        yield Journey(live.base, seal_png)


_step = steps("certificates")


def test_bind_two_certificates_then_log_in_with_one(page: Page, journey, screenshots):
    base = journey.base
    log_in_with_password(page, base, "supplier", PASSWORD)

    page.goto(base + "/certificates")
    expect(page.locator("#no-bindings")).to_be_visible()
    _step(page, screenshots, "empty")
    page.get_by_role("link", name="绑定证书", exact=True).click()
    expect(page).to_have_url(base + "/certificates/bind")
    expect_certificates(page, "#agent-panel", 2)
    _step(page, screenshots, "bind-agent-list")

    bind_on_the_page(page, "USB Key", PIN, seal_png=journey.seal_png)
    _step(page, screenshots, "bound-rsa-token")

    bind_on_the_page(page, "密钥文件", KEY_PASSWORD)
    expect(page.locator("#agent-panel .cert-option", has_text="已绑定")).to_have_count(2)
    _step(page, screenshots, "bound-sm2-file")

    page.goto(base + "/certificates")
    bindings = page.locator("#bindings .binding")
    expect(bindings).to_have_count(2)
    expect(bindings.filter(has_text="RSA")).to_contain_text("公章")
    expect(bindings.filter(has_text="RSA")).to_contain_text("主锁")
    expect(bindings.filter(has_text="SM2")).to_contain_text("副锁")
    expect(page.locator("img.seal-image")).to_have_count(1)
    _step(page, screenshots, "list")

    page.goto(base + "/certificates/bind")
    expect_certificates(page, "#encryption-bind-panel", 1)
    bind_encryption_on_the_page(page, "USB Key", PIN)
    expect(page.locator("#encryption-bind-panel .cert-option", has_text="已绑定")).to_have_count(1)
    _step(page, screenshots, "bound-rsa-encryption")
    page.goto(base + "/certificates")
    expect(bindings).to_have_count(3)
    expect(bindings.filter(has_text="加密")).to_have_count(1)
    _step(page, screenshots, "list-with-encryption")

    log_out(page)
    expect(page).to_have_url(base + "/")
    page.goto(base + "/login")
    expect_certificates(page, "#certificate-login", 2)
    _step(page, screenshots, "login-card")
    log_in_with_certificate(page, base, "USB Key", PIN)
    expect(page.locator("#account-info")).to_contain_text("supplier")
    expect(page.locator("#account-info")).to_contain_text("测试供应商甲")
    _step(page, screenshots, "logged-in-by-certificate")


def test_without_the_agent_the_page_says_how_to_start_it(page: Page, journey, screenshots):
    """The log-in card when nothing answers at AGENT_URL: the message and the command to run."""
    base = journey.base
    without_the_agent(page)
    page.goto(base + "/login")
    expect_the_agent_missing(page, "#certificate-login", base)
    _step(page, screenshots, "login-no-agent")
