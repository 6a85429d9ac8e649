"""The home page lists the trusted CAs of the trust list (config/trust/*.toml via pki.trust)."""
from __future__ import annotations

import re

import pytest

CAS = ["NETCA", "GDCA", "CFCA", "BJCA", "HBCA"]

# HTTP behaviour only: one database backend is enough (the DB tests run on both).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_home_page_renders_with_navigation(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "电子招投标平台" in page and "信任的证书机构" in page
    assert '<a href="/" aria-current="page">首页</a>' in page
    assert "/static/css/site.css" in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "no external assets"


def test_home_page_lists_the_five_trusted_cas(client):
    page = client.get("/").get_data(as_text=True)
    section = page[page.index('id="trusted-cas"'):]
    section = section[:section.index("</section>")]
    assert 'role="alert"' not in section, re.sub(r"\s+", " ", section)[:400]
    cards = re.findall(r'<article class="card ca-profile" data-profile="([^"]+)">', section)
    assert len(cards) >= 5
    for ca in CAS:
        assert ca.lower() in section.lower(), f"{ca} is not on the home page"


def test_static_css_is_served(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200 and b"font-family" in response.data


def test_home_page_shows_the_services_at_the_public_base_url(make_app, db_url):
    """TSA and CRL addresses come from PUBLIC_BASE_URL (EBID_BASE_URL, else http://$HOST:$PORT)."""
    base = "http://127.0.0.1:5077"
    page = make_app(db_url, PUBLIC_BASE_URL=base).test_client().get("/").get_data(as_text=True)
    assert f"<code>{base}/tsa</code>" in page
    assert f"<code>{base}/crl/&lt;CA&gt;-&lt;算法&gt;.crl</code>" in page
    cards = page[page.index('id="trusted-cas"'):]
    for ca in CAS:
        assert f"{base}/crl/{ca.lower()}-" in cards
    assert "127.0.0.1:5000" not in page


def test_home_page_says_what_is_available_now_and_promises_nothing_else(client):
    page = client.get("/").get_data(as_text=True)
    now = page[page.index('id="available-now"'):page.index('id="coming-next"')]
    for service in ("信任列表", "证书吊销列表", "时间戳服务", "bidtool"):
        assert service in now
    assert "尚未开放" in page and "不能在本平台上投标" in page
