"""What the evaluation report tests share (imported as ``support.report``): the evaluation of
``support.evaluation`` carried to the point where every expert signed the summary, the CRLs of the
bid CA republished for the evaluation's time (the session's were made a week before; restored
after), and the agency's RSA main key (with its 公章) bound, to stamp the report through the API as
the local agent would (``support.stamping.stamp_via_api``). Experts sign the report through the
expert API (:meth:`ReportWorld.sign`), one code each, the clock moved on before each request."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from support.bids import CLOCK_T
from support.evaluation import EvaluationWorld, start_evaluation
from support.stamping import Signer, bind, issue_signer, party_identity, stamp_via_api

SCORES = {"supplier": [{"tech": "30", "service": "20"}, {"tech": "31", "service": "20"}, {"tech": "32", "service": "21"}],
          "supplier2": [{"tech": "38", "service": "25"}, {"tech": "39", "service": "25"}, {"tech": "40", "service": "26"}]}


@dataclass
class ReportWorld:
    ev: EvaluationWorld
    agency_signer: Signer
    agency_binding: int

    @property
    def app(self):
        return self.ev.app

    @property
    def tender_id(self) -> int:
        return self.ev.tender_id

    @property
    def url(self) -> str:
        return f"/api/v1/tenders/{self.tender_id}/evaluation/report"

    def expert_url(self, suffix: str = "") -> str:
        return f"/api/v1/expert-session/evaluations/{self.tender_id}/report{suffix}"

    def generate(self):
        return self.ev.agency().post(self.url)

    def request(self, key: str):
        self.ev.tick()
        return self.ev.clients[key].post(self.expert_url("/signature-requests"))

    def confirm(self, key: str, request_id: int, code: str | None = None):
        return self.ev.clients[key].post(self.expert_url("/signature"), json={
            "request_id": request_id, "code": code if code is not None else self.ev.base.last_code(key)})

    def sign(self, key: str):
        requested = self.request(key)
        if requested.status_code != 201:
            return requested
        return self.confirm(key, requested.json["id"])

    def stamp(self, public_id: str):
        return stamp_via_api(self.ev.agency(), public_id, self.agency_binding, self.agency_signer)


def summary_signed(expert_world: Any) -> EvaluationWorld:
    """The evaluation up to every expert's signature on the summary."""
    ev = start_evaluation(expert_world)
    ev.qualify_all()
    ev.score_all(SCORES)
    computed = ev.summary()
    assert computed.status_code == 201, computed.json
    for key in ev.evaluators:
        ev.sign_summary(key)
    return ev


@pytest.fixture
def report_world(expert_world, bid_ca):
    ev = summary_signed(expert_world)
    bid_ca.publish_crls(at=ev.base.clock.now() - timedelta(minutes=1))
    signer = issue_signer(bid_ca, party_identity("agency"), algorithm="rsa")
    binding = bind(ev.app, ev.base.parties["agency"], signer, bid_ca)
    yield ReportWorld(ev, signer, binding)
    bid_ca.publish_crls(at=CLOCK_T - timedelta(hours=1))
