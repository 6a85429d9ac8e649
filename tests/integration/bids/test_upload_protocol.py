"""The resumable upload (docs/uploads.md) through the JSON API: start with size and SHA-256, PATCH
chunks at Upload-Offset, HEAD/GET for the offset, the bid and its receipt when the last byte is in.
Refusals of the protocol: a wrong offset (409 with the current offset), a chunk beyond the announced
size, too large, without its offset header or with another content type; a body cut off (what
arrived is kept, resume from there), a digest or size that does not match the announcement, another
party's upload, an expired or cancelled upload, a second request writing at the same time."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.bids import CHUNK_TYPE, patch, seal, start

from app.extensions import db
from bidding.bids.models import Bid, BidState, BidUpload, UploadState
from bidding.bids.uploads import BidStore, running_digests

PAYLOAD = b"bid package bytes " * 40_000          # ~700 KiB of plaintext, sealed per test


def _bids(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Bid))


def _upload_row(app, upload_id: str) -> BidUpload:
    with app.app_context():
        row = db.session.scalars(select(BidUpload).where(BidUpload.public_id == upload_id)).one()
        db.session.expunge(row)
        return row


def test_chunks_head_and_the_bid_with_its_receipt(bids, keys):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    started = start(client, bids.tender_id, data)
    assert started.status_code == 201, started.json
    body = started.json
    assert body["offset"] == 0 and body["size"] == len(data) and body["state"] == "receiving"
    assert started.headers["Location"] == body["url"] and started.headers["Upload-Offset"] == "0"
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["bid"] is None
    url, chunk = body["url"], 256 * 1024
    for offset in range(0, len(data) - chunk, chunk):
        answer = patch(client, url, offset, data[offset:offset + chunk])
        assert answer.status_code == 200, answer.json
        assert answer.json["offset"] == offset + chunk and answer.json["bid"] is None
        head = client.head(url)
        assert head.status_code == 200 and head.headers["Upload-Offset"] == str(offset + chunk)
        assert head.headers["Upload-Length"] == str(len(data)) and head.data == b""
    last = (len(data) - 1) // chunk * chunk
    done = patch(client, url, last, data[last:])
    assert done.status_code == 200, done.json
    bid = done.json["bid"]
    assert done.json["state"] == "completed" and done.json["offset"] == len(data)
    assert bid["state"] == "submitted" and bid["size"] == len(data) and bid["sha256"] == hashlib.sha256(data).hexdigest()
    assert bid["received_at"].startswith("2026-11-23T08:00:00") and bid["cipher"] == "aes-256-gcm"
    receipt = client.get(bid["receipt_url"])
    assert receipt.status_code == 200 and receipt.mimetype == "application/pkcs7-mime"
    assert receipt.data[:1] == b"\x30" and "attachment" in receipt.headers["Content-Disposition"]
    stored = BidStore(bids.store()).envelope_path(bid["sha256"])
    assert stored.read_bytes() == data
    assert not list((bids.store() / "uploads").iterdir())          # the .part file became the envelope
    status = client.get(url)
    assert status.json["state"] == "completed" and status.json["bid"]["id"] == bid["id"]
    assert client.get("/api/v1/bids").json[0]["id"] == bid["id"]


def test_a_wrong_offset_answers_409_with_the_current_offset(bids, keys):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    url = start(client, bids.tender_id, data).json["url"]
    assert patch(client, url, 0, data[:1000]).status_code == 200
    for wrong in (0, 999, 1001, 5000):
        answer = patch(client, url, wrong, data[wrong:wrong + 100])
        assert answer.status_code == 409, answer.json
        assert answer.json["error"]["code"] == "upload_offset_mismatch"
        assert answer.json["error"]["details"]["offset"] == 1000 and answer.headers["Upload-Offset"] == "1000"
    assert client.head(url).headers["Upload-Offset"] == "1000"
    assert patch(client, url, 1000, data[1000:]).json["bid"]["state"] == "submitted"


def test_resume_after_a_broken_connection_keeps_what_arrived(bids, keys):
    client = bids.client()
    data = seal(PAYLOAD, keys["ec"])
    url = start(client, bids.tender_id, data).json["url"]
    cut = 300_001
    broken = patch(client, url, 0, stream=io.BytesIO(data[:cut]), length=len(data))   # the connection drops
    assert broken.status_code == 400 and broken.json["error"]["code"] == "upload_chunk_incomplete"
    assert broken.json["error"]["details"]["offset"] == cut
    assert client.head(url).headers["Upload-Offset"] == str(cut)
    running_digests._items.clear()        # the next chunk lands on "another worker": digests at the end
    done = patch(client, url, cut, data[cut:])
    assert done.status_code == 200, done.json
    assert done.json["bid"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert BidStore(bids.store()).envelope_path(done.json["bid"]["sha256"]).read_bytes() == data


def test_a_digest_or_size_that_does_not_match_is_refused_and_removed(bids, keys):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    other = hashlib.sha256(b"something else").hexdigest()
    url = start(client, bids.tender_id, data, sha256=other).json["url"]
    answer = patch(client, url, 0, data)
    assert answer.status_code == 422 and answer.json["error"]["code"] == "bid_digest_mismatch"
    assert answer.json["error"]["details"]["received_sha256"] == hashlib.sha256(data).hexdigest()
    assert _upload_row(bids.app, url.rsplit("/", 1)[1]).state is UploadState.REFUSED
    assert not list((bids.store() / "uploads").iterdir()) and _bids(bids.app) == 0
    again = patch(client, url, len(data), b"")
    assert again.status_code == 409 and again.json["error"]["details"]["refusal"] == "bid_digest_mismatch"
    # more bytes than announced
    url = start(client, bids.tender_id, data, size=len(data) - 10).json["url"]
    too_long = patch(client, url, 0, data)
    assert too_long.status_code == 400 and too_long.json["error"]["code"] == "upload_exceeds_size"
    assert client.head(url).headers["Upload-Offset"] == "0"
    # the announced size with a changed last byte: the digest tells
    changed = data[:-1] + bytes([data[-1] ^ 1])
    url = start(client, bids.tender_id, data).json["url"]
    assert patch(client, url, 0, changed).json["error"]["code"] == "bid_digest_mismatch"
    assert _bids(bids.app) == 0


def test_the_request_itself_is_checked(bids, keys):
    client = bids.client()
    data = seal(b"small bid", keys["rsa"])
    url = start(client, bids.tender_id, data).json["url"]
    no_offset = client.patch(url, data=data, content_type=CHUNK_TYPE)
    assert no_offset.status_code == 400 and no_offset.json["error"]["code"] == "upload_offset_header"
    for bad in ("-1", "1e3", "", "٣"):
        assert patch(client, url, 0, data, headers={"Upload-Offset": bad}).status_code == 400
    wrong_type = patch(client, url, 0, data, content_type="application/json")
    assert wrong_type.status_code == 415 and wrong_type.json["error"]["code"] == "upload_content_type"
    bids.app.config["BID_MAX_CHUNK"] = 16
    too_big = patch(client, url, 0, data)
    assert too_big.status_code == 413 and too_big.json["error"]["details"]["max_chunk"] == 16
    bids.app.config["BID_MAX_CHUNK"] = 8 * 1024 ** 2
    assert patch(client, url, 0, data).status_code == 200
    for size, sha in ((0, None), (-5, None), (2 ** 40, None), (10, "xyz"), (10, "A" * 63)):
        body = {"size": size, "sha256": sha or hashlib.sha256(b"").hexdigest()}
        answer = client.post(f"/api/v1/tenders/{bids.tender_id}/uploads", json=body)
        assert answer.status_code in (400, 422), body          # the schema's 422, or the domain's 400
    too_large = client.post(f"/api/v1/tenders/{bids.tender_id}/uploads", json={"size": 2 ** 40, "sha256": "a" * 64})
    assert too_large.status_code == 400 and too_large.json["error"]["details"]["field"] == "size"


def test_another_partys_upload_is_not_found(bids, keys):
    data = seal(b"bid", keys["rsa"])
    url = start(bids.client(), bids.tender_id, data).json["url"]
    other = bids.client("supplier2")
    assert other.get(url).status_code == 404
    assert other.head(url).status_code == 404
    assert patch(other, url, 0, data).status_code == 404
    assert other.delete(url).status_code == 404
    assert bids.client().head(url).headers["Upload-Offset"] == "0"


def test_an_upload_expires_after_a_day_and_at_the_deadline(bids, keys, clock):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    url = start(client, bids.tender_id, data).json["url"]
    assert patch(client, url, 0, data[:1000]).status_code == 200
    clock.advance(hours=24)
    expired = patch(client, url, 1000, data[1000:])
    assert expired.status_code == 410 and expired.json["error"]["code"] == "upload_expired"
    assert not list((bids.store() / "uploads").iterdir())
    # a fresh upload started an hour before the deadline lives until the deadline only
    clock.set(bids_deadline(bids) - timedelta(hours=1))
    started = start(client, bids.tender_id, data)
    assert started.json["expires_at"].startswith(bids_deadline(bids).strftime("%Y-%m-%dT%H:%M:%S"))
    clock.set(bids_deadline(bids))
    late = patch(client, started.json["url"], 0, data)
    assert late.status_code == 410 and _bids(bids.app) == 0


def bids_deadline(bids):
    from support.bids import tender_of
    return tender_of(bids.app, bids.tender_id).bid_deadline


def test_cancel_and_a_busy_upload(bids, keys):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    url = start(client, bids.tender_id, data).json["url"]
    upload_id = url.rsplit("/", 1)[1]
    store = BidStore(bids.store())
    with store.open_part(upload_id):               # another request is writing
        busy = patch(client, url, 0, data)
        assert busy.status_code == 409 and busy.json["error"]["code"] == "upload_busy"
    assert client.delete(url).status_code == 204
    assert not store.upload_path(upload_id).exists()
    closed = patch(client, url, 0, data)
    assert closed.status_code == 409 and closed.json["error"]["code"] == "upload_closed"
    assert client.get(url).json["state"] == "cancelled"


def test_a_completed_upload_that_was_not_accepted_is_finished_by_an_empty_chunk(bids, keys):
    """The receipt service was down when the last byte arrived: nothing was accepted, the upload
    stays complete; an empty chunk later accepts it with the time the last byte arrived (R17)."""
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    arrived = bids.clock.now()

    def broken(app):
        from bidding.bids.services import ReceiptsUnavailable
        raise ReceiptsUnavailable()
    url = start(client, bids.tender_id, data).json["url"]
    bids.app.config["BID_RECEIPTS_FACTORY"] = broken
    bids.app.extensions.pop("bid_receipts", None)
    down = patch(client, url, 0, data)
    assert down.status_code == 503 and down.json["error"]["code"] == "receipts_unavailable"
    assert client.head(url).headers["Upload-Offset"] == str(len(data)) and _bids(bids.app) == 0
    bids.app.config.pop("BID_RECEIPTS_FACTORY")
    bids.app.extensions.pop("bid_receipts", None)
    bids.clock.advance(seconds=20)
    done = patch(client, url, len(data), b"")
    assert done.status_code == 200, done.json
    assert done.json["bid"]["received_at"].startswith(arrived.strftime("%Y-%m-%dT%H:%M:%S"))
    with bids.app.app_context():
        assert db.session.scalars(select(Bid)).one().state is BidState.SUBMITTED


def test_a_crash_after_the_envelope_was_moved_into_place_loses_nothing(bids, keys):
    """The process dies after the rename and before the commit (here: an exception no handler
    expects): no bid, no receipt; the envelope is in place; the empty last chunk accepts it."""
    client = bids.client()
    data = seal(PAYLOAD, keys["sm2"])
    url = start(client, bids.tender_id, data).json["url"]

    class Crash:
        def __init__(self, app):
            pass

        def issue(self, fields, *, signing_time):
            raise RuntimeError("the process dies here")
    bids.app.config["BID_RECEIPTS_FACTORY"] = Crash
    bids.app.extensions.pop("bid_receipts", None)
    with pytest.raises(RuntimeError):
        patch(client, url, 0, data)
    assert _bids(bids.app) == 0
    store = BidStore(bids.store())
    assert store.envelope_path(hashlib.sha256(data).hexdigest()).read_bytes() == data
    assert not store.upload_path(url.rsplit("/", 1)[1]).exists()
    bids.app.config.pop("BID_RECEIPTS_FACTORY")
    bids.app.extensions.pop("bid_receipts", None)
    assert client.head(url).headers["Upload-Offset"] == str(len(data))
    done = patch(client, url, len(data), b"")
    assert done.status_code == 200, done.json
    assert done.json["bid"]["sha256"] == hashlib.sha256(data).hexdigest() and _bids(bids.app) == 1
