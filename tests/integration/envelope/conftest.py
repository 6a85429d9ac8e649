"""Fixtures for the envelope tests: real certificates and keys (RSA-2048, EC P-256 with
``cryptography``; SM2 built with pki.sm2 + asn1crypto; the GmSSL vector bidder), written to files
so that the openssl command line can check our envelopes independently."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import pem, x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import pki  # noqa: F401  (GM OIDs)
from pki.keyops import FileKey
from pki.keys import load_private_key
from pki.sm2 import Sm2PrivateKey

OPENSSL = shutil.which("openssl")


@dataclass
class Party:
    """A recipient: certificate (asn1crypto), KeyOps, and both as files for openssl."""
    name: str
    cert: ax509.Certificate
    key: FileKey
    cert_path: Path
    key_path: Path


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    if OPENSSL is None:
        pytest.fail("the openssl command line is needed for these tests")
    return subprocess.run([OPENSSL, *args], capture_output=True, check=check)


def _write(directory: Path, name: str, cert_der: bytes, key_pem: bytes, key) -> Party:
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(pem.armor("CERTIFICATE", cert_der))
    key_path.write_bytes(key_pem)
    return Party(name, ax509.Certificate.load(cert_der), FileKey(key), cert_path, key_path)


def _x509_party(directory: Path, name: str, key) -> Party:
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "示例供应商有限公司"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Envelope Test CA")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    usage = dict(digital_signature=True, content_commitment=False, key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                 data_encipherment=False, key_agreement=isinstance(key, ec.EllipticCurvePrivateKey),
                 key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.KeyUsage(**usage), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return _write(directory, name, cert.public_bytes(serialization.Encoding.DER), key_pem, key)


def _sm2_party(directory: Path, name: str) -> Party:
    key = Sm2PrivateKey.generate()
    sig_alg = {"algorithm": "sm2sign_with_sm3"}
    tbs = ax509.TbsCertificate({
        "version": "v3", "serial_number": int.from_bytes(os.urandom(8), "big"), "signature": sig_alg,
        "issuer": ax509.Name.build({"common_name": "SM2 Envelope Test CA"}),
        "validity": {"not_before": ax509.Time(name="utc_time", value=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)),
                     "not_after": ax509.Time(name="utc_time", value=dt.datetime(2036, 1, 1, tzinfo=dt.timezone.utc))},
        "subject": ax509.Name.build({"organization_name": "示例供应商有限公司", "common_name": name}),
        "subject_public_key_info": key.public_key.to_spki(),
        "extensions": [{"extn_id": "key_usage", "critical": True,
                        "extn_value": ax509.KeyUsage({"digital_signature", "key_encipherment"})}],
    })
    cert = ax509.Certificate({"tbs_certificate": tbs, "signature_algorithm": sig_alg,
                              "signature_value": key.sign(tbs.dump())})
    key_pem = pem.armor("PRIVATE KEY", key.to_private_key_info().dump())
    return _write(directory, name, cert.dump(), key_pem, key)


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("envelope-pki")


@pytest.fixture(scope="session")
def rsa_party(pki_dir) -> Party:
    return _x509_party(pki_dir, "rsa-bidder", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def rsa_party2(pki_dir) -> Party:
    return _x509_party(pki_dir, "rsa-other", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ec_party(pki_dir) -> Party:
    return _x509_party(pki_dir, "ec-bidder", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def ec_party2(pki_dir) -> Party:
    return _x509_party(pki_dir, "ec-other", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def sm2_party(pki_dir) -> Party:
    return _sm2_party(pki_dir, "sm2-bidder")


@pytest.fixture(scope="session")
def sm2_party2(pki_dir) -> Party:
    return _sm2_party(pki_dir, "sm2-other")


@pytest.fixture(scope="session")
def gmssl_bidder(sm2_vectors) -> Party:
    """The GmSSL vector bidder: its certificate and its PBES2-SM3/SM4 key (password 1234)."""
    cert_der = pem.unarmor((sm2_vectors / "bidder_cert.pem").read_bytes())[2]
    key = load_private_key((sm2_vectors / "bidder_key.pem").read_bytes(), b"1234")
    return Party("gmssl-bidder", ax509.Certificate.load(cert_der), FileKey(key),
                 sm2_vectors / "bidder_cert.pem", sm2_vectors / "bidder_key.pem")


@pytest.fixture
def plain(tmp_path) -> Path:
    """A plaintext of an odd size, not a multiple of the block size."""
    path = tmp_path / "plain.bin"
    path.write_bytes(os.urandom(70_001))
    return path
