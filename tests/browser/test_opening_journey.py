"""The opening (开标) in a real browser with the real local signing agent (``bidtool agent``) serving two
SoftHSM2 tokens: the first supplier's (its RSA encryption key and its RSA signing key) and the
agency's (its EC main key with the 公章). Three bids were uploaded through the API before the
deadline; the live app's frozen clock is moved as the opening goes:

- ten minutes before the opening the agency's hall shows only how many bids arrived; the bidder
  signs in (签到) and the agency's hall, polling, shows it;
- at the opening the bidder decrypts in the page: the platform releases its RecipientInfo, the agent
  unwraps the key on the token, re-encrypts it to the tender's opening certificate and signs the
  key-release statement with the bidder's signing key, the platform opens the bid; the second
  supplier decrypts through the API; the agency's hall shows the states; a supervisor watches
  read-only; the first supplier raises an objection (异议) and the agency answers it;
- after the window (the close's effect: R15 for the third bid, the record generated) 唱标 shows
  the prices; the agency stamps the opening record through the agent and publishes it; the record's
  seal and the transcript verify.

The agent checks the opening certificate against the computer's real clock, so the journey's times
are set around the real time (the opening is the minute the test starts) on a CA of its own whose
CRLs are published for those times. Screenshots of every step at 1280 px and 390 px
(``opening-*``); no page scrolls sideways at 390 px."""
from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from bidding.certificates.models import CertificatePurpose
from bidding.clock import FrozenClock
from bidding.opening.statement import release_key
from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.certs import load_certificate, to_asn1
from pki.devca.tokens import issue_to_token
from pki.receipts import verify_transcript
from support.auth import PASSWORD, AuthActions, make_accounts
from support.bids import (CA_T0, PROFILE, bid_settings, issue, make_bid_ca, open_tender, party_identity, register,
                          root_pem, sealed_package, upload)
from support.browser import log_in_with_password, steps
from support.journeys import (JOURNEY_SETTINGS, agent_options, expect_the_agent_missing, migrated_app, served,
                              without_the_agent)
from support.opening import THIRD, bind, third_supplier

pytestmark = pytest.mark.browser

PIN, SO_PIN = "opening-pin-2468", "opening-so-1357"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
OPENING = NOW                                        # the opening is the minute the test starts (real time)
DEADLINE = OPENING - timedelta(hours=1)
START = OPENING - timedelta(hours=2)                 # the app's clock when the bids arrive
WINDOW = timedelta(minutes=30)
PRICES = {"supplier": "1234567.80", "supplier2": "1198000.00", "supplier3": "1250000.00"}
_step = steps("opening")


@dataclass
class Journey:
    base: str
    app: object
    clock: FrozenClock
    ca: object
    tender_id: int
    supplier2: dict


