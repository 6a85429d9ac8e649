"""`flask setup-dev` (dev CA, platform certificates, demo parties): twice in a row changes nothing the
second time, `/tsa` answers with a reply that `openssl ts -verify` accepts, and the demo parties
exist with certificates that validate through the trust list."""
from __future__ import annotations

import hashlib
import os
import re
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from sqlalchemy import func, select

from support.cli import invoke
from devsetup.demo import DEMO_PARTIES, demo_secrets, load_demo
from bidding.audit.models import AuditEntry
from bidding.parties.models import Party, PartyKind
from pki import pkcs11 as tokens
from pki.certs import load_certificate, to_cryptography
from devsetup.softhsm import softhsm_tokens
from pki.identity import validate_credit_code
from pki.keys import key_matches_certificate, load_private_key


def _counts(app) -> tuple[int, int]:
    from app.extensions import db
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(Party)),
                  db.session.scalar(select(func.count()).select_from(AuditEntry)))
        db.session.rollback()
        return counts


def _snapshot(instance) -> dict[str, str]:
    """SHA-256 of every file that setup-dev makes (certificates, keys, CA index, README, secrets)."""
    files = {}
    for folder in ("devca", "demo"):
        for path in sorted((instance / folder).rglob("*")):
            if path.is_file() and path.suffix != ".lock" and "crl" not in path.parts:
                files[str(path.relative_to(instance))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def test_setup_dev_twice_is_idempotent(cli_app, instance):
    first = invoke(cli_app, "setup-dev")
    assert first.exit_code == 0, first.output + first.stderr
    assert "setup-dev: done" in first.output and "示例供应商" in first.output
    after_first, counts = _snapshot(instance), _counts(cli_app)
    assert counts[0] == 4

    second = invoke(cli_app, "setup-dev")
    assert second.exit_code == 0, second.output + second.stderr
    assert second.output.count("沿用 kept") == 4          # TSA, platform, self-test transport, receipts
    assert _counts(cli_app) == counts                   # no new party, no new audit entry
    assert _snapshot(instance) == after_first           # no file rewritten with other content
    assert invoke(cli_app, "demo", "init").output.strip().endswith("新签证书 new certificates for: —")
    verified = invoke(cli_app, "audit", "verify")
    assert verified.exit_code == 0 and f"共 {counts[1]} 条" in verified.output


def test_tsa_answers_after_setup_dev(cli_app, instance, tmp_path, openssl):
    assert invoke(cli_app, "setup-dev").exit_code == 0
    data = tmp_path / "receipt.json"
    data.write_bytes('{"tender": "T-1", "bid": 7}'.encode())
    query, reply = tmp_path / "q.tsq", tmp_path / "r.tsr"
    openssl("ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query))
    response = cli_app.test_client().post("/tsa", data=query.read_bytes(),
                                          headers={"Content-Type": "application/timestamp-query"})
    assert response.status_code == 200 and response.mimetype == "application/timestamp-reply"
    reply.write_bytes(response.data)
    tsa_dir = instance / "devca" / "tsa"
    verified = openssl("ts", "-verify", "-in", str(reply), "-queryfile", str(query),
                       "-CAfile", str(tsa_dir / "chain.pem"), "-untrusted", str(tsa_dir / "tsa.pem"))
    assert b"Verification: OK" in verified.stdout
    text = openssl("ts", "-reply", "-in", str(reply), "-text").stdout.decode()
    assert "Status: Granted" in text and "Time stamp: Nov 23 08:00:00 2026 GMT" in text


def test_demo_parties_and_certificates(cli_app, instance, devca, clock, openssl, tmp_path):
    assert invoke(cli_app, "setup-dev").exit_code == 0
    from app.extensions import db
    with cli_app.app_context():
        rows = {p.name: (p.id, p.kind, p.credit_code) for p in db.session.scalars(select(Party))}
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        db.session.rollback()
    assert actions.count("party.registered") == 4
    demo = instance / "demo"
    secrets_file = demo / "SECRETS.txt"
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    secrets = demo_secrets(demo)
    trust, crls, now = devca.trust_list(), devca.crls(), clock.now()
    parties = {p.key: p for p in load_demo(demo)}
    assert set(parties) == {"supplier", "agency", "purchaser", "expert"}

    expert = parties["expert"]
    assert rows[expert.name][1] == PartyKind.EXPERT and expert.certificates == [] and expert.token_label is None

    os.environ["SOFTHSM2_CONF"] = str(instance / "softhsm" / "softhsm2.conf")
    tokens.reinitialize()
    assert set(softhsm_tokens(instance / "softhsm")) == {"demo-supplier", "demo-agency", "demo-purchaser",
                                                         "ebid-platform"}   # the platform's token (experts)
    for spec in DEMO_PARTIES:
        party = parties[spec.key]
        row = rows[spec.name]
        assert row == (party.party_id, spec.kind, spec.credit_code)
        if spec.kind == PartyKind.EXPERT:
            continue
        assert validate_credit_code(spec.credit_code) == row[2]
        folder = demo / spec.key
        readme = (folder / "README.txt").read_text(encoding="utf-8")
        assert spec.credit_code in readme and party.token_label in readme
        assert [c.name for c in party.certificates] == [c.name for c in spec.certificates]
        for c in party.certificates:
            cert = load_certificate((folder / c.cert_file).read_bytes())
            purpose = "stamping" if c.purpose == "signing" else "encryption"
            result = trust.validate(cert, now, purpose, crls=crls, revocation="require")
            assert result.ok, (spec.key, c.name, result.reasons)
            assert trust.identity(cert).credit_code == spec.credit_code
            assert c.cert_file in readme
            if c.key_uri:                                   # on the token: sign and verify
                assert c.key_uri in readme
                key = tokens.open_key(c.key_uri, pin=secrets[spec.key]["user_pin"])
                assert key.public_key_info().dump() == cert.public_key.dump()
                assert not key.protection().extractable
                public = to_cryptography(cert).public_key()
                signature = key.sign(b"demo", hash_algorithm="sha256")
                if c.algorithm == "rsa":
                    public.verify(signature, b"demo", padding.PKCS1v15(), hashes.SHA256())
                else:
                    public.verify(signature, b"demo", ec.ECDSA(hashes.SHA256()))
            else:                                           # SM2: encrypted key file
                assert c.algorithm == "sm2" and stat.S_IMODE(os.stat(folder / c.key_file).st_mode) == 0o600
                key = load_private_key((folder / c.key_file).read_bytes(),
                                       secrets[spec.key]["key_password"].encode())
                assert key_matches_certificate(key, cert.public_key)
                # an outside check of the SM2 certificate's signature (OpenSSL 3.0 applies distid
                # to the certificate being verified only: check the leaf → intermediate link)
                chain_text = (folder / c.chain_file).read_text()
                intermediate = tmp_path / f"{spec.key}-{c.name}-ca.pem"
                intermediate.write_text(chain_text[:chain_text.index("-----END CERTIFICATE-----") + 25] + "\n")
                openssl("verify", "-attime", str(int(now.timestamp()) + 60), "-partial_chain",
                        "-vfyopt", "distid:1234567812345678", "-CAfile", str(intermediate), str(folder / c.cert_file))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_setup_dev_remakes_a_lost_token(cli_app, instance):
    """A token deleted between runs: that party's certificates are made again, the others kept."""
    from devsetup.softhsm import delete_softhsm_token
    assert invoke(cli_app, "setup-dev").exit_code == 0
    before = {p.key: [c.serial for c in p.certificates] for p in load_demo(instance / "demo")}
    os.environ["SOFTHSM2_CONF"] = str(instance / "softhsm" / "softhsm2.conf")
    assert delete_softhsm_token(instance / "softhsm", "demo-agency")
    result = invoke(cli_app, "demo", "init")
    assert result.exit_code == 0, result.output + result.stderr
    assert re.search(r"新签证书 new certificates for: agency$", result.output.strip())
    after = {p.key: [c.serial for c in p.certificates] for p in load_demo(instance / "demo")}
    assert after["supplier"] == before["supplier"] and after["purchaser"] == before["purchaser"]
    assert set(after["agency"]).isdisjoint(before["agency"])
    assert "demo-agency" in softhsm_tokens(instance / "softhsm")
