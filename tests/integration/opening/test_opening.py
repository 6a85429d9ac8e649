"""A whole opening at the service and API level, three bidders (docs/opening.md):

- the supplier's RSA key pair is on a SoftHSM token and goes through the real agent's
  ``/v1/unwrap`` with ``sign``;
- the second supplier (EC key file) withdraws its first bid and submits another before the
  deadline: only the second is opened;
- the third supplier (SM2 key file) never decrypts: INVALID (撤销) when the window closes (R15).

The opened files match the manifest's digests, prices and items are recorded, the opening key is
erased at the close, and R10 holds the certificates exactly while a bid is pending.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support.agent import ORIGIN, AgentClient, start_agent
from support.auth import test_uow
from support.opening import (
    MARKER,
    OPENING,
    PLATFORM_TOKEN,
    WINDOW,
    b64,
    open_bid_of,
    platform_token_objects,
    release,
    sha256,
    submit,
    submit_bid,
    unb64,
)

from app.opening_keys import opening_keyring
from bidding.bids.models import Bid, BidState
from bidding.certificates.guard import change_blocked_by
from bidding.certificates.models import CertificateBinding
from bidding.opening.models import BidOpening, OpeningKey, OpeningState
from bidding.opening.services import close_window
from pki.certs import fingerprint_sha256


@pytest.fixture
def agent(opening_world, bid_ca, tmp_path):
    """The agent serving the supplier's token, on the world's frozen clock."""
    inter = Path(bid_ca.anchors_dir) / "cfca" / "rsa-ca.pem"
    server, thread = start_agent(["agent", "--port", "0", "--origin", ORIGIN, "--state-dir", str(tmp_path / "agent"),
                                  "--pkcs11", opening_world.token.uri().format(), "--chain", str(inter)])
    server.operations.clock = opening_world.clock
    try:
        yield AgentClient(server.port, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _state(world, public_id: str) -> tuple[BidState, OpeningState | None]:
    from app.extensions import db
    with world.app.app_context():
        bid = db.session.scalars(select(Bid).where(Bid.public_id == public_id)).one()
        opening = db.session.scalars(select(BidOpening).where(BidOpening.bid_id == bid.id)).one_or_none()
        return bid.state, opening.state if opening else None


def _blocked(world, cert) -> list[str]:
    from app.extensions import db
    with world.app.app_context():
        binding = db.session.scalars(select(CertificateBinding).where(
            CertificateBinding.fingerprint_sha256 == fingerprint_sha256(cert))).one()
        return [item.id for item in change_blocked_by(test_uow(world.app), binding)]


def _via_agent(world, agent: AgentClient, name: str) -> dict:
    """The hall page's way: release, the agent unwraps and signs, submit."""
    bidder = world.bidders[name]
    given = release(world, name)
    assert given.status_code == 200, given.json
    body = {"certificate": agent.cert_id(bidder.encryption.der), "pin": "opening-pin-2468",
            "recipient_info": given.json["recipient_infos"][0]["recipient_info"],
            "transport_certificate": given.json["opening_certificate"], "context": given.json["context"],
            "sign": {"certificate": agent.cert_id(bidder.signing.der)}}
    answer = agent.post("/v1/unwrap", body)
    assert answer.status == 200, answer.body
    statement = json.loads(unb64(answer.json["statement"]))
    assert statement["context"] == given.json["context"] and statement["type"] == "bid-key-release"
    return {k: answer.json[k] for k in ("envelope", "statement", "signature")}


