"""What the contract tests share (imported as ``support.contracts``): a notified award on top of
``support.evaluation``'s ``evaluation_world`` (a published tender with both bids opened and
decrypted), the purchaser's (RSA) and the winner's (EC) signing keys with their seals bound, and
the drafting and stamping round trips through the JSON API.

**Shortcut:** the award is written as rows (an award notice rendered and kept as a document, the
``Award`` in state ``NOTIFIED``) instead of going through the award area's confirmation and stamped
notice; the end-to-end journey of issue 16 replaces it. The browser journey uses
:func:`notified_award` on a tender made as rows too (``support.bids.open_tender``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from support.auth import AuthActions, test_uow
from support.stamping import Signer, bind, issue_signer, party_identity, stamp_via_api

TERMS = {"payment_terms": "合同签订后 10 个工作日内支付合同金额的 30%；验收合格后 15 个工作日内支付其余 70%。",
         "delivery_place": "广州市天河区体育西路 1 号采购人办公楼", "delivery_date": "2027-03-31"}


def notified_award(app, *, tender_id: int, bid_id: int, winner_party_id: int, agency_party_id: int,
                   purchaser_account_id: int, price: Decimal | str) -> int:
    """A ``NOTIFIED`` award of ``bid_id`` at ``price`` with its award notice kept as a document (not
    stamped: a shortcut, see the module docstring); the award's id."""
    from app.extensions import db
    from bidding.agreements.rendering import party_ref
    from bidding.award.models import Award, AwardState
    from bidding.documents import services as documents
    from bidding.documents.models import DocumentKind, new_public_id
    from bidding.documents.pdf import AwardNoticeData, ProjectRef, render_award_notice
    from bidding.parties.models import Party
    from bidding.tenders.models import Project, Tender
    with app.app_context():
        uow = test_uow(app)
        now = uow.clock.now()
        tender = db.session.get(Tender, tender_id)
        project = db.session.get(Project, tender.project_id)
        ref = lambda party_id: party_ref(uow, db.session.get(Party, party_id))
        public_id = new_public_id()
        rendered = render_award_notice(
            AwardNoticeData(project=ProjectRef(project.number, project.title), purchaser=ref(tender.purchaser_id),
                            agency=ref(agency_party_id), winner=ref(winner_party_id), amount=Decimal(str(price)),
                            issued_on=now.date()),
            document_id=public_id, verify_url=f"http://127.0.0.1/verify?doc={public_id}")
        notice = documents.create_document(uow, Path(app.config["FILE_STORE"]), public_id=public_id,
                                           kind=DocumentKind.AWARD_NOTICE, title=f"中标通知书：{tender.title}",
                                           creator_party_id=agency_party_id, rendered=rendered,
                                           signers=[documents.SignerSpec(agency_party_id, "agency")])
        award = Award(tender_id=tender_id, bid_id=bid_id, winner_party_id=winner_party_id, rank=1,
                      price=Decimal(str(price)), currency="CNY", state=AwardState.NOTIFIED,
                      notice_document_id=notice.id, proposed_by=purchaser_account_id,
                      proposed_at=now - timedelta(hours=2), confirmed_at=now - timedelta(hours=1), notified_at=now)
        db.session.add(award)
        db.session.commit()
        return award.id


@dataclass
class ContractWorld:
    app: Any
    clock: Any
    ca: Any
    tender_id: int
    parties: dict[str, int]
    accounts: dict[str, int]
    award_id: int
    signers: dict[str, Signer]
    bindings: dict[str, int] = field(default_factory=dict)

    def client(self, username: str):
        client = self.app.test_client()
        assert AuthActions(client).login(username).status_code == 302
        return client

    def draft(self, client=None, **changes):
        client = client or self.client("purchaser")
        return client.post("/api/v1/contracts", json={**TERMS, "award_id": self.award_id, **changes})

    def drafted(self) -> tuple[Any, dict[str, Any]]:
        """A purchaser client and the new draft (201)."""
        purchaser = self.client("purchaser")
        answer = self.draft(purchaser)
        assert answer.status_code == 201, answer.json
        return purchaser, answer.json

    def stamp(self, client, who: str, public_id: str):
        """``who``'s stamp (prepare, the agent's signature, complete) through the JSON API."""
        return stamp_via_api(client, public_id, self.bindings[who], self.signers[who])

    def pdf(self, client, public_id: str, seq: int | None = None) -> bytes:
        path = f"/documents/{public_id}.pdf" if seq is None else f"/documents/{public_id}/revisions/{seq}.pdf"
        answer = client.get(path)
        assert answer.status_code == 200, answer.data[:300]
        return answer.data

    def stamped_by_both(self) -> tuple[Any, Any, dict[str, Any]]:
        """Purchaser and supplier clients and the contract both stamped."""
        purchaser, contract = self.drafted()
        public_id = contract["document"]["public_id"]
        assert self.stamp(purchaser, "purchaser", public_id).status_code == 201
        supplier = self.client("supplier")
        answer = self.stamp(supplier, "supplier", public_id)
        assert answer.status_code == 201, answer.json
        return purchaser, supplier, purchaser.get(f"/api/v1/contracts/{contract['id']}").json

    def last_notice(self, who: str) -> str:
        from sqlalchemy import select

        from app.extensions import db
        from bidding.parties.models import Notice
        with self.app.app_context():
            return db.session.scalars(select(Notice.text).where(Notice.party_id == self.parties[who])
                                      .order_by(Notice.id.desc())).first() or ""

    def audit_actions(self) -> list[str]:
        from sqlalchemy import select

        from app.extensions import db
        from bidding.audit.models import AuditEntry
        with self.app.app_context():
            return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("contract.%"))
                                           .order_by(AuditEntry.id)))


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="session")
def contract_signers(bid_ca) -> dict[str, Signer]:
    """Signing keys with seals of the bid CA: the purchaser's RSA, the winner's EC, the loser's RSA."""
    return {"purchaser": issue_signer(bid_ca, party_identity("purchaser"), algorithm="rsa"),
            "supplier": issue_signer(bid_ca, party_identity("supplier"), algorithm="ec"),
            "supplier2": issue_signer(bid_ca, party_identity("supplier2"), algorithm="rsa")}


