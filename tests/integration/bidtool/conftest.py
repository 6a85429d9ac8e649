"""A development CA (CFCA profile: RSA, EC and SM2 chains), one supplier's certificates and keys,
and a runner for the real ``bidtool`` console script."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pki.devca import DevCA
from pki.identity import PartyIdentity

from support.bidtool_env import BIDTOOL, CODE, OTHER_CODE, PASSWORD, openssl


@dataclass
class Party:
    certs: dict[tuple[str, str], Path]   # (alg, purpose) → certificate
    keys: dict[tuple[str, str], Path]    # (alg, purpose) → key file
    roots: dict[str, Path]               # alg → root certificate
    inters: dict[str, Path]              # alg → intermediate certificate


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bidtool-ca")
    ca = DevCA(base / "state", base / "anchors")
    ca.init(["cfca"], at=datetime.now(timezone.utc))
    base.joinpath("ca").mkdir()
    for name, code in (("supplier", CODE), ("other", OTHER_CODE)):
        ident = PartyIdentity(kind="institution", name=f"{name} 有限公司", credit_code=code)
        for alg in ("rsa", "ec", "sm2"):
            for purpose in ("signing", "encryption"):
                rec = ca.issue("cfca", ident, algorithm=alg, purpose=purpose, password=PASSWORD.encode())
                (base / f"{name}-{alg}-{purpose}-cert.pem").write_bytes(ca.path(rec.cert_file).read_bytes())
                (base / _key_name(name, alg, purpose)).write_bytes(ca.path(rec.key_file).read_bytes())
    return base


def _key_name(name: str, alg: str, purpose: str) -> str:
    return f"{name}-{alg}-{purpose}-key" + (".pem" if alg == "sm2" else ".p12")


def _party(base: Path, name: str) -> Party:
    certs, keys = {}, {}
    for alg in ("rsa", "ec", "sm2"):
        for purpose in ("signing", "encryption"):
            certs[alg, purpose] = base / f"{name}-{alg}-{purpose}-cert.pem"
            keys[alg, purpose] = base / _key_name(name, alg, purpose)
    anchors = base / "anchors" / "cfca"
    return Party(certs, keys, {a: anchors / f"{a}-root.pem" for a in ("rsa", "ec", "sm2")},
                 {a: anchors / f"{a}-ca.pem" for a in ("rsa", "ec", "sm2")})


@pytest.fixture(scope="session")
def supplier(pki_dir) -> Party:
    return _party(pki_dir, "supplier")


@pytest.fixture(scope="session")
def other(pki_dir) -> Party:
    return _party(pki_dir, "other")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def bidtool(pki_dir, tmp_path):
    """Run the installed console script as a user would, with the key password in $BID_PASS."""
    env = dict(os.environ, BID_PASS=PASSWORD, EBID_TRUST_ANCHORS=str(pki_dir / "anchors"))
    env.pop("BIDTOOL_DEBUG", None)

    def run(*args, extra_env=None) -> Result:
        proc = subprocess.run([str(BIDTOOL), *map(str, args)], capture_output=True, text=True, cwd=tmp_path,
                              env={**env, **(extra_env or {})}, timeout=120, stdin=subprocess.DEVNULL)
        return Result(proc.returncode, proc.stdout, proc.stderr)
    return run


@pytest.fixture(scope="session")
def pem_keys(pki_dir, supplier) -> dict:
    """Plain PEM copies of the RSA/EC keys, for the openssl command line."""
    out = {}
    for (alg, purpose), path in supplier.keys.items():
        if alg == "sm2":
            continue
        pem = pki_dir / f"plain-{alg}-{purpose}.pem"
        proc = openssl("pkcs12", "-in", path, "-nodes", "-nocerts", "-passin", f"pass:{PASSWORD}", "-out", pem)
        assert proc.returncode == 0, proc.stderr
        out[alg, purpose] = pem
    return out
