"""R10 for bids: while a bid encrypted to a certificate is pending (submitted, not withdrawn or
replaced, the decryption window not over), the service desk refuses its renewal, change and
replacement, naming the tender and what to do (before the deadline: withdraw, renew, self-test,
submit again; after it: wait until the opening is over); a withdrawal, a replacement to another
certificate or the end of the window releases it. Under concurrency a renewal and an upload racing
for the same certificate never both succeed (row locks on the binding; threads and a barrier,
many rounds, on PostgreSQL and SQLite)."""
from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from support.bids import CA_T0, bind_encryption, issue, party_identity, patch, seal, start, tender_of, upload

from app import context
from app.extensions import db
from bidding.bids.models import Bid, BidRecipient, BidState
from bidding.bids.pending import AFTER_DEADLINE, BEFORE_DEADLINE
from bidding.certificates.guard import change_blocked_by
from bidding.certificates.models import BindingState, CertificateBinding

PAYLOAD = b"sealed bid package " * 2000


def _renewable(bids, bid_ca) -> tuple:
    """An encryption certificate of the supplier inside the R7 renewal window (60 days left), bound."""
    holder = issue(bid_ca, party_identity("supplier"), algorithm="rsa", not_before=CA_T0,
                   not_after=bids.clock.now() + timedelta(days=60))
    return holder, bind_encryption(bids.app, bids.parties["supplier"], holder)


def _service(client, binding_id: int, kind: str, **extra):
    return client.post(f"/api/v1/certificates/{binding_id}/service-requests", json={"kind": kind, **extra})


def _items(bids, binding_id: int):
    with bids.app.test_request_context():
        return change_blocked_by(context.uow(), db.session.get(CertificateBinding, binding_id))


def test_a_pending_bid_blocks_renewal_change_and_replacement(bids, bid_ca):
    holder, binding_id = _renewable(bids, bid_ca)
    client = bids.client()
    bid = upload(client, bids.tender_id, seal(PAYLOAD, holder)).json["bid"]
    tender = tender_of(bids.app, bids.tender_id)
    items = _items(bids, binding_id)
    assert [(i.kind, i.id, i.deadline, i.advice) for i in items] == [("bid", bid["id"], tender.bid_deadline,
                                                                      BEFORE_DEADLINE)]
    assert tender.public_id in items[0].title
    for kind, extra in (("renewal", {}), ("change_subject", {"name": "测试供应商甲（新）"}), ("replace_key", {})):
        refused = _service(client, binding_id, kind, **extra)
        assert refused.status_code == 409, refused.json
        error = refused.json["error"]
        assert error["code"] == "certificate_change_blocked"
        assert tender.public_id in error["message"] and "撤回" in error["message"] and "加解密测试" in error["message"]
        assert error["details"]["items"][0]["id"] == bid["id"]
    with bids.app.app_context():
        assert db.session.get(CertificateBinding, binding_id).state is BindingState.ACTIVE
    assert client.post(f"/api/v1/bids/{bid['id']}/withdrawal").status_code == 201
    assert _items(bids, binding_id) == []
    renewed = _service(client, binding_id, "renewal")
    assert renewed.status_code == 201, renewed.json


def test_after_the_deadline_the_advice_is_to_wait_and_the_window_end_releases(bids, bid_ca):
    holder, binding_id = _renewable(bids, bid_ca)
    client = bids.client()
    upload(client, bids.tender_id, seal(PAYLOAD, holder))
    tender = tender_of(bids.app, bids.tender_id)
    bids.clock.set(tender.bid_deadline)
    items = _items(bids, binding_id)
    assert [(i.deadline, i.advice) for i in items] == [(tender.window_end, AFTER_DEADLINE)]
    assert _service(client, binding_id, "renewal").status_code == 409
    bids.clock.set(tender.window_end - timedelta(milliseconds=1))
    assert len(_items(bids, binding_id)) == 1
    bids.clock.set(tender.window_end)
    assert _items(bids, binding_id) == []
    assert _service(client, binding_id, "renewal").status_code == 201


def test_a_replacement_to_another_certificate_releases_the_first(bids, bid_ca, keys):
    holder, binding_id = _renewable(bids, bid_ca)
    client = bids.client()
    upload(client, bids.tender_id, seal(PAYLOAD, holder))
    assert len(_items(bids, binding_id)) == 1
    upload(client, bids.tender_id, seal(PAYLOAD, keys["sm2"]))
    assert _items(bids, binding_id) == []
    assert len(_items(bids, bids.bindings["sm2"])) == 1


ROUNDS = 20


def test_a_renewal_and_an_upload_racing_for_one_certificate_never_both_succeed(bids, bid_ca):
    """The renewal starts up to 100 ms after the last chunk (a seeded spread), so both orders and the
    overlaps between them occur."""
    uploader, desk = bids.client(), bids.client()
    delays = random.Random(1015)
    outcomes = []
    for _ in range(ROUNDS):
        delay = delays.uniform(0, 0.1)
        holder, binding_id = _renewable(bids, bid_ca)
        data = seal(PAYLOAD, holder)
        url = start(uploader, bids.tender_id, data).json["url"]
        assert patch(uploader, url, 0, data[:-100]).status_code == 200
        barrier = threading.Barrier(2)
        answers: dict[str, object] = {}

        def finish_upload() -> None:
            barrier.wait()
            answers["upload"] = patch(uploader, url, len(data) - 100, data[-100:])

        def renew() -> None:
            barrier.wait()
            time.sleep(delay)
            answers["renewal"] = _service(desk, binding_id, "renewal")

        threads = [threading.Thread(target=finish_upload), threading.Thread(target=renew)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        uploaded, renewed = answers["upload"], answers["renewal"]
        assert not (uploaded.status_code == 200 and renewed.status_code == 201), "both succeeded"
        if uploaded.status_code == 200:
            assert renewed.status_code == 409 and renewed.json["error"]["code"] == "certificate_change_blocked"
        else:
            assert renewed.status_code == 201, renewed.json
            assert uploaded.status_code == 422 and uploaded.json["error"]["code"] == "bid_recipient_refused"
        with bids.app.app_context():
            binding = db.session.get(CertificateBinding, binding_id)
            pending = db.session.scalars(select(Bid).join(BidRecipient, BidRecipient.bid_id == Bid.id).where(
                BidRecipient.binding_id == binding_id, Bid.state == BidState.SUBMITTED)).all()
            assert (binding.state is BindingState.ACTIVE) == bool(pending)
        outcomes.append("upload" if uploaded.status_code == 200 else "renewal")
    print("race winners:", outcomes)
