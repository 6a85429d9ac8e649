"""R11 after an amendment: when the opening moves so late that the certificate a submitted bid is
encrypted to expires before the decryption window ends, the bidder is told at once (it can still
withdraw, renew and submit again before the deadline); bidders whose certificates last are not."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support.auth import test_uow
from support.bids import seal, upload

from app.extensions import db
from bidding.bids.expiry import warn_bids_expiring_before_window_end
from bidding.parties.models import Notice
from bidding.tenders.listeners import times_changed
from bidding.tenders.models import Tender


def _notices(party_id: int) -> list[str]:
    return list(db.session.scalars(select(Notice.text).where(Notice.party_id == party_id).order_by(Notice.id)))


def test_an_opening_moved_past_the_certificate_warns_its_bidder(bids, keys):
    rsa_only = upload(bids.client(), bids.tender_id, seal(b"bid one", keys["rsa"]))
    assert rsa_only.status_code == 200, rsa_only.json
    other = upload(bids.client("supplier2"), bids.tender_id, seal(b"bid two", keys["other"]))
    assert other.status_code == 200, other.json
    expiry = keys["rsa"].cert["tbs_certificate"]["validity"]["not_after"].native
    with bids.app.app_context():
        uow = test_uow(bids.app)
        with uow:
            tender = db.session.get(Tender, bids.tender_id)
            assert warn_bids_expiring_before_window_end(uow, tender) == []      # the times as published: fine
            tender.opening_at = expiry - tender.decryption_window              # the window ends as it expires
            assert warn_bids_expiring_before_window_end(uow, tender) == []
            tender.opening_at = expiry + timedelta(days=1)
            times_changed(uow, tender)                                          # as an amendment calls it
            uow.commit()
        texts = _notices(bids.parties["supplier"])
        assert len([t for t in texts if rsa_only.json["bid"]["id"] in t]) == 1
        assert "撤回" in texts[-1] and "renew" in texts[-1]
        assert any(other.json["bid"]["id"] in t for t in _notices(bids.parties["supplier2"]))


def test_certificates_that_last_are_not_warned(bids, keys):
    answer = upload(bids.client(), bids.tender_id, seal(b"bid", keys["rsa"], keys["ec"]))
    assert answer.status_code == 200, answer.json
    with bids.app.app_context():
        uow = test_uow(bids.app)
        with uow:
            tender = db.session.get(Tender, bids.tender_id)
            tender.opening_at += timedelta(days=30)
            assert warn_bids_expiring_before_window_end(uow, tender) == []
