"""Helpers of the certificate-binding tests: certificates with their keys, parties registered through
register_party, a binding challenge signed with a certificate's key (file or token), row counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from support.devca import credit_code

from app import context
from app.extensions import db
from bidding.audit.models import AuditEntry
from bidding.certificates.challenges import issue_challenge
from bidding.certificates.models import CertificateBinding, Challenge
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from pki.devca import DevCA, IssuedCertificate
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key
from pki.seal import Seal
from pki.signature import sign

CA_T0 = datetime(2026, 11, 1, tzinfo=UTC)       # the CA is made three weeks before the app's clock
PASSWORD = b"binding-test"
SESSION = "session-key-of-the-browser"
ORIGIN = "https://ebid.example.gov.cn"


@dataclass
class Holder:
    """A certificate issued by the dev CA and the key that signs with it (file or token)."""

    record: IssuedCertificate
    cert: Any
    key: Any
    chain: list

    def seal(self, ca: DevCA) -> Seal:
        """The seal the dev CA made with the certificate (seals/<serial>.png), as the agent would hand it over."""
        ident = self.record.identity
        return Seal(ident.party_name, ident.number, self.record.seal_kind, ca.path(self.record.seal_file).read_bytes())


def file_holder(ca: DevCA, profile: str, identity, *, algorithm: str, at: datetime, **options) -> Holder:
    rec = ca.issue(profile, identity, algorithm=algorithm, password=PASSWORD, at=at, **options)
    data = ca.path(rec.key_file).read_bytes()
    key = load_private_key(data, PASSWORD) if algorithm == "sm2" else load_pkcs12(data, PASSWORD)[0]
    return Holder(rec, ca.certificate(rec.serial), FileKey(key), [ca.chain(profile, algorithm).intermediate])


def crls_at(ca: DevCA, moment: datetime) -> list[bytes]:
    """Every chain's CRLs, republished at ``moment`` (valid 7 days from then)."""
    ca.publish_crls(at=moment)
    return ca.crls()


def party(name: str, seed: int, kind: PartyKind = PartyKind.SUPPLIER):
    return register_party(context.uow(), name=name, kind=kind, credit_code=credit_code(seed))


def prove(holder: Holder, clock, *, content: bytes | None = None, session: str = SESSION, origin: str = ORIGIN,
          detached: bool = True) -> tuple[int, bytes]:
    """Issue a binding challenge for ``session``/``origin`` and sign it (or ``content``) with the holder's key."""
    issued = issue_challenge(context.uow(), "bind", session, origin)
    der = sign(issued.message if content is None else content, key=holder.key, certificate=holder.cert,
               chain=holder.chain, detached=detached, signing_time=clock.now())
    return issued.id, der


def counts() -> tuple[int, int, int]:
    """(bindings, audit entries, used challenges): a refusal changes none of them."""
    return (db.session.scalar(select(func.count()).select_from(CertificateBinding)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
            db.session.scalar(select(func.count()).select_from(Challenge).where(Challenge.used_at.is_not(None))))


def days_before(clock, n: float) -> datetime:
    return clock.now() - timedelta(days=n)