def _token(ca, hsm_dir: Path, label: str, identity, keys):
    """A SoftHSM2 token with a key pair and certificate (issued at CA_T0) per (algorithm, purpose)."""
    hsm = init_softhsm_token(hsm_dir, label, SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    made = {purpose: issue_to_token(ca, session, PROFILE, identity, algorithm=algorithm, purpose=purpose,
                                    label=f"{purpose}-{algorithm}", at=CA_T0, **options)
            for algorithm, purpose, options in keys}
    tokens.close_sessions()
    return hsm, made


def _bind_seal(app, party_id: int, agent, origin: str, cert_der: bytes, seal_png: bytes, seal_kind: str) -> None:
    """Bind the agency's token certificate with its seal as the bind page does: a challenge the agent signs."""
    from app import context
    from app.certificates.proof import proof_settings
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from bidding.parties.models import Party
    from pki.seal import Seal
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", "opening-journey", origin)
        signed = agent.post("/v1/sign", {"certificate": agent.cert_id(cert_der), "pin": PIN,
                                         "data": base64.b64encode(issued.message).decode()}, origin=origin)
        assert signed.status == 200, signed.body
        party = context.uow().session.get(Party, party_id)
        bind_certificate(context.uow(), party_id, base64.b64decode(signed.json["signature"]), issued.id,
                         "opening-journey", origin, seal=Seal(party.name, party.credit_code, seal_kind, seal_png),
                         **proof_settings())


@pytest.fixture
def journey(tmp_path, isolated_tokens):
    from app.extensions import db
    from bidding.accounts.models import Account
    ca = make_bid_ca(tmp_path / "ca")
    ca.publish_crls(at=START - timedelta(hours=1))   # fresh for the journey's times
    clock = FrozenClock(START)
    app = migrated_app(tmp_path / "instance", **{**JOURNEY_SETTINGS, "WTF_CSRF_ENABLED": False}, **bid_settings(ca),
                       CLOCK=clock)                  # the bids arrive through the API before the pages run
    accounts = make_accounts(app, ("supplier", "supplier2", "agency", "purchaser", "supervisor"))
    with app.app_context():
        parties = {n: db.session.get(Account, accounts[n]).party_id for n in ("supplier", "supplier2", "agency",
                                                                            "purchaser")}
    parties["supplier3"], _ = third_supplier(app)
    tender_id = open_tender(app, parties, deadline=DEADLINE, opening=OPENING, window=WINDOW,
                            title="2027 年度办公设备采购项目")
    for name in ("supplier", "supplier2", "supplier3"):
        register(app, tender_id, name)
    hsm_dir = tmp_path / "hsm"
    supplier_hsm, on_token = _token(ca, hsm_dir, "opening-supplier", party_identity("supplier"),
                                    [("rsa", "encryption", {}), ("rsa", "signing", {"seal_kind": None})])
    agency_hsm, agency_keys = _token(ca, hsm_dir, "opening-agency", party_identity("agency"), [("ec", "signing", {})])
    certs = {p: to_asn1(ca.certificate(t.serial)) for p, t in on_token.items()}
    bind(app, parties["supplier"], certs["encryption"], CertificatePurpose.ENCRYPTION)
    bind(app, parties["supplier"], certs["signing"], CertificatePurpose.SIGNING)
    holders = {"supplier": (SimpleNamespace(cert=certs["encryption"]), None),
               "supplier2": (issue(ca, party_identity("supplier2"), algorithm="ec"),
                             issue(ca, party_identity("supplier2"), algorithm="ec", purpose="signing", seal_kind=None)),
               "supplier3": (issue(ca, THIRD, algorithm="sm2"),
                             issue(ca, THIRD, algorithm="sm2", purpose="signing", seal_kind=None))}
    manifest_signer = issue(ca, party_identity("supplier"), algorithm="rsa", purpose="signing", seal_kind=None)
    bind(app, parties["supplier"], manifest_signer.cert, CertificatePurpose.SIGNING)
    with app.app_context():
        from bidding.tenders.models import Tender
        public = db.session.get(Tender, tender_id).public_id
    for name, (enc, sign) in holders.items():
        if sign is not None:
            bind(app, parties[name], enc.cert, CertificatePurpose.ENCRYPTION)
            bind(app, parties[name], sign.cert, CertificatePurpose.SIGNING)
        code = (THIRD if name == "supplier3" else party_identity(name)).credit_code
        data = sealed_package(tmp_path / name, sign or manifest_signer, [enc], tender=public, bidder=code,
                              price=PRICES[name], files={"开标一览表.txt": f"{name} 报价 {PRICES[name]}".encode(),
                                                         "技术标.txt": f"{name} 技术方案\n".encode() * 40})
        client = app.test_client()
        assert AuthActions(client).login(name).status_code == 302
        answer = upload(client, tender_id, data)
        assert answer.status_code == 200 and answer.json["bid"], answer.json
    app.config.update(JOURNEY_SETTINGS)               # CSRF checked from here on, as in production
    agent = agent_options(ca, PROFILE, hsms=[supplier_hsm, agency_hsm], chains=["rsa", "ec"])
    with served(app, "opening-journey", agent=agent, state_dir=tmp_path / "agent-state") as live:
        record = agency_keys["signing"].record
        _bind_seal(app, parties["agency"], live.agent, live.base, ca.certificate(record.serial).dump(),
                   ca.path(record.seal_file).read_bytes(), record.seal_kind)
        tokens.close_sessions()
        enc2, sign2 = holders["supplier2"]
        yield Journey(live.base, app, clock, ca, tender_id, {"enc": enc2, "sign": sign2})


def _hall(page: Page, base: str, tender_id: int) -> None:
    page.goto(f"{base}/tenders/{tender_id}/opening")
    expect(page.locator("#countdown")).not_to_have_text("\u00a0")


def _decrypt_through_api(journey: Journey) -> None:
    """The second supplier decrypts with its file keys (what ``bidtool open`` does)."""
    client = journey.app.test_client()
    token = client.get("/api/v1/csrf").json["csrf_token"]
    session = client.post("/api/v1/session", json={"username": "supplier2", "password": PASSWORD},
                          headers={"X-CSRFToken": token})
    assert session.status_code == 200, session.json
    headers = {"X-CSRFToken": session.json["csrf_token"]}
    base = f"/api/v1/tenders/{journey.tender_id}/opening"
    released = client.post(f"{base}/release", headers=headers)
    assert released.status_code == 200, released.json
    body = released.json
    enc, sign = journey.supplier2["enc"], journey.supplier2["sign"]
    key = release_key(base64.b64decode(body["recipient_infos"][0]["recipient_info"]), decrypt_key=enc.key,
                      decrypt_cert=enc.cert, sign_key=sign.key, sign_cert=sign.cert,
                      opening_certificate=load_certificate(base64.b64decode(body["opening_certificate"])),
                      context=body["context"], chain=sign.chain, now=journey.clock.now())
    answer = client.post(f"{base}/key", json={"bid": body["bid"], **{k: base64.b64encode(v).decode()
                                                                       for k, v in key.to_dict().items()}},
                         headers=headers)
    assert answer.status_code == 200, answer.json


def _close_window(journey: Journey) -> None:
    """What the scheduler's window-end effect runs (R15, the record generated for the agency)."""
    from app.opening_keys import opening_keyring
    from bidding.opening.services import close_window
    from support.auth import test_uow
    with journey.app.app_context():
        close_window(test_uow(journey.app), journey.tender_id, opening_keyring())


def test_opening_hall_sign_in_decrypt_objection_record(page: Page, browser, journey, screenshots, tmp_path):
    base, tid = journey.base, journey.tender_id
    journey.clock.set(OPENING - timedelta(minutes=10))

    # the agency before the opening: how many bids, no names
    log_in_with_password(page, base, "agency", PASSWORD)
    _hall(page, base, tid)
    expect(page.locator("#countdown")).to_contain_text("距开标还有 00:09:")
    expect(page.locator("#bids-summary")).to_contain_text("已收到投标 3 份，已签到 0 家")
    expect(page.locator("#hall-bids")).to_be_hidden()
    assert "测试供应商" not in page.content()
    _step(page, screenshots, "agency-before")

    # the bidder signs in; the agency's hall shows it without a reload
    bidder = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in_with_password(bidder, base, "supplier", PASSWORD)
    _hall(bidder, base, tid)
    expect(bidder.locator("#own-state")).to_have_text("待解密")
    bidder.get_by_role("button", name="签到").click()
    expect(bidder.locator("#signed-in-note")).to_be_visible()
    expect(bidder.locator("#sign-in-form")).to_be_hidden()
    expect(bidder.locator("#decrypt-panel")).to_be_hidden()
    _step(bidder, screenshots, "bidder-signed-in")
    expect(page.locator("#bids-summary")).to_contain_text("已签到 1 家", timeout=10_000)

    # the opening: the bidder decrypts through the agent in the page
    journey.clock.set(OPENING)
    panel = bidder.locator("#decrypt-panel")
    expect(panel).to_be_visible(timeout=10_000)
    expect(panel.locator(".sign-option")).to_have_count(1, timeout=20_000)
    expect(panel.locator(".decrypt-certificates")).to_contain_text("加密证书")
    expect(bidder.locator("#countdown")).to_contain_text("距解密截止还有")
    _step(bidder, screenshots, "bidder-decrypt")
    panel.locator("input[name=pin]").fill(PIN)
    panel.get_by_role("button", name="解密").click()
    expect(panel.locator(".decrypt-result")).to_contain_text("解密成功", timeout=60_000)
    expect(bidder.locator("#own-state")).to_have_text("已解密", timeout=10_000)
    _step(bidder, screenshots, "bidder-decrypted")
    _decrypt_through_api(journey)

    # without the agent the panel says how to start it
    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    without_the_agent(other)
    log_in_with_password(other, base, "supplier3", PASSWORD)
    _hall(other, base, tid)
    expect_the_agent_missing(other, "#decrypt-panel", base)
    expect(other.locator("#decrypt-panel .decrypt-form")).to_be_hidden()
    _step(other, screenshots, "bidder-no-agent")
    other.context.close()

    rows = page.locator("#hall-bids tbody tr")
    expect(rows).to_have_count(3, timeout=10_000)
    expect(rows.nth(0)).to_contain_text("测试供应商甲")
    expect(rows.nth(0)).to_contain_text("已签到")
    expect(rows.nth(0)).to_contain_text("已解密")
    expect(rows.nth(1)).to_contain_text("已解密", timeout=10_000)
    expect(rows.nth(2)).to_contain_text("待解密")
    expect(page.locator("#results-waiting")).to_be_visible()
    assert PRICES["supplier"] not in page.content()
    _step(page, screenshots, "agency-window")

    # a supervisor watches, read-only
    supervisor = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in_with_password(supervisor, base, "supervisor", PASSWORD)
    supervisor.goto(f"{base}/tenders/{tid}")                  # the tender's notice links the hall
    supervisor.locator("#opening-hall-link a").click()
    expect(supervisor.locator("#read-only-note")).to_be_visible()
    expect(supervisor.locator("#hall-bids tbody tr")).to_have_count(3)
    for hidden in ("#objection-form", "#make-record", "#publish-opening"):
        expect(supervisor.locator(hidden)).to_be_hidden()
    expect(supervisor.locator("#bidder-panel")).to_have_count(0)
    _step(supervisor, screenshots, "supervisor")

    # an objection and its answer
    bidder.locator("#objection-text").fill("第三家投标人尚未解密，请确认解密时限是否按招标文件执行。")
    bidder.get_by_role("button", name="提交异议").click()
    expect(bidder.locator("#objection-1")).to_contain_text("测试供应商甲（本单位）", timeout=10_000)
    answer = page.locator("#objection-1 .answer-form")
    expect(answer).to_be_visible(timeout=10_000)
    answer.locator("textarea").fill("解密时限为开标后 30 分钟，时限结束时未解密的投标按规定处理。")
    answer.get_by_role("button", name="提交答复").click()
    expect(page.locator("#objection-1 .objection-answer")).to_contain_text("解密时限为开标后 30 分钟")
    expect(bidder.locator("#objection-1 .objection-answer")).to_be_visible(timeout=10_000)
    expect(supervisor.locator("#objection-1 .objection-answer")).to_be_visible(timeout=10_000)
    _step(bidder, screenshots, "objection-answered")
    _step(page, screenshots, "agency-objection")

    # after the window: 唱标, the record stamped through the agent, published
    journey.clock.set(OPENING + WINDOW + timedelta(minutes=1))
    _close_window(journey)
    results = bidder.locator("#hall-results tbody tr")
    expect(results).to_have_count(3, timeout=10_000)
    expect(results.nth(0)).to_contain_text("¥1,234,567.80")
    expect(results.nth(1)).to_contain_text("¥1,198,000.00")
    expect(results.nth(2)).to_contain_text("撤销")
    expect(results.nth(0)).to_contain_text("开标一览表.txt")
    _step(bidder, screenshots, "bidder-results")

    stamp = page.locator("#stamp-panel")                  # the page reloads itself when the record appears
    expect(stamp).to_be_visible(timeout=15_000)
    expect(page.locator("#record-state")).to_contain_text("待代理机构签章")
    expect(stamp.locator(".stamp-option")).to_have_count(1, timeout=20_000)
    _step(page, screenshots, "agency-record")
    stamp.locator("input[name=pin]").fill(PIN)
    stamp.get_by_role("button", name="签章").click()
    expect(page.locator("#record-state")).to_contain_text("已签章，待代理机构公布", timeout=60_000)
    expect(page.locator("#stamp-panel")).to_have_count(0)
    page.get_by_role("button", name="公布开标记录").click()
    expect(page.locator("#record-state")).to_contain_text("已于", timeout=30_000)
    expect(page.locator("#transcript-link")).to_be_visible()
    _step(page, screenshots, "agency-published")

    expect(bidder.locator("#transcript-link")).to_be_visible(timeout=10_000)
    _step(bidder, screenshots, "bidder-published")
    transcript = bidder.request.get(base + bidder.locator("#transcript-link").get_attribute("href"))
    root = load_certificate(root_pem(journey.ca).read_bytes())
    check = verify_transcript(transcript.body(), trust_roots=[root], tsa_roots=[root])
    assert check.ok and check.hall_linked, check.reasons
    actions = [e.action for e in check.events]
    assert actions[0] == "opening.signed_in" and actions[-1] == "opening.published"
    assert {"opening.bid_decrypted", "opening.objection_raised", "opening.objection_answered",
            "opening.window_closed", "opening.record_stamped"} <= set(actions)
    record = bidder.request.get(base + bidder.locator("#record-link").get_attribute("href"))
    assert record.ok and record.headers["content-type"] == "application/pdf"
    (tmp_path / "record.pdf").write_bytes(record.body())
    lines = subprocess.run(["pdfsig", str(tmp_path / "record.pdf")], check=False, capture_output=True, text=True,
                           timeout=60).stdout
    assert "Signature Validation: Signature is Valid." in lines, lines
