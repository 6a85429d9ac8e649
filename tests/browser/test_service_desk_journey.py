"""The certificate service desk in a real browser: the supplier's staff logs in, opens 证书服务 on
its certificate 50 days before expiry (inside the R7 window), asks for a one-year renewal and sees
the new certificate bound in place of the old one, which is listed as superseded under 我的证书. The
development CA is the app's own (DEVCA_DIR); the certificate is bound beforehand through the domain
with its key file. Screenshots at 1280 px and 390 px; no page scrolls sideways at 390 px."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from pki.devca import DevCA
from pki.identity import PartyIdentity, credit_code_check_char
from pki.keyops import FileKey
from pki.keys import load_pkcs12
from pki.seal import Seal
from pki.signature import sign
from pki.trust import add_years
from support.auth import PARTIES, PASSWORD, make_accounts
from support.browser import log_in_with_password, steps
from support.journeys import JOURNEY_SETTINGS, migrated_app, served

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
KEY_PASSWORD = b"desk-browser-key"


@pytest.fixture
def desk_server(tmp_path):
    from app import context
    from app.certificates.proof import proof_settings
    from app.extensions import db
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from bidding.clock import FrozenClock

    app = migrated_app(tmp_path / "instance", CLOCK=FrozenClock(NOW), **JOURNEY_SETTINGS)
    make_accounts(app, ("supplier",))
    ca = DevCA(app.config["DEVCA_DIR"], app.config["TRUST_ANCHORS_DIR"])
    ca.init(["netca"], at=NOW - timedelta(days=400))
    _, name, code17 = PARTIES["supplier"]
    ident = PartyIdentity("institution", name, credit_code=code17 + credit_code_check_char(code17))
    rec = ca.issue("netca", ident, algorithm="rsa", password=KEY_PASSWORD, at=NOW - timedelta(days=315),
                   not_before=NOW - timedelta(days=315), not_after=NOW + timedelta(days=50))
    ca.publish_crls(at=NOW)
    key, cert = FileKey(load_pkcs12(ca.path(rec.key_file).read_bytes(), KEY_PASSWORD)[0]), ca.certificate(rec.serial)
    with app.test_request_context():
        from bidding.parties.models import Party
        party = db.session.query(Party).filter_by(credit_code=ident.credit_code).one()
        issued = issue_challenge(context.uow(), "bind", "browser-desk", "http://localhost")
        der = sign(issued.message, key=key, certificate=cert, chain=[ca.chain("netca", "rsa").intermediate],
                   detached=True, signing_time=NOW)
        seal = Seal(name, ident.credit_code, rec.seal_kind, ca.path(rec.seal_file).read_bytes())
        bind_certificate(context.uow(), party.id, der, issued.id, "browser-desk", "http://localhost", seal=seal,
                         **proof_settings())

    with served(app, "desk-server") as live:
        yield live.base, rec


_step = steps("service-desk")


def test_the_supplier_renews_inside_the_window_and_sees_the_new_certificate_bound(page: Page, desk_server,
                                                                                   screenshots):
    base, rec = desk_server
    log_in_with_password(page, base, "supplier", PASSWORD)

    page.goto(base + "/certificates")
    page.locator("a.service-link").click()
    expect(page.locator("#desk-binding")).to_contain_text(rec.serial_hex)
    expect(page.locator("#kind-renewal")).to_have_attribute("open", "")
    _step(page, screenshots, "form")

    page.locator("#kind-renewal select[name=years]").select_option("1")
    page.locator("#kind-renewal button[type=submit]").click()
    result = page.locator("#desk-result")
    expect(result).to_contain_text("新证书已绑定")
    expect(result).to_contain_text(add_years(NOW + timedelta(days=50), 1).strftime("%Y-%m-%d"))   # R7
    _step(page, screenshots, "renewed")

    page.get_by_role("link", name="查看我的证书").click()
    bindings = page.locator("#bindings .binding")
    expect(bindings).to_have_count(2)
    expect(bindings.filter(has_text="已被取代")).to_have_count(1)
    expect(page.locator("a.service-link")).to_have_count(1)
    _step(page, screenshots, "list")
