"""A signing-only certificate cannot receive an envelope: its holder's encryption key would never
open it. The refusal is raised where recipients are built (pki.envelope.recipients), so bidtool,
the bid package and any other caller get it; a certificate without keyUsage may do anything."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pki import envelope
from pki.envelope.recipients import RecipientKeyUsageError
from pki.errors import PkiError

NEEDED = {"rsa": "keyEncipherment", "ec": "keyAgreement", "sm2": "keyEncipherment"}


def _key_args(party, alg, purpose):
    return ["--key", party.keys[alg, purpose], "--pass-env", "BID_PASS", "--cert", party.certs[alg, purpose]]


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_encrypt_refuses_a_signing_certificate(bidtool, supplier, tmp_path, alg):
    (tmp_path / "plan.pdf").write_bytes(b"plan")
    r = bidtool("encrypt", "--to", supplier.certs[alg, "encryption"], "--to", supplier.certs[alg, "signing"],
                "plan.pdf", "plan.env")
    assert r.code == 1 and len(r.err.splitlines()) == 1, r.err
    assert NEEDED[alg] in r.err and "digitalSignature, nonRepudiation" in r.err
    assert "supplier 有限公司" in r.err                      # the certificate's subject
    assert not (tmp_path / "plan.env").exists()


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_pack_refuses_a_signing_certificate_as_enc_cert(bidtool, supplier, tmp_path, alg):
    (tmp_path / "quote.txt").write_text("报价 1 元", encoding="utf-8")
    r = bidtool("pack", *_key_args(supplier, alg, "signing"), "--enc-cert", supplier.certs[alg, "signing"],
                "--tender", "T-1", "--price", "1", "-o", "bid.env", "quote.txt")
    assert r.code == 1 and len(r.err.splitlines()) == 1, r.err
    assert NEEDED[alg] in r.err
    assert not (tmp_path / "bid.env").exists()


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_every_caller_gets_the_refusal(supplier, tmp_path, alg):
    (tmp_path / "plan.pdf").write_bytes(b"plan")
    cert = supplier.certs[alg, "signing"].read_bytes()
    with pytest.raises(RecipientKeyUsageError) as caught:
        envelope.encrypt_file(tmp_path / "plan.pdf", tmp_path / "plan.env", recipients=[cert])
    assert isinstance(caught.value, PkiError) and caught.value.kind == "input"
    assert caught.value.code == "recipient_key_usage"
    assert not (tmp_path / "plan.env").exists()


def _self_signed_without_key_usage(key, path):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no keyUsage")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    path.write_bytes(pem.armor("CERTIFICATE", cert.public_bytes(serialization.Encoding.DER)))
    return path


@pytest.mark.parametrize("make_key", [lambda: rsa.generate_private_key(65537, 2048),
                                      lambda: ec.generate_private_key(ec.SECP256R1())], ids=["rsa", "ec"])
def test_a_certificate_without_key_usage_is_allowed(bidtool, tmp_path, make_key):
    cert = _self_signed_without_key_usage(make_key(), tmp_path / "any-use.pem")
    (tmp_path / "plan.pdf").write_bytes(os.urandom(100))
    r = bidtool("encrypt", "--to", cert, "plan.pdf", "plan.env")
    assert r.code == 0, r.err
