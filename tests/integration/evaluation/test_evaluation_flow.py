"""The evaluation end to end through the API: sheets signed with event certificates and verified
with the project's verifier and openssl; the summary computed as the scheme says (including a tie);
every expert signs it; ``recommended_ranking`` before and after."""
from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from support.auth import test_uow
from support.bids import DEADLINE, PROFILE
from support.evaluation import start_evaluation, unb64

from bidding.evaluation.errors import SummaryMissing, SummaryUnsigned
from bidding.evaluation.services import recommended_ranking
from pki.certs import load_certificates
from pki.signature import verify

S = {"tech": "30", "service": "20"}


def _roots(bid_ca) -> list:
    return [c for alg in ("ec", "rsa") for c in load_certificates((Path(bid_ca.anchors_dir) / PROFILE /
                                                                     f"{alg}-root.pem").read_bytes())]


def _ranking(world):
    with world.app.app_context():
        return recommended_ranking(test_uow(world.app), world.tender_id)


def test_sheets_summary_and_ranking(expert_world, bid_ca, tmp_path):
    world = start_evaluation(expert_world)
    a, b, c = world.evaluators
    world.qualify_all()
    # supplier: 900000 (price score 30.00); supplier2: 1000000 (900000/1000000*30 = 27.00)
    world.score_all({"supplier": [{"tech": "30", "service": "20"}, {"tech": "31", "service": "20"},
                                  {"tech": "32.5", "service": "21"}],
                     "supplier2": [{"tech": "38", "service": "25"}, {"tech": "39", "service": "25"},
                                   {"tech": "40", "service": "26"}]})
    opinion = world.fill_and_sign(c, "opinion", {"text": "本人认为投标人乙的技术方案存在风险。"})

    # the opinion sheet verifies with the project's verifier and openssl
    content, der = unb64(opinion["content"]), unb64(opinion["signature"])
    assert verify(der, content=content, trust_roots=_roots(bid_ca), at=world.base.clock.now()).ok
    (tmp_path / "sig.der").write_bytes(der)
    (tmp_path / "sheet.json").write_bytes(content)
    proc = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
                           "-content", str(tmp_path / "sheet.json"), "-binary", "-CAfile",
                           str(Path(bid_ca.anchors_dir) / PROFILE / "ec-root.pem"), "-purpose", "any",
                           "-attime", str(int(world.base.clock.now().timestamp())), "-out", "/dev/null"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "Verification successful" in proc.stderr, proc.stderr

    with pytest.raises(SummaryMissing):
        _ranking(world)
    computed = world.summary()
    assert computed.status_code == 201, computed.json
    ranking = computed.json["summary"]["ranking"]
    # supplier2: tech avg 39.00 + service 25.33 + price 27.00 = 91.33; supplier: 31.17 + 20.33 + 30.00 = 81.50
    assert [(r["bid"], r["total"], r["price_score"]) for r in ranking] == [
        (ranking[0]["bid"], "91.33", "27.00"), (ranking[1]["bid"], "81.50", "30.00")]
    assert ranking[0]["averages"] == {"tech": "39.00", "service": "25.33"}
    assert computed.json["summary"]["opinions"][0]["text"].startswith("本人认为")
    assert world.summary().json["error"]["code"] == "summary_exists"

    world.sign_summary(a)
    world.sign_summary(b)
    with pytest.raises(SummaryUnsigned):
        _ranking(world)
    early = world.agency().post(f"/api/v1/tenders/{world.tender_id}/evaluation/report")
    assert early.status_code == 409 and early.json["error"]["code"] == "summary_unsigned"
    world.sign_summary(c)
    ranked = _ranking(world)
    assert [(r.rank, r.total, r.price) for r in ranked] == [(1, Decimal("91.33"), Decimal("1000000.00")),
                                                            (2, Decimal("81.50"), Decimal("900000.00"))]
    assert ranked[0].bid_id == world.bids["supplier2"] and ranked[0].party_id == world.base.parties["supplier2"]
    progress = world.agency().get(f"/api/v1/tenders/{world.tender_id}/evaluation").json
    assert progress["summary_signed"] and all(e["summary_signed"] for e in progress["experts"])

    # the report's PDF drawn from the summary (signing it: test_report.py)
    from app.extensions import db
    from bidding.evaluation.models import EvaluationSummary
    from bidding.evaluation.report import render_report
    with world.app.app_context():
        summary = db.session.query(EvaluationSummary).one()
        rendered = render_report(test_uow(world.app), summary, document_id="DOC-TEST", verify_url="https://x/verify")
    assert set(rendered.seal_boxes) == {"expert:1", "expert:2", "expert:3", "agency"}
    (tmp_path / "report.pdf").write_bytes(rendered.pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout.replace(" ", "")
    assert "评标报告" in text and "91.33" in text and "本人认为投标人乙的技术方案存在风险" in text.replace("\n", "")


def test_a_tie_is_broken_by_the_schemes_rule(expert_world):
    # same price, same scores: the tie rule price (equal) then received_at: supplier2 came first
    world = start_evaluation(expert_world, prices={"supplier": "500000", "supplier2": "500000.00"},
                             received={"supplier": DEADLINE.replace(hour=1), "supplier2": DEADLINE.replace(hour=0)})
    world.qualify_all()
    world.score_all({"supplier": [S, S, S], "supplier2": [S, S, S]})
    summary = world.summary().json["summary"]
    assert [(r["bid"], r["rank"], r["total"]) for r in summary["ranking"]] == [
        (summary["ranking"][0]["bid"], 1, "80.00"), (summary["ranking"][1]["bid"], 2, "80.00")]
    with world.app.app_context():
        from app.extensions import db
        from bidding.bids.models import Bid
        assert summary["ranking"][0]["bid"] == db.session.get(Bid, world.bids["supplier2"]).public_id


def test_a_bid_failed_by_the_majority_is_not_scored(expert_world):
    world = start_evaluation(expert_world)
    world.qualify_all(fails={"supplier": "营业执照过期"})
    view = world.clients[world.evaluators[0]].get(f"/api/v1/expert-session/evaluations/{world.tender_id}").json
    assert len(view["qualified"]) == 1
    refused = world.fill(world.evaluators[0], "score", {"scores": S}, world.bids["supplier"])
    assert refused.status_code == 400 and refused.json["error"]["code"] == "sheet_invalid"
    world.score_all({"supplier2": [S, S, S]})
    summary = world.summary().json["summary"]
    assert [r["rank"] for r in summary["ranking"]] == [1]
    assert summary["ranking"][0]["price_score"] == "30.00"      # the only valid price is the lowest
    assert summary["disqualified"][0]["reasons"][0].endswith("营业执照过期")
