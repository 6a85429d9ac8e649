"""Test PKIs for signatures and timestamps: RSA-2048 and EC P-256 chains root → intermediate → leaf
(``cryptography``'s builder), an RSA TSA certificate (critical EKU timeStamping), an SM2 root and
leaf built with asn1crypto + :mod:`pki.sm2`, and helpers to run the real ``openssl`` command line."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asn1crypto import pem, x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import pki  # noqa: F401  (GM OIDs)
from bidding.clock import FrozenClock
from pki.certs import to_asn1
from pki.keyops import FileKey
from pki.sm2 import Sm2PrivateKey
from pki.timestamps import MemorySerialCounter, TimeStampAuthority

#: The moment every test validates at: inside every test certificate's validity and after the
#: GmSSL vectors' notBefore (2026-11-23 08:17 UTC).
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
NOT_BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=timezone.utc)
TSA_POLICY = "1.3.6.1.4.1.99999.1.1"


@dataclass
class Chain:
    """Root → intermediate → leaf; PEM files beside for openssl."""

    root: ax509.Certificate
    intermediate: ax509.Certificate
    leaf: ax509.Certificate
    key: FileKey
    private_key: object
    root_pem: Path
    intermediate_pem: Path
    leaf_pem: Path
    key_pem: Path | None


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "测试机构"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, public_key, signing_key, *, ca: bool, serial: int, eku=None, usage="sign"):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
         .serial_number(serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                        critical=False))
    if ca:
        ku = dict(digital_signature=False, content_commitment=False, key_cert_sign=True, crl_sign=True)
    elif usage == "encrypt":
        ku = dict(digital_signature=False, content_commitment=False, key_cert_sign=False, crl_sign=False)
    else:
        ku = dict(digital_signature=True, content_commitment=True, key_cert_sign=False, crl_sign=False)
    b = b.add_extension(x509.KeyUsage(key_encipherment=usage == "encrypt", data_encipherment=False,
                                      key_agreement=False, encipher_only=False, decipher_only=False, **ku),
                        critical=True)
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return b.sign(signing_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_chain(directory: Path, label: str, new_key, leaf_key=None, leaf_cn=None, eku=None, usage="sign") -> Chain:
    root_key, inter_key = new_key(), new_key()
    leaf_key = leaf_key or new_key()
    root_name, inter_name = _name(f"{label} Root CA"), _name(f"{label} Intermediate CA")
    root = _cert(root_name, root_name, root_key.public_key(), root_key, ca=True, serial=1)
    inter = _cert(inter_name, root_name, inter_key.public_key(), root_key, ca=True, serial=2)
    leaf = _cert(_name(leaf_cn or f"{label} 签名者"), inter_name, leaf_key.public_key(), inter_key, ca=False,
                 serial=0x1234567, eku=eku, usage=usage)
    directory.mkdir(parents=True, exist_ok=True)
    return Chain(root=to_asn1(root), intermediate=to_asn1(inter), leaf=to_asn1(leaf), key=FileKey(leaf_key),
                 private_key=leaf_key,
                 root_pem=_write(directory / "root.pem", _pem(root)),
                 intermediate_pem=_write(directory / "inter.pem", _pem(inter)),
                 leaf_pem=_write(directory / "leaf.pem", _pem(leaf)),
                 key_pem=_write(directory / "leaf.key", _key_pem(leaf_key)))


@pytest.fixture(scope="session")
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("signature-pki")


@pytest.fixture(scope="session")
def rsa_chain(pki_dir) -> Chain:
    return _make_chain(pki_dir / "rsa", "RSA", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ec_chain(pki_dir) -> Chain:
    return _make_chain(pki_dir / "ec", "EC", lambda: ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def other_chain(pki_dir) -> Chain:
    """An unrelated RSA PKI: its root must not validate the others."""
    return _make_chain(pki_dir / "other", "Other", lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                     key_size=2048))


@pytest.fixture(scope="session")
def tsa_chain(pki_dir) -> Chain:
    return _make_chain(pki_dir / "tsa", "TSA", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
                       leaf_cn="测试时间戳服务", eku=[ExtendedKeyUsageOID.TIME_STAMPING])


@pytest.fixture(scope="session")
def ec_tsa_chain(pki_dir) -> Chain:
    return _make_chain(pki_dir / "ectsa", "ECTSA", lambda: ec.generate_private_key(ec.SECP256R1()),
                       leaf_cn="测试时间戳服务 EC", eku=[ExtendedKeyUsageOID.TIME_STAMPING])


@pytest.fixture(scope="session")
def chain_factory():
    """``_make_chain(directory, label, new_key, leaf_key=None, leaf_cn=None, eku=None)``."""
    return _make_chain


@pytest.fixture()
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture()
def tsa(tsa_chain, clock) -> TimeStampAuthority:
    return TimeStampAuthority(tsa_chain.key, tsa_chain.leaf, [tsa_chain.intermediate], TSA_POLICY, clock,
                              serials=MemorySerialCounter(1000))


# -- SM2 ------------------------------------------------------------------------------------------------
def _sm2_name(cn: str) -> ax509.Name:
    return ax509.Name.build({"country_name": "CN", "organization_name": "测试国密机构", "common_name": cn})


def _sm2_cert(subject: ax509.Name, issuer: ax509.Name, public: Sm2PrivateKey, signer: Sm2PrivateKey, *, ca: bool,
              serial: int) -> ax509.Certificate:
    usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}
    tbs = ax509.TbsCertificate({
        "version": "v3", "serial_number": serial,
        "signature": {"algorithm": "sm2sign_with_sm3"},
        "issuer": issuer,
        "validity": {"not_before": ax509.Time({"utc_time": NOT_BEFORE}),
                     "not_after": ax509.Time({"utc_time": NOT_AFTER})},
        "subject": subject,
        "subject_public_key_info": public.public_key.to_spki(),
        "extensions": [
            {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
            {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        ],
    })
    signature = signer.sign(tbs.dump())
    return ax509.Certificate({"tbs_certificate": tbs, "signature_algorithm": {"algorithm": "sm2sign_with_sm3"},
                              "signature_value": signature})


@pytest.fixture(scope="session")
def sm2_chain(pki_dir) -> Chain:
    root_key, leaf_key = Sm2PrivateKey.generate(), Sm2PrivateKey.generate()
    root_name = _sm2_name("国密测试根 CA")
    root = _sm2_cert(root_name, root_name, root_key, root_key, ca=True, serial=11)
    leaf = _sm2_cert(_sm2_name("国密测试签名者"), root_name, leaf_key, root_key, ca=False, serial=12)
    d = pki_dir / "sm2"
    d.mkdir()
    pub_pem = pem.armor("PUBLIC KEY", leaf_key.public_key.to_spki().dump())
    return Chain(root=root, intermediate=root, leaf=leaf, key=FileKey(leaf_key), private_key=leaf_key,
                 root_pem=_write(d / "root.pem", pem.armor("CERTIFICATE", root.dump())),
                 intermediate_pem=_write(d / "root.pem", pem.armor("CERTIFICATE", root.dump())),
                 leaf_pem=_write(d / "leaf.pem", pem.armor("CERTIFICATE", leaf.dump())),
                 key_pem=_write(d / "leaf.pub.pem", pub_pem))


# -- openssl --------------------------------------------------------------------------------------------
def openssl(*args, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the openssl command line; a failure shows its stderr."""
    proc = subprocess.run(["openssl", *map(str, args)], input=input, capture_output=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


@pytest.fixture(scope="session")
def run_openssl():
    return openssl


@pytest.fixture(scope="session")
def attime() -> str:
    """``-attime`` for openssl: the same pinned moment as :data:`NOW`."""
    return str(int(NOW.timestamp()))

