"""The agent's endpoints doing real work: listing, signing (data and prepared digests), unwrapping a
bid's content key for the opening. Signatures are checked by ``openssl cms -verify`` (RSA, ECDSA)
and by pki.signature.verify (SM2); unwrapped keys by opening the original envelope with them."""
from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from asn1crypto import keys as akeys
from asn1crypto import pem
from support.agent import KEY_PASSWORD, PIN, b64
from support.bidtool_env import openssl

from pki import envelope, signature
from pki.keys import dump_private_key, load_private_key
from pki.sm2 import sm3

DOCUMENT = "投标承诺书：本公司承诺所提交的投标文件真实有效。\n".encode() * 200


def _by_subject_and_key(certs, alg, usage):
    return [c for c in certs if c["key_algorithm"] == alg and usage in (c["key_usage"] or [])]


def test_info_names_versions_and_capabilities(agent):
    r = agent.get("/v1/info")
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5000"
    info = r.json
    assert info["protocol_version"] == 1 and info["agent_version"]
    assert {"certificates", "sign", "sign-digest", "unwrap", "pin"} <= set(info["capabilities"])


def test_certificates_lists_token_and_file_keys_and_never_a_private_key(agent, token, cas):
    certs = agent.certificates()
    ids = {c["id"]: c for c in certs}
    for (alg, purpose) in token.keys:
        der = token.cert_der(cas, alg, purpose)
        entry = ids[hashlib.sha256(der).hexdigest()]
        assert base64.b64decode(entry["certificate"]) == der
        assert entry["key_algorithm"] == alg
        assert entry["location"] == {"type": "token", "token": "agent-token", "token_serial": token.hsm.serial,
                                     "pin_tries_left": 10, "locked": False}
    sm2 = ids[hashlib.sha256(cas.sm2_signing.cert.dump()).hexdigest()]
    assert sm2["location"] == {"type": "file", "file": "signing-sm2.key.pem", "pin_tries_left": 10, "locked": False}
    assert sm2["key_algorithm"] == "sm2" and "digitalSignature" in sm2["key_usage"]
    assert sm2["serial"] == format(cas.sm2_signing.cert.serial_number, "X")
    assert sm2["not_before"] < sm2["not_after"] and "签名助手供应商有限公司" in sm2["subject"]
    assert len(certs) == 6
    assert agent.get("/v1/certificates").json["tokens"] == [
        {"label": "agent-token", "serial": token.hsm.serial, "present": True, "pin_tries_left": 10,
         "locked": False, "problem": None}]

    # sign and unwrap too, then look at every body the agent ever sent
    sig_id = hashlib.sha256(cas.sm2_signing.cert.dump()).hexdigest()
    assert agent.post("/v1/sign", {"certificate": sig_id, "pin": KEY_PASSWORD, "data": b64(b"x")}).status == 200
    assert agent.post("/v1/sign", {"certificate": sig_id, "pin": "wrong-password", "data": b64(b"x")}).status == 400
    _assert_no_key_material(agent.bodies, cas)


def _assert_no_key_material(bodies, cas):
    secrets = []
    for cred in (cas.sm2_signing, cas.sm2_encryption):
        key = load_private_key(cred.key_path.read_bytes(), KEY_PASSWORD.encode())
        _, _, der = pem.unarmor(dump_private_key(key))          # the PKCS#8 DER of the key
        ec_key = akeys.ECPrivateKey.load(akeys.PrivateKeyInfo.load(der)["private_key"].contents)
        secrets += [der, ec_key["private_key"].native.to_bytes(32, "big")]     # and its private scalar
    for body in bodies:
        assert b"PRIVATE KEY" not in body
        assert PIN.encode() not in body and KEY_PASSWORD.encode() not in body
        for secret in secrets:
            assert secret not in body and secret.hex().encode() not in body
        for value in _strings(json.loads(body)):
            try:
                decoded = base64.b64decode(value, validate=True)
            except ValueError:
                continue
            assert not any(secret in decoded for secret in secrets)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("alg", ["rsa", "ec"])
