"""The evaluation report (评标报告) as a platform document signed inside the PDF: every expert signs
with its event certificate after a fresh code (PAdES, one revision each, in any order), then the
agency stamps through its agent; the project's verifier and pdfsig accept every signature, a changed
revision is caught, and the refusals: twice, out of turn, without a code, with an expired event
certificate, by an expert of no panel; ``require_final_report`` before and after."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from support.auth import test_uow
from support.pdfwitness import pdfsig_verdicts

from bidding.evaluation.errors import ReportMissing, ReportNotFinal
from bidding.evaluation.report import require_final_report
from pki.pdf import verify_pdf


def _require(world):
    with world.app.app_context():
        return require_final_report(test_uow(world.app), world.tender_id).public_id


def _trust(world):
    from app.certificates.proof import crls
    from app.trust import trust_list
    with world.app.app_context():
        return trust_list(), crls()


def test_every_expert_signs_in_the_pdf_then_the_agency_stamps(report_world, tmp_path):
    world, ev = report_world, report_world.ev
    a, b, c = ev.evaluators
    with pytest.raises(ReportMissing):
        _require(world)
    generated = world.generate()
    assert generated.status_code == 201, generated.json
    public_id = generated.json["document"]
    assert [s["role"] for s in generated.json["signers"]] == ["expert:1", "expert:2", "expert:3", "agency"]
    assert [s["name"] for s in generated.json["signers"][:3]] == [ev.base.names[k] for k in (a, b, c)]
    assert world.generate().json["error"]["code"] == "report_exists"

    # the agency cannot stamp before every expert signed; the purchaser cannot read it yet
    early = world.stamp(public_id)
    assert early.status_code == 409 and early.json["error"]["code"] == "document_not_your_turn", early.json
    purchaser = ev.base.client("purchaser")
    assert purchaser.get(world.url).json["error"]["code"] == "report_not_final"
    assert purchaser.get(f"{world.url}.pdf").status_code == 409

    # the experts sign in any order; each signature is one more revision; nobody signs twice
    for n, key in enumerate((c, a, b), start=2):
        signed = world.sign(key)
        assert signed.status_code == 201, signed.json
        assert signed.json["current_revision"] == n
        with pytest.raises(ReportNotFinal):
            _require(world)
    again = world.request(a)
    assert again.status_code == 409 and again.json["error"]["code"] == "document_already_stamped", again.json
    assert world.ev.agency().get(f"/api/v1/tenders/{world.tender_id}/evaluation").json["report_signed"] is True

    stamped = world.stamp(public_id)
    assert stamped.status_code == 201, stamped.json
    assert _require(world) == public_id
    final = purchaser.get(world.url)
    assert final.status_code == 200 and final.json["final"] and final.json["current_revision"] == 5
    pdf = purchaser.get(f"{world.url}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    # the project's verifier: four signatures, the experts' with their event certificates, all valid
    trust, crls = _trust(world)
    report = verify_pdf(pdf.data, trust=trust, crls=crls, at=ev.base.clock.now())
    assert report.ok(), [s.problems for s in report.signatures]
    assert [s.field_name for s in report.signatures] == ["sig-expert-3", "sig-expert-1", "sig-expert-2", "seal-agency"]
    assert [s.algorithm for s in report.signatures] == ["ec", "ec", "ec", "rsa"]
    for signature, key in zip(report.signatures[:3], (c, a, b)):
        assert ev.base.names[key] in signature.signer_subject and signature.timestamp_time is not None
        assert signature.seal_png is not None and signature.signer_name == ev.base.names[key]
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    assert pdfsig_verdicts(path) == ["Signature is Valid."] * 4

    # a revision changed after the signatures is caught
    data = bytearray(pdf.data)
    at = data.index(b"/Type /Page", 100)
    data[at + 1] ^= 0x01
    changed = verify_pdf(bytes(data), trust=trust, crls=crls, at=ev.base.clock.now())
    assert not changed.ok()
    # the documents API shows the agency the experts as signers with no party, and their revisions
    listed = ev.agency().get(f"/api/v1/documents/{public_id}").json
    assert [(s["party_id"] is None, s["expert_id"] is not None) for s in listed["signers"]] == \
        [(True, True)] * 3 + [(False, False)]
    assert [r["signer_expert_id"] is not None for r in listed["revisions"]] == [False, True, True, True, False]
    # the public record names the experts
    record = ev.base.client().get(f"/verify?doc={public_id}").get_data(as_text=True)
    assert "评审专家1" in record and ev.base.names[a] in record


def _current_revision(world) -> int:
    return world.ev.agency().get(world.url).json["current_revision"]


def test_no_code_no_signature_and_a_code_binds_the_revision(report_world):
    world, ev = report_world, report_world.ev
    a, b, _ = ev.evaluators
    assert world.generate().status_code == 201
    requested = world.request(a)
    assert requested.status_code == 201, requested.json
    wrong = "000000" if ev.base.last_code(a) != "000000" else "111111"
    refused = world.confirm(a, requested.json["id"], wrong)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "code_invalid", refused.json
    assert world.confirm(a, requested.json["id"], "").status_code in (400, 422)
    assert _current_revision(world) == 1
    # b signs meanwhile: a's code was for revision 1, so it no longer signs anything
    assert world.sign(b).status_code == 201
    stale = world.confirm(a, requested.json["id"])
    assert stale.status_code == 400 and "新的版本" in stale.json["error"]["message"], stale.json
    assert _current_revision(world) == 2
    # another expert's request is not a's
    other = world.request(b)
    assert other.status_code == 409 and other.json["error"]["code"] == "document_already_stamped"
    fresh = world.sign(a)
    assert fresh.status_code == 201, fresh.json
    assert _current_revision(world) == 3


def test_an_expired_event_certificate_cannot_sign(report_world):
    from app.extensions import db
    from bidding.experts.models import EventCertificate
    world, ev = report_world, report_world.ev
    key = ev.evaluators[0]
    assert world.generate().status_code == 201
    with world.app.app_context():
        cert = db.session.scalars(select(EventCertificate).where(EventCertificate.expert_id == ev.base.experts[key])
                                  .order_by(EventCertificate.id.desc())).first()
        not_after = cert.not_after
    ev.base.clock.set(not_after - timedelta(minutes=3))
    ev.clients[key] = ev.base.expert_client(key)         # the sign-in session lasts two hours too
    requested = world.request(key)              # still valid: the code is bound to this certificate
    assert requested.status_code == 201, requested.json
    ev.base.clock.set(not_after + timedelta(minutes=1))
    late = world.confirm(key, requested.json["id"])
    assert late.status_code == 409 and late.json["error"]["code"] == "event_certificate_expired", late.json
    assert _current_revision(world) == 1
    # a new request makes a new event certificate, which signs
    signed = world.sign(key)
    assert signed.status_code == 201, signed.json


def test_only_the_panels_experts_sign_and_read_it(report_world):
    world, ev = report_world, report_world.ev
    assert world.generate().status_code == 201
    outsider = ev.base.expert_client("builder")          # in the pool, on no panel of this tender
    for answer in (outsider.get(world.expert_url()), outsider.get(world.expert_url(".pdf")),
                   outsider.post(world.expert_url("/signature-requests")),
                   outsider.post(world.expert_url("/signature"), json={"request_id": 1, "code": "123456"})):
        assert answer.status_code == 404 and answer.json["error"]["code"] == "evaluation_unknown", answer.json
    anonymous = ev.app.test_client()
    assert anonymous.post(world.expert_url("/signature-requests")).status_code == 401
    for who in ("supplier", "supplier2"):
        assert ev.base.client(who).get(world.url).status_code in (403, 404)
    assert _current_revision(world) == 1


def test_the_report_pages(report_world):
    import re
    world, ev = report_world, report_world.ev
    agency = ev.agency()
    page = f"/tenders/{world.tender_id}/evaluation/report"
    assert "生成评标报告" in agency.get(page).get_data(as_text=True)
    assert "评标报告" in agency.get(f"/tenders/{world.tender_id}").get_data(as_text=True)
    made = agency.post(f"{page}/generate", follow_redirects=True).get_data(as_text=True)
    assert "评标报告已生成" in made and "待评审专家签名" in made
    for key in ev.evaluators:
        client = ev.clients[key]
        url = f"/experts/evaluations/{world.tender_id}/report"
        assert "评标报告" in client.get("/experts/assignments").get_data(as_text=True)
        assert client.get(f"{url}.pdf").data.startswith(b"%PDF")
        ev.tick()
        asked = client.post(f"{url}/sign", data={"action": "code"}, follow_redirects=True).get_data(as_text=True)
        request_id = re.search(r'name="request_id" value="(\d+)"', asked).group(1)
        done = client.post(f"{url}/sign", follow_redirects=True, data={
            "action": "confirm", "request_id": request_id, "code": ev.base.last_code(key)}).get_data(as_text=True)
        assert "已在评标报告上签名" in done and "您已在评标报告上签名" in done
    shown = agency.get(page).get_data(as_text=True)
    assert "待代理机构签章" in shown and 'id="stamp-panel"' in shown
    purchaser = ev.base.client("purchaser")
    assert "尚未完成签署" in purchaser.get(page).get_data(as_text=True)
    assert world.stamp(world.ev.agency().get(world.url).json["document"]).status_code == 201
    final = purchaser.get(page).get_data(as_text=True)
    assert "已完成签署" in final and 'id="stamp-panel"' not in final
    assert purchaser.get(f"/tenders/{world.tender_id}/evaluation/report.pdf").data.startswith(b"%PDF")
