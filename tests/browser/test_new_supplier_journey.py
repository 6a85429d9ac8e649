"""A new supplier's whole first day in a real browser, in one flow, with the real local signing agent:

1. it registers its organisation on /register with its business licence (PDF);
2. an operator logs in and approves the application;
3. the account the application named logs in with its password, reads the approval notice on the
   party page and marks it read;
4. it binds its RSA signing certificate on a USB key (a SoftHSM2 token, with the seal image the CA
   delivered) and its SM2 key-file certificate through ``bidtool agent``;
5. it logs out and logs in again with the certificate;
6. it signs the commitment letter (入驻承诺书) through the agent (app/static/js/commitment.js); the
   kept signature verifies with ``openssl cms -verify`` over the kept text;
7. it runs the encryption/decryption self-test (R11) with the token's encryption certificate.

The certificates are issued by the app's own development CA for the new party's credit code before
the party exists (as a CA issues them to an organisation); the agent runs in this process with
``--origin`` = the live server's origin. Screenshots of every step at 1280 px and 390 px
(``new-supplier-*.png``); no page scrolls sideways at 390 px."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.auth import PASSWORD, make_accounts
from support.browser import log_in_with_password, log_out, steps
from support.journeys import (JOURNEY_SETTINGS, agent_options, bind_on_the_page, expect_certificates,
                              log_in_with_certificate, migrated_app, run_self_test, served, token_with_keys)

from pki.devca import DevCA
from pki.identity import PartyIdentity, credit_code_check_char

pytestmark = pytest.mark.browser

PIN, SO_PIN, KEY_PASSWORD = "newcomer-pin-2468", "newcomer-so-1357", "newcomer-sm2-9753"
NAME = "新入驻供应商科技有限公司"
CODE = "91440106MA5NEW001" + credit_code_check_char("91440106MA5NEW001")
USERNAME, USER_PASSWORD = "newcomer", "newcomer-password-1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Platform:
    base: str
    app: object
    seal_png: Path
    anchors: Path


@pytest.fixture
def platform(tmp_path, isolated_tokens):
    """The live server (CSRF on) with an operator, the dev CA in the app's own directories, the
    platform's transport certificate for the self-test, the new supplier's token (RSA signing with
    seal, RSA encryption) and SM2 key file, and the agent serving both."""
    app = migrated_app(tmp_path / "instance", **JOURNEY_SETTINGS)
    make_accounts(app, ("operator",))
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["netca"])
    platform_code = "91440101MA5PLAT00" + credit_code_check_char("91440101MA5PLAT00")
    ca.ensure_service_certificate("transport", Path(app.config["DEVCA_DIR"]) / "platform",
                                  PartyIdentity("institution", "电子招投标平台", credit_code=platform_code),
                                  profile="netca", at=datetime.now(UTC) - timedelta(minutes=5))

    ident = PartyIdentity("institution", NAME, credit_code=CODE)
    hsm, (signing, _) = token_with_keys(ca, tmp_path / "hsm", "newcomer-key", ident, "netca",
                                        [("rsa", "signing"), ("rsa", "encryption")], pin=PIN, so_pin=SO_PIN)
    seal_png = tmp_path / "signing-rsa.seal.png"                  # the seal image the CA handed over
    seal_png.write_bytes(ca.path(signing.record.seal_file).read_bytes())
    sm2 = ca.issue("netca", ident, algorithm="sm2", purpose="signing", password=KEY_PASSWORD.encode(), seal_kind=None)
    agent = agent_options(ca, "netca", hsms=[hsm], key_files=[sm2], chains=["rsa", "sm2"])
    with served(app, "new-supplier-server", agent=agent, state_dir=tmp_path / "agent-state") as live:
        yield Platform(live.base, app, seal_png, ca.anchors_dir / "netca")


_step = steps("new-supplier")


def _register(page: Page, base: str, screenshots, licence: Path) -> str:
    page.goto(base + "/register")
    page.get_by_label("主体类型").select_option("supplier")
    page.get_by_label("主体名称（与营业执照一致）").fill(NAME)
    page.get_by_label("统一社会信用代码（18 位）").fill(CODE)
    page.get_by_label("法定代表人").fill("陈七")
    page.get_by_label("住所").fill("广州市天河区珠江新城 8 号")
    page.get_by_label("联系人").fill("周八")
    page.get_by_label("联系电话").fill("13800138008")
    page.get_by_label("营业执照（PDF、PNG 或 JPEG，不超过 10 MiB）").set_input_files(str(licence))
    page.get_by_label("用户名（首个经办人账户）").fill(USERNAME)
    page.get_by_label("口令（至少 10 个字符）").fill(USER_PASSWORD)
    page.get_by_label("再次输入口令").fill(USER_PASSWORD)
    _step(page, screenshots, "01-register")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#registration-status")).to_contain_text("待审核")
    _step(page, screenshots, "02-submitted")
    return page.url


def _approve(page: Page, base: str, screenshots) -> None:
    log_in_with_password(page, base, "operator", PASSWORD)
    page.locator(".site-nav a", has_text="注册审核").click()
    page.get_by_role("link", name=NAME).click()
    expect(page.locator("#registration-detail")).to_contain_text(CODE)
    expect(page.locator("#licence-link")).to_have_text("营业执照.pdf")
    page.get_by_label("通过").check()
    _step(page, screenshots, "03-operator-review")
    page.get_by_role("button", name="提交审核结论").click()
    expect(page.locator("#registration-detail")).to_contain_text("已通过")
    _step(page, screenshots, "04-operator-approved")
    log_out(page)


def _verify_commitment_with_openssl(platform: Platform, tmp_path: Path) -> None:
    from app.extensions import db
    from bidding.parties.models import CommitmentLetter, Party
    with platform.app.app_context():
        party = db.session.scalars(select(Party).where(Party.credit_code == CODE)).one()
        letter = db.session.scalars(select(CommitmentLetter).where(CommitmentLetter.party_id == party.id)).one()
        text, der = letter.text, letter.signature_der
        db.session.remove()
    assert NAME in text and CODE in text
    (tmp_path / "letter.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "other.txt").write_bytes(text.replace(NAME, "别的公司").encode("utf-8"))
    (tmp_path / "letter.p7s").write_bytes(der)

    def openssl_verify(content: str) -> subprocess.CompletedProcess:
        return subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER",
                               "-in", str(tmp_path / "letter.p7s"), "-content", str(tmp_path / content),
                               "-CAfile", str(platform.anchors / "rsa-root.pem"), "-purpose", "any",
                               "-out", "/dev/null"], check=False, capture_output=True, text=True)

    checked = openssl_verify("letter.txt")
    assert checked.returncode == 0 and "Verification successful" in checked.stderr, checked.stderr
    tampered = openssl_verify("other.txt")
    assert tampered.returncode != 0


def test_a_new_supplier_from_registration_to_the_self_test(page: Page, platform: Platform, screenshots, tmp_path):
    base = platform.base
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF)

    # 1–2: registration and approval
    status_url = _register(page, base, screenshots, licence)
    _approve(page, base, screenshots)
    page.goto(status_url)
    expect(page.locator("#registration-status")).to_contain_text("已通过")

    # 3: the applicant's account logs in with its password; the approval notice, read
    log_in_with_password(page, base, USERNAME, USER_PASSWORD)
    page.locator(".site-nav a", has_text="本单位").click()
    expect(page.locator("#party-info")).to_contain_text(CODE)
    expect(page.locator("#unread-count")).to_have_text("1 条未读")
    expect(page.locator(".notice-unread")).to_contain_text("已审核通过")
    expect(page.locator("#letter-state")).to_contain_text("未签署")
    _step(page, screenshots, "05-party-unread-notice")
    page.locator(".notice-unread").get_by_role("button", name="标为已读").click()
    expect(page.locator("#unread-count")).to_have_text("0 条未读")
    expect(page.locator(".notice-unread")).to_have_count(0)

    # 4: bind the token's RSA certificate with its seal, then the SM2 key file
    page.locator(".site-nav a", has_text="我的证书").click()
    expect(page.locator("#no-bindings")).to_be_visible()
    page.get_by_role("link", name="绑定证书", exact=True).click()
    expect_certificates(page, "#agent-panel", 2)                     # not the encryption one
    _step(page, screenshots, "06-bind-list")
    bind_on_the_page(page, "USB Key", PIN, seal_png=platform.seal_png)
    bind_on_the_page(page, "密钥文件", KEY_PASSWORD)
    expect(page.locator("#agent-panel .cert-option", has_text="已绑定")).to_have_count(2)
    _step(page, screenshots, "07-bound")
    page.goto(base + "/certificates")
    bindings = page.locator("#bindings .binding")
    expect(bindings).to_have_count(2)
    expect(bindings.filter(has_text="RSA")).to_contain_text("主锁")
    expect(bindings.filter(has_text="SM2")).to_contain_text("副锁")
    _step(page, screenshots, "08-certificates")

    # 5: log out, log in with the certificate on the token
    log_out(page)
    page.goto(base + "/login")
    expect_certificates(page, "#certificate-login", 2)
    _step(page, screenshots, "09-certificate-login")
    log_in_with_certificate(page, base, "USB Key", PIN)
    expect(page.locator("#account-info")).to_contain_text(USERNAME)
    expect(page.locator("#account-info")).to_contain_text(NAME)
    _step(page, screenshots, "10-logged-in-by-certificate")

    # 6: the commitment letter, signed with the token's RSA certificate through the agent
    page.locator(".site-nav a", has_text="本单位").click()
    page.get_by_role("link", name="用数字证书签署").click()
    expect(page.locator("#commitment-signer")).to_be_visible()
    expect(page.locator("#letter-text")).to_contain_text(NAME)
    page.get_by_role("button", name="读取证书").click()
    expect(page.locator("#commitment-message")).to_contain_text("请选择已绑定到本单位的证书", timeout=20_000)
    rsa = page.locator("#certificate option", has_text="RSA")
    expect(rsa).to_have_count(1)
    page.locator("#certificate").select_option(rsa.get_attribute("value"))
    page.get_by_label("证书口令（PIN）").fill(PIN)
    _step(page, screenshots, "11-commitment-ready")
    page.get_by_role("button", name="签署并提交").click()
    expect(page.locator("#letter-state")).to_contain_text("已签署", timeout=30_000)   # the page reloads
    expect(page.locator("#commitment-signer")).to_have_count(0)
    _step(page, screenshots, "12-commitment-signed")
    _verify_commitment_with_openssl(platform, tmp_path)

    # 7: the encryption/decryption self-test with the token's encryption certificate
    page.goto(base + "/certificates")
    page.get_by_role("link", name="加解密测试").click()
    expect_certificates(page, "#self-test-panel", 1)
    run_self_test(page, PIN, "数字证书加解密测试成功")
    _step(page, screenshots, "13-self-test-success")
