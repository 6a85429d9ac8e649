"""The award end to end through the API (docs/award.md): the purchaser confirms the first-ranked
bidder and stamps the confirmation; the agency makes the award notice and the result notice and
stamps them, the award notice first; each bidder is told and reads only its own notice; the stamped
PDFs verify with the platform's verifier and pdfsig; every step is in the audit log; the tender's
OCDS package carries the award and libcoveocds finds nothing wrong with it."""
from __future__ import annotations

import subprocess
from decimal import Decimal

from sqlalchemy import select

from bidding.audit.models import AuditEntry
from bidding.parties.models import Notice


def _verify(world, pdf: bytes, signatures: int, tmp_path, name: str) -> None:
    """The project's verifier and pdfsig both accept every signature of ``pdf``."""
    from app.certificates.proof import crls
    from app.trust import trust_list
    from pki.pdf import verify_pdf
    with world.app.app_context():
        report = verify_pdf(pdf, trust=trust_list(), crls=crls(), at=world.clock.now())
    assert report.ok(), [s.problems for s in report.signatures]
    assert len(report.signatures) == signatures
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], check=False, capture_output=True, text=True, timeout=120).stdout
    verdicts = [line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.strip().startswith("- Signature Validation:")]
    assert verdicts == ["Signature is Valid."] * signatures, out


def _notices(world, who: str) -> list[str]:
    from app.extensions import db
    with world.app.app_context():
        return list(db.session.scalars(select(Notice.text).where(Notice.party_id == world.parties[who])))


