"""Opening transcripts: built only from an intact chain, verified offline, and every way of adding,
dropping, changing or reordering an event refused — also when the platform's own key signed it."""
from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import timedelta

import pytest

from pki.receipts import TranscriptInvalid, build_transcript, verify_transcript
from pki.receipts.audit_chain import audit_json
from pki.receipts.canonical import canonical_json
from pki.receipts.statement import sign_statement
from pki.receipts.transcript import TRANSCRIPT_TYPE
from pki.signature import sign

from support.bidtool_env import openssl
from support.receipts import HALL_DAY, NOW, TENDER, chain, docs_recipe, hall, make_tsa, relink, seal

START = NOW - timedelta(minutes=30)


def _day(**options):
    return chain(HALL_DAY, start=START, **options)


def _build(rpki, events, tsa, alg="rsa") -> bytes:
    s = rpki.receipt[alg]
    return build_transcript(events, tender=TENDER, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)


def _sign_events(rpki, hall_events, tsa, **changes) -> bytes:
    """What a platform that signs anything would publish: no check before signing."""
    value = {"type": TRANSCRIPT_TYPE, "version": 1, "tender": TENDER, "events": [e.to_json() for e in hall_events],
             **changes}
    s = rpki.receipt["rsa"]
    return sign_statement(canonical_json(value), key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)


def _verify(rpki, der, alg="rsa"):
    return verify_transcript(der, trust_roots=[rpki.root_cert(alg)], tsa_roots=[rpki.root_cert("rsa")])


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_hall_transcript_verifies(rpki, tsa, alg):
    events = hall(_day())
    check = _verify(rpki, _build(rpki, events, tsa, alg), alg)
    assert check.ok, check.reasons
    assert check.tender == TENDER and check.count == 7 and list(check.events) == events
    assert check.gaps == ((4, 7), (8, 11)) and check.hall_linked
    assert check.first_at == START + timedelta(seconds=1, microseconds=7)
    assert (check.head.id, check.head.sha256, check.head.sm3) == (12, events[-1].sha256, events[-1].sm3)
    assert check.timestamp.gen_time == NOW


def test_openssl_reads_a_transcript_as_a_receipt(rpki, tsa, tmp_path):
    events = hall(_day())
    (tmp_path / "receipt.der").write_bytes(_build(rpki, events, tsa))
    (tmp_path / "root.pem").write_bytes(rpki.roots["rsa"].read_bytes())
    (tmp_path / "tsa-root.pem").write_bytes(rpki.tsa_root.read_bytes())
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", docs_recipe()], cwd=tmp_path, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith(b"Verification: OK"), proc.stderr
    assert b'"type":"opening-transcript"' in proc.stdout
    assert openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "receipt.der", "-CAfile",
                   tmp_path / "root.pem", "-purpose", "any").returncode == 0


def test_unlinked_events_verify_with_gaps_reported(rpki, tsa):
    check = _verify(rpki, _build(rpki, hall(_day(hall_links=False)), tsa))
    assert check.ok and not check.hall_linked and check.gaps == ((4, 7), (8, 11))


def _altered(events):
    events[3] = replace(events[3], details=audit_json({"by": "B-18", "hall_prev_sha256": events[2].sha256,
                                                       "hall_seq": 4, "text": "无异议"}))
    return events


def _dropped_in_gap(events):
    del events[4]
    return events


def _dropped_neighbour(events):
    del events[1]
    return events


def _reordered(events):
    events[3], events[4] = events[4], events[3]
    return events


def _added(events):
    forged = seal(replace(events[2], details=audit_json({"bid": "B-99", "hall_prev_sha256": events[2].sha256,
                                                         "hall_seq": 4})))
    return events[:3] + [forged] + events[3:]


def _rewritten(events):
    """A forger with the whole log drops the objection and recomputes every digest after it."""
    log = _day()
    del log[6]
    return hall(relink(log))


