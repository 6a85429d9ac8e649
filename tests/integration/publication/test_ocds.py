"""Open publication as OCDS (issue 16 part 6, docs/publication.md): ``GET /tenders/<id>/ocds.json``
answers anyone with the OCDS 1.1 release package of a published tender, which libcoveocds finds
valid (offline, on the pinned schema); a draft is not found; bidder names appear only once the
opening is published; an amendment adds a release; the same data give the same bytes.

The tender is made through the API (stamped documents, review, publication, a stamped amendment);
the opening's outcome is written as rows (bids and the hall's publication), since how an opening
comes about is tests/integration/opening's subject, and only its published result matters here
(test_ocds_opening.py goes through a real opening once).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from support.agreements import client_as
from support.stamping import stamp_via_api
from support.tenders import iso, upload_amendment

from app.extensions import db
from bidding.accounts.models import Account
from bidding.bids.models import Bid, BidState
from bidding.opening.models import OpeningHall
from bidding.parties.models import Party
from bidding.publication import ocds

BIDDERS = ("supplier", "supplier2")


def package_of(app, tender_id: int):
    return app.test_client().get(f"/tenders/{tender_id}/ocds.json")


def names_and_codes(app, usernames) -> list[str]:
    with app.app_context():
        parties = [db.session.scalars(select(Party).join(Account, Account.party_id == Party.id)
                                      .where(Account.username == u)).one() for u in usernames]
        return [p.name for p in parties] + [p.credit_code for p in parties]


def submit_bids(app, tender_id: int, usernames, at: datetime) -> None:
    """Bids of the users' parties as the opening leaves them (decrypted): rows, no envelopes."""
    with app.app_context():
        for n, username in enumerate(usernames):
            account = db.session.scalars(select(Account).where(Account.username == username)).one()
            digest = hashlib.sha256(f"{tender_id}-{username}".encode()).hexdigest()
            db.session.add(Bid(public_id=f"B-PUB-{tender_id}-{n}", tender_id=tender_id, party_id=account.party_id,
                               submitted_by=account.id, state=BidState.DECRYPTED, size=1000, sha256=digest,
                               sm3=digest, envelope_format="cms", content_type="authEnvelopedData",
                               cipher="aes-256-gcm", received_at=at + timedelta(minutes=n)))
        db.session.commit()


def publish_opening(app, tender_id: int, at: datetime) -> None:
    """The hall's record and transcript published at ``at`` (OpeningHall.published_at)."""
    with app.app_context():
        hall = db.session.scalars(select(OpeningHall).where(OpeningHall.tender_id == tender_id)).first()
        if hall is None:
            hall = OpeningHall(tender_id=tender_id, hall_seq=0)
            db.session.add(hall)
        hall.closed_at, hall.transcript_der, hall.published_at = at, b"transcript", at
        db.session.commit()


def test_a_draft_is_not_found_even_by_its_agency(steps):
    tender = steps.ready()                                      # stamped and reviewed, not published
    assert package_of(steps.app, tender["id"]).status_code == 404
    assert steps.agency.get(f"/tenders/{tender['id']}/ocds.json").status_code == 404
    for missing in (tender["id"] + 1000, 2**31 - 1):
        assert package_of(steps.app, missing).status_code == 404
    assert package_of(steps.app, 2**31).status_code == 404      # beyond any row id: no such URL


def test_the_tender_page_links_to_its_package_once_published(steps):
    tender = steps.ready()
    assert b'id="ocds-link"' not in steps.agency.get(f"/tenders/{tender['id']}").data
    assert steps.publish(tender["id"]).status_code == 200
    page = steps.agency.get(f"/tenders/{tender['id']}").get_data(as_text=True)
    assert f'id="ocds-link" href="/tenders/{tender["id"]}/ocds.json"' in page


