"""Loading certificates, conversions, fingerprints (checked against the OpenSSL command line)."""
from __future__ import annotations

import subprocess

import pytest
from cryptography import x509 as cx509

from pki.certs import (CertificateError, describe, fingerprint_sha256, fingerprint_sm3, key_algorithm,
                       load_certificate, load_certificates, to_asn1, to_cryptography)


def test_pem_bundle_der_and_conversions(sm2_vectors):
    bundle = (sm2_vectors / "ca_cert.pem").read_bytes() + (sm2_vectors / "bidder_cert.pem").read_bytes()
    certs = load_certificates(bundle)
    assert len(certs) == 2
    assert load_certificate(certs[1].dump()).dump() == certs[1].dump()
    with pytest.raises(CertificateError, match="一张"):
        load_certificate(bundle)
    crypto = to_cryptography(certs[1])
    assert isinstance(crypto, cx509.Certificate)
    assert to_asn1(crypto).dump() == certs[1].dump()
    assert key_algorithm(certs[1]) == "sm2"


def test_garbage_is_a_certificate_error():
    with pytest.raises(CertificateError):
        load_certificate(b"\x30\x03\x02\x01\x01")
    with pytest.raises(CertificateError, match="PEM"):
        load_certificates(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_fingerprints_match_openssl(sm2_vectors, tmp_path):
    path = sm2_vectors / "bidder_cert.pem"
    cert = load_certificate(path.read_bytes())
    out = subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-fingerprint", "-sha256"],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip().split("=")[1].replace(":", "").lower() == fingerprint_sha256(cert)
    der = tmp_path / "c.der"
    der.write_bytes(cert.dump())
    out = subprocess.run(["openssl", "dgst", "-sm3", "-r", str(der)], check=True, capture_output=True,
                         text=True).stdout
    assert out.split()[0] == fingerprint_sm3(cert)


def test_description_for_people(sm2_vectors):
    summary = describe((sm2_vectors / "bidder_cert.pem").read_bytes())
    assert "示例供应商有限公司" in summary.subject and "Test SM2 Root CA" in summary.issuer
    assert summary.serial_hex == "DEFD9C3FB040776A" and summary.key == "SM2"
    assert f"{summary.not_after:%Y-%m-%d}" == "2028-11-22"
    assert "SM2" in str(summary)
