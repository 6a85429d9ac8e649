"""Helpers shared by the development-CA tests (fixtures are in conftest.py)."""
from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import crl as acrl

from pki.devca import DevCA
from pki.identity import PartyIdentity, credit_code_check_char

T0 = datetime(2027, 1, 1, tzinfo=timezone.utc)      # the CA is created here
PASSWORD = b"devca-test"


def credit_code(seed: int) -> str:
    first = f"9111010855{seed:07d}"
    return first + credit_code_check_char(first)


def institution(seed: int = 1, name: str = "示例供应商有限公司") -> PartyIdentity:
    return PartyIdentity("institution", name, credit_code=credit_code(seed))


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, errors="replace", check=check)


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def pem_of_crl(devca: DevCA, tmp: Path, profile: str, alg: str) -> Path:
    """The chain's two CRLs (intermediate's and root's) as one PEM file for `openssl verify -CRLfile`."""
    out = tmp / f"{profile}-{alg}-crls.pem"
    parts = []
    for root in (False, True):
        der = tmp / f"{profile}-{alg}-{root}.crl"
        der.write_bytes(devca.crl(profile, alg, root=root))
        parts.append(openssl("crl", "-inform", "DER", "-in", str(der)).stdout)
    out.write_text("".join(parts))
    return out


def crl_moment(devca: DevCA, profile: str, alg: str) -> datetime:
    """A moment when both CRLs of a chain are current (other tests of the session may have
    republished them later than T0)."""
    updates = [acrl.CertificateList.load(devca.crl(profile, alg, root=root))["tbs_cert_list"]["this_update"].native
               for root in (False, True)]
    return max(updates) + timedelta(hours=1)
