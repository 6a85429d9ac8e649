"""What the opening tests share (imported as ``support.opening``): an app on the bid CA of
``support.bids`` with three bidders, each with its encryption certificate and a bound signing
certificate (the key-release signer): the supplier's RSA key pair on a SoftHSM token, the second
supplier's EC key file, a third supplier's SM2 key file; their bids uploaded through the API before
the deadline; and the bidder's step through the API (release, :func:`release_key`, submit).

The tender's times are those of ``support.bids``: deadline ``DEADLINE``, opening ``OPENING``, a
30-minute window; the app's clock is frozen (``world.at(...)`` moves it).
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bidding.accounts.models import Account, Role
from bidding.certificates.models import (
    BindingState,
    CertificateBinding,
    CertificatePurpose,
    CertificateType,
)
from bidding.opening.statement import ReleasedKey, release_key
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from pki.certs import fingerprint_sha256, key_algorithm, to_asn1
from pki.identity import PartyIdentity, credit_code_check_char
from support.auth import (
    PASSWORD,
    AuthActions,
    create_test_account,
    make_accounts,
    test_uow,
)
from support.bids import (
    CA_T0,
    CLOCK_T,
    DEADLINE,
    OPENING,
    PROFILE,
    WINDOW,
    Holder,
    bid_settings,
    issue,
    open_tender,
    party_identity,
    register,
    sealed_package,
    upload,
)

THIRD_CODE17 = "91440101MA5ACC005"
THIRD = PartyIdentity("institution", "测试供应商丙", credit_code=THIRD_CODE17 + credit_code_check_char(THIRD_CODE17))
TOKEN_PIN, TOKEN_SO_PIN = "opening-pin-2468", "opening-so-1357"
MARKER = "OPENING-MARKER-7d1f0c9a"      # inside every bid's files: never on the platform before a decryption


@dataclass
class Bidder:
    username: str
    party_id: int
    encryption: Any                   # Holder (file key) or TokenHolder
    signing: Any                      # Holder or TokenHolder: signs the key release
    manifest_signer: Holder           # signs the bid's manifest (a file key)
    code: str
    bid: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class TokenHolder:
    """A key pair on the SoftHSM token and its certificate."""

    cert: Any
    key_id: bytes
    chain: list

    @property
    def der(self) -> bytes:
        return self.cert.dump()


@dataclass
class OpeningWorld:
    app: Any
    clock: Any
    tender_id: int
    tender: str
    bidders: dict[str, Bidder]
    parties: dict[str, int]
    token: Any = None

    def client(self, username: str):
        client = self.app.test_client()
        assert AuthActions(client).login(username).status_code == 302
        return client

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    @property
    def store(self) -> Path:
        return Path(self.app.config["FILE_STORE"]) / "bids"

    def opened(self, bidder: str) -> Path:
        return self.store / "opened" / self.tender / self.bidders[bidder].bid


def bind(app, party_id: int, cert: Any, purpose: CertificatePurpose) -> int:
    """Record a bound certificate of the party (as ``support.bids.bind_encryption``, any purpose)."""
    from app.extensions import db
    from app.trust import trust_list
    cert = to_asn1(cert)
    with app.app_context():
        identity = trust_list().profile(PROFILE).read_identity(cert)
        validity = cert["tbs_certificate"]["validity"]
        binding = CertificateBinding(
            party_id=party_id, certificate_der=cert.dump(), fingerprint_sha256=fingerprint_sha256(cert),
            subject=cert.subject.human_friendly[:500], issuer=cert.issuer.human_friendly[:500],
            serial=format(cert.serial_number, "X"), not_before=validity["not_before"].native,
            not_after=validity["not_after"].native, profile_id=PROFILE, algorithm=key_algorithm(cert),
            certificate_type=CertificateType(identity.kind), identity_number=identity.number, purpose=purpose,
            is_main_key=False, seal_kind=None, seal_image=None, may_stamp=purpose is CertificatePurpose.SIGNING,
            stamp_refusal=None, state=BindingState.ACTIVE, bound_at=CLOCK_T - timedelta(days=1))
        db.session.add(binding)
        db.session.commit()
        return binding.id


def third_supplier(app) -> tuple[int, int]:
    """``supplier3`` (测试供应商丙) and its staff account: (party id, account id)."""
    with app.app_context():
        party = register_party(test_uow(app), name=THIRD.name, kind=PartyKind.SUPPLIER, credit_code=THIRD.credit_code)
        party_id = party.id
    return party_id, create_test_account(app, username="supplier3", role=Role.SUPPLIER_STAFF, password=PASSWORD,
                                         display_name="供应商丙", party_id=party_id)


#: The platform's own token of the opening tests: the opening key is generated and used there.
PLATFORM_TOKEN, PLATFORM_PIN = "opening-platform", "platform-pin-4321"


def platform_token_objects(key_id_hex: str) -> list[tuple[str, bool | None, bool | None]]:
    """The objects with CKA_ID ``key_id_hex`` on the platform's token (the opening key, while held):
    (class, sensitive, extractable) each; the last two None for a public key."""
    from pkcs11 import Attribute, ObjectClass

    from pki import pkcs11 as tokens
    session = tokens.open_token(PLATFORM_TOKEN, pin=PLATFORM_PIN)
    with session.raw() as raw:
        out = []
        for obj in raw.get_objects({Attribute.ID: bytes.fromhex(key_id_hex)}):
            cls = obj[Attribute.CLASS]
            private = cls == ObjectClass.PRIVATE_KEY
            out.append((cls.name, obj[Attribute.SENSITIVE] if private else None,
                        obj[Attribute.EXTRACTABLE] if private else None))
        return sorted(out)


def token_holders(bid_ca, token_dir: Path) -> tuple[Any, TokenHolder, TokenHolder]:
    """A SoftHSM token with the supplier's RSA encryption and signing key pairs certified by the bid CA."""
    from devsetup.softhsm import init_softhsm_token
    from pki import pkcs11 as tokens
    from pki.devca.tokens import issue_to_token
    hsm = init_softhsm_token(token_dir, "opening-token", TOKEN_SO_PIN, TOKEN_PIN)
    session = tokens.open_token(hsm.label, pin=TOKEN_PIN)
    made = {purpose: issue_to_token(bid_ca, session, PROFILE, party_identity("supplier"), algorithm="rsa",
                                    purpose=purpose, seal_kind=None, at=CA_T0) for purpose in ("encryption", "signing")}
    tokens.close_sessions()
    chain = [bid_ca.chain(PROFILE, "rsa").intermediate]
    holders = {p: TokenHolder(to_asn1(bid_ca.certificate(t.serial)), t.key_id, chain) for p, t in made.items()}
    return hsm, holders["encryption"], holders["signing"]


