"""Who sees what of a bid before the opening (DESIGN.md §6), role by role: the bidder its own bids
and receipts only; another supplier nothing (404, not even that the bid exists); the tender's agency
and supervisors that bids exist (count, bidder names, sizes, times of receipt) and never content;
another agency and the purchaser not even that. No route hands out an envelope. And no plaintext of
a bid exists on the platform: a marker string inside the sealed files is found nowhere in the
database, the file store (outside the envelope, where it is encrypted) or the logs."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from support.bids import keys as _keys  # noqa: F401
from support.bids import sealed_package, seal, tender_of, upload

from app.extensions import db
from bidding.bids.uploads import BidStore
from bidding.parties.models import Party
from pki import envelope

PAYLOAD = b"sealed bid package " * 3000


@pytest.fixture
def submitted(bids, keys):
    data = seal(PAYLOAD, keys["rsa"])
    answer = upload(bids.client(), bids.tender_id, data)
    assert answer.status_code == 200, answer.json
    return answer.json["bid"], data


def test_the_bidder_sees_its_own_bid_and_receipt(bids, submitted):
    bid, _ = submitted
    client = bids.client()
    assert client.get(f"/api/v1/bids/{bid['id']}").json["id"] == bid["id"]
    assert client.get(bid["receipt_url"]).status_code == 200
    assert [b["id"] for b in client.get("/api/v1/bids").json] == [bid["id"]]
    page = client.get(f"/tenders/{bids.tender_id}/bid").get_data(as_text=True)
    assert bid["id"] in page and "投标回执" in page
    assert bid["id"] in client.get("/bids").get_data(as_text=True)


def test_another_supplier_sees_nothing(bids, submitted):
    bid, _ = submitted
    other = bids.client("supplier2")
    for path in (f"/api/v1/bids/{bid['id']}", bid["receipt_url"], f"/api/v1/bids/{bid['id']}/withdrawal-receipt"):
        answer = other.get(path)
        assert answer.status_code == 404 and answer.json["error"]["code"] == "bid_not_found", path
    assert other.post(f"/api/v1/bids/{bid['id']}/withdrawal").status_code == 404
    assert other.post(f"/bids/{bid['id']}/withdraw").status_code == 404
    assert other.get("/api/v1/bids").json == []
    assert bid["id"] not in other.get(f"/tenders/{bids.tender_id}/bid").get_data(as_text=True)
    assert other.get(f"/api/v1/tenders/{bids.tender_id}/bids").status_code == 403


@pytest.mark.parametrize("username", ["agency", "supervisor"])
def test_the_agency_and_supervisors_see_that_bids_exist(bids, submitted, username):
    bid, data = submitted
    client = bids.client(username)
    seen = client.get(f"/api/v1/tenders/{bids.tender_id}/bids")
    assert seen.status_code == 200, seen.json
    with bids.app.app_context():
        name = db.session.get(Party, bids.parties["supplier"]).name
    assert seen.json["count"] == 1
    assert seen.json["bids"] == [{"bidder": name, "size": len(data), "received_at": "2026-11-23T08:00:00+00:00"}]
    page = client.get(f"/tenders/{bids.tender_id}/bids").get_data(as_text=True)
    assert name in page and "已收到 <strong>1</strong>" in page
    for path in (f"/api/v1/bids/{bid['id']}", bid["receipt_url"]):
        assert client.get(path).status_code == 403          # suppliers' doors only


@pytest.mark.parametrize("username", ["purchaser", "operator"])
def test_others_see_no_list_of_bidders(bids, submitted, username):
    client = bids.client(username)
    assert client.get(f"/api/v1/tenders/{bids.tender_id}/bids").status_code == 403
    assert client.get(f"/tenders/{bids.tender_id}/bids").status_code == 403


def test_no_route_hands_out_an_envelope(bids, submitted):
    """Every GET route of the bid doors (pages and API), for every role with a session, never answers
    the envelope (the tender's own pages need documents this test's tender was not given)."""
    _, data = submitted
    probes = [data[:64], data[-64:]]
    for username in ("supplier", "supplier2", "agency", "purchaser", "supervisor", "operator"):
        client = bids.client(username)
        for rule in bids.app.url_map.iter_rules():
            if "GET" not in rule.methods or not rule.endpoint.startswith(("bids.", "api_bids.")) \
                    or rule.arguments - {"tender_id", "bid_id", "upload_id"}:
                continue
            path = rule.rule.replace("<int:tender_id>", str(bids.tender_id))
            path = path.replace("<string(maxlength=40):bid_id>", submitted[0]["id"])
            path = path.replace("<string(maxlength=40):upload_id>", "X")
            body = client.get(path).data
            assert not any(p in body for p in probes), (username, path)


def test_a_marker_in_the_plaintext_is_nowhere_on_the_platform(bids, keys, tmp_path, caplog, capfd):
    marker = "MARKER-7f3a9c-报价壹佰贰拾叁万"
    caplog.set_level(logging.DEBUG)
    client = bids.client()
    with bids.app.app_context():
        code = db.session.get(Party, bids.parties["supplier"]).credit_code
    tender = tender_of(bids.app, bids.tender_id)
    data = sealed_package(tmp_path, keys["signing"], [keys["rsa"]], tender=tender.public_id, bidder=code,
                          files={"技术标.txt": f"技术方案 {marker}".encode(), "报价单.txt": marker.encode("utf-16")})
    answer = upload(client, bids.tender_id, data, chunk=len(data) // 3)
    assert answer.status_code == 200, answer.json
    bid = answer.json["bid"]
    client.post(f"/api/v1/bids/{bid['id']}/withdrawal")
    needles = [marker.encode("utf-8"), marker.encode("utf-16-le"), "MARKER-7f3a9c".encode()]
    # the database, every row of every table
    with bids.app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
                dump.append(repr(tuple(row)).encode())
        dump = b"\n".join(dump)
    assert data[:32] not in dump           # not even the envelope is in the database
    assert not any(n in dump for n in needles)
    # the file store and the instance folder: the envelope is there, the plaintext nowhere
    stored = BidStore(bids.store()).envelope_path(bid["sha256"])
    for path in Path(bids.app.instance_path).rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not any(n in content for n in needles), path
    # the logs
    out, err = capfd.readouterr()
    logs = (caplog.text + out + err).encode()
    assert not any(n in logs for n in needles)
    # the marker was really there, sealed: the bidder's key opens the stored envelope
    plain = tmp_path / "opened.tar"
    envelope.decrypt_file(stored, plain, key=keys["rsa"].key, certificate=keys["rsa"].cert)
    assert marker.encode() in plain.read_bytes()
