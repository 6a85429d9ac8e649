"""Binding an encryption certificate by proof of decryption (an encryption-only certificate cannot
sign a challenge): ``POST /api/v1/certificates/encryption-proofs`` validates the certificate as
``bind_certificate`` does and seals random bytes to it; the local agent (``bidtool agent`` in this
process: an RSA key on a SoftHSM token and an SM2 key file) unwraps the content key and re-encrypts
it to the platform's transport certificate; ``POST …/encryption-proofs/<id>`` opens it, compares and
binds. Then ``bidding.bids`` accepts an envelope addressed to the new binding. Refusals: another
party's, untrusted, expired, revoked and signing-only certificates, an already bound one, replay,
a stale proof, another session or origin, a wrong answer."""
from __future__ import annotations

import base64
import io
import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import select
from support.agent import AgentClient, start_agent
from support.bids import (
    CA_T0,
    PASSWORD,
    PROFILE,
    Holder,
    issue,
    party_identity,
    platform_identity,
    seal,
    upload,
)

from app.extensions import db
from bidding.audit.models import AuditEntry
from bidding.certificates.models import BindingState, CertificateBinding, CertificatePurpose
from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.certs import fingerprint_sha256, load_certificate
from pki.devca.tokens import issue_to_token
from pki.envelope import encrypt_stream, unwrap_content_key
from pki.identity import PartyIdentity

PIN, SO_PIN = "enc-bind-2468", "enc-bind-so-1357"
AGENT_ORIGIN = "http://127.0.0.1:5000"
PAYLOAD = b"bid package bytes " * 2_000
PROOFS = "/api/v1/certificates/encryption-proofs"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def world(bids, bid_ca):
    """The bids world (tender open, the suppliers' usual encryption certificates bound) with the
    platform's transport certificate beside its receipt certificate."""
    bid_ca.ensure_service_certificate("transport", bid_ca.state_dir / "platform", platform_identity(),
                                      profile=PROFILE, algorithm="rsa", at=CA_T0)
    return bids


def _start(client, der: bytes, **kw):
    return client.post(PROOFS, json={"certificate": _b64(der)}, **kw)


def _finish(client, proof_id, envelope: str, **kw):
    return client.post(f"{PROOFS}/{proof_id}", json={"envelope": envelope}, **kw)


def _play_agent(started: dict, holder: Holder, content_key: bytes | None = None) -> str:
    """What the agent does with a file key (unwrap, re-encrypt to the transport certificate), or a
    forged answer with another content key."""
    if content_key is None:
        content_key = unwrap_content_key(base64.b64decode(started["recipient_info"]), holder.key, holder.cert)
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(content_key), out,
                   recipients=[load_certificate(base64.b64decode(started["transport_certificate"]))])
    return _b64(out.getvalue())


def _binding(app, fingerprint: str) -> CertificateBinding | None:
    with app.app_context():
        row = db.session.scalars(select(CertificateBinding).where(
            CertificateBinding.fingerprint_sha256 == fingerprint)).first()
        if row is not None:
            db.session.expunge(row)
        return row


def _code(response) -> str:
    return response.json["error"]["code"]


def test_token_rsa_and_sm2_key_file_bind_through_the_agent_and_take_bids(world, bid_ca, tmp_path,
                                                                        isolated_tokens):
    app, clock = world.app, world.clock
    hsm = init_softhsm_token(tmp_path / "hsm", "enc-token", SO_PIN, PIN)
    on_token = issue_to_token(bid_ca, tokens.open_token(hsm.label, pin=PIN), PROFILE, party_identity("supplier"),
                              algorithm="rsa", purpose="encryption", seal_kind=None, at=clock.now() - timedelta(days=1))
    token_der = bid_ca.certificate(on_token.serial).dump()
    sm2 = bid_ca.issue(PROFILE, party_identity("supplier"), algorithm="sm2", purpose="encryption", password=PASSWORD,
                       seal_kind=None, at=clock.now() - timedelta(days=1))
    sm2_der = bid_ca.certificate(sm2.serial).dump()
    server, thread = start_agent(["agent", "--port", "0", "--origin", AGENT_ORIGIN, "--state-dir", str(tmp_path / "a"),
                                  "--pkcs11", hsm.uri().format(), "--key", str(bid_ca.path(sm2.key_file)),
                                  "--cert", str(bid_ca.path(sm2.cert_file))])
    agent = AgentClient(server.port, server)
    client = world.client()
    try:
        # before: an envelope to the token's certificate is not addressed to a bound certificate
        refused = upload(client, world.tender_id, seal(PAYLOAD, load_certificate(token_der)))
        assert refused.status_code == 422 and _code(refused) == "bid_recipient_refused", refused.json
        for der, pin in ((token_der, PIN), (sm2_der, PASSWORD.decode())):
            started = _start(client, der)
            assert started.status_code == 201, started.json
            assert started.json["fingerprint_sha256"] == fingerprint_sha256(load_certificate(der))
            unwrapped = agent.post("/v1/unwrap", {"certificate": agent.cert_id(der), "pin": pin,
                                                  "recipient_info": started.json["recipient_info"],
                                                  "transport_certificate": started.json["transport_certificate"]})
            assert unwrapped.status == 200, unwrapped.body
            done = _finish(client, started.json["id"], unwrapped.json["envelope"])
            assert done.status_code == 201, done.json
            assert done.json["purpose"] == "encryption" and done.json["state"] == "active"
            assert done.json["is_main_key"] is False and done.json["seal_kind"] is None
            assert done.json["may_stamp"] is False and done.json["certificate_type"] == "institution"
            again = _finish(client, started.json["id"], unwrapped.json["envelope"])
            assert again.status_code == 400 and _code(again) == "challenge_used"          # replay
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    binding = _binding(app, fingerprint_sha256(load_certificate(token_der)))
    assert binding.party_id == world.parties["supplier"] and binding.purpose == CertificatePurpose.ENCRYPTION
    assert binding.state == BindingState.ACTIVE and binding.algorithm == "rsa"
    assert _binding(app, fingerprint_sha256(load_certificate(sm2_der))).algorithm == "sm2"
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "certificate.bound")).all()
        assert [json.loads(e.details)["proof"] for e in entries] == ["decryption", "decryption"]
    # after: bidding.bids accepts envelopes addressed to each of them alone
    for der in (token_der, sm2_der):
        done = upload(client, world.tender_id, seal(PAYLOAD, load_certificate(der)))
        assert done.status_code == 200 and done.json["bid"]["state"] == "submitted", done.json
    # and the bound certificate cannot be proven again
    assert _code(_start(client, sm2_der)) == "certificate_already_bound"