def token_key(hsm, holder: TokenHolder):
    """The token key of ``holder``, logged in (close with ``pki.pkcs11.close_sessions``)."""
    from pki import pkcs11 as tokens
    return tokens.open_token(hsm.label, pin=TOKEN_PIN).find_key(key_id=holder.key_id)


#: The 开标一览表's other items every test bid declares (``bidtool pack --item``), read out at 唱标.
DECLARED_ITEMS = (("交货期", "合同签订后30日"), ("质保期", "3年"))


def files_of(name: str) -> dict[str, bytes]:
    return {"商务标.txt": f"{name} 商务标 {MARKER}".encode(), "技术标.txt": f"{name} 技术标 {MARKER}\n".encode() * 50}


def submit_bid(world: OpeningWorld, tmp: Path, name: str, *, price: str = "1000000.00") -> str:
    """Seal and upload ``name``'s bid through the API (before the deadline); its public id."""
    bidder = world.bidders[name]
    bidder.files = files_of(name + price)
    data = sealed_package(tmp / name / price, bidder.manifest_signer, [bidder.encryption], tender=world.tender,
                          bidder=bidder.code, files=bidder.files, price=price, items=DECLARED_ITEMS)
    answer = upload(world.client(bidder.username), world.tender_id, data)
    assert answer.status_code == 200 and answer.json["bid"], answer.json
    bidder.bid = answer.json["bid"]["id"]
    return bidder.bid


# -- the bidder's step ------------------------------------------------------------------------------------
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def release(world: OpeningWorld, name: str):
    return world.client(world.bidders[name].username).post(f"/api/v1/tenders/{world.tender_id}/opening/release")


def released_key(world: OpeningWorld, name: str, answer: dict, *, context: str | None = None,
                 decrypt_key=None, sign_key=None, sign_cert=None) -> ReleasedKey:
    """What ``bidtool open`` does with a release: unwrap, seal to the opening certificate, sign."""
    from pki.certs import load_certificate
    bidder = world.bidders[name]
    signer_cert = sign_cert or bidder.signing.cert
    return release_key(unb64(answer["recipient_infos"][0]["recipient_info"]),
                       decrypt_key=decrypt_key or bidder.encryption.key, decrypt_cert=bidder.encryption.cert,
                       sign_key=sign_key or bidder.signing.key, sign_cert=signer_cert,
                       opening_certificate=load_certificate(unb64(answer["opening_certificate"])),
                       context=context or answer["context"], chain=bidder.signing.chain, now=world.clock.now())


