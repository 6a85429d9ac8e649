"""R15, the platform's fault: a bid whose envelope the store lost cannot be opened; the submission
is answered 503 with the fault recorded on the bid, and when the window closes that bid is
withdrawn (撤回), not revoked (撤销); the opening goes on for the others."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support.auth import test_uow
from support.opening import (
    OPENING,
    WINDOW,
    open_bid_of,
    release,
    released_key,
    submit,
    submit_bid,
)

from app.opening_keys import opening_keyring
from bidding.bids.models import Bid, BidState
from bidding.bids.uploads import BidStore
from bidding.opening.models import BidOpening, OpeningState
from bidding.opening.services import close_window


def test_a_lost_envelope_is_the_platforms_fault(opening_world, tmp_path):
    world = opening_world
    lost = submit_bid(world, tmp_path / "bidder", "supplier3")
    submit_bid(world, tmp_path / "bidder", "supplier2")
    world.at(OPENING + timedelta(minutes=1))
    given = release(world, "supplier3").json
    from app.extensions import db
    with world.app.app_context():
        sha = db.session.scalars(select(Bid.sha256).where(Bid.public_id == lost)).one()
    BidStore(world.store).envelope_path(sha).unlink()

    answer = submit(world, "supplier3", released_key(world, "supplier3", given))
    assert answer.status_code == 503 and answer.json["error"]["code"] == "opening_platform_error", answer.json
    again = release(world, "supplier3")                     # the store is still without it
    assert again.status_code == 503
    assert open_bid_of(world, "supplier2").status_code == 200          # the others go on

    with world.app.app_context():
        opening = db.session.scalars(select(BidOpening).join(Bid, Bid.id == BidOpening.bid_id)
                                     .where(Bid.public_id == lost)).one()
        assert opening.platform_error and opening.platform_error_at == OPENING + timedelta(minutes=1)
        assert opening.failure_code == "envelope_unreadable"
    world.at(OPENING + WINDOW)
    with world.app.app_context():
        report = close_window(test_uow(world.app), world.tender_id, opening_keyring())
        assert (report.decrypted, report.withdrawn, report.invalid) == (1, 1, 0)
        bid = db.session.scalars(select(Bid).where(Bid.public_id == lost)).one()
        opening = db.session.scalars(select(BidOpening).where(BidOpening.bid_id == bid.id)).one()
        assert (bid.state, opening.state) == (BidState.WITHDRAWN, OpeningState.WITHDRAWN)
