"""The agent's security rules: only the configured origins (CORS, Private Network Access preflight),
only its own Host (DNS rebinding), bounded bodies, and wrong PINs counted like a token (R9)."""
from __future__ import annotations

import http.client
import socket

import pytest
from support.agent import KEY_PASSWORD, ORIGIN, PIN, b64

from bidtool.agent.protocol import MAX_SIGN_BODY, MAX_SIGN_DATA


def test_another_origin_gets_403_and_no_cors_header(agent):
    for origin in ("http://127.0.0.1:5001", "https://127.0.0.1:5000", "http://evil.example", "null",
                   ORIGIN + "/", "HTTP://127.0.0.1:5000"):
        for method in ("GET", "OPTIONS"):
            r = agent.request(method, "/v1/certificates", origin=origin,
                              headers={"Access-Control-Request-Method": "GET"} if method == "OPTIONS" else None)
            assert r.status == 403, (origin, method, r.body)
            assert r.json["error"]["code"] == "origin_refused"
            assert "Access-Control-Allow-Origin" not in r.headers
            assert "certificates" not in r.json


def test_a_request_without_origin_is_refused_unless_allowed(agent, cas, token, tmp_path):
    r = agent.get("/v1/info", origin=None)
    assert r.status == 403 and "--allow-no-origin" in r.json["error"]["message"]

    from support.agent import AgentClient, agent_args, start_agent
    server, thread = start_agent(agent_args(cas, None, tmp_path / "state2", "--allow-no-origin"))
    try:
        client = AgentClient(server.port)
        r = client.get("/v1/info", origin=None)
        assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
        assert client.get("/v1/info", origin="http://evil.example").status == 403
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_preflight_from_the_allowed_origin(agent):
    r = agent.request("OPTIONS", "/v1/sign", headers={
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true"})
    assert r.status == 204, r.body
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in r.headers["Vary"]
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert r.headers["Access-Control-Allow-Private-Network"] == "true"
    assert r.body == b""

    r = agent.request("OPTIONS", "/v1/certificates", headers={"Access-Control-Request-Method": "GET"})
    assert r.status == 204 and r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Private-Network" not in r.headers

    r = agent.request("OPTIONS", "/v1/sign", headers={"Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "content-type, x-token"})
    assert r.status == 400


def test_answers_to_the_allowed_origin_carry_cors_headers(agent):
    r = agent.get("/v1/certificates")
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN and "Origin" in r.headers["Vary"]
    assert r.headers["Access-Control-Allow-Origin"] != "*"
    r = agent.post("/v1/sign", {"certificate": "0" * 64, "pin": PIN, "data": b64(b"x")})
    assert r.status == 404 and r.headers["Access-Control-Allow-Origin"] == ORIGIN    # the page reads why


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:1", "localhost", "127.0.0.1",
                                  "attacker.127.0.0.1.nip.io:{port}", "[::1]:{port}", ""])
def test_a_wrong_host_is_refused(agent, host):
    r = agent.get("/v1/certificates", host=host.format(port=agent.port))
    assert r.status == 403 and r.json["error"]["code"] == "host_refused"
    assert "certificates" not in r.json


def test_localhost_is_a_right_host(agent):
    assert agent.get("/v1/info", host=f"localhost:{agent.port}").status == 200


def test_binds_to_loopback_only(agent):
    assert agent.server.socket.getsockname()[0] == "127.0.0.1"
    others = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1"}
    for address in others:          # where the machine has another address, nothing answers there
        with pytest.raises(OSError):
            socket.create_connection((address, agent.port), timeout=2).close()


def test_a_too_large_body_is_413_without_being_read(agent):
    conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
    conn.putrequest("POST", "/v1/sign", skip_host=True)
    for name, value in (("Host", f"127.0.0.1:{agent.port}"), ("Origin", ORIGIN),
                        ("Content-Type", "application/json"), ("Content-Length", str(MAX_SIGN_BODY + 1))):
        conn.putheader(name, value)
    conn.endheaders()                    # not a byte of the body is sent
    resp = conn.getresponse()
    assert resp.status == 413
    assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    conn.close()


def test_data_over_the_sign_limit_is_413(agent, cas):
    sm2 = agent.cert_id(cas.sm2_signing.cert.dump())
    r = agent.post("/v1/sign", {"certificate": sm2, "pin": KEY_PASSWORD, "data": b64(b"\0" * (MAX_SIGN_DATA + 1))})
    assert r.status == 413, r.body[:300]
    r = agent.post("/v1/pin", {"token": "agent-token", "old_pin": PIN, "new_pin": "x" * 300 * 1024})
    assert r.status == 413


def test_post_needs_json_and_a_length(agent):
    assert agent.request("POST", "/v1/sign", b"{}", headers={"Content-Type": "text/plain"}).status in (400, 415)
    conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
    conn.putrequest("POST", "/v1/sign", skip_host=True)
    for name, value in (("Host", f"127.0.0.1:{agent.port}"), ("Origin", ORIGIN),
                        ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")):
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(b"2\r\n{}\r\n0\r\n\r\n")
    assert conn.getresponse().status == 411
    conn.close()
    assert agent.get("/v1/sign").status == 405
    assert agent.get("/v1/nothing").status == 404
    assert agent.post("/v1/sign", b"[1, 2]").status == 400
    assert agent.post("/v1/sign", b"\xff\xfe").status == 400


def test_ten_wrong_pins_lock_the_token(agent, token, cas):
    cert = agent.cert_id(token.cert_der(cas, "rsa", "signing"))
    for attempt in range(1, 11):
        r = agent.post("/v1/sign", {"certificate": cert, "pin": "wrong-pin", "data": b64(b"x")})
        if attempt < 10:
            assert r.status == 400 and r.json["error"]["code"] == "pin_incorrect", r.body
            assert r.json["error"]["details"] == {"remaining": 10 - attempt}
        else:
            assert r.status == 423 and r.json["error"]["code"] == "token_locked", r.body
    r = agent.post("/v1/sign", {"certificate": cert, "pin": PIN, "data": b64(b"x")})
    assert r.status == 423 and r.json["error"]["code"] == "token_locked"
    assert "解锁" in r.json["error"]["message"] and "unlock" in r.json["error"]["message"]
    listed = agent.get("/v1/certificates").json
    assert listed["tokens"][0]["locked"] is True and listed["tokens"][0]["pin_tries_left"] == 0


def test_ten_wrong_passwords_lock_the_key_file(agent, cas, tmp_path):
    cert = agent.cert_id(cas.sm2_signing.cert.dump())
    for attempt in range(1, 11):
        r = agent.post("/v1/sign", {"certificate": cert, "pin": "wrong-password", "data": b64(b"x")})
        if attempt < 10:
            assert r.status == 400 and r.json["error"]["code"] == "pin_incorrect", r.body
            assert r.json["error"]["details"] == {"remaining": 10 - attempt}
        else:
            assert r.status == 423 and r.json["error"]["code"] == "key_locked", r.body
    r = agent.post("/v1/sign", {"certificate": cert, "pin": KEY_PASSWORD, "data": b64(b"x")})
    assert r.status == 423 and r.json["error"]["code"] == "key_locked"
    assert "恢复" in r.json["error"]["message"] and "restores" in r.json["error"]["message"]
    entry = next(c for c in agent.certificates() if c["id"] == cert)
    assert entry["location"]["locked"] is True and entry["location"]["pin_tries_left"] == 0
    # the other key file keeps its own count
    other = agent.cert_id(cas.sm2_encryption.cert.dump())
    assert next(c for c in agent.certificates() if c["id"] == other)["location"]["pin_tries_left"] == 10
    # the count survives a restart of the agent: it lives in the state folder
    assert any((tmp_path / "state" / "key-files").iterdir())


def test_a_right_pin_resets_the_count(agent, cas):
    cert = agent.cert_id(cas.sm2_signing.cert.dump())
    for _ in range(3):
        agent.post("/v1/sign", {"certificate": cert, "pin": "wrong-password", "data": b64(b"x")})
    assert agent.post("/v1/sign", {"certificate": cert, "pin": KEY_PASSWORD, "data": b64(b"x")}).status == 200
    r = agent.post("/v1/sign", {"certificate": cert, "pin": "wrong-password", "data": b64(b"x")})
    assert r.json["error"]["details"] == {"remaining": 9}
