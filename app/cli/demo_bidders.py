"""The scenario's extra bidders (``flask demo scenario``): the demo has one supplier (RSA keys on its
token), a tender wants three, one per key algorithm. 示例供应商乙 and 示例供应商丙 are registered
through ``register_party`` with a staff account each (``create_account``; passwords added to the
demo's SECRETS.txt like the other demo accounts), and hold signing and encryption certificates of the
development CA as key files under ``instance/demo/bidders/<key>/``: 乙 EC P-256 (CFCA profile,
encrypted PKCS#12), 丙 SM2 (NETCA profile, encrypted PKCS#8 PEM, as the CA writes SM2 keys); the
password is in ``instance/demo/bidders/secrets.json``. Idempotent: what exists, is of the bidder's
algorithm and is still valid for a month is kept (an instance made when both were RSA gets new
certificates on its next run; the old bindings stay, unused).
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.cli.accounts import _add_passwords
from app.cli.common import demo_dir

# user name, party, credit code (17 characters; the check is computed), CA profile, key algorithm
BIDDERS = (("supplier_b", "示例供应商乙", "91440101MA5DEM005", "cfca", "ec"),
           ("supplier_c", "示例供应商丙", "91440101MA5DEM006", "netca", "sm2"))


@dataclass(frozen=True)
class FileBidder:
    """A bidder whose keys are files: its user name, party, certificates and key files."""

    username: str
    name: str
    credit_code: str
    party_id: int
    password: str
    key_password: str
    folder: Path
    profile: str = "cfca"
    algorithm: str = "rsa"              # rsa | ec | sm2: both certificates

    def cert(self, purpose: str) -> Path:
        return self.folder / f"{purpose}-{self.algorithm}.pem"

    def key(self, purpose: str) -> Path:
        """The key file: encrypted PKCS#12 (RSA, EC) or encrypted PKCS#8 PEM (SM2: no PKCS#12 for it)."""
        return self.folder / f"{purpose}-{self.algorithm}{'.key.pem' if self.algorithm == 'sm2' else '.p12'}"

    @property
    def chain(self) -> Path:
        return self.folder / f"chain-{self.profile}-{self.algorithm}.pem"

    def load_key(self, purpose: str) -> Any:
        """The private key of ``purpose`` (a ``cryptography`` key or :class:`pki.sm2.Sm2PrivateKey`)."""
        from pki.keys import load_pkcs12, load_private_key
        data, password = self.key(purpose).read_bytes(), self.key_password.encode()
        return load_private_key(data, password) if self.algorithm == "sm2" else load_pkcs12(data, password)[0]


def ensure_bidders(ca: Any) -> list[FileBidder]:
    """The two extra bidders, made where missing."""
    from pki.identity import credit_code_check_char
    folder = demo_dir() / "bidders"
    logins = _add_passwords(demo_dir() / "SECRETS.txt", [username for username, *_ in BIDDERS])
    out = []
    for username, name, code17, profile, algorithm in BIDDERS:
        code = code17 + credit_code_check_char(code17)
        party_id = _ensure_account(username, name, code, logins[username])
        key_password = _key_password(folder / "secrets.json", username)
        bidder = FileBidder(username, name, code, party_id, logins[username], key_password, folder / username,
                            profile, algorithm)
        _ensure_certificates(ca, bidder)
        out.append(bidder)
    return out


def _ensure_account(username: str, name: str, code: str, password: str) -> int:
    from app import context
    from app.extensions import db
    from bidding.accounts.models import Account, Role
    from bidding.accounts.services import create_account
    from bidding.parties.models import PartyKind
    from bidding.parties.services import find_party, register_party
    uow = context.uow()
    party = find_party(uow, kind=PartyKind.SUPPLIER, name=name, credit_code=code)
    uow.rollback()
    if party is None:
        party = register_party(context.uow(), name=name, kind=PartyKind.SUPPLIER, credit_code=code, source="demo")
    if db.session.scalars(select(Account.id).where(Account.username == username)).first() is None:
        create_account(context.uow(), username=username, role=Role.SUPPLIER_STAFF, display_name=f"{name}经办人",
                       password=password, party_id=party.id)
    return party.id


def _key_password(path: Path, username: str) -> str:
    from pki.files import write_atomic
    known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if username not in known:
        known[username] = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(known).encode("utf-8"), mode=0o600)
    return known[username]


def _ensure_certificates(ca: Any, bidder: FileBidder) -> None:
    from app import context
    from pki.certs import dump_pem, key_algorithm, load_certificate, validity
    from pki.identity import PartyIdentity
    now = context.clock().now()
    fresh = all(bidder.cert(p).is_file() and bidder.key(p).is_file() and bidder.chain.is_file()
                and key_algorithm(load_certificate(bidder.cert(p).read_bytes())) == bidder.algorithm
                and validity(load_certificate(bidder.cert(p).read_bytes()))[1] > now + timedelta(days=30)
                for p in ("signing", "encryption"))
    if fresh:
        return
    bidder.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    identity = PartyIdentity("institution", bidder.name, credit_code=bidder.credit_code)
    for purpose in ("signing", "encryption"):
        rec = ca.issue(bidder.profile, identity, algorithm=bidder.algorithm, purpose=purpose,
                       password=bidder.key_password.encode(), seal_kind=None, at=now)
        bidder.cert(purpose).write_bytes(dump_pem(ca.certificate(rec.serial)))
        bidder.key(purpose).write_bytes(ca.path(rec.key_file).read_bytes())
        bidder.key(purpose).chmod(0o600)
    bidder.chain.write_bytes(dump_pem(ca.chain(bidder.profile, bidder.algorithm).intermediate))
