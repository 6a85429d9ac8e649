"""What the bid tests share (imported as ``support.bids``): a development CA with the platform's TSA
and receipt certificate where the app looks for them; the suppliers' encryption certificates (RSA,
EC, SM2) bound to their parties; a published tender with the suppliers registered; envelopes and
sealed bid packages made with the project's own ``pki.envelope`` / ``bidding.bids.sealing`` (what
``bidtool pack`` writes); and the upload protocol driven through the test client.

The tender is made as rows (agreement, project, tender), not through the tender pages' stamping
round trips, so each test stays fast; ``tests/integration/tenders`` covers how tenders are made.
Encryption certificates are bound as rows too, for speed: the row is what
``finish_encryption_binding`` records (tests/integration/certificates/test_encryption_binding.py
binds them by proof of decryption).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.auth import PARTIES, make_accounts, test_uow

from bidding.accounts.models import Account
from bidding.agreements.models import AgreementState, DelegationAgreement
from bidding.certificates.models import BindingState, CertificateBinding, CertificatePurpose, CertificateType
from bidding.tenders.models import Project, Tender
from pki import envelope
from pki.certs import fingerprint_sha256, key_algorithm, to_asn1
from pki.devca import DevCA, IssuedCertificate
from pki.identity import PartyIdentity, credit_code_check_char
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key

CA_T0 = datetime(2026, 11, 1, tzinfo=UTC)            # three weeks before the apps' clock
CLOCK_T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)    # the apps' frozen clock (tests/conftest.py)
DEADLINE = CLOCK_T + timedelta(days=7)                # the tender's bid deadline …
OPENING = DEADLINE + timedelta(hours=1)               # … its opening …
WINDOW = timedelta(minutes=30)                        # … and decryption window
PASSWORD = b"bid-test"
PROFILE = "cfca"                                      # RSA, EC and SM2 chains
CHUNK_TYPE = "application/offset+octet-stream"


def _code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def party_identity(key: str) -> PartyIdentity:
    _, name, code17 = PARTIES[key]
    return PartyIdentity("institution", name, credit_code=_code(code17))


def platform_identity() -> PartyIdentity:
    return PartyIdentity("institution", "平台回执签名", credit_code=_code("91110108MA0T1X001"))


# -- the CA -------------------------------------------------------------------------------------------------
def make_bid_ca(base: Path) -> DevCA:
    """The CA (CFCA chains) made at CA_T0, the platform's TSA in ``state/tsa`` and its receipt
    certificate in ``state/platform``, CRLs republished an hour before the apps' clock."""
    ca = DevCA(base / "state", base / "anchors")
    ca.init([PROFILE], at=CA_T0)
    ca.ensure_service_certificate("tsa", base / "state" / "tsa", platform_identity(), profile=PROFILE,
                                  algorithm="rsa", at=CA_T0)
    ca.ensure_service_certificate("receipt", base / "state" / "platform", platform_identity(), profile=PROFILE,
                                  algorithm="rsa", at=CA_T0)
    ca.publish_crls(at=CLOCK_T - timedelta(hours=1))
    return ca


def bid_settings(ca: DevCA) -> dict[str, Any]:
    return {"DEVCA_DIR": str(ca.state_dir), "TRUST_ANCHORS_DIR": str(ca.anchors_dir),
            "CRL_DIR": str(ca.state_dir / "crl"), "TSA_DIR": str(ca.state_dir / "tsa"),
            "PLATFORM_CERT_DIR": str(ca.state_dir / "platform")}


def root_pem(ca: DevCA, algorithm: str = "rsa") -> Path:
    """The PEM file of the CFCA root of ``algorithm`` (the receipt and TSA certificates' root: RSA)."""
    return Path(ca.anchors_dir) / PROFILE / f"{algorithm}-root.pem"


@dataclass
class Holder:
    """A certificate of the dev CA and its key (a file key, as the agent or bidtool would use)."""

    record: IssuedCertificate
    cert: Any
    key: FileKey
    chain: list

    @property
    def der(self) -> bytes:
        return self.cert.dump()


def issue(ca: DevCA, identity: PartyIdentity, *, algorithm: str = "rsa", purpose: str = "encryption",
          at: datetime = CA_T0, **options) -> Holder:
    rec = ca.issue(PROFILE, identity, algorithm=algorithm, purpose=purpose, password=PASSWORD, at=at, **options)
    data = ca.path(rec.key_file).read_bytes()
    key = load_private_key(data, PASSWORD) if algorithm == "sm2" else load_pkcs12(data, PASSWORD)[0]
    return Holder(rec, to_asn1(ca.certificate(rec.serial)), FileKey(key), [ca.chain(PROFILE, algorithm).intermediate])


