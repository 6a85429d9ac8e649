"""Withdrawal and replacement before the deadline (R17), each with a receipt; nothing at or after it.
A replaced or withdrawn bid stays on disk and in the audit log. Every receipt verifies with
``pki.receipts.verify_receipt`` and offline with the OpenSSL command line as docs/formats.md says
(``openssl cms -verify -inform DER -CAfile … -purpose any`` prints the canonical JSON; ``openssl ts
-verify`` accepts the token over the signature value), and names exactly the envelope stored."""
from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import timedelta

from sqlalchemy import select
from support.bids import root_pem, seal, tender_of, upload
from support.bidtool_env import openssl
from support.receipts import docs_recipe

from app.extensions import db
from bidding.audit.models import AuditEntry
from bidding.bids.models import Bid, BidState
from bidding.bids.uploads import BidStore
from bidding.parties.models import Party
from pki.certs import load_certificate
from pki.receipts import verify_receipt

PAYLOAD = b"sealed bid package " * 3000


def _verify(bid_ca, der: bytes):
    root = load_certificate(root_pem(bid_ca).read_bytes())
    check = verify_receipt(der, trust_roots=[root], tsa_roots=[root])
    assert check.ok, check.reasons
    return check.fields


def test_withdrawal_before_the_deadline_with_its_receipt(bids, keys, bid_ca):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    bid = upload(client, bids.tender_id, data).json["bid"]
    bids.clock.advance(hours=1)
    answer = client.post(f"/api/v1/bids/{bid['id']}/withdrawal")
    assert answer.status_code == 201, answer.json
    assert answer.json["bid"]["state"] == "withdrawn"
    der = client.get(answer.json["receipt_url"]).data
    fields = _verify(bid_ca, der)
    assert (fields.action, fields.bid, fields.replaces) == ("withdrawn", bid["id"], None)
    assert fields.sha256 == hashlib.sha256(data).hexdigest() and fields.size == len(data)
    assert fields.received_at == bids.clock.now()
    assert client.get(answer.json["bid"]["withdrawal_receipt_url"]).data == der
    assert BidStore(bids.store()).envelope_path(bid["sha256"]).read_bytes() == data      # kept
    again = client.post(f"/api/v1/bids/{bid['id']}/withdrawal")
    assert again.status_code == 409 and again.json["error"]["code"] == "bid_not_pending"
    with bids.app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["bid.submitted", "bid.withdrawn"]


def test_replacement_keeps_the_replaced_bid_on_disk_and_in_the_log(bids, keys, bid_ca):
    client = bids.client()
    first_data, second_data = seal(PAYLOAD, keys["rsa"]), seal(PAYLOAD + b"revised", keys["sm2"])
    first = upload(client, bids.tender_id, first_data).json["bid"]
    bids.clock.advance(minutes=5)
    second = upload(client, bids.tender_id, second_data)
    assert second.status_code == 200, second.json
    second = second.json["bid"]
    assert second["replaces"] == first["id"]
    fields = _verify(bid_ca, client.get(second["receipt_url"]).data)
    assert (fields.action, fields.replaces, fields.bid) == ("submitted", first["id"], second["id"])
    mine = {b["id"]: b for b in client.get(f"/api/v1/bids?tender_id={bids.tender_id}").json}
    assert mine[first["id"]]["state"] == "replaced" and mine[first["id"]]["replaced_by"] == second["id"]
    assert mine[second["id"]]["state"] == "submitted"
    store = BidStore(bids.store())
    assert store.envelope_path(first["sha256"]).read_bytes() == first_data
    assert store.envelope_path(second["sha256"]).read_bytes() == second_data
    with bids.app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "bid.submitted")
                                     .order_by(AuditEntry.id)).all()
        assert [json.loads(e.details)["replaces"] for e in entries] == [None, first["id"]]
    # the replaced bid cannot be withdrawn; the current one can
    assert client.post(f"/api/v1/bids/{first['id']}/withdrawal").status_code == 409
    assert client.post(f"/api/v1/bids/{second['id']}/withdrawal").status_code == 201