@pytest.fixture
def contract_world(evaluation_world, bid_ca, contract_signers) -> ContractWorld:
    """``evaluation_world`` with a notified award to the first supplier at its opened price
    (900 000.00), and every party's signing key bound. The CA's CRLs are republished as current at
    the world's clock (a week after the session's usual time) and put back afterwards."""
    from support.bids import CLOCK_T
    base = evaluation_world.base
    clock = base.clock
    bid_ca.publish_crls(at=clock.now() - timedelta(hours=1))
    try:
        award_id = notified_award(base.app, tender_id=base.tender_id, bid_id=evaluation_world.bids["supplier"],
                                  winner_party_id=base.parties["supplier"], agency_party_id=base.parties["agency"],
                                  purchaser_account_id=base.accounts["purchaser"], price="900000.00")
        world = ContractWorld(base.app, clock, bid_ca, base.tender_id, base.parties, base.accounts, award_id,
                              contract_signers)
        world.bindings = {who: bind(base.app, base.parties[who], signer, bid_ca)
                          for who, signer in contract_signers.items()}
        yield world
    finally:
        bid_ca.publish_crls(at=CLOCK_T - timedelta(hours=1))


def today_after(world: ContractWorld, days: int) -> date:
    from datetime import timezone
    return (world.clock.now().astimezone(timezone(timedelta(hours=8))) + timedelta(days=days)).date()


def beijing(moment: datetime) -> datetime:
    from datetime import timezone
    return moment.astimezone(timezone(timedelta(hours=8)))


# -- the browser journey's world (rows, the real clock) ------------------------------------------------------
def opened_bid(app, tender_id: int, party_id: int, account_id: int, price: str, received_at: datetime) -> int:
    """A bid of the party as the opening leaves it: decrypted, with its price (rows, no envelope)."""
    import hashlib

    from app.extensions import db
    from bidding.bids.models import Bid, BidState
    from bidding.opening.models import BidOpening, OpeningState
    with app.app_context():
        digest = hashlib.sha256(f"{tender_id}-{party_id}".encode()).hexdigest()
        bid = Bid(public_id=f"B-C{tender_id:04d}{party_id:04d}", tender_id=tender_id, party_id=party_id,
                  submitted_by=account_id, state=BidState.DECRYPTED, size=1, sha256=digest, sm3=digest,
                  envelope_format="cms", content_type="authEnvelopedData", cipher="aes-256-gcm",
                  received_at=received_at)
        db.session.add(bid)
        db.session.flush()
        db.session.add(BidOpening(bid_id=bid.id, tender_id=tender_id, state=OpeningState.DECRYPTED,
                                  decrypted_at=received_at + timedelta(days=1), price=price, currency="CNY",
                                  items=json.dumps([]), attempts=1))
        db.session.commit()
        return bid.id


def bind_token_certificate(app, party_id: int, agent, origin: str, cert_der: bytes, seal_png: bytes, seal_kind: str,
                           pin: str) -> None:
    """Bind a token's certificate to the party as the bind page does: a challenge the agent signs
    (as tests/browser/test_agreement_journey.py does for its parties)."""
    import base64

    from app import context
    from app.certificates.proof import proof_settings
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from bidding.parties.models import Party
    from pki.seal import Seal
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", "journey-session", origin)
        signed = agent.post("/v1/sign", {"certificate": agent.cert_id(cert_der), "pin": pin,
                                         "data": base64.b64encode(issued.message).decode()}, origin=origin)
        assert signed.status == 200, signed.body
        party = context.uow().session.get(Party, party_id)
        bind_certificate(context.uow(), party_id, base64.b64decode(signed.json["signature"]), issued.id,
                         "journey-session", origin, seal=Seal(party.name, party.credit_code, seal_kind, seal_png),
                         **proof_settings())
