"""The OCDS package across a real opening (support.opening: three bidders, bids sealed and uploaded
through the API, one decrypted in the window; then the agency makes, stamps and publishes the
opening record through the API): no bidder is named until the record is published, then every
bidder of the opening is a tenderer, and the package still validates."""
from __future__ import annotations

import json
from datetime import timedelta

from support.bids import bid_ca  # noqa: F401  (fixture)
from support.opening import OPENING, WINDOW, open_bid_of, opening_world, submit_bid  # noqa: F401  (fixture)
from support.stamping import bind, issue_signer, party_identity, stamp_via_api

from app.extensions import db
from bidding.parties.models import Party


def test_tenderers_are_published_with_the_opening_record(opening_world, bid_ca, tmp_path, ocds_problems):  # noqa: F811
    world = opening_world
    public = world.app.test_client()
    agency = world.client("agency")
    signer = issue_signer(bid_ca, party_identity("agency"), algorithm="ec")
    binding = bind(world.app, world.parties["agency"], signer, bid_ca)
    submit_bid(world, tmp_path, "supplier2", price="1234567.80")
    submit_bid(world, tmp_path, "supplier3", price="1198000.00")
    with world.app.app_context():
        secret = [p for b in ("supplier2", "supplier3") for p in
                  (db.session.get(Party, world.bidders[b].party_id).name, world.bidders[b].code)]

    def package():
        answer = public.get(f"/tenders/{world.tender_id}/ocds.json")
        assert answer.status_code == 200
        return answer

    assert not [s for s in secret if s in package().get_data(as_text=True)]          # bids in, before the deadline
    world.at(OPENING + timedelta(minutes=2))
    assert open_bid_of(world, "supplier2").status_code == 200
    assert not [s for s in secret if s in package().get_data(as_text=True)]          # in the window
    world.at(OPENING + WINDOW + timedelta(minutes=2))
    record = agency.post(f"/api/v1/tenders/{world.tender_id}/opening/record", json={})
    assert record.status_code == 201, record.json
    assert not [s for s in secret if s in package().get_data(as_text=True)]          # record made, not published
    assert stamp_via_api(agency, record.json["document"], binding, signer).status_code == 201
    published = agency.post(f"/api/v1/tenders/{world.tender_id}/opening/publication", json={})
    assert published.status_code == 200, published.json

    data = package().get_json()
    assert ocds_problems(data) == {}, json.dumps(ocds_problems(data), ensure_ascii=False, default=str)[:3000]
    first, opening = data["releases"]
    assert opening["tag"] == ["tenderUpdate"] and opening["tender"]["numberOfTenderers"] == 2
    assert [t["name"] for t in opening["tender"]["tenderers"]] == secret[0::2]       # in the order received
    assert not [s for s in secret if s in json.dumps(first, ensure_ascii=False)]
    documents = {d["id"]: d for d in opening["tender"]["documents"]}
    for name in ("opening-record", "opening-transcript"):
        assert public.get(documents[name]["url"].removeprefix(world.app.config["PUBLIC_BASE_URL"])).status_code == 200