def test_confirm_stamp_notify_and_read_only_ones_own(expert_world, bid_ca, tmp_path):
    from support.award import award_world_of
    world = award_world_of(expert_world, bid_ca, signed=False)

    # before every expert signed the summary: no ranking, no confirmation
    early = world.confirm("purchaser", "supplier2")
    assert early.status_code == 409 and early.json["error"]["code"] == "summary_missing", early.json
    world.ev.summary()
    for key in world.ev.evaluators[:2]:
        world.ev.sign_summary(key)
    early = world.confirm("purchaser", "supplier2")
    assert early.status_code == 409 and early.json["error"]["code"] == "summary_unsigned", early.json
    assert world.state()["ranking"] == [] and world.state()["ranking_unavailable"] == "summary_unsigned"
    world.ev.sign_summary(world.ev.evaluators[2])
    # the summary signed, the evaluation report not yet final (R14: the experts sign it, then the agency)
    missing = world.confirm("purchaser", "supplier2")
    assert missing.status_code == 409 and missing.json["error"]["code"] == "report_missing", missing.json
    world.sign_report()
    unstamped = world.confirm("purchaser", "supplier2")
    assert unstamped.status_code == 409 and unstamped.json["error"]["code"] == "report_not_final", unstamped.json
    world.at_award_time()                    # the agency stamps the report

    ranking = world.state()["ranking"]
    assert [(r["rank"], r["party"], r["total"], r["price"]) for r in ranking] == [
        (1, "测试供应商乙", "91.33", "1000000.00"), (2, "测试供应商甲", "81.50", "900000.00")]

    # only the tender's purchaser confirms
    for who in ("agency", "supplier", "supplier2"):
        refused = world.confirm(who, "supplier2")
        assert refused.status_code == 403, (who, refused.json)

    confirmed = world.confirm("purchaser", "supplier2")
    assert confirmed.status_code == 201, confirmed.json
    award = confirmed.json["award"]
    assert award["state"] == "proposed" and award["rank"] == 1 and award["reason"] is None
    assert award["price"] == "1000000.00" and award["winner"] == "测试供应商乙"
    confirmation = award["confirmation"]["public_id"]
    assert confirmed.json["next_stamp"] == confirmation
    # the agency does not see the confirmation before it is stamped; nobody but the purchaser stamps it
    assert world.state("agency")["award"]["confirmation"] is None
    assert world.stamp("agency", confirmation).status_code == 403

    stamped = world.stamp("purchaser", confirmation)
    assert stamped.status_code == 201, stamped.json
    state = world.state("agency")
    assert state["award"]["state"] == "confirmed" and state["award"]["confirmation"]["stamped"]
    assert any("中标人已确认" in text for text in _notices(world, "agency"))

    # double confirmation refused, and the stamped confirmation cannot be stamped again
    again = world.confirm("purchaser", "supplier")
    assert again.status_code == 409 and again.json["error"]["code"] == "award_confirmed", again.json
    assert world.stamp("purchaser", confirmation).status_code in (403, 409)

    # the agency's notices: only the agency makes them, once
    assert world.client("purchaser").post(world.url("/notices"), json={}).status_code == 403
    made = world.make_notices(performance_period="合同签订后 30 日内交货", contract_within_days=20)
    assert made.status_code == 201, made.json
    assert world.make_notices().json["error"]["code"] == "award_notices_exist"
    award = made.json["award"]
    notice = award["notice"]["public_id"]
    [result] = award["results"]
    assert result["party"] == "测试供应商甲" and result["rank"] == 2 and result["score"] == "81.50"
    assert made.json["next_stamp"] == notice

    # nothing reaches a bidder before the agency's stamp; the result notice waits for the award notice
    for who in ("supplier", "supplier2"):
        assert world.client(who).get(world.url("/my-notice")).status_code == 404, who
        assert world.client(who).get(world.url(f"/documents/{notice}")).status_code == 404, who
    first = world.stamp("agency", result["document"]["public_id"])
    assert first.status_code == 409 and first.json["error"]["code"] == "award_notice_first", first.json

    assert world.stamp("agency", notice).status_code == 201
    state = world.state("purchaser")
    assert state["award"]["state"] == "notified" and state["award"]["notified_at"]
    assert state["next_stamp"] == result["document"]["public_id"]
    mine = world.client("supplier2").get(world.url("/my-notice"))
    assert mine.status_code == 200 and mine.json["kind"] == "award_notice" and mine.json["winner"] == "测试供应商乙"
    assert world.client("supplier").get(world.url("/my-notice")).status_code == 404    # its own: not yet sent
    assert any("中标通知书" in text for text in _notices(world, "supplier2"))

    assert world.stamp("agency", result["document"]["public_id"]).status_code == 201
    theirs = world.client("supplier").get(world.url("/my-notice"))
    assert theirs.status_code == 200 and theirs.json["kind"] == "result_notice", theirs.json
    assert theirs.json["rank"] == 2 and theirs.json["winner"] == "测试供应商乙"
    assert any("中标结果通知书" in text for text in _notices(world, "supplier"))
    assert world.state("agency")["next_stamp"] is None

    # each bidder downloads only its own notice; the purchaser and the agency every document
    own = {"supplier2": notice, "supplier": result["document"]["public_id"]}
    for who, public_id in own.items():
        other = next(p for w, p in own.items() if w != who)
        assert world.client(who).get(world.url(f"/documents/{public_id}")).status_code == 200, who
        assert world.client(who).get(world.url(f"/documents/{other}")).status_code == 404, who
        assert world.client(who).get(world.url(f"/documents/{confirmation}")).status_code == 404, who
        assert world.client(who).get(f"/tenders/{world.tender_id}/award/documents/{other}.pdf").status_code == 404
        assert world.client(who).get(f"/tenders/{world.tender_id}/award/my-notice").status_code == 200
    for who in ("purchaser", "agency"):
        for public_id in (confirmation, notice, own["supplier"]):
            got = world.client(who).get(world.url(f"/documents/{public_id}"))
            assert got.status_code == 200 and got.data.startswith(b"%PDF-"), (who, public_id)

    # the stamped PDFs: the platform's verifier and pdfsig
    for name, public_id, who in (("confirmation", confirmation, "purchaser"), ("notice", notice, "supplier2"),
                                 ("result", own["supplier"], "supplier")):
        pdf = world.client(who).get(world.url(f"/documents/{public_id}")).data
        _verify(world, pdf, 1, tmp_path, name)

    # the audit log has every step
    from app.extensions import db
    with world.app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("award.%"))))
    assert actions == {"award.proposed", "award.confirmed", "award.notices_made", "award.notified",
                       "award.result_notice_sent"}

    with world.app.app_context():
        from support.auth import test_uow

        from bidding.award.services import require_notified_award
        row = require_notified_award(test_uow(world.app), world.tender_id)
        assert row.price == Decimal("1000000.00") and row.contract_within_days == 20
