"""A development CA (CFCA profile for the platform, NETCA as a CA nobody here trusts) with the
platform's TSA and receipt certificates (RSA, EC, SM2) made as ``flask setup-dev`` makes them, a
supplier's ordinary signing certificate, a TSA on a frozen clock, and the real ``bidtool``."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from asn1crypto import x509

from pki.certs import load_certificate, load_certificates
from pki.devca import DevCA
from pki.keyops import FileKey
from pki.keys import load_private_key
from pki.receipts import RECEIPT_SIGNING_EKU, ReceiptFields
from pki.timestamps import TimeStampAuthority

from support.bidtool_env import BIDTOOL
from support.receipts import ISSUED, NOW, PLATFORM, make_tsa


@dataclass
class Signer:
    key: FileKey
    cert: x509.Certificate
    chain: list[x509.Certificate]       # intermediate, root
    cert_path: Path
    key_path: Path


@dataclass
class ReceiptPki:
    base: Path
    ca: DevCA
    roots: dict[str, Path]              # alg → the CFCA root (PEM)
    receipt: dict[str, Signer]          # alg → the platform's receipt certificate
    tsa: Signer                         # RSA, critical EKU timeStamping
    supplier: Signer                    # RSA signing certificate of a bidder: no receipt EKU
    stranger: Signer                    # a receipt certificate from a CA not trusted here

    @property
    def tsa_root(self) -> Path:
        return self.roots["rsa"]

    def root_cert(self, alg: str) -> x509.Certificate:
        return load_certificate(self.roots[alg].read_bytes())


def _service(ca: DevCA, role: str, directory: Path, alg: str, profile: str = "cfca") -> Signer:
    svc = ca.ensure_service_certificate(role, directory, PLATFORM, profile=profile, algorithm=alg, at=ISSUED)
    return Signer(FileKey(load_private_key(svc.key_path.read_bytes())), load_certificate(svc.cert_path.read_bytes()),
                  load_certificates(svc.chain_path.read_bytes()), svc.cert_path, svc.key_path)


@pytest.fixture(scope="session")
def rpki(tmp_path_factory) -> ReceiptPki:
    base = tmp_path_factory.mktemp("receipts-pki")
    ca = DevCA(base / "state", base / "anchors")
    ca.init(["cfca", "netca"], at=ISSUED)
    receipt = {alg: _service(ca, "receipt", base / f"receipt-{alg}", alg) for alg in ("rsa", "ec", "sm2")}
    assert all(load_certificate(s.cert_path.read_bytes()).extended_key_usage_value.native == [RECEIPT_SIGNING_EKU]
               for s in receipt.values())
    supplier = _service(ca, "platform", base / "supplier", "rsa")        # digitalSignature, no EKU
    stranger = _service(ca, "receipt", base / "stranger", "rsa", profile="netca")
    anchors = base / "anchors" / "cfca"
    return ReceiptPki(base, ca, {alg: anchors / f"{alg}-root.pem" for alg in ("rsa", "ec", "sm2")}, receipt,
                      _service(ca, "tsa", base / "tsa", "rsa"), supplier, stranger)


@pytest.fixture
def tsa(rpki) -> TimeStampAuthority:
    return make_tsa(rpki)


@pytest.fixture
def fields() -> ReceiptFields:
    return ReceiptFields(tender="T-2026-001", bid="B-17", bidder="91440101MA5ABCDE1X", size=5_242_880,
                         sha256="3f" * 32, sm3="a1" * 32, received_at=NOW - timedelta(milliseconds=250))


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def bidtool(tmp_path):
    """The installed console script, run as a user would, in ``tmp_path``."""
    env = dict(os.environ)
    env.pop("BIDTOOL_DEBUG", None)

    def run(*args) -> Result:
        proc = subprocess.run([str(BIDTOOL), *map(str, args)], capture_output=True, text=True, cwd=tmp_path,
                              env=env, timeout=120, stdin=subprocess.DEVNULL)
        return Result(proc.returncode, proc.stdout, proc.stderr)
    return run
