"""Changing a token's user PIN through the agent (R21): the old PIN stops working, the new one works;
a wrong old PIN counts towards the lock (R9); key files have no PIN to change here."""
from __future__ import annotations

from support.agent import KEY_PASSWORD, PIN, b64

NEW_PIN = "new-agent-pin-97531"


def _sign(agent, cert, pin):
    return agent.post("/v1/sign", {"certificate": cert, "pin": pin, "data": b64(b"after the change")})


def test_pin_change_by_token_label(agent, token, cas):
    cert = agent.cert_id(token.cert_der(cas, "rsa", "signing"))
    assert _sign(agent, cert, PIN).status == 200
    r = agent.post("/v1/pin", {"token": "agent-token", "old_pin": PIN, "new_pin": NEW_PIN})
    assert r.status == 200, r.body
    assert r.json == {"token": "agent-token", "token_serial": token.hsm.serial, "changed": True}
    r = _sign(agent, cert, PIN)
    assert r.status == 400 and r.json["error"]["code"] == "pin_incorrect"
    assert _sign(agent, cert, NEW_PIN).status == 200
    assert NEW_PIN.encode() not in b"".join(agent.bodies) and PIN.encode() not in b"".join(agent.bodies)


def test_pin_change_by_certificate_and_wrong_old_pin_counts(agent, token, cas):
    cert = agent.cert_id(token.cert_der(cas, "ec", "encryption"))
    r = agent.post("/v1/pin", {"certificate": cert, "old_pin": "wrong-pin", "new_pin": NEW_PIN})
    assert r.status == 400 and r.json["error"]["code"] == "pin_incorrect" and r.json["error"]["details"] == {"remaining": 9}
    assert agent.post("/v1/pin", {"certificate": cert, "old_pin": PIN, "new_pin": NEW_PIN}).status == 200
    signer = agent.cert_id(token.cert_der(cas, "ec", "signing"))
    assert _sign(agent, signer, NEW_PIN).status == 200


def test_pin_change_refusals(agent, cas):
    cases = [
        ({"token": "no-such-token", "old_pin": PIN, "new_pin": NEW_PIN}, 404),
        ({"token": "agent-token", "old_pin": PIN, "new_pin": PIN}, 400),
        ({"token": "agent-token", "old_pin": PIN, "new_pin": "123"}, 400),
        ({"token": "agent-token", "certificate": "0" * 64, "old_pin": PIN, "new_pin": NEW_PIN}, 400),
        ({"old_pin": PIN, "new_pin": NEW_PIN}, 400),
        ({"certificate": agent.cert_id(cas.sm2_signing.cert.dump()), "old_pin": KEY_PASSWORD, "new_pin": NEW_PIN}, 400),
    ]
    for body, status in cases:
        r = agent.post("/v1/pin", body)
        assert r.status == status, (body, r.body)