def bind_encryption(app, party_id: int, holder: Holder, *, at: datetime = CLOCK_T - timedelta(days=1)) -> int:
    """Record ``holder``'s certificate as a bound encryption certificate (副锁) of the party; its id."""
    from app.extensions import db
    from app.trust import trust_list
    cert = holder.cert
    with app.app_context():
        identity = trust_list().profile(PROFILE).read_identity(cert)
        validity = cert["tbs_certificate"]["validity"]
        binding = CertificateBinding(
            party_id=party_id, certificate_der=cert.dump(), fingerprint_sha256=fingerprint_sha256(cert),
            subject=cert.subject.human_friendly[:500], issuer=cert.issuer.human_friendly[:500],
            serial=format(cert.serial_number, "X"), not_before=validity["not_before"].native,
            not_after=validity["not_after"].native, profile_id=PROFILE, algorithm=key_algorithm(cert),
            certificate_type=CertificateType(identity.kind), identity_number=identity.number,
            purpose=CertificatePurpose.ENCRYPTION, is_main_key=False, seal_kind=None, seal_image=None, may_stamp=True,
            stamp_refusal=None, state=BindingState.ACTIVE, bound_at=at)
        db.session.add(binding)
        db.session.commit()
        return binding.id


# -- tenders ----------------------------------------------------------------------------------------------
def open_tender(app, parties: dict[str, int], *, deadline: datetime = DEADLINE, opening: datetime | None = None,
                window: timedelta = WINDOW, title: str = "2027 年度办公设备采购") -> int:
    """A published tender of the agency for the purchaser (under a filed agreement); its id."""
    from app.extensions import db
    with app.app_context():
        now = app.extensions["clock"].now()
        agreement = DelegationAgreement(
            purchaser_id=parties["purchaser"], agency_id=parties["agency"], project_name=title, scope="办公设备",
            procurement_method="公开招标", budget=Decimal("1200000.00"), fee=None, fee_terms="", state=AgreementState.FILED,
            term_start=date(2026, 11, 1), term_end=date(2027, 10, 31), revision=1, created_at=now, filed_at=now,
            filed_by_party_id=parties["agency"])
        db.session.add(agreement)
        db.session.flush()
        project = Project(agency_id=parties["agency"], purchaser_id=parties["purchaser"], agreement_id=agreement.id,
                          title=title, budget=Decimal("1200000.00"), method="公开招标", description="", created_at=now)
        db.session.add(project)
        db.session.flush()
        tender = Tender(public_id=f"ZB-2026-{project.id:08d}", project_id=project.id, agency_id=parties["agency"],
                        purchaser_id=parties["purchaser"], title=title, bid_deadline=deadline,
                        opening_at=opening or deadline + timedelta(hours=1),
                        decryption_window_seconds=int(window.total_seconds()), created_at=now, published_at=now)
        db.session.add(tender)
        db.session.commit()
        return tender.id


def register(app, tender_id: int, username: str) -> None:
    """The user's supplier registers for the tender (报名) through the use case."""
    from sqlalchemy import select

    from app.extensions import db
    from bidding.tenders.services import register_for_tender
    with app.app_context():
        account = db.session.scalars(select(Account).where(Account.username == username)).one()
        register_for_tender(test_uow(app), tender_id, account)


def tender_of(app, tender_id: int) -> Tender:
    from app.extensions import db
    with app.app_context():
        tender = db.session.get(Tender, tender_id)
        db.session.expunge(tender)
        return tender


# -- envelopes and bid packages -----------------------------------------------------------------------------
def seal(payload: bytes, *recipients: Holder | Any, cipher: str | None = None) -> bytes:
    """``payload`` in an envelope for the recipients (holders or certificates)."""
    out = io.BytesIO()
    envelope.encrypt_stream(io.BytesIO(payload), out, recipients=[getattr(r, "cert", r) for r in recipients],
                            cipher=cipher)
    return out.getvalue()


