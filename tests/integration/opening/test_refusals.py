"""Every refusal of a key submission has its code and changes nothing (docs/opening.md "Submit"):
garbage, a replayed or replaced context, a statement about another envelope or another tender's
opening certificate, a signature by another party's certificate, another bidder's bid, a wrong
content key (then a retry succeeds), and a bid already opened."""
from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import func, select
from support.bids import open_tender
from support.opening import (
    OPENING,
    b64,
    release,
    released_key,
    submit,
    submit_bid,
    unb64,
)

from bidding.audit.models import AuditEntry
from bidding.bids.models import Bid
from bidding.opening.models import BidOpening
from bidding.opening.statement import (
    ReleasedKey,
    build_key_release,
    seal_to,
    sign_key_release,
)
from pki.certs import load_certificate


def _snapshot(world):
    """Everything a refusal must leave alone: the opening's audit entries (a log-in adds its own)
    and every opening and bid row."""
    from app.extensions import db
    with world.app.app_context():
        rows = [(o.bid_id, o.state, o.context, o.attempts, o.platform_error) for o in
                db.session.scalars(select(BidOpening).order_by(BidOpening.id))]
        bids = [(b.public_id, b.state) for b in db.session.scalars(select(Bid).order_by(Bid.id))]
        audit = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.like("opening.%") | AuditEntry.action.like("bid.%")))
        return audit, rows, bids


def _signed(world, name: str, given: dict, *, sealed: bytes, opening_certificate=None, signer=None) -> ReleasedKey:
    """A statement over ``sealed`` signed by ``signer`` (default the bidder's signing holder)."""
    bidder, signer = world.bidders[name], signer or world.bidders[name].signing
    statement = build_key_release(
        context=given["context"], envelope=sealed, recipient_info=unb64(given["recipient_infos"][0]["recipient_info"]),
        unwrapped_with=bidder.encryption.cert,
        opening_certificate=opening_certificate or load_certificate(unb64(given["opening_certificate"])),
        signed_at=world.clock.now())
    sig = sign_key_release(statement, key=signer.key, certificate=signer.cert, chain=signer.chain,
                           signed_at=world.clock.now())
    return ReleasedKey(sealed, statement, sig)


def _other_tenders_opening_certificate(world):
    """A second tender in its window at the same time, with its own opening key."""
    from support.auth import test_uow

    from app.extensions import db
    from app.opening_keys import opening_keyring
    from bidding.opening.keys import ensure_opening_key
    from bidding.tenders.models import Tender
    other = open_tender(world.app, world.parties, title="另一个项目")
    with world.app.app_context():
        uow = test_uow(world.app)
        with uow:
            row = ensure_opening_key(uow, db.session.get(Tender, other), opening_keyring())
            uow.commit()
            return load_certificate(row.certificate_der)


def _refused(answer, status: int, code: str) -> None:
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code, answer.json


def test_refusals_change_nothing(opening_world, tmp_path):
    world = opening_world
    for name in ("supplier2", "supplier3"):
        submit_bid(world, tmp_path / "bidder", name)
    world.at(OPENING)
    other_certificate = _other_tenders_opening_certificate(world)

    given = release(world, "supplier3").json
    good = released_key(world, "supplier3", given)
    before = _snapshot(world)
    _refused(submit(world, "supplier3", {"envelope": "***", "statement": b64(good.statement),
                                         "signature": b64(good.signature)}), 400, "invalid_input")
    _refused(submit(world, "supplier3", {**good.to_dict(), "statement": b"\x30\x03garbage"}), 400,
             "key_release_invalid")
    _refused(submit(world, "supplier3", {**good.to_dict(), "signature": b"\x30\x03\x02\x01\x01"}), 400,
             "key_release_signature_invalid")
    # the statement names another envelope than the one sent
    opening_cert = load_certificate(unb64(given["opening_certificate"]))
    _refused(submit(world, "supplier3", {**good.to_dict(), "envelope": seal_to(os.urandom(16), opening_cert)}),
             400, "key_release_mismatch")
    # signed by the certificate of another party (the second supplier's, valid and bound there)
    _refused(submit(world, "supplier3", _signed(world, "supplier3", given, sealed=good.envelope,
                                                signer=world.bidders["supplier2"].signing)),
             403, "key_release_signer_not_bidder")
    # a statement made for another tender's opening certificate
    _refused(submit(world, "supplier3", _signed(world, "supplier3", given,
                                                sealed=seal_to(os.urandom(16), other_certificate),
                                                opening_certificate=other_certificate)), 400, "key_release_mismatch")
    # another bidder's bid
    _refused(submit(world, "supplier3", good, bid=world.bidders["supplier2"].bid), 404, "no_bid_to_open")
    # a context replaced by a newer release
    newer = release(world, "supplier3").json
    assert newer["context"] != given["context"]
    after_release = _snapshot(world)
    _refused(submit(world, "supplier3", good), 409, "opening_context_invalid")
    assert _snapshot(world) == after_release
    assert before[0] < after_release[0]          # only the release itself was recorded

    # the right key, with the current context: decrypted; replaying it is refused
    world.at(OPENING + timedelta(minutes=3))
    fresh = released_key(world, "supplier3", newer)
    done = submit(world, "supplier3", fresh)
    assert done.status_code == 200 and done.json["state"] == "decrypted", done.json
    _refused(submit(world, "supplier3", fresh), 409, "bid_already_opened")


def test_a_wrong_content_key_may_be_retried(opening_world, tmp_path):
    world = opening_world
    submit_bid(world, tmp_path / "bidder", "supplier2")          # EC: AES-256-GCM, a wrong key fails the tag
    world.at(OPENING)
    given = release(world, "supplier2").json
    opening_cert = load_certificate(unb64(given["opening_certificate"]))
    before = _snapshot(world)
    wrong = _signed(world, "supplier2", given, sealed=seal_to(os.urandom(32), opening_cert))
    _refused(submit(world, "supplier2", wrong), 422, "wrong_content_key")
    assert _snapshot(world) == before
    assert not world.opened("supplier2").exists()
    right = submit(world, "supplier2", released_key(world, "supplier2", given))
    assert right.status_code == 200 and right.json["state"] == "decrypted", right.json
