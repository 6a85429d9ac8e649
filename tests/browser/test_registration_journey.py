"""Registration in a real browser: an applicant fills /register with a PDF licence and keeps its
status page; the operator logs in, opens the application, downloads nothing but sees the licence
link, and approves; the applicant logs in with its own password and sees the notice on its party
page. Every page fits 390 px without horizontal scrolling."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from support.auth import PASSWORD, make_accounts
from support.browser import assert_fits_390, log_in_with_password, log_out
from support.journeys import JOURNEY_SETTINGS, migrated_app, served

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CODE = "91440101MA5REG0013"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server (CSRF on) with an operator account made by tests/support/auth.py."""
    from pki.identity import credit_code_check_char

    app = migrated_app(tmp_path_factory.mktemp("registration-instance"), **JOURNEY_SETTINGS)
    make_accounts(app, ("operator",))
    with served(app, "registration-server") as live:
        yield live.base, CODE[:17] + credit_code_check_char(CODE[:17])


def test_register_approve_log_in_see_the_notice(page: Page, server, screenshots, tmp_path):
    base, code = server
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF)
    page.goto(base + "/")
    page.locator(".site-nav a", has_text="主体注册").click()      # the nav offers it to visitors
    expect(page).to_have_url(base + "/register")
    screenshots(page, "register")
    assert_fits_390(page)

    # a wrong check character first: the field says why, in Chinese
    page.get_by_label("主体类型").select_option("supplier")
    page.get_by_label("主体名称（与营业执照一致）").fill("浏览器测试供应商有限公司")
    page.get_by_label("统一社会信用代码（18 位）").fill(code[:17] + ("0" if code[17] != "0" else "1"))
    page.get_by_label("法定代表人").fill("王五")
    page.get_by_label("住所").fill("广州市天河区体育西路 100 号")
    page.get_by_label("联系人").fill("赵六")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_label("营业执照（PDF、PNG 或 JPEG，不超过 10 MiB）").set_input_files(str(licence))
    page.get_by_label("用户名（首个经办人账户）").fill("browser-supplier")
    page.get_by_label("口令（至少 10 个字符）").fill("applicant-password-1")
    page.get_by_label("再次输入口令").fill("applicant-password-1")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#credit_code-error")).to_contain_text("校验位错误")
    screenshots(page, "register-error")
    assert_fits_390(page)

    page.get_by_label("统一社会信用代码（18 位）").fill(code)
    page.get_by_label("营业执照（PDF、PNG 或 JPEG，不超过 10 MiB）").set_input_files(str(licence))
    page.get_by_label("口令（至少 10 个字符）").fill("applicant-password-1")
    page.get_by_label("再次输入口令").fill("applicant-password-1")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#registration-status")).to_contain_text("待审核")
    status_url = page.url
    assert "/status?t=" in status_url
    screenshots(page, "registration-status")
    assert_fits_390(page)

    log_in_with_password(page, base, "operator", PASSWORD)
    page.locator(".site-nav a", has_text="注册审核").click()
    page.get_by_role("link", name="待审核").click()
    expect(page.locator("#registrations")).to_contain_text("浏览器测试供应商有限公司")
    screenshots(page, "operator-registrations")
    assert_fits_390(page)
    page.get_by_role("link", name="浏览器测试供应商有限公司").click()
    expect(page.locator("#registration-detail")).to_contain_text(code)
    expect(page.locator("#licence-link")).to_have_text("营业执照.pdf")
    with page.expect_download() as download:
        page.locator("#licence-link").click()
    assert download.value.suggested_filename == "营业执照.pdf"
    screenshots(page, "operator-registration")
    assert_fits_390(page)
    page.get_by_label("通过").check()
    page.get_by_role("button", name="提交审核结论").click()
    expect(page.locator(".flash")).to_contain_text("审核结果已保存")
    expect(page.locator("#registration-detail")).to_contain_text("已通过")
    log_out(page)

    page.goto(status_url)
    expect(page.locator("#registration-status")).to_contain_text("已通过")
    expect(page.locator("#notices")).to_contain_text("审核通过")

    log_in_with_password(page, base, "browser-supplier", "applicant-password-1")
    page.locator(".site-nav a", has_text="本单位").click()
    expect(page.locator("#notices")).to_contain_text("已审核通过")
    expect(page.locator("#party-info")).to_contain_text(code)
    expect(page.locator("#letter-text")).to_contain_text("入驻承诺书")
    screenshots(page, "party")
    assert_fits_390(page)
    page.get_by_label("经办人姓名").fill("李四")
    page.get_by_label("身份证号码后 4 位").fill("123X")
    page.get_by_label("联系电话").fill("13900001111")
    page.get_by_role("button", name="登记经办人变更").click()
    expect(page.locator("#handler-info")).to_contain_text("李四")
    page.get_by_role("link", name="用数字证书签署").click()
    expect(page.locator("#commitment-signer")).to_be_visible()
    screenshots(page, "commitment")
    assert_fits_390(page)