def test_a_published_tender_is_a_valid_package_with_parties_budget_and_period(steps, ocds_problems):
    tender = steps.published(deadline=timedelta(days=20))
    answer = package_of(steps.app, tender["id"])
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    package = answer.get_json()
    assert ocds_problems(package) == {}, json.dumps(ocds_problems(package), ensure_ascii=False, default=str)[:3000]

    base = steps.app.config["PUBLIC_BASE_URL"]
    assert package["version"] == "1.1" and package["uri"] == f"{base}/tenders/{tender['id']}/ocds.json"
    assert package["publishedDate"] == "2026-11-23T08:00:00Z"          # the app's clock
    [release] = package["releases"]
    assert release["tag"] == ["tender"] and release["initiationType"] == "tender"
    assert release["ocid"] == "ocds-ebid01-" + tender["public_id"]
    assert release["id"] == release["ocid"] + "-tender"
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles == {"测试采购单位": ["buyer"], "测试代理机构": ["procuringEntity"]}
    for party in release["parties"]:
        assert party["identifier"]["scheme"] == "CN-USCI" and party["id"] == "CN-USCI-" + party["identifier"]["id"]
    assert release["buyer"]["name"] == "测试采购单位"
    assert release["planning"]["budget"]["amount"] == {"amount": 1200000, "currency": "CNY"}
    body = release["tender"]
    assert body["status"] == "active" and body["procuringEntity"]["name"] == "测试代理机构"
    assert body["procurementMethod"] == "open" and body["procurementMethodDetails"] == "公开招标"
    published = datetime.fromisoformat(tender["published_at"])
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    assert body["tenderPeriod"] == {"startDate": ocds.rfc3339(published), "endDate": ocds.rfc3339(deadline)}
    assert body["tenderPeriod"]["endDate"].endswith("Z")
    assert "tenderers" not in body and "numberOfTenderers" not in body
    assert {d["documentType"] for d in body["documents"]} == {"tenderNotice", "biddingDocuments"}
    urls = steps.app.url_map.bind("localhost")
    for document in body["documents"]:                                 # every URL is a route of the platform
        assert document["url"].startswith(base)
        urls.match(urlsplit(document["url"]).path, method="GET")


def test_tenderers_appear_only_once_the_opening_is_published(steps, ocds_problems):
    app = steps.app
    tender = steps.published(deadline=timedelta(days=7))
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    submit_bids(app, tender["id"], BIDDERS, deadline - timedelta(days=1))
    secret = names_and_codes(app, BIDDERS)

    steps.clock.set(deadline + timedelta(hours=3))                     # opened, record not yet published
    before = package_of(app, tender["id"])
    assert before.status_code == 200
    assert not [s for s in secret if s in before.get_data(as_text=True)]
    assert [r["tag"] for r in before.get_json()["releases"]] == [["tender"]]

    publish_opening(app, tender["id"], deadline + timedelta(hours=2))
    package = package_of(app, tender["id"]).get_json()
    assert ocds_problems(package) == {}, json.dumps(ocds_problems(package), ensure_ascii=False, default=str)[:3000]
    first, opening = package["releases"]
    assert opening["tag"] == ["tenderUpdate"] and opening["date"] == ocds.rfc3339(deadline + timedelta(hours=2))
    assert not [s for s in secret if s in json.dumps(first, ensure_ascii=False)]   # the earlier release stays as it was
    assert opening["tender"]["numberOfTenderers"] == 2
    assert [t["name"] for t in opening["tender"]["tenderers"]] == ["测试供应商甲", "测试供应商乙"]
    tenderers = [p for p in opening["parties"] if "tenderer" in p["roles"]]
    assert sorted(p["identifier"]["id"] for p in tenderers) == sorted(secret[2:])
    assert {p["id"] for p in tenderers} == {t["id"] for t in opening["tender"]["tenderers"]}
    assert "opening-transcript" in {d["id"] for d in opening["tender"]["documents"]}


def test_an_amendment_adds_a_release_with_the_moved_period(steps, ocds_problems):
    tender = steps.published(deadline=timedelta(days=20), opening=timedelta(days=20, hours=1))
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    steps.clock.set(steps.clock.now() + timedelta(days=1))
    made = upload_amendment(steps.agency, tender["id"], title="关于延长投标截止时间的更正公告",
                            summary="投标截止时间顺延五天。", new_bid_deadline=iso(deadline + timedelta(days=5)))
    assert made.status_code == 201, made.json
    assert len(package_of(steps.app, tender["id"]).get_json()["releases"]) == 1   # not published before its stamp
    stamped = stamp_via_api(steps.agency, made.json["document"]["public_id"], steps.bound["agency"],
                            steps.agency_signer)
    assert stamped.status_code == 201, stamped.json

    package = package_of(steps.app, tender["id"]).get_json()
    assert ocds_problems(package) == {}, json.dumps(ocds_problems(package), ensure_ascii=False, default=str)[:3000]
    first, amended = package["releases"]
    assert first["tag"] == ["tender"] and amended["tag"] == ["tenderAmendment"]
    assert first["tender"]["tenderPeriod"]["endDate"] == ocds.rfc3339(deadline)
    assert amended["tender"]["tenderPeriod"]["endDate"] == ocds.rfc3339(deadline + timedelta(days=5))
    assert amended["id"] == amended["ocid"] + "-amendment-1" and amended["date"] > first["date"]
    [amendment] = amended["tender"]["amendments"]
    assert amendment["rationale"] == "关于延长投标截止时间的更正公告" and amendment["releaseID"] == amended["id"]
    assert "amendments" not in first["tender"]
    urls = steps.app.url_map.bind("localhost")
    for document in amended["tender"]["documents"]:
        urls.match(urlsplit(document["url"]).path, method="GET")


