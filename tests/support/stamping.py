"""Helpers of the document, agreement and verification tests: a development CA with the platform's
TSA (its files where the app looks for them), the app's settings that point at it, signers whose
keys sign a prepared digest exactly as the local agent does (``pki.signature.prehashed.sign_digest``,
what ``POST /v1/sign`` with ``digest`` runs), bindings of their certificates to the test parties,
and the stamping round trip through the JSON API."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from support.auth import PARTIES
from support.bindings import ORIGIN, SESSION

from pki.certs import to_asn1
from pki.devca import DevCA, IssuedCertificate
from pki.identity import PartyIdentity, credit_code_check_char
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key
from pki.seal import Seal
from pki.signature import sign
from pki.signature.prehashed import sign_digest

CA_T0 = datetime(2026, 11, 1, tzinfo=UTC)      # three weeks before the apps' frozen clock (2026-11-23 08:00)
CLOCK_T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PASSWORD = b"stamp-test"
PROFILE = "cfca"                                # offers RSA, EC and SM2 chains


def make_ca(base: Path) -> DevCA:
    """The CA (CFCA and NETCA chains) made at CA_T0, its CRLs republished an hour before the apps'
    clock, and the platform's TSA certificate in ``<state>/tsa``."""
    ca = DevCA(base / "state", base / "anchors")
    ca.init([PROFILE, "netca"], at=CA_T0)
    ca.ensure_service_certificate("tsa", base / "state" / "tsa", tsa_identity(), profile=PROFILE, algorithm="rsa",
                                  at=CA_T0)
    ca.publish_crls(at=CLOCK_T - timedelta(hours=1))
    return ca


def tsa_identity() -> PartyIdentity:
    """The platform's time-stamping authority as the dev CA certifies it."""
    return PartyIdentity("institution", "平台时间戳服务", credit_code=_code("91110108MA0T1X001"))


def app_settings(ca: DevCA) -> dict[str, Any]:
    """Settings that make an app use ``ca``: trust anchors, CRLs and the TSA."""
    return {"DEVCA_DIR": str(ca.state_dir), "TRUST_ANCHORS_DIR": str(ca.anchors_dir),
            "CRL_DIR": str(ca.state_dir / "crl"), "TSA_DIR": str(ca.state_dir / "tsa")}


def _code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def party_identity(key: str) -> PartyIdentity:
    """The institution identity of a test party of support.auth (its credit code)."""
    _, name, code17 = PARTIES[key]
    return PartyIdentity("institution", name, credit_code=_code(code17))


@dataclass
class Signer:
    """A certificate of the dev CA and its key: signs a prepared digest the way the agent does."""

    record: IssuedCertificate
    cert: Any
    key: FileKey
    chain: list

    @property
    def fingerprint(self) -> str:
        return self.record.sha256

    def sign_digest(self, digest_hex: str, at: datetime | None = None) -> bytes:
        return sign_digest(bytes.fromhex(digest_hex), key=self.key, certificate=self.cert, chain=self.chain,
                           signing_time=at)

    def seal(self, ca: DevCA) -> Seal | None:
        if self.record.seal_file is None:
            return None
        ident = self.record.identity
        return Seal(ident.party_name, ident.number, self.record.seal_kind, ca.path(self.record.seal_file).read_bytes())


def issue_signer(ca: DevCA, identity: PartyIdentity, *, algorithm: str = "rsa", profile: str = PROFILE,
                 at: datetime = CA_T0, **options) -> Signer:
    rec = ca.issue(profile, identity, algorithm=algorithm, password=PASSWORD, at=at, **options)
    data = ca.path(rec.key_file).read_bytes()
    key = load_private_key(data, PASSWORD) if algorithm == "sm2" else load_pkcs12(data, PASSWORD)[0]
    return Signer(rec, to_asn1(ca.certificate(rec.serial)), FileKey(key), [ca.chain(profile, algorithm).intermediate])


def bind(app, party_id: int, signer: Signer, ca: DevCA, *, seal: bool = True) -> int:
    """Bind the signer's certificate to the party through the use case (with its seal unless
    ``seal=False``: then it is a sub-key); returns the binding id."""
    from app import context
    from app.certificates.proof import proof_settings
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    with app.test_request_context():
        uow = context.uow()
        issued = issue_challenge(uow, "bind", SESSION, ORIGIN)
        der = sign(issued.message, key=signer.key, certificate=signer.cert, chain=signer.chain,
                   signing_time=uow.clock.now())
        binding = bind_certificate(context.uow(), party_id, der, issued.id, SESSION, ORIGIN,
                                   seal=signer.seal(ca) if seal else None, **proof_settings())
        return binding.id


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def stamp_via_api(client, public_id: str, binding_id: int, signer: Signer, *, at: datetime | None = None,
                  headers: dict[str, str] | None = None):
    """Prepare (``POST /api/v1/documents/<id>/stamp-sessions``), sign the digest with the signer's key
    as the agent would, and complete (``POST /api/v1/stamp-sessions/<id>/signature``); returns the
    final response (the prepare response when that is refused)."""
    prepared = client.post(f"/api/v1/documents/{public_id}/stamp-sessions", json={"binding_id": binding_id},
                           headers=headers or {})
    if prepared.status_code != 201:
        return prepared
    signature = signer.sign_digest(prepared.json["digest"], at)
    return client.post(f"/api/v1/stamp-sessions/{prepared.json['id']}/signature", json={"signature": b64(signature)},
                       headers=headers or {})


# -- fixtures (imported by the conftest.py of tests/integration/{agreements,documents,verify}) ------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ca(tmp_path_factory):
    """One development CA for the session: CFCA and NETCA chains, the platform's TSA."""
    return make_ca(tmp_path_factory.mktemp("stamp-ca"))


@pytest.fixture
def world(make_app, db_url, clock, ca):
    """(app, account ids, party ids) on both backends, the app using ``ca``; every account of support.auth."""
    from support.auth import make_accounts

    from app.extensions import db
    from bidding.accounts.models import Account
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, **app_settings(ca))
    accounts = make_accounts(app)
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    return app, accounts, parties


@pytest.fixture(scope="session")
def purchaser_signer(ca):
    """The purchaser's RSA main key (with its 公章)."""
    return issue_signer(ca, party_identity("purchaser"), algorithm="rsa")


@pytest.fixture(scope="session")
def agency_signer(ca):
    """The agency's EC main key (with its 公章)."""
    return issue_signer(ca, party_identity("agency"), algorithm="ec")


@pytest.fixture
def bound(world, ca, purchaser_signer, agency_signer):
    """Binding ids of the purchaser's RSA and the agency's EC main keys."""
    app, _, parties = world
    return {"purchaser": bind(app, parties["purchaser"], purchaser_signer, ca),
            "agency": bind(app, parties["agency"], agency_signer, ca)}