def sealed_package(tmp: Path, signer: Holder, recipients: list[Holder], *, tender: str, bidder: str,
                   files: dict[str, bytes], price: str = "1234567.80", items: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A bid package as ``bidtool pack`` writes it: the files and the signed manifest, sealed."""
    from bidding.bids.sealing import seal_bid
    folder = tmp / f"package-{hashlib.sha256(repr(sorted(files)).encode()).hexdigest()[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    out = folder / "bid.p7m"
    seal_bid(paths, out, tender_id=tender, bidder_code=bidder, price=price, currency="CNY", created_at=CLOCK_T,
             key=signer.key, certificate=signer.cert, chain=signer.chain, recipients=[r.cert for r in recipients],
             items=items)
    return out.read_bytes()


# -- the upload protocol ------------------------------------------------------------------------------------
def start(client, tender_id: int, data: bytes, *, size: int | None = None, sha256: str | None = None):
    return client.post(f"/api/v1/tenders/{tender_id}/uploads",
                       json={"size": len(data) if size is None else size,
                             "sha256": hashlib.sha256(data).hexdigest() if sha256 is None else sha256})


def patch(client, url: str, offset: int, chunk: bytes | None = None, *, stream=None, length: int | None = None,
          content_type: str = CHUNK_TYPE, headers: dict[str, str] | None = None):
    """One PATCH; ``stream`` and ``length`` send a body that ends early (a broken connection)."""
    all_headers = {"Upload-Offset": str(offset), **(headers or {})}
    if stream is not None:
        return client.patch(url, input_stream=stream, content_type=content_type, headers=all_headers,
                            environ_overrides={"CONTENT_LENGTH": str(length)})
    return client.patch(url, data=chunk or b"", content_type=content_type, headers=all_headers)


def upload(client, tender_id: int, data: bytes, *, chunk: int = 1 << 20):
    """The whole protocol: start, then every chunk; the last answer (or the first refusal)."""
    started = start(client, tender_id, data)
    if started.status_code != 201:
        return started
    url = started.json["url"]
    answer = None
    for offset in range(0, len(data), chunk):
        answer = patch(client, url, offset, data[offset:offset + chunk])
        if answer.status_code != 200:
            return answer
    return answer


class AdvancingStream(io.BytesIO):
    """A request body that moves the frozen clock to ``at`` as its last byte is read: the moment the
    last byte arrives (R17) is then exactly ``at``, whatever the clock said when the request began."""

    def __init__(self, data: bytes, clock, at: datetime) -> None:
        super().__init__(data)
        self.clock, self.at, self.size = clock, at, len(data)

    def _arrived(self) -> None:
        if self.tell() >= self.size:
            self.clock.set(self.at)

    def read(self, n: int | None = -1) -> bytes:
        piece = super().read(n)
        self._arrived()
        return piece

    def read1(self, n: int = -1) -> bytes:
        piece = super().read1(n)
        self._arrived()
        return piece

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = super().readinto(buffer)
        self._arrived()
        return n


# -- fixtures (imported by tests/integration/bids/conftest.py and the browser test) --------------------------
@pytest.fixture(scope="session")
def bid_ca(tmp_path_factory) -> DevCA:
    return make_bid_ca(tmp_path_factory.mktemp("bid-ca"))


@pytest.fixture(scope="session")
def keys(bid_ca) -> dict[str, Holder]:
    """Encryption certificates valid for a year from CA_T0: the supplier's RSA, EC and SM2, the
    second supplier's RSA; and the supplier's signing certificate (it signs bid manifests)."""
    supplier, supplier2 = party_identity("supplier"), party_identity("supplier2")
    return {"rsa": issue(bid_ca, supplier, algorithm="rsa"), "ec": issue(bid_ca, supplier, algorithm="ec"),
            "sm2": issue(bid_ca, supplier, algorithm="sm2"), "other": issue(bid_ca, supplier2, algorithm="rsa"),
            "signing": issue(bid_ca, supplier, algorithm="rsa", purpose="signing", seal_kind=None)}


@dataclass
class BidWorld:
    app: Any
    clock: Any
    accounts: dict[str, int]
    parties: dict[str, int]
    tender_id: int
    bindings: dict[str, int]

    def client(self, username: str = "supplier"):
        from support.auth import AuthActions
        client = self.app.test_client()
        assert AuthActions(client).login(username).status_code == 302
        return client

    def store(self) -> Path:
        return Path(self.app.config["FILE_STORE"]) / "bids"


@pytest.fixture
def bids(make_app, db_url, clock, bid_ca, keys) -> BidWorld:
    """An app on both backends using ``bid_ca``; every test account; a tender open for bids (deadline
    CLOCK_T + 7 days) both suppliers registered for; the supplier's RSA, EC and SM2 and the second
    supplier's RSA encryption certificates bound."""
    from app.extensions import db
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, **bid_settings(bid_ca))
    accounts = make_accounts(app)
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    tender_id = open_tender(app, parties)
    register(app, tender_id, "supplier")
    register(app, tender_id, "supplier2")
    bindings = {name: bind_encryption(app, parties["supplier"], keys[name]) for name in ("rsa", "ec", "sm2")}
    bindings["other"] = bind_encryption(app, parties["supplier2"], keys["other"])
    return BidWorld(app, clock, accounts, parties, tender_id, bindings)