def test_nothing_at_or_after_the_deadline(bids, keys):
    client = bids.client()
    bid = upload(client, bids.tender_id, seal(PAYLOAD, keys["rsa"])).json["bid"]
    deadline = tender_of(bids.app, bids.tender_id).bid_deadline
    bids.clock.set(deadline)
    late = client.post(f"/api/v1/bids/{bid['id']}/withdrawal")
    assert late.status_code == 409 and late.json["error"]["code"] == "bid_deadline_passed"
    replace = client.post(f"/api/v1/tenders/{bids.tender_id}/uploads", json={"size": 10, "sha256": "0" * 64})
    assert replace.status_code == 409 and replace.json["error"]["code"] == "bid_deadline_passed"
    page = client.get(f"/tenders/{bids.tender_id}/bid").get_data(as_text=True)
    assert "投标已截止" in page and "withdraw-button" not in page
    with bids.app.app_context():
        assert db.session.scalars(select(Bid)).one().state is BidState.SUBMITTED
    bids.clock.set(deadline - timedelta(milliseconds=1))
    assert client.post(f"/api/v1/bids/{bid['id']}/withdrawal").status_code == 201


def test_the_receipt_verifies_with_openssl_as_documented(bids, keys, bid_ca, tmp_path):
    client = bids.client()
    data = seal(PAYLOAD, keys["ec"])
    bid = upload(client, bids.tender_id, data).json["bid"]
    receipt = client.get(bid["receipt_url"])
    (tmp_path / "receipt.der").write_bytes(receipt.data)
    (tmp_path / "root.pem").write_bytes(root_pem(bid_ca).read_bytes())
    (tmp_path / "tsa-root.pem").write_bytes(root_pem(bid_ca).read_bytes())
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "receipt.der", "-CAfile",
                   tmp_path / "root.pem", "-purpose", "any", "-out", tmp_path / "content.json")
    assert proc.returncode == 0 and b"Verification successful" in proc.stderr, proc.stderr
    content = json.loads((tmp_path / "content.json").read_bytes())
    tender = tender_of(bids.app, bids.tender_id)
    with bids.app.app_context():
        bidder = db.session.get(Party, bids.parties["supplier"]).credit_code
    assert content == {"type": "bid-receipt", "version": 1, "tender": tender.public_id, "bid": bid["id"],
                       "bidder": bidder, "action": "submitted", "replaces": None, "size": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(), "sm3": bid["sm3"],
                       "received_at": "2026-11-23T08:00:00.000Z"}
    recipe = subprocess.run(["bash", "-euo", "pipefail", "-c", docs_recipe()], cwd=tmp_path, capture_output=True,
                            timeout=120)
    assert recipe.returncode == 0, recipe.stderr.decode()
    assert recipe.stdout.decode().rstrip().endswith("Verification: OK")
    _verify(bid_ca, receipt.data)


def _verify_page(client, der: bytes):
    import io
    return client.post("/api/v1/verify", data={"file": (io.BytesIO(der), "receipt.p7m")},
                       content_type="multipart/form-data")


def test_the_verification_page_checks_a_receipt_as_a_receipt(bids, keys):
    client = bids.client()
    data = seal(PAYLOAD, keys["rsa"])
    bid = upload(client, bids.tender_id, data).json["bid"]
    der = client.get(bid["receipt_url"]).data
    anonymous = bids.app.test_client()
    answer = _verify_page(anonymous, der)
    assert answer.status_code == 200, answer.json
    assert answer.json["ok"] and answer.json["kind"] == "cms"
    statement = answer.json["statement"]
    assert statement["kind"] == "receipt" and statement["ok"] and statement["problems"] == []
    facts = dict(statement["facts"])
    assert facts["投标"] == bid["id"] and facts["SHA-256"] == hashlib.sha256(data).hexdigest()
    page = anonymous.post("/verify", data={"file": (__import__("io").BytesIO(der), "receipt.p7m")},
                          content_type="multipart/form-data")
    assert page.status_code == 200 and "投标回执 (bid receipt)" in page.text and bid["id"] in page.text

    forged = der.replace(hashlib.sha256(data).hexdigest().encode(), b"0" * 64)    # another envelope's digest
    assert forged != der
    refused = _verify_page(anonymous, forged)
    assert refused.status_code == 200 and not refused.json["ok"]
    assert refused.json["statement"] is not None and not refused.json["statement"]["ok"]