def submit(world: OpeningWorld, name: str, released: ReleasedKey | dict, *, bid: str | None = None):
    parts = released.to_dict() if isinstance(released, ReleasedKey) else released
    body = {"bid": bid or world.bidders[name].bid,
            **{k: (b64(v) if isinstance(v, bytes) else v) for k, v in parts.items()}}
    return world.client(world.bidders[name].username).post(f"/api/v1/tenders/{world.tender_id}/opening/key",
                                                           json=body)


def open_bid_of(world: OpeningWorld, name: str):
    """Release and submit for ``name`` with its file keys: the API answer of the submission."""
    answer = release(world, name)
    assert answer.status_code == 200, answer.json
    return submit(world, name, released_key(world, name, answer.json))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the fixture --------------------------------------------------------------------------------------------
@pytest.fixture
def opening_world(make_app, db_url, clock, bid_ca, tmp_path, isolated_tokens):
    """Three bidders registered for a published tender (times of ``support.bids``), each with its
    encryption certificate (RSA on a token, EC file, SM2 file) and a bound signing certificate; no
    bid yet (``submit_bid``)."""
    from app.extensions import db
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, **bid_settings(bid_ca))
    accounts = make_accounts(app)
    with app.app_context():
        parties = {n: db.session.get(Account, accounts[n]).party_id for n in ("supplier", "supplier2", "agency",
                                                                            "purchaser")}
    parties["supplier3"], _ = third_supplier(app)
    tender_id = open_tender(app, parties)
    for name in ("supplier", "supplier2", "supplier3"):
        register(app, tender_id, name)
    hsm, token_enc, token_sign = token_holders(bid_ca, tmp_path / "hsm")
    from devsetup.softhsm import init_softhsm_token
    init_softhsm_token(tmp_path / "hsm", PLATFORM_TOKEN, TOKEN_SO_PIN, PLATFORM_PIN)   # where opening keys live
    app.config.update(OPENING_KEY_STORE="token", PLATFORM_TOKEN_LABEL=PLATFORM_TOKEN, PLATFORM_TOKEN_PIN=PLATFORM_PIN)
    s2, s3 = party_identity("supplier2"), THIRD
    holders = {
        "supplier": (token_enc, token_sign, issue(bid_ca, party_identity("supplier"), algorithm="rsa",
                                                  purpose="signing", seal_kind=None)),
        "supplier2": (issue(bid_ca, s2, algorithm="ec"), issue(bid_ca, s2, algorithm="ec", purpose="signing",
                                                               seal_kind=None), None),
        "supplier3": (issue(bid_ca, s3, algorithm="sm2"), issue(bid_ca, s3, algorithm="sm2", purpose="signing",
                                                                seal_kind=None), None),
    }
    bidders = {}
    for name, (enc, sign, manifest_signer) in holders.items():
        party_id = parties[name]
        bind(app, party_id, enc.cert, CertificatePurpose.ENCRYPTION)
        bind(app, party_id, sign.cert, CertificatePurpose.SIGNING)
        if manifest_signer is not None:
            bind(app, party_id, manifest_signer.cert, CertificatePurpose.SIGNING)
        code = (THIRD if name == "supplier3" else party_identity(name)).credit_code
        bidders[name] = Bidder(name, party_id, enc, sign, manifest_signer or sign, code)
    with app.app_context():
        from bidding.tenders.models import Tender
        public = db.session.get(Tender, tender_id).public_id
    # CRLs current at the opening (the session's were published for the apps' clock, a week before)
    bid_ca.publish_crls(at=DEADLINE - timedelta(hours=1))
    yield OpeningWorld(app, clock, tender_id, public, bidders, parties, hsm)
    bid_ca.publish_crls(at=CLOCK_T - timedelta(hours=1))


__all__ = [
    "DEADLINE",
    "MARKER",
    "OPENING",
    "WINDOW",
    "Bidder",
    "OpeningWorld",
    "b64",
    "open_bid_of",
    "opening_world",
    "release",
    "released_key",
    "sha256",
    "submit",
    "submit_bid",
    "token_key",
    "unb64",
]