def test_the_same_data_give_the_same_bytes(steps):
    app = steps.app
    tender = steps.published(deadline=timedelta(days=7))
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    submit_bids(app, tender["id"], BIDDERS, deadline - timedelta(days=1))
    publish_opening(app, tender["id"], deadline + timedelta(hours=2))
    one, two = package_of(app, tender["id"]).get_data(), package_of(app, tender["id"]).get_data()
    assert one == two
    steps.clock.set(steps.clock.now() + timedelta(days=30))
    later = package_of(app, tender["id"]).get_data()
    assert later != one

    def without_date(data: bytes) -> dict:
        package = json.loads(data)
        package.pop("publishedDate")
        return package
    assert without_date(later) == without_date(one)
    assert later.replace(b"2026-12-23T08:00:00Z", b"2026-11-23T08:00:00Z") == one


def test_later_areas_add_their_releases(steps, ocds_problems):
    """The award area's hook, as it will use it: an award release after the opening."""
    app = steps.app
    tender = steps.published(deadline=timedelta(days=7))
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    submit_bids(app, tender["id"], BIDDERS, deadline - timedelta(days=1))
    publish_opening(app, tender["id"], deadline + timedelta(hours=2))
    with app.app_context():
        winner = db.session.scalars(select(Account).where(Account.username == "supplier")).one().party_id

    def award_source(uow, ctx):
        if ctx.tender.id != tender["id"]:
            return []
        party = uow.session.get(Party, winner)

        def apply(draft):
            draft.tender["status"] = "complete"
            draft.awards.append({"id": "1", "status": "active", "date": ocds.rfc3339(deadline + timedelta(days=3)),
                                 "value": ocds.amount("990000.00"), "suppliers": [draft.party(party, "supplier")]})
        return [ocds.ReleaseEvent("award-1", deadline + timedelta(days=3), "award", ocds.RANK_AWARD, apply)]

    ocds.register_release_source(award_source)
    try:
        package = package_of(app, tender["id"]).get_json()
    finally:
        ocds.unregister_release_source(award_source)
    assert ocds_problems(package) == {}, json.dumps(ocds_problems(package), ensure_ascii=False, default=str)[:3000]
    assert [r["tag"] for r in package["releases"]] == [["tender"], ["tenderUpdate"], ["award"]]
    award = package["releases"][-1]
    assert award["awards"][0]["value"] == {"amount": 990000, "currency": "CNY"}
    assert award["tender"]["status"] == "complete"
    [winner_party] = [p for p in award["parties"] if "supplier" in p["roles"]]
    assert sorted(winner_party["roles"]) == ["supplier", "tenderer"]
    assert len(package_of(app, tender["id"]).get_json()["releases"]) == 2       # unregistered


def test_the_validator_finds_what_is_wrong(steps, ocds_problems):
    """The check bites: a release without its date or with a status outside the codelist."""
    tender = steps.published()
    package = package_of(steps.app, tender["id"]).get_json()
    broken = json.loads(json.dumps(package))
    del broken["releases"][0]["date"]
    assert ocds_problems(broken)["validation_errors"]
    broken = json.loads(json.dumps(package))
    broken["releases"][0]["tender"]["status"] = "开标中"
    assert "releases/tender/status" in ocds_problems(broken)["additional_closed_codelist_values"]
    broken = json.loads(json.dumps(package))
    broken["releases"][0]["tender"]["bidOpening"] = {"date": "2026-12-01T08:00:00Z"}
    assert ocds_problems(broken)["additional_fields"]
