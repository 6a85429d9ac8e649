"""The evaluation's refusals: scheme validation (and its arithmetic without a database), a score out
of range, what an expert may see before the summary, a sheet changed after signing."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from support.evaluation import SCHEME, start_evaluation

from bidding.evaluation.errors import SchemeInvalid
from bidding.evaluation.scheme import Candidate, parse_scheme, score_bids

S = {"tech": "30", "service": "20"}


@pytest.mark.parametrize("change, field", [
    ({"price_weight": "20"}, "weights"),                                   # sums to 90
    ({"price_weight": "0", "scored": [{"id": "tech", "name": "技术", "weight": "100"}]}, "price_weight"),
    ({"price_weight": "30.001"}, "price_weight"),                          # 3 places
    ({"price_weight": 30.0}, "price_weight"),                              # a float has no exact value
    ({"tie_break": []}, "tie_break"),
    ({"tie_break": ["price", "price"]}, "tie_break"),
    ({"tie_break": ["lottery"]}, "tie_break"),
    ({"qualification": []}, "qualification"),
    ({"scored": [{"id": "tech", "name": "技术", "weight": "35"}, {"id": "tech", "name": "又一个", "weight": "35"}]}, "id"),
    ({"scored": [{"id": "Tech!", "name": "技术", "weight": "70"}]}, "scored"),
])
def test_a_scheme_that_breaks_a_rule_is_refused(change, field):
    with pytest.raises(SchemeInvalid) as refused:
        parse_scheme({**SCHEME, **change})
    assert refused.value.details["field"] == field


def test_the_price_score_and_rounding():
    scheme = parse_scheme(SCHEME)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    ranked = score_bids(scheme, [
        Candidate("B-1", Decimal(300000), at, [{"tech": Decimal(40), "service": Decimal(30)}]),
        Candidate("B-2", Decimal(900000), at, [{"tech": Decimal(40), "service": Decimal(30)}]),
        Candidate("B-3", Decimal(700000), at, [{"tech": Decimal(40), "service": Decimal(30)}] * 2)])
    # 300000/700000*30 = 12.857… -> 12.86; 300000/900000*30 = 10.00
    assert [(r.bid, r.price_score, r.total, r.rank) for r in ranked] == [
        ("B-1", Decimal("30.00"), Decimal("100.00"), 1), ("B-3", Decimal("12.86"), Decimal("82.86"), 2),
        ("B-2", Decimal("10.00"), Decimal("80.00"), 3)]


def test_the_scheme_api_refuses_bad_input_and_locks_at_the_start(expert_world):
    agency = expert_world.client("agency")
    url = f"/api/v1/tenders/{expert_world.tender_id}/evaluation/scheme"
    assert agency.get(url).json["scheme"] is None
    refused = agency.put(url, json={**SCHEME, "price_weight": "20"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "scheme_invalid"
    assert refused.json["error"]["details"] == {"field": "weights", "total": "90.00"}
    assert agency.get(url).json["scheme"] is None                 # nothing changed
    assert expert_world.client("supplier").put(url, json=SCHEME).status_code == 403
    world = start_evaluation(expert_world)                       # sets the scheme, then starts
    before = agency.get(url).json
    assert before["scheme"]["price_weight"] == "30.00"
    locked = agency.put(url, json=SCHEME)
    assert locked.status_code == 409 and locked.json["error"]["code"] == "scheme_locked"
    assert agency.get(url).json == before
    assert world.agency().get(f"/api/v1/tenders/{world.tender_id}/evaluation").json["started"] is True


def test_a_score_out_of_range_is_refused(evaluation_world):
    world = evaluation_world
    key = world.evaluators[0]
    world.qualify_all()
    for scores in ({"tech": "40.01", "service": "20"}, {"tech": "-1", "service": "20"}, {"tech": "30"},
                   {"tech": "30", "service": "20", "extra": "1"}, {"tech": "abc", "service": "20"}):
        refused = world.fill(key, "score", {"scores": scores}, world.bids["supplier"])
        assert refused.status_code == 400 and refused.json["error"]["code"] == "sheet_invalid", (scores, refused.json)
    reasonless = world.fill(key, "qualification", {"results": [{"bid": world.bids["supplier"], "passed": False}]})
    assert reasonless.status_code in (400, 409)
    assert world.fill(key, "score", {"scores": {"tech": "40", "service": "0"}}, world.bids["supplier"]).status_code == 201


def test_an_expert_sees_only_its_own_sheets_until_the_summary(evaluation_world):
    world = evaluation_world
    a, b, _ = world.evaluators
    world.qualify_all()
    view_a = world.clients[a].get(f"/api/v1/expert-session/evaluations/{world.tender_id}").json
    mine = [s["id"] for s in view_a["sheets"]]
    assert len(mine) == 1 and all(s["mine"] for s in view_a["sheets"])
    view_b = world.clients[b].get(f"/api/v1/expert-session/evaluations/{world.tender_id}").json
    other = view_b["sheets"][0]["id"]
    assert world.clients[a].get(f"/api/v1/expert-session/sheets/{other}").status_code == 404
    assert world.clients[a].post(f"/api/v1/expert-session/sheets/{other}/signature-requests").status_code == 404
    # an expert not drawn for the tender, and a tender that is not its own
    outsider = world.base.expert_client(next(k for k in ("e1", "e2", "e3", "e4", "e5", "e6")
                                             if k not in world.evaluators))
    assert outsider.get(f"/api/v1/expert-session/evaluations/{world.tender_id}").status_code == 404
    assert outsider.get(f"/api/v1/expert-session/sheets/{mine[0]}").status_code == 404
    assert world.clients[a].get("/api/v1/expert-session/evaluations/999999").status_code == 404

    world.score_all({"supplier": [S, S, S], "supplier2": [S, S, S]})
    assert world.summary().status_code == 201
    assert world.clients[a].get(f"/api/v1/expert-session/sheets/{other}").status_code == 200


def test_a_sheet_changed_after_signing_is_detected_and_the_summary_refuses(evaluation_world):
    from sqlalchemy import select

    from app.extensions import db
    from bidding.evaluation.models import EvaluationSheet
    world = evaluation_world
    world.qualify_all()
    world.score_all({"supplier": [S, S, S], "supplier2": [S, S, S]})
    with world.app.app_context():
        sheet = db.session.scalars(select(EvaluationSheet).where(EvaluationSheet.subject.like("score:%"))
                                   .order_by(EvaluationSheet.id)).first()
        original = sheet.content
        sheet.content = original.replace(b'"tech":"30.00"', b'"tech":"40.00"')
        assert sheet.content != original
        db.session.commit()
        tampered = sheet.id
    refused = world.summary()
    assert refused.status_code == 409 and refused.json["error"]["code"] == "sheet_tampered"
    assert refused.json["error"]["details"]["sheet"] == tampered
    progress = world.agency().get(f"/api/v1/tenders/{world.tender_id}/evaluation").json
    assert progress["summary"] is False
    with world.app.app_context():
        db.session.get(EvaluationSheet, tampered).content = original
        db.session.commit()
    assert world.summary().status_code == 201


def test_a_signed_sheet_is_final_and_scoring_waits_for_every_qualification_sheet(evaluation_world):
    world = evaluation_world
    key = world.evaluators[0]
    results = [{"bid": bid, "passed": True, "reason": ""} for bid in world.bids.values()]
    signed = world.fill_and_sign(key, "qualification", {"results": results})
    again = world.fill(key, "qualification", {"results": results})
    assert again.status_code == 409 and again.json["error"]["code"] == "sheet_signed"
    resign = world.clients[key].post(f"/api/v1/expert-session/sheets/{signed['id']}/signature-requests")
    assert resign.status_code == 409 and resign.json["error"]["code"] == "sheet_signed"
    early = world.fill(key, "score", {"scores": S}, world.bids["supplier"])
    assert early.status_code == 409 and early.json["error"]["code"] == "sheet_not_due"
    incomplete = world.summary()
    assert incomplete.status_code == 409 and incomplete.json["error"]["code"] == "sheets_incomplete"


def test_sheets_wait_for_the_commitment_letter(evaluation_world):
    from sqlalchemy import delete

    from app.extensions import db
    from bidding.experts.models import ExpertSignature
    world = evaluation_world
    key = world.evaluators[0]
    with world.app.app_context():       # as if the expert had not signed its commitment letter
        db.session.execute(delete(ExpertSignature).where(ExpertSignature.expert_id == world.base.experts[key]))
        db.session.commit()
    results = [{"bid": bid, "passed": True, "reason": ""} for bid in world.bids.values()]
    refused = world.fill(key, "qualification", {"results": results})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "commitment_unsigned"
    view = world.clients[key].get(f"/api/v1/expert-session/evaluations/{world.tender_id}").json
    assert view["commitment_signed"] is False and view["sheets"] == []