def test_token_signature_over_data_verifies_with_openssl(agent, token, cas, tmp_path, alg):
    der = token.cert_der(cas, alg, "signing")
    r = agent.post("/v1/sign", {"certificate": agent.cert_id(der), "pin": PIN, "data": b64(DOCUMENT)})
    assert r.status == 200, r.body
    assert r.json["format"] == "cms" and r.json["detached"] is True
    _openssl_verifies(tmp_path, base64.b64decode(r.json["signature"]), DOCUMENT, cas.root(alg))


def test_token_signature_over_a_prepared_digest_verifies_with_openssl(agent, token, cas, tmp_path):
    der = token.cert_der(cas, "rsa", "signing")
    r = agent.post("/v1/sign", {"certificate": agent.cert_id(der), "pin": PIN,
                                "digest": hashlib.sha256(DOCUMENT).hexdigest(), "digest_algorithm": "sha256"})
    assert r.status == 200, r.body
    sig = base64.b64decode(r.json["signature"])
    _openssl_verifies(tmp_path, sig, DOCUMENT, cas.root("rsa"))
    assert signature.verify(sig, content=DOCUMENT, trust_roots=[cas.root("rsa").read_bytes()]).ok


def _openssl_verifies(tmp_path, sig: bytes, content: bytes, root):
    (tmp_path / "sig.der").write_bytes(sig)
    (tmp_path / "content").write_bytes(content)
    proc = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig.der",
                   "-content", tmp_path / "content", "-CAfile", root, "-purpose", "any", "-out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out").read_bytes() == content


@pytest.mark.parametrize("mode", ["data", "digest"])
def test_sm2_file_key_signature_verifies_with_pki(agent, cas, mode):
    request = {"certificate": agent.cert_id(cas.sm2_signing.cert.dump()), "pin": KEY_PASSWORD}
    request.update({"data": b64(DOCUMENT)} if mode == "data" else
                   {"digest": sm3(DOCUMENT).hex(), "digest_algorithm": "sm3"})
    r = agent.post("/v1/sign", request)
    assert r.status == 200, r.body
    assert r.json["format"] == "gm-t-0010"
    result = signature.verify(base64.b64decode(r.json["signature"]), content=DOCUMENT,
                              trust_roots=[cas.root("sm2").read_bytes()])
    assert result.ok, result.reasons
    assert result.flavour == "gm-standard"
    assert not signature.verify(base64.b64decode(r.json["signature"]), content=DOCUMENT + b"!",
                                trust_roots=[cas.root("sm2").read_bytes()]).ok


def test_sign_refusals(agent, token, cas):
    rsa = agent.cert_id(token.cert_der(cas, "rsa", "signing"))
    sm2 = agent.cert_id(cas.sm2_signing.cert.dump())
    cases = [
        ({"certificate": sm2, "pin": KEY_PASSWORD, "digest": "00" * 32, "digest_algorithm": "sha256"}, 400),
        ({"certificate": rsa, "pin": PIN, "digest": "00" * 31, "digest_algorithm": "sha256"}, 400),
        ({"certificate": rsa, "pin": PIN, "data": b64(b"x"), "digest": "00" * 32}, 400),
        ({"certificate": rsa, "pin": PIN}, 400),
        ({"certificate": rsa, "pin": PIN, "data": "not base64!"}, 400),
        ({"certificate": rsa, "pin": PIN, "data": b64(b"x"), "extra": 1}, 400),
        ({"certificate": "0" * 64, "pin": PIN, "data": b64(b"x")}, 404),
        ({"certificate": agent.cert_id(token.cert_der(cas, "rsa", "encryption")), "pin": PIN, "data": b64(b"x")}, 400),
    ]
    for body, status in cases:
        r = agent.post("/v1/sign", body)
        assert r.status == status, (body, r.body)
        message = r.json["error"]["message"]
        assert "(" in message and any("\u4e00" <= ch <= "\u9fff" for ch in message.split("(")[0]), message
    r = agent.post("/v1/sign", b'{"certificate": "a", "certificate": "b"}')
    assert r.status == 400 and "twice" in r.json["error"]["message"]