@pytest.mark.parametrize("tamper, codes", [
    (_altered, {"entry_altered"}),
    (_dropped_in_gap, {"hall_link_broken"}),
    (_dropped_neighbour, {"hall_link_broken"}),
    (_reordered, {"out_of_order", "hall_link_broken"}),
    (_added, {"out_of_order", "hall_link_broken"}),
    (_rewritten, {"hall_link_broken"}),
])
def test_tampered_events_are_refused(rpki, tsa, tamper, codes):
    events = tamper(hall(_day()))
    with pytest.raises(TranscriptInvalid):           # the platform does not sign a broken chain …
        _build(rpki, events, tsa)
    check = _verify(rpki, _sign_events(rpki, events, tsa))      # … and nobody accepts one signed anyway
    assert set(check.codes) == codes, check.reasons


def test_broken_link_between_neighbours_is_refused(rpki, tsa):
    events = _day(hall_links=False)
    events[5] = seal(replace(events[5], prev_sha256="e" * 64))
    check = _verify(rpki, _sign_events(rpki, events, tsa))
    assert set(check.codes) == {"link_broken"}


def test_changed_bytes_of_a_signed_transcript_are_refused(rpki, tsa):
    der = _build(rpki, hall(_day()), tsa)
    tampered = der.replace("报价单位有误".encode(), "报价单位无误".encode())
    assert tampered != der
    check = _verify(rpki, tampered)
    assert "digest_mismatch" in check.codes


@pytest.mark.parametrize("changes, code", [
    ({"type": "bid-receipt"}, "wrong_type"),
    ({"events": []}, "fields_invalid"),
    ({"tender": ""}, "fields_invalid"),
    ({"extra": 1}, "fields_invalid"),
])
def test_malformed_transcripts_are_refused(rpki, tsa, changes, code):
    check = _verify(rpki, _sign_events(rpki, hall(_day()), tsa, **changes))
    assert list(check.codes) == [code] and check.events == ()


def test_event_with_wrong_member_types_is_refused(rpki, tsa):
    events = hall(_day())
    value = {"type": TRANSCRIPT_TYPE, "version": 1, "tender": TENDER, "events": [e.to_json() for e in events]}
    value["events"][2]["id"] = "4"
    s = rpki.receipt["rsa"]
    check = _verify(rpki, sign_statement(canonical_json(value), key=s.key, certificate=s.cert, chain=s.chain[:1],
                                         tsa=tsa))
    assert list(check.codes) == ["fields_invalid"] and "event 3: id must be a positive integer" in check.message()


def test_non_canonical_transcript_is_refused(rpki, tsa):
    import json
    value = {"type": TRANSCRIPT_TYPE, "version": 1, "tender": TENDER, "events": [e.to_json() for e in hall(_day())]}
    s = rpki.receipt["rsa"]
    der = sign_statement(json.dumps(value, ensure_ascii=False).encode(), key=s.key, certificate=s.cert,
                         chain=s.chain[:1], tsa=tsa)
    assert list(_verify(rpki, der).codes) == ["not_canonical"]


def test_transcript_without_token_or_by_another_signer_is_refused(rpki, tsa):
    events = hall(_day())
    content = canonical_json({"type": TRANSCRIPT_TYPE, "version": 1, "tender": TENDER,
                              "events": [e.to_json() for e in events]})
    s = rpki.receipt["rsa"]
    unstamped = sign(content, key=s.key, certificate=s.cert, chain=s.chain[:1], signing_time=NOW)
    assert list(_verify(rpki, unstamped).codes) == ["timestamp_missing"]
    from pki.timestamps import add_timestamp
    other = rpki.supplier
    by_other = add_timestamp(sign(content, key=other.key, certificate=other.cert, chain=other.chain[:1],
                                  signing_time=NOW), tsa)
    assert list(_verify(rpki, by_other).codes) == ["signer_role"]


def test_token_older_than_the_last_event_is_refused(rpki, tsa):
    events = hall(chain(HALL_DAY, start=NOW + timedelta(minutes=5)))
    der = _build(rpki, events, tsa)
    assert list(_verify(rpki, der).codes) == ["timestamp_time"]
    assert _verify(rpki, _build(rpki, events, make_tsa(rpki, NOW + timedelta(minutes=6)))).ok
