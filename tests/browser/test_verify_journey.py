"""The public verification page (验签) in a real browser, without log-in: a delegation agreement
stamped by the purchaser (RSA) and the agency (EC) shows both signatures valid with their parties,
seals and timestamps; the same file with one byte changed is reported; garbage gets a clear message;
``?doc=`` shows the platform's record of the document; an SM2 detached signature with its content
verifies. Screenshots at 1280 px and 390 px (``verify-*``); no page scrolls sideways at 390 px."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pki.signature import sign
from support.agreements import stamped_agreement
from support.auth import make_accounts
from support.browser import steps
from support.journeys import migrated_app, served
from support.stamping import app_settings, bind, issue_signer, make_ca, party_identity

pytestmark = pytest.mark.browser


@dataclass
class Scene:
    base: str
    public_id: str
    files: dict[str, Path]


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    from app.extensions import db
    from bidding.accounts.models import Account

    tmp = tmp_path_factory.mktemp("verify-journey")
    ca = make_ca(tmp / "ca")
    ca.publish_crls()                                   # current for the real clock this app runs on
    app = migrated_app(tmp / "instance", RATELIMIT_ENABLED=False, **app_settings(ca))
    accounts = make_accounts(app, ("purchaser", "agency", "supplier"))
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    purchaser, agency = issue_signer(ca, party_identity("purchaser")), issue_signer(ca, party_identity("agency"), algorithm="ec")
    bound = {"purchaser": bind(app, parties["purchaser"], purchaser, ca),
             "agency": bind(app, parties["agency"], agency, ca)}
    public_id, final = stamped_agreement(app, parties, bound, purchaser, agency)
    at = final.index(b"ebidding bidding.documents.pdf")
    supplier = issue_signer(ca, party_identity("supplier"), algorithm="sm2")
    bind(app, parties["supplier"], supplier, ca)
    content = "投标文件摘要：报价 1,180,000.00 元\n".encode()
    files = {"final": final, "changed": final[:at] + b"E" + final[at + 1:], "garbage": b"\x89PNG not really\x00" * 30,
             "content": content, "signature": sign(content, key=supplier.key, certificate=supplier.cert,
                                                   chain=supplier.chain, detached=True,
                                                   signing_time=datetime.now(timezone.utc))}
    paths = {}
    for name, data in files.items():
        paths[name] = tmp / {"final": "委托协议.pdf", "changed": "委托协议-改动.pdf", "garbage": "garbage.bin",
                             "content": "content.txt", "signature": "content.txt.p7s"}[name]
        paths[name].write_bytes(data)

    with served(app, "verify-journey") as live:
        yield Scene(live.base, public_id, paths)


_step = steps("verify")


def _upload(page: Page, scene: Scene, name: str, content: str | None = None) -> None:
    page.locator("#verify-form input[name=file]").set_input_files(str(scene.files[name]))
    if content:
        page.locator("#verify-form input[name=content]").set_input_files(str(scene.files[content]))
    page.locator("#verify-form").get_by_role("button", name="验证").click()


def test_verify_without_log_in(page: Page, scene: Scene, screenshots):
    page.goto(scene.base + "/")
    page.get_by_role("link", name="验签").click()
    expect(page).to_have_url(scene.base + "/verify")
    _step(page, screenshots, "empty")

    _upload(page, scene, "final")
    expect(page.locator("#verify-result")).to_contain_text("全部 2 个签名均有效")
    signatures = page.locator("#signatures .signature")
    expect(signatures).to_have_count(2)
    expect(signatures.nth(0)).to_contain_text("测试采购单位（采购人）")
    expect(signatures.nth(1)).to_contain_text("测试代理机构（代理机构）")
    expect(page.locator("#signatures img.seal-image")).to_have_count(2)
    expect(page.locator("#record-match")).to_contain_text(scene.public_id)
    _step(page, screenshots, "valid")

    _upload(page, scene, "changed")
    expect(page.locator("#verify-result")).to_contain_text("验证未通过")
    expect(page.locator("#signatures .signature-bad")).to_have_count(2)
    _step(page, screenshots, "changed")

    _upload(page, scene, "garbage")
    expect(page.locator("#verify-error")).to_contain_text("无法识别上传的文件")
    _step(page, screenshots, "garbage")

    _upload(page, scene, "signature", content="content")
    expect(page.locator("#verify-result")).to_contain_text("签名有效")
    expect(page.locator("#verify-result")).to_contain_text("GM/T 0010 SM2")
    expect(page.locator("#signatures")).to_contain_text("测试供应商甲（供应商）")
    _step(page, screenshots, "sm2-signature")

    page.goto(f"{scene.base}/verify?doc={scene.public_id}")
    expect(page.locator("#document-record")).to_contain_text("委托协议：2027 年度办公设备采购")
    expect(page.locator("#record-revisions tbody tr")).to_have_count(3)
    _step(page, screenshots, "record")