@pytest.mark.parametrize("alg,transport_alg", [("rsa", "rsa"), ("ec", "rsa"), ("rsa", "ec"), ("sm2", "sm2")])
def test_unwrap_returns_the_content_key_sealed_to_the_transport_certificate(agent, token, cas, tmp_path,
                                                                            alg, transport_alg):
    if alg == "sm2":
        cert_der, pin = cas.sm2_encryption.cert.dump(), KEY_PASSWORD
    else:
        cert_der, pin = token.cert_der(cas, alg, "encryption"), PIN
    plain = tmp_path / "bid.tar"
    plain.write_bytes(DOCUMENT * 10)
    sealed = tmp_path / "bid.env"
    envelope.encrypt_file(plain, sealed, recipients=[cert_der])
    recipient_info = envelope.find_recipient_info(sealed, cert_der).dump()
    transport = cas.transport[transport_alg]

    r = agent.post("/v1/unwrap", {"certificate": agent.cert_id(cert_der), "pin": pin,
                                  "recipient_info": b64(recipient_info),
                                  "transport_certificate": b64(transport.cert.dump())})
    assert r.status == 200, r.body
    returned = base64.b64decode(r.json["envelope"])
    content_key = io.BytesIO()
    envelope.decrypt_stream(io.BytesIO(returned), content_key, key=transport.key, certificate=transport.cert)
    opened = tmp_path / "opened.tar"
    envelope.decrypt_with_content_key(sealed, opened, content_key.getvalue())
    assert opened.read_bytes() == plain.read_bytes()
    assert content_key.getvalue() not in r.body and b64(content_key.getvalue()).encode() not in r.body


def test_unwrap_refuses_a_transport_certificate_not_made_for_encryption(agent, token, cas, tmp_path):
    cert_der = token.cert_der(cas, "rsa", "encryption")
    (tmp_path / "p").write_bytes(b"bid")
    envelope.encrypt_file(tmp_path / "p", tmp_path / "e", recipients=[cert_der])
    r = agent.post("/v1/unwrap", {"certificate": agent.cert_id(cert_der), "pin": PIN,
                                  "recipient_info": b64(envelope.find_recipient_info(tmp_path / "e", cert_der).dump()),
                                  "transport_certificate": b64(cas.signing_only.cert.dump())})
    assert r.status == 400 and r.json["error"]["code"] == "recipient_key_usage", r.body
    assert "keyEncipherment" in r.json["error"]["message"]


def test_unwrap_refuses_a_recipient_info_for_another_certificate_before_using_the_pin(agent, token, cas, tmp_path):
    rsa_enc, ec_enc = token.cert_der(cas, "rsa", "encryption"), token.cert_der(cas, "ec", "encryption")
    (tmp_path / "p").write_bytes(b"bid")
    envelope.encrypt_file(tmp_path / "p", tmp_path / "e", recipients=[rsa_enc])
    body = {"certificate": agent.cert_id(ec_enc), "pin": "wrong-pin",
            "recipient_info": b64(envelope.find_recipient_info(tmp_path / "e", rsa_enc).dump()),
            "transport_certificate": b64(cas.transport["rsa"].cert.dump())}
    r = agent.post("/v1/unwrap", body)
    assert r.status == 422 and r.json["error"]["code"] == "envelope_not_addressed", r.body
    assert agent.get("/v1/certificates").json["tokens"][0]["pin_tries_left"] == 10
    r = agent.post("/v1/unwrap", {**body, "recipient_info": b64(b"\x30\x03\x02\x01\x00")})
    assert r.status == 400