def test_a_whole_opening(opening_world, agent, tmp_path):
    world = opening_world
    packages = tmp_path / "bidder"
    submit_bid(world, packages, "supplier", price="1234567.80")
    first = submit_bid(world, packages, "supplier2", price="999999.00")
    withdrawn = world.client("supplier2").post(f"/api/v1/bids/{first}/withdrawal")
    assert withdrawn.status_code == 201, withdrawn.json
    second = submit_bid(world, packages, "supplier2", price="888888.88")
    submit_bid(world, packages, "supplier3", price="777777.00")
    # R10 before the opening: each pending bid holds its encryption certificate
    assert _blocked(world, world.bidders["supplier"].encryption.cert) == [world.bidders["supplier"].bid]
    assert _blocked(world, world.bidders["supplier2"].encryption.cert) == [second]

    world.at(OPENING + timedelta(minutes=1))
    assert _blocked(world, world.bidders["supplier"].encryption.cert) == [world.bidders["supplier"].bid]
    opened = submit(world, "supplier", _via_agent(world, agent, "supplier"))
    assert opened.status_code == 200, opened.json
    assert opened.json["state"] == "decrypted" and opened.json["price"] == "1234567.80"
    world.at(OPENING + timedelta(minutes=2))
    opened2 = open_bid_of(world, "supplier2")
    assert opened2.status_code == 200, opened2.json
    assert opened2.json["price"] == "888888.88" and opened2.json["currency"] == "CNY"
    with world.app.app_context():                # the opening key: made on the platform's token, never extractable
        from app.extensions import db
        key = db.session.scalars(select(OpeningKey)).one()
        assert platform_token_objects(key.token_key_id) == [("PRIVATE_KEY", True, False), ("PUBLIC_KEY", None, None)]
    # R10 after the decryption: nothing pending any more for the decrypted bids; the third still is
    assert _blocked(world, world.bidders["supplier"].encryption.cert) == []
    assert _blocked(world, world.bidders["supplier2"].encryption.cert) == []
    assert _blocked(world, world.bidders["supplier3"].encryption.cert) == [world.bidders["supplier3"].bid]

    # the opened files are exactly the bidder's, as its manifest lists them
    for name in ("supplier", "supplier2"):
        folder = world.opened(name)
        manifest = json.loads((folder / "manifest.json").read_bytes())
        listed = {f["name"]: f for f in manifest["files"]}
        assert set(listed) == set(world.bidders[name].files)
        for file_name, data in world.bidders[name].files.items():
            on_disk = (folder / "files" / file_name).read_bytes()
            assert on_disk == data and sha256(on_disk) == listed[file_name]["sha256"]
    assert not (world.store / "opened" / world.tender / first).exists()       # the withdrawn bid: never opened
    assert _state(world, first) == (BidState.WITHDRAWN, None)

    # the window closes: R15 for the third, the key erased
    world.at(OPENING + WINDOW)
    from app.extensions import db
    with world.app.app_context():
        report = close_window(test_uow(world.app), world.tender_id, opening_keyring())
        assert (report.decrypted, report.invalid, report.withdrawn, report.closed_now) == (2, 1, 0, True)
        again = close_window(test_uow(world.app), world.tender_id, opening_keyring())
        assert not again.closed_now and again.invalid == 1
        key = db.session.scalars(select(OpeningKey)).one()
        assert key.encrypted_key_pem is None and key.destroyed_at == OPENING + WINDOW
        assert key.token_label == PLATFORM_TOKEN and platform_token_objects(key.token_key_id) == []   # gone
        items = db.session.scalars(select(BidOpening.items).where(BidOpening.state == OpeningState.DECRYPTED)).all()
        assert all(json.loads(i) for i in items)
    assert _state(world, world.bidders["supplier"].bid) == (BidState.DECRYPTED, OpeningState.DECRYPTED)
    assert _state(world, second) == (BidState.DECRYPTED, OpeningState.DECRYPTED)
    assert _state(world, world.bidders["supplier3"].bid) == (BidState.INVALID, OpeningState.INVALID)
    assert _blocked(world, world.bidders["supplier3"].encryption.cert) == []
    assert not (world.store / "opened" / world.tender / world.bidders["supplier3"].bid).exists()
    assert MARKER.encode() in (world.opened("supplier") / "files" / "商务标.txt").read_bytes()


def test_the_agent_refuses_sign_without_context_and_a_non_signing_certificate(opening_world, agent, tmp_path):
    world = opening_world
    submit_bid(world, tmp_path / "bidder", "supplier")
    world.at(OPENING)
    given = release(world, "supplier").json
    bidder = world.bidders["supplier"]
    body = {"certificate": agent.cert_id(bidder.encryption.der), "pin": "opening-pin-2468",
            "recipient_info": given["recipient_infos"][0]["recipient_info"],
            "transport_certificate": given["opening_certificate"]}
    no_context = agent.post("/v1/unwrap", {**body, "sign": {"certificate": agent.cert_id(bidder.signing.der)}})
    assert no_context.status == 400
    context_only = agent.post("/v1/unwrap", {**body, "context": given["context"]})
    assert context_only.status == 400
    not_signing = agent.post("/v1/unwrap", {**body, "context": given["context"],
                                            "sign": {"certificate": agent.cert_id(bidder.encryption.der)}})
    assert not_signing.status == 400 and not_signing.error_code == "certificate_unsuitable"
    plain = agent.post("/v1/unwrap", body)           # without sign: as before (self-test, binding)
    assert plain.status == 200 and "statement" not in plain.json
    assert b64(b"") == ""
