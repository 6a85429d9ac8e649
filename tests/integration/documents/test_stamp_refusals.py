"""Every refusal of a stamp names its rule, through the JSON API, and changes nothing: a binding of
another party, a log-in-only certificate (R4), a sub-key without a seal (R6), a seal whose
certificate is no longer valid (R22), a revoked certificate, an encryption certificate, an inactive
binding; a party that does not sign the document, whose turn it is not, that already stamped, or a
document that a revised agreement replaced."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from support.agreements import client_as, draft
from support.stamping import CLOCK_T, bind, issue_signer, party_identity, stamp_via_api

from app.extensions import db
from bidding.audit.models import AuditEntry
from bidding.certificates.models import BindingState, CertificateBinding, CertificatePurpose
from bidding.documents.models import DocumentRevision, StampSession


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(DocumentRevision)),
                db.session.scalar(select(func.count()).select_from(StampSession)),
                db.session.scalar(select(func.count()).select_from(AuditEntry)))


def _prepare(client, public_id: str, binding_id: int):
    return client.post(f"/api/v1/documents/{public_id}/stamp-sessions", json={"binding_id": binding_id})


def _refused(answer, status: int, code: str) -> None:
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code, answer.json
    assert answer.json["error"]["message"]


def test_a_binding_of_another_party(world, bound):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    before = _counts(app)
    _refused(_prepare(purchaser, agreement["document"]["public_id"], bound["agency"]), 403, "binding_of_another_party")
    _refused(_prepare(purchaser, agreement["document"]["public_id"], 999999), 404, "binding_not_found")
    assert _counts(app) == before


def test_r6_a_sub_key_without_seal(world, ca):
    app, _, parties = world
    sub_key = issue_signer(ca, party_identity("purchaser"), algorithm="rsa", seal_kind=None)
    binding = bind(app, parties["purchaser"], sub_key, ca, seal=False)
    purchaser, agreement = draft(app, parties)
    answer = _prepare(purchaser, agreement["document"]["public_id"], binding)
    _refused(answer, 400, "stamp_no_seal")
    assert "副锁" in answer.json["error"]["message"] and "R6" in answer.json["error"]["message"]


def test_r4_a_certificate_not_issued_for_this_platform(world, ca):
    app, _, parties = world
    other = issue_signer(ca, party_identity("purchaser"), algorithm="rsa", platform=False, seal_kind=None)
    binding = bind(app, parties["purchaser"], other, ca, seal=False)
    purchaser, agreement = draft(app, parties)
    answer = _prepare(purchaser, agreement["document"]["public_id"], binding)
    _refused(answer, 400, "stamp_not_platform_certificate")
    assert "本平台专用" in answer.json["error"]["message"] and "R4" in answer.json["error"]["message"]


def test_r22_the_seal_ends_with_its_certificate(world, ca, clock):
    app, _, parties = world
    short = issue_signer(ca, party_identity("purchaser"), algorithm="ec", not_before=CLOCK_T - timedelta(days=30),
                         not_after=CLOCK_T + timedelta(days=1))
    binding = bind(app, parties["purchaser"], short, ca)
    purchaser, agreement = draft(app, parties)
    clock.advance(days=2)
    answer = _prepare(purchaser, agreement["document"]["public_id"], binding)
    _refused(answer, 400, "stamp_seal_not_valid")
    assert "R22" in answer.json["error"]["message"]


def test_a_revoked_certificate(world, ca):
    app, _, parties = world
    revoked = issue_signer(ca, party_identity("purchaser"), algorithm="rsa")
    binding = bind(app, parties["purchaser"], revoked, ca)
    ca.revoke(revoked.record.serial, "key_compromise", at=CLOCK_T - timedelta(minutes=30))
    try:
        purchaser, agreement = draft(app, parties)
        answer = _prepare(purchaser, agreement["document"]["public_id"], binding)
        _refused(answer, 400, "stamp_binding_refused")
        assert "吊销" in answer.json["error"]["message"]
    finally:
        ca.publish_crls(at=CLOCK_T - timedelta(hours=1))


def test_an_inactive_binding_and_an_encryption_certificate(world, bound):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    with app.app_context():
        binding = db.session.get(CertificateBinding, bound["purchaser"])
        binding.purpose = CertificatePurpose.ENCRYPTION
        db.session.commit()
    _refused(_prepare(purchaser, public_id, bound["purchaser"]), 400, "stamp_certificate_cannot_sign")
    with app.app_context():
        binding = db.session.get(CertificateBinding, bound["purchaser"])
        binding.purpose, binding.state = CertificatePurpose.SIGNING, BindingState.SUPERSEDED
        db.session.commit()
    _refused(_prepare(purchaser, public_id, bound["purchaser"]), 409, "stamp_binding_inactive")


def test_who_stamps_and_when(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    agency, supplier = client_as(app, "agency"), client_as(app, "supplier")
    _refused(_prepare(agency, public_id, bound["agency"]), 409, "document_not_your_turn")
    _refused(_prepare(supplier, public_id, 1), 403, "document_not_a_signer")
    _refused(_prepare(purchaser, "NO-SUCH-DOCUMENT", bound["purchaser"]), 404, "document_not_found")
    assert stamp_via_api(purchaser, public_id, bound["purchaser"], purchaser_signer).status_code == 201
    _refused(_prepare(purchaser, public_id, bound["purchaser"]), 409, "document_already_stamped")

    # the agency refuses, the purchaser revises: the old document cannot be stamped any more
    assert agency.post(f"/api/v1/agreements/{agreement['id']}/refusal", json={"reason": "预算金额有误"}).status_code == 200
    _refused(_prepare(agency, public_id, bound["agency"]), 409, "agreement_state")
    from support.agreements import TERMS
    revised = purchaser.put(f"/api/v1/agreements/{agreement['id']}/terms",
                            json={**TERMS, "agency_id": parties["agency"], "budget": "1100000.00"})
    assert revised.status_code == 200, revised.json
    assert revised.json["document"]["public_id"] != public_id
    _refused(_prepare(agency, public_id, bound["agency"]), 409, "document_stamp_not_allowed")
    _refused(_prepare(agency, revised.json["document"]["public_id"], bound["agency"]), 409, "document_not_your_turn")
