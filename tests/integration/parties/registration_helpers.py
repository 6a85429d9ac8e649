"""Helpers of the registration tests: a valid application, licence files, counts of what a refusal
must not change, and a bound certificate with its key."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from bidding.accounts.models import Account
from bidding.audit.models import AuditEntry
from bidding.certificates.challenges import issue_challenge
from bidding.certificates.services import bind_certificate
from bidding.parties.models import Notice, Party, Registration
from pki.identity import PartyIdentity, credit_code_check_char
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key
from pki.signature import sign

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
APPLICANT_PASSWORD = "applicant-password-1"
KEY_PASSWORD = b"registration-test"
SESSION, ORIGIN = "session-of-the-test", "https://ebid.example.gov.cn"


def code(seed: int) -> str:
    first = f"9144010155{seed:07d}"
    return first + credit_code_check_char(first)


def form(seed: int = 1, **changes: Any) -> dict[str, Any]:
    values = {"kind": "supplier", "name": f"申请供应商{seed}有限公司", "credit_code": code(seed),
              "legal_representative": "王五", "address": "广州市天河区某路 1 号", "contact_name": "赵六",
              "contact_phone": "13800138000", "username": f"applicant{seed}", "password": APPLICANT_PASSWORD}
    values.update(changes)
    return values


def multipart(values: dict[str, Any], licence: bytes = PDF, filename: str = "licence.pdf") -> dict[str, Any]:
    return {**values, "licence": (io.BytesIO(licence), filename)}


def store_files(app) -> int:
    root = Path(app.config["FILE_STORE"])
    return sum(1 for p in root.rglob("*") if p.is_file())


def counts(app) -> tuple[int, ...]:
    """(registrations, parties, accounts, notices, audit entries, files in the store)."""
    with app.app_context():
        tables = (Registration, Party, Account, Notice, AuditEntry)
        rows = tuple(db.session.scalar(select(func.count()).select_from(t)) for t in tables)
        db.session.remove()
    return (*rows, store_files(app))


@dataclass
class Holder:
    cert: Any
    key: Any
    chain: list
    root: Any


def holder(ca, name: str, credit_code: str, at, *, algorithm: str = "rsa") -> Holder:
    ident = PartyIdentity("institution", name, credit_code=credit_code)
    rec = ca.issue("netca", ident, algorithm=algorithm, password=KEY_PASSWORD, at=at, seal_kind=None)
    data = ca.path(rec.key_file).read_bytes()
    key = load_private_key(data, KEY_PASSWORD) if algorithm == "sm2" else load_pkcs12(data, KEY_PASSWORD)[0]
    chain = ca.chain("netca", algorithm)
    return Holder(ca.certificate(rec.serial), FileKey(key), [chain.intermediate], chain.root)


def crls(ca, clock) -> list[bytes]:
    ca.publish_crls(at=clock.now() - timedelta(hours=1))
    return ca.crls()


def bind(uow_factory, ca, trust, clock, party_id: int, h: Holder):
    """Bind ``h``'s certificate to the party by proof of possession (bidding.certificates)."""
    issued = issue_challenge(uow_factory(), "bind", SESSION, ORIGIN)
    der = sign(issued.message, key=h.key, certificate=h.cert, chain=h.chain, detached=True, signing_time=clock.now())
    return bind_certificate(uow_factory(), party_id, der, issued.id, SESSION, ORIGIN, trust=trust, crls=crls(ca, clock))


def sign_text(h: Holder, text: bytes, clock) -> bytes:
    return sign(text, key=h.key, certificate=h.cert, chain=h.chain, detached=True, signing_time=clock.now())
