"""``/v1/unwrap`` with ``sign`` (the opening, docs/agent.md and docs/opening.md): the agent seals the
content key to the opening certificate and signs the key-release statement, which the platform's
reader accepts and whose signature verifies over its bytes; a wrong signing PIN uses up nothing but
that key's try; a refused signing certificate is refused before any PIN is used."""
from __future__ import annotations

import base64
import io

import pytest
from support.agent import KEY_PASSWORD, PIN, b64

from bidding.opening.statement import read_key_release, sha256_hex
from pki import envelope, signature
from pki.certs import fingerprint_sha256, load_certificate

DOCUMENT = "投标文件 bid document ".encode() * 40


def _sealed(tmp_path, cert_der: bytes) -> bytes:
    (tmp_path / "p").write_bytes(DOCUMENT)
    envelope.encrypt_file(tmp_path / "p", tmp_path / "e", recipients=[cert_der])
    return envelope.find_recipient_info(tmp_path / "e", cert_der).dump()


@pytest.mark.parametrize("signer", ["rsa-token", "sm2-file"])
def test_unwrap_with_sign_returns_a_signed_key_release(agent, token, cas, tmp_path, signer):
    cert_der = token.cert_der(cas, "rsa", "encryption")
    ri = _sealed(tmp_path, cert_der)
    transport = cas.transport["rsa"]
    if signer == "rsa-token":
        sign_der, sign = token.cert_der(cas, "rsa", "signing"), {"certificate": None}
    else:
        sign_der, sign = cas.sm2_signing.cert.dump(), {"certificate": None, "pin": KEY_PASSWORD}
    sign["certificate"] = agent.cert_id(sign_der)
    r = agent.post("/v1/unwrap", {"certificate": agent.cert_id(cert_der), "pin": PIN, "recipient_info": b64(ri),
                                  "transport_certificate": b64(transport.cert.dump()), "context": "ctx-0123456789",
                                  "sign": sign})
    assert r.status == 200, r.body
    sealed, statement = base64.b64decode(r.json["envelope"]), base64.b64decode(r.json["statement"])
    release = read_key_release(statement)
    assert release.context == "ctx-0123456789"
    assert release.envelope_sha256 == sha256_hex(sealed) and release.recipient_info_sha256 == sha256_hex(ri)
    assert release.opening_certificate_sha256 == fingerprint_sha256(transport.cert)
    assert release.unwrapped_with == fingerprint_sha256(load_certificate(cert_der))
    check = signature.verify(base64.b64decode(r.json["signature"]), content=statement,
                             trust_roots=[load_certificate(cas.root(a).read_bytes()) for a in ("rsa", "sm2")],
                             intermediates=[load_certificate(cas.inter(a).read_bytes()) for a in ("rsa", "sm2")])
    assert check.ok, check.reasons
    assert fingerprint_sha256(check.signer_certificate) == fingerprint_sha256(load_certificate(sign_der))
    key = io.BytesIO()
    envelope.decrypt_stream(io.BytesIO(sealed), key, key=transport.key, certificate=transport.cert)
    assert key.getvalue() not in r.body


def test_unwrap_with_sign_refusals(agent, token, cas, tmp_path):
    cert_der = token.cert_der(cas, "rsa", "encryption")
    body = {"certificate": agent.cert_id(cert_der), "pin": PIN, "recipient_info": b64(_sealed(tmp_path, cert_der)),
            "transport_certificate": b64(cas.transport["rsa"].cert.dump()), "context": "ctx"}
    signing = agent.cert_id(token.cert_der(cas, "rsa", "signing"))
    for bad in ({"certificate": signing, "extra": 1}, "not-an-object", {"pin": PIN}):
        r = agent.post("/v1/unwrap", {**body, "sign": bad})
        assert r.status == 400, (bad, r.body)
    r = agent.post("/v1/unwrap", {**body, "context": "has space", "sign": {"certificate": signing}})
    assert r.status == 400
    r = agent.post("/v1/unwrap", {**body, "context": "x" * 513, "sign": {"certificate": signing}})
    assert r.status == 400
    # an encryption certificate cannot sign: refused before either PIN is tried
    r = agent.post("/v1/unwrap", {**body, "pin": "wrong-pin", "sign": {"certificate": agent.cert_id(cert_der)}})
    assert r.status == 400 and r.json["error"]["code"] == "certificate_unsuitable", r.body
    assert agent.get("/v1/certificates").json["tokens"][0]["pin_tries_left"] == 10
    info = agent.get("/v1/info").json
    assert "unwrap-sign" in info["capabilities"]