def test_file_key_binds_and_a_second_time_is_refused(world, bid_ca):
    holder = issue(bid_ca, party_identity("supplier"), algorithm="ec", seal_kind=None)
    client = world.client()
    started = _start(client, holder.der).json
    assert _finish(client, started["id"], _play_agent(started, holder)).status_code == 201
    assert _start(client, holder.der).status_code == 409


@pytest.mark.parametrize("case", ["other_party", "untrusted", "expired", "revoked", "signing_only", "garbage",
                                  "personal"])
def test_certificates_that_may_not_be_bound(world, bid_ca, ca, case):
    clock = world.clock
    if case == "other_party":
        der, code, status = issue(bid_ca, party_identity("supplier2"), seal_kind=None).der, \
            "certificate_of_another_party", 403
    elif case == "untrusted":       # the certificate tests' CA (NETCA), not on this app's trust list
        rec = ca.issue("netca", party_identity("supplier"), algorithm="rsa", purpose="encryption",
                       password=PASSWORD, at=clock.now() - timedelta(days=1))
        der, code, status = ca.certificate(rec.serial).dump(), "certificate_untrusted", 400
    elif case == "expired":
        der = issue(bid_ca, party_identity("supplier"), seal_kind=None, not_before=CA_T0 + timedelta(hours=1),
                    not_after=clock.now() - timedelta(days=1)).der
        code, status = "certificate_expired", 400
    elif case == "revoked":
        holder = issue(bid_ca, party_identity("supplier"), seal_kind=None)
        bid_ca.revoke(holder.cert.serial_number, "key_compromise", at=clock.now() - timedelta(minutes=30))
        der, code, status = holder.der, "certificate_revoked", 400
    elif case == "signing_only":
        der = issue(bid_ca, party_identity("supplier"), purpose="signing", seal_kind=None).der
        code, status = "certificate_invalid", 400
    elif case == "personal":
        person = PartyIdentity("natural_person", "张三", id_number="11010519491231002X")
        der = issue(bid_ca, person, seal_kind=None).der
        code, status = "certificate_of_another_party", 403
    else:
        der, code, status = b"not a certificate", "certificate_invalid", 400
    refused = _start(world.client(), der)
    assert (refused.status_code, _code(refused)) == (status, code), refused.json


@pytest.fixture
def proof(world, bid_ca):
    holder = issue(bid_ca, party_identity("supplier"), algorithm="rsa", seal_kind=None)
    client = world.client()
    started = _start(client, holder.der)
    assert started.status_code == 201, started.json
    return client, holder, started.json


def test_a_stale_proof_is_refused(world, proof):
    client, holder, started = proof
    world.clock.advance(minutes=2, microseconds=1)
    refused = _finish(client, started["id"], _play_agent(started, holder))
    assert refused.status_code == 400 and _code(refused) == "challenge_expired"


def test_another_session_or_origin_is_refused(world, proof):
    client, holder, started = proof
    answer = _play_agent(started, holder)
    other = _finish(world.client(), started["id"], answer)
    assert other.status_code == 400 and _code(other) == "challenge_wrong_session"
    elsewhere = _finish(client, started["id"], answer, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 400 and _code(elsewhere) == "challenge_wrong_origin"
    assert _finish(client, started["id"], answer).status_code == 201        # still unused


@pytest.mark.parametrize("forgery", ["content_key_wrong", "answer_unreadable"])
def test_a_wrong_answer_is_refused_and_uses_the_proof_up(world, proof, forgery):
    client, holder, started = proof
    if forgery == "content_key_wrong":
        answer = _play_agent(started, holder, content_key=os.urandom(32))
    else:                           # sealed to the certificate itself, not to the platform
        out = io.BytesIO()
        encrypt_stream(io.BytesIO(os.urandom(32)), out, recipients=[holder.cert])
        answer = _b64(out.getvalue())
    refused = _finish(client, started["id"], answer)
    assert refused.status_code == 400 and _code(refused) == "encryption_proof_failed"
    assert refused.json["error"]["details"]["outcome"] == forgery
    assert _binding(world.app, fingerprint_sha256(holder.cert)) is None
    retry = _finish(client, started["id"], _play_agent(started, holder))
    assert retry.status_code == 400 and _code(retry) == "challenge_used"


def test_a_proof_is_no_signing_challenge(world):
    refused = world.client().post("/api/v1/challenges", json={"purpose": "decrypt"})
    assert refused.status_code == 422
