"""What the evaluation tests share (imported as ``support.evaluation``): the expert world of
``support.experts`` carried to the evaluation start — three experts drawn and confirmed, the
agency's scheme set, the list opened — with both bids decrypted at the opening (``BidOpening``
rows with prices), and each expert signed in and having signed its commitment letter.

Signature codes are limited to one per 10 s per expert: :meth:`EvaluationWorld.sign` moves the
frozen clock on before each request.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from bidding.bids.models import Bid, BidState
from bidding.experts.models import AssignmentState, ExpertAssignment
from bidding.opening.models import BidOpening, OpeningState
from support.auth import test_uow
from support.bids import DEADLINE
from support.experts import ExpertWorld, b64

SCHEME = {"qualification": [{"id": "licence", "name": "营业执照有效"}, {"id": "credit", "name": "无不良信用记录"}],
          "scored": [{"id": "tech", "name": "技术方案", "weight": "40"},
                     {"id": "service", "name": "售后服务", "weight": "30"}],
          "price_weight": "30", "tie_break": ["price", "received_at"]}


@dataclass
class EvaluationWorld:
    base: ExpertWorld
    evaluators: list[str] = field(default_factory=list)          # expert keys, draw order
    assignments: dict[str, int] = field(default_factory=dict)     # expert key -> assignment id
    clients: dict[str, Any] = field(default_factory=dict)         # expert key -> signed-in client
    bids: dict[str, int] = field(default_factory=dict)            # "supplier" / "supplier2" -> bid id

    @property
    def app(self):
        return self.base.app

    @property
    def tender_id(self) -> int:
        return self.base.tender_id

    def agency(self):
        return self.base.client("agency")

    def tick(self) -> None:
        self.base.clock.set(self.base.clock.now() + timedelta(seconds=11))

    # -- sheets
    def fill(self, key: str, kind: str, data: dict[str, Any], bid_id: int | None = None):
        return self.clients[key].post(f"/api/v1/expert-session/evaluations/{self.tender_id}/sheets",
                                      json={"kind": kind, "data": data, "bid_id": bid_id})

    def sign(self, key: str, sheet_id: int):
        self.tick()
        client = self.clients[key]
        requested = client.post(f"/api/v1/expert-session/sheets/{sheet_id}/signature-requests")
        assert requested.status_code == 201, requested.json
        return client.post(f"/api/v1/expert-session/sheets/{sheet_id}/signature",
                           json={"request_id": requested.json["id"], "code": self.base.last_code(key)})

    def fill_and_sign(self, key: str, kind: str, data: dict[str, Any], bid_id: int | None = None) -> dict[str, Any]:
        filled = self.fill(key, kind, data, bid_id)
        assert filled.status_code == 201, filled.json
        signed = self.sign(key, filled.json["id"])
        assert signed.status_code == 201, signed.json
        return signed.json

    def qualify_all(self, fails: dict[str, str] | None = None) -> None:
        """Every expert signs its qualification sheet; ``fails`` maps a bidder to a reason every expert gives."""
        fails = fails or {}
        for key in self.evaluators:
            results = [{"bid": bid, "passed": who not in fails, "reason": fails.get(who, "")}
                       for who, bid in self.bids.items()]
            self.fill_and_sign(key, "qualification", {"results": results})

    def score_all(self, scores: dict[str, list[dict[str, str]]]) -> None:
        """``scores[bidder][i]`` is the score sheet of the i-th evaluator for that bidder."""
        for who, sheets in scores.items():
            for key, data in zip(self.evaluators, sheets):
                self.fill_and_sign(key, "score", {"scores": data}, self.bids[who])

    def summary(self):
        return self.agency().post(f"/api/v1/tenders/{self.tender_id}/evaluation/summary")

    def sign_summary(self, key: str) -> dict[str, Any]:
        view = self.clients[key].get(f"/api/v1/expert-session/evaluations/{self.tender_id}").json
        sheet = next(s for s in view["sheets"] if s["kind"] == "summary" and s["mine"])
        signed = self.sign(key, sheet["id"])
        assert signed.status_code == 201, signed.json
        return signed.json


def decrypt_bids(world: ExpertWorld, prices: dict[str, str], received: dict[str, datetime]) -> dict[str, int]:
    """The fixture's two bids as decrypted at the opening, with these prices and arrival times."""
    from sqlalchemy import select

    from app.extensions import db
    out = {}
    with world.app.app_context():
        for who in ("supplier", "supplier2"):
            bid = db.session.scalars(select(Bid).where(Bid.tender_id == world.tender_id,
                                                       Bid.party_id == world.parties[who])).one()
            bid.state, bid.received_at = BidState.DECRYPTED, received[who]
            db.session.add(BidOpening(bid_id=bid.id, tender_id=world.tender_id, state=OpeningState.DECRYPTED,
                                      decrypted_at=world.clock.now(), price=prices[who], currency="CNY",
                                      items=json.dumps([]), attempts=1))
            out[who] = bid.id
        db.session.commit()
    return out


def start_evaluation(world: ExpertWorld, *, prices: dict[str, str] | None = None,
                     received: dict[str, datetime] | None = None, scheme: dict[str, Any] | None = None,
                     count: int = 3) -> EvaluationWorld:
    from sqlalchemy import select

    from app.extensions import db
    from bidding.experts.services import commitment_letter
    world.after_deadline()
    assert world.draw(count=count, reserves=1).status_code == 201
    world.after_opening()
    ev = EvaluationWorld(world)
    ev.bids = decrypt_bids(world, prices or {"supplier": "900000.00", "supplier2": "1000000.00"},
                           received or {"supplier": DEADLINE - timedelta(hours=2),
                                        "supplier2": DEADLINE - timedelta(hours=1)})
    agency = world.client("agency")
    put = agency.put(f"/api/v1/tenders/{world.tender_id}/evaluation/scheme", json=scheme or SCHEME)
    assert put.status_code == 200, put.json
    with world.app.app_context():
        called = db.session.scalars(select(ExpertAssignment).where(ExpertAssignment.state == AssignmentState.CALLED)
                                    .order_by(ExpertAssignment.position)).all()
        ev.assignments = {world.key_of(a.expert_id): a.id for a in called}
    ev.evaluators = list(ev.assignments)
    for key, assignment in ev.assignments.items():
        client = ev.clients[key] = world.expert_client(key)
        assert client.post(f"/api/v1/expert-session/assignments/{assignment}", json={"accept": True}).status_code == 200
    opened = world.open_list(agency)
    assert opened.status_code == 200, opened.json
    for key, assignment in ev.assignments.items():
        with world.app.app_context():
            title, text = commitment_letter(test_uow(world.app), world.experts[key], assignment)
        ev.tick()
        client = ev.clients[key]
        requested = client.post("/api/v1/expert-session/signature-requests", json={"title": title, "content": b64(text)})
        assert requested.status_code == 201, requested.json
        signed = client.post(f"/api/v1/expert-session/signature-requests/{requested.json['id']}",
                             json={"code": world.last_code(key), "content": b64(text)})
        assert signed.status_code == 201, signed.json
    return ev


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def evaluation_world(expert_world) -> EvaluationWorld:
    return start_evaluation(expert_world)
