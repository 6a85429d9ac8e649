"""Expert signatures without a prior certificate (R12): the event certificate's key is generated on
the platform's SoftHSM token and never leaves it; each signature needs a fresh code; an expired
event certificate signs nothing; signatures verify with the project's verifier and openssl."""
from __future__ import annotations

import base64
import re
import subprocess
from datetime import timedelta
from pathlib import Path

from asn1crypto import x509
from pkcs11 import Attribute, ObjectClass
from support.bids import PROFILE
from support.experts import TOKEN_LABEL, TOKEN_PIN, b64

from pki import pkcs11 as tokens
from pki.devca import EXPERT_EVENT_EKU, EXPERT_EVENT_POLICY
from pki.signature import verify

CONTENT = "评分表：投标人甲 85 分".encode()


def _request(client, content=CONTENT, title="评分表"):
    return client.post("/api/v1/expert-session/signature-requests", json={"title": title, "content": b64(content)})


def _confirm(client, request_id, code, content=CONTENT):
    return client.post(f"/api/v1/expert-session/signature-requests/{request_id}",
                       json={"code": code, "content": b64(content)})


def _root(bid_ca) -> Path:
    return Path(bid_ca.anchors_dir) / PROFILE / "ec-root.pem"


def _roots(bid_ca) -> list:
    """The trust list's CFCA roots: EC (event certificates) and RSA (the platform TSA)."""
    from pki.certs import load_certificates
    return [c for alg in ("ec", "rsa") for c in load_certificates((Path(bid_ca.anchors_dir) / PROFILE /
                                                                     f"{alg}-root.pem").read_bytes())]


def test_a_signature_is_made_on_the_token_and_verifies(expert_world, bid_ca, tmp_path):
    world = expert_world
    client = world.expert_client("e1")
    requested = _request(client)
    assert requested.status_code == 201, requested.json
    signed = _confirm(client, requested.json["id"], world.last_code("e1"))
    assert signed.status_code == 201, signed.json
    der, cert_der = base64.b64decode(signed.json["signature"]), base64.b64decode(signed.json["certificate"])

    cert = x509.Certificate.load(cert_der)
    assert cert.subject.native["common_name"] == world.names["e1"]
    validity = cert["tbs_certificate"]["validity"]
    assert validity["not_after"].native - validity["not_before"].native == timedelta(hours=2)
    assert cert.extended_key_usage_value.native == [EXPERT_EVENT_EKU]
    assert EXPERT_EVENT_POLICY in [p["policy_identifier"].dotted for p in cert.certificate_policies_value]

    roots = _roots(bid_ca)
    result = verify(der, content=CONTENT, trust_roots=roots, at=world.clock.now())
    assert result.ok, result.reasons
    assert result.signers[0].timestamp is not None                  # the platform TSA stamped it

    (tmp_path / "sig.der").write_bytes(der)
    (tmp_path / "content.txt").write_bytes(CONTENT)
    epoch = str(int(world.clock.now().timestamp()))
    proc = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
                           "-content", str(tmp_path / "content.txt"), "-binary", "-CAfile", str(_root(bid_ca)),
                           "-purpose", "any", "-attime", epoch, "-out", "/dev/null"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "Verification successful" in proc.stderr, proc.stderr

    tampered = verify(der, content=CONTENT + b"!", trust_roots=roots, at=world.clock.now())
    assert not tampered.ok


def test_the_event_key_is_on_the_token_and_not_extractable(expert_world):
    world = expert_world
    client = world.expert_client("e2")
    assert _request(client).status_code == 201
    session = tokens.open_token(TOKEN_LABEL, pin=TOKEN_PIN)
    with session.raw() as raw:
        keys = list(raw.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        assert len(keys) == 1
        key = keys[0]
        assert key[Attribute.SENSITIVE] is True and key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.LABEL].startswith(f"expert-{world.experts['e2']}-")


def test_each_signature_needs_a_fresh_code(expert_world):
    world = expert_world
    client = world.expert_client("e3")
    first = _request(client).json
    code = world.last_code("e3")
    wrong = _confirm(client, first["id"], "000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and wrong.json["error"]["code"] == "code_invalid"
    other_content = _confirm(client, first["id"], code, content=b"something else")
    assert other_content.status_code == 400 and other_content.json["error"]["code"] == "invalid_input"
    assert _confirm(client, first["id"], code).status_code == 201
    reused = _confirm(client, first["id"], code)
    assert reused.status_code == 400 and reused.json["error"]["code"] == "code_expired"
    too_soon = _request(client)
    assert too_soon.status_code == 429                              # one signature code every 10 seconds
    world.clock.advance(seconds=11)
    second = _request(client).json
    stolen = world.expert_client("e4")                              # another expert cannot use it
    assert _confirm(stolen, second["id"], world.last_code("e3")).status_code == 400
    assert _confirm(world.client(), second["id"], world.last_code("e3")).status_code == 401


def test_an_expired_event_certificate_cannot_sign(expert_world):
    world = expert_world
    client = world.expert_client("e5")
    first = _request(client).json
    assert _confirm(client, first["id"], world.last_code("e5")).status_code == 201
    world.clock.advance(hours=1, minutes=55)
    late = _request(client).json                                  # the same certificate, 5 minutes left
    world.clock.advance(minutes=6)
    client = world.expert_client("e5")                              # the session is renewed, the certificate is not
    refused = _confirm(client, late["id"], _sign_code(world, "e5", late["id"]))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "event_certificate_expired"
    world.clock.advance(seconds=11)
    renewed = _request(client).json                                 # a new request: a new certificate
    signed = _confirm(client, renewed["id"], _sign_code(world, "e5", renewed["id"]))
    assert signed.status_code == 201


def _sign_code(world, key, request_id) -> str:
    """The code of signature request ``request_id`` (the newest message with "确认签名")."""
    from sqlalchemy import select

    from app.extensions import db
    from bidding.notify import OutboxMessage
    with world.app.app_context():
        texts = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == world.contacts[key])
                                   .order_by(OutboxMessage.id.desc())).all()
    message = next(m for m in texts if "确认签名" in m.subject)
    return re.search(r"验证码是 (\d{6})", message.text).group(1)


def test_signing_needs_an_expert_session(expert_world):
    world = expert_world
    assert _request(world.client()).status_code == 401
    assert _request(world.client("supplier")).status_code == 401
