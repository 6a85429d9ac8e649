"""Log-in through the pages: the session is renewed at log-in and ended for good at log-out,
cookie flags, clear refusals (wrong password, locked), the rate limit, the account page and the
password change."""
from __future__ import annotations

import re

import pytest
from flask import session

from support.auth import PASSWORD, AuthActions, make_accounts

WRONG = "用户名或口令错误 (wrong user name or password)"


@pytest.fixture
def accounts(app):
    return make_accounts(app, ("supplier", "operator"))


@pytest.fixture
def auth(client):
    return AuthActions(client)


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_login_page_renders_in_chinese(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "口令登录" in html and 'name="username"' in html and 'name="password"' in html
    assert 'id="certificate-login"' in html           # the place for the certificate log-in
    assert 'href="/login"' in html                     # the nav offers 登录


def test_log_in_shows_the_account_page_and_the_nav(client, auth, accounts):
    response = auth.login("supplier")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "<code>supplier</code>" in page and "测试供应商甲" in page and "供应商经办人" in page
    assert 'action="/logout"' in page and "退出" in page


def test_wrong_password_and_unknown_user_show_the_same_message(client, auth, accounts):
    for username, password in (("supplier", "not-the-password"), ("nobody", PASSWORD)):
        response = auth.login(username, password)
        assert response.status_code == 401
        assert WRONG in response.get_data(as_text=True)
    assert _session_cookie(client) is None or client.get("/account").status_code == 302


def test_locked_account_page_says_until_when(client, auth, accounts):
    for _ in range(4):
        assert auth.login("supplier", "not-the-password").status_code == 401
    response = auth.login("supplier", "not-the-password")
    assert response.status_code == 403
    assert "北京时间 2026-11-23 16:15" in response.get_data(as_text=True)
    assert auth.login("supplier").status_code == 403      # even with the right password


def test_session_is_rotated_at_log_in_and_ended_at_log_out(app, client, auth, accounts):
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by-an-attacker"               # a fixated session's content
    old_cookie = _session_cookie(client)
    assert auth.login("operator").status_code == 302
    new_cookie = _session_cookie(client)
    assert new_cookie and new_cookie != old_cookie
    with client.session_transaction() as after:
        assert "planted" not in after and after["_user_id"].startswith(f"{accounts['operator']}.")
    # the cookie from before the log-in does not authenticate
    stale = app.test_client()
    stale.set_cookie("session", old_cookie)
    assert stale.get("/account").status_code == 302
    # a copy of the logged-in cookie stops working at log-out
    copy = app.test_client()
    copy.set_cookie("session", new_cookie)
    assert copy.get("/account").status_code == 200
    assert auth.logout().headers["Location"] == "/"
    assert client.get("/account").status_code == 302
    assert copy.get("/account").status_code == 302
    assert copy.get("/api/v1/me").status_code == 401


def test_csrf_token_is_renewed_at_log_in(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, WTF_CSRF_ENABLED=True)
    make_accounts(app, ("operator",))
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "operator", "password": PASSWORD}).status_code == 400
    response = client.post("/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    with client.session_transaction() as after:
        assert after.get("csrf_token") in (None, "") or after["csrf_token"] != token
    page = client.get("/account").get_data(as_text=True)
    new_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert new_token != token
    assert client.post("/logout", data={"csrf_token": token}).status_code == 400      # the old one is dead
    assert client.post("/logout", data={"csrf_token": new_token}).status_code == 302


def test_cookie_flags(client, auth, accounts):
    response = auth.login("operator")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_in_production(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, ENV_NAME="production", WTF_CSRF_ENABLED=False)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    make_accounts(app, ("operator",))
    response = app.test_client().post("/login", base_url="https://ebid.example",
                                      data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_eleventh_attempt_in_a_minute_is_rate_limited(client, auth, accounts):
    for n in range(10):
        assert auth.login(f"nobody{n}", "x").status_code == 401
    limited = auth.login("operator")
    assert limited.status_code == 429
    assert "请求过于频繁" in limited.get_data(as_text=True)
    api = client.post("/api/v1/session", json={"username": "operator", "password": PASSWORD})
    assert api.status_code == 429 and api.json["error"]["code"] == "http_429"
    other = client.post("/login", data={"username": "operator", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert other.status_code == 302                       # per client address


def test_next_parameter_stays_on_this_site(client, auth, accounts):
    assert client.get("/account").headers["Location"] == "/login?next=/account"
    response = client.post("/login", data={"username": "operator", "password": PASSWORD, "next": "/account"})
    assert response.headers["Location"] == "/account"
    client.post("/logout")
    response = client.post("/login", data={"username": "operator", "password": PASSWORD,
                                           "next": "//evil.example/"})
    assert response.headers["Location"] == "/account"


def test_change_password_on_the_account_page(client, auth, accounts):
    auth.login("operator")
    wrong = client.post("/account/password", data={"old_password": "nope-nope-nope", "new_password": "new-password-1",
                                                   "confirm": "new-password-1"})
    assert wrong.status_code == 400 and "原口令错误" in wrong.get_data(as_text=True)
    weak = client.post("/account/password", data={"old_password": PASSWORD, "new_password": "short",
                                                  "confirm": "short"})
    assert weak.status_code == 400 and "至少 10 个字符" in weak.get_data(as_text=True)
    ok = client.post("/account/password", data={"old_password": PASSWORD, "new_password": "new-password-1",
                                                "confirm": "new-password-1"})
    assert ok.status_code == 302
    assert client.get("/account").status_code == 200    # this session goes on (renewed)
    client.post("/logout")
    assert auth.login("operator").status_code == 401
    assert auth.login("operator", "new-password-1").status_code == 302


def test_session_survives_only_with_the_right_epoch(app, client, auth, accounts):
    auth.login("operator")
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{accounts['operator']}.7"
    assert client.get("/account").status_code == 302
    with app.test_request_context():
        assert "_user_id" not in session
