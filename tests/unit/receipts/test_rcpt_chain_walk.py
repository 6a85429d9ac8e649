"""Re-walking the audit chain through a transcript's events, and the hall's own links."""
from __future__ import annotations

from dataclasses import replace

from pki.receipts.audit_chain import audit_json, details_problem, entry_content, parse_audit_time
from pki.receipts.transcript import event_problems, walk_chain, walk_hall_links

from support.receipts import HALL_DAY, chain, hall, relink, seal


def _codes(reasons):
    return [r.code for r in reasons]


def test_entry_content_is_the_audit_logs_form():
    event = chain([("opening.decrypted", {"amount": 1.0, "bid": "B-17", "中": "文"})], hall_links=False)[0]
    assert entry_content(event.content()) == (
        '{"action":"opening.decrypted","address":"203.0.113.9","at":"2026-12-01T12:00:00.000000Z",'
        '"details":{"amount":1.0,"bid":"B-17","中":"文"},"id":1,"object_id":"T-2026-001","object_type":"tender",'
        '"operator":"user:0","prev_sha256":"' + "0" * 64 + '","prev_sm3":"' + "0" * 64 + '"}').encode()


def test_a_whole_log_walks_without_gaps():
    events = chain(HALL_DAY)
    assert walk_chain(events) == ([], [])


def test_the_hall_walks_with_gaps_and_links():
    events = hall(chain(HALL_DAY))
    reasons, gaps = walk_chain(events)
    assert reasons == [] and gaps == [(4, 7), (8, 11)]
    assert walk_hall_links(events) == ([], True)


def test_unlinked_hall_is_reported_as_such():
    events = hall(chain(HALL_DAY, hall_links=False))
    assert walk_chain(events)[0] == [] and walk_hall_links(events) == ([], False)


def test_changed_content_is_caught():
    events = hall(chain(HALL_DAY))
    events[3] = replace(events[3], details=audit_json({"text": "无异议", "by": "B-18", "hall_seq": 4,
                                                       "hall_prev_sha256": events[2].sha256}))
    assert _codes(walk_chain(events)[0]) == ["entry_altered"]


def test_dropped_neighbour_breaks_the_link():
    events = hall(chain(HALL_DAY))
    del events[1]                                  # positions 2, 4: the 3 between is missing
    reasons, gaps = walk_chain(events)
    assert reasons == [] and gaps[0] == (2, 4)     # the global chain cannot tell …
    assert _codes(walk_hall_links(events)[0]) == ["hall_link_broken"]     # … the hall's links can


def test_dropped_event_in_a_gap_is_caught_by_the_hall_links():
    events = hall(chain(HALL_DAY))
    del events[4]                                  # the answer to the objection (position 8)
    assert walk_chain(events)[0] == []
    assert _codes(walk_hall_links(events)[0]) == ["hall_link_broken"]


def test_reordered_events_are_caught():
    events = hall(chain(HALL_DAY))
    events[3], events[4] = events[4], events[3]
    assert "out_of_order" in _codes(walk_chain(events)[0])
    assert _codes(walk_hall_links(events)[0]) == ["hall_link_broken"]


def test_added_event_is_caught_even_when_rehashed():
    log = chain(HALL_DAY)
    forged = seal(replace(log[3], id=4, action="opening.decrypted",
                          details=audit_json({"bid": "B-99", "hall_seq": 3, "hall_prev_sha256": log[2].sha256})))
    events = hall(log)
    events.insert(2, forged)                      # a second entry at position 4
    assert "out_of_order" in _codes(walk_chain(events)[0])
    # rewriting the whole log from there on is what the signed, timestamped transcript and the
    # audit log's own head rule out; even then the hall's numbering no longer counts up
    rewritten = relink(log[:3] + [forged] + log[3:])
    assert _codes(walk_hall_links(hall(rewritten))[0]) == ["hall_link_broken"]


def test_first_entry_must_follow_zeros():
    events = chain(HALL_DAY)
    events[0] = seal(replace(events[0], prev_sha256="1" * 64))
    assert _codes(walk_chain(events)[0]) == ["link_broken", "link_broken"]


def test_event_members_are_checked():
    good = chain(HALL_DAY)[1].to_json()
    assert event_problems(good) == []
    assert event_problems({**good, "id": True}) == ["id must be a positive integer"]
    assert event_problems({**good, "at": "2026-12-01T12:00:00Z"})[0].startswith("at ")
    assert event_problems({**good, "operator": ""})[0].startswith("operator must be a non-empty string")
    assert event_problems({**good, "object_id": 17})[0].startswith("object_id must be a string")
    assert event_problems({**good, "sha256": "A" * 64}) == ["sha256 must be 64 lowercase hexadecimal digits"]
    assert event_problems({k: v for k, v in good.items() if k != "sm3"}) == ["missing sm3"]


def test_details_must_be_canonical_object_text():
    assert details_problem('{"a":1,"b":[1.0,"中"]}') is None
    assert details_problem('{"b":1,"a":2}') == "details is not in the audit log's canonical form"
    assert details_problem('{"a": 1}') == "details is not in the audit log's canonical form"
    assert details_problem('{"a":"\\u4e2d"}') == "details is not in the audit log's canonical form"
    assert details_problem('[1]') == "details is not a JSON object"
    assert details_problem('{"a":NaN}') == "details is not JSON"
    assert details_problem({"a": 1}) == "details must be the JSON text of an object"


def test_audit_time():
    assert parse_audit_time("2026-12-01T12:00:00.000007Z").microsecond == 7
    assert parse_audit_time("2026-12-01T12:00:00.000Z") is None
