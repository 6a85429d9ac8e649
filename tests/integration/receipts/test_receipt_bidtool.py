"""``bidtool receipt-verify`` and ``bidtool transcript-verify``, run as the installed console script:
what they print, and exit codes 0 (valid), 2 (signed but failing), 1 (no signature, usage)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from pki.certs import load_certificate, load_certificates
from pki.keyops import FileKey
from pki.keys import load_private_key
from pki.receipts import build_transcript, format_millis, issue_receipt
from pki.receipts.canonical import canonical_json
from pki.receipts.statement import sign_statement
from pki.receipts.transcript import TRANSCRIPT_TYPE

from support.receipts import HALL_DAY, ISSUED, NOW, PLATFORM, TENDER, chain, hall


def _files(rpki, tmp_path, alg="rsa"):
    (tmp_path / "root.pem").write_bytes(rpki.roots[alg].read_bytes())
    (tmp_path / "tsa-root.pem").write_bytes(rpki.tsa_root.read_bytes())


def _receipt(rpki, fields, tsa, tmp_path, alg="rsa", name="receipt.der") -> bytes:
    s = rpki.receipt[alg]
    der = issue_receipt(fields, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)
    (tmp_path / name).write_bytes(der)
    _files(rpki, tmp_path, alg)
    return der


@pytest.mark.parametrize("alg, flavour", [("rsa", "cms"), ("sm2", "gm-standard")])
def test_receipt_verify_prints_the_fields(rpki, fields, tsa, tmp_path, bidtool, alg, flavour):
    _receipt(rpki, fields, tsa, tmp_path, alg)
    r = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "receipt.der")
    assert r.code == 0, r.err
    assert r.err == ""
    for line in ("tender: T-2026-001", "bid: B-17", "bidder: 91440101MA5ABCDE1X", "action: submitted",
                 "size: 5242880 bytes", f"sha256: {'3f' * 32}", f"sm3: {'a1' * 32}",
                 f"received_at: {format_millis(fields.received_at)}",
                 f"timestamp: {NOW.strftime('%Y-%m-%dT%H:%M:%SZ')} by "):
        assert line in r.out, r.out
    assert r.out.startswith("Receipt verified") and f"({flavour})" in r.out


def test_receipt_verify_replacement_names_the_old_bid(rpki, fields, tsa, tmp_path, bidtool):
    _receipt(rpki, replace(fields, bid="B-18", replaces="B-17"), tsa, tmp_path)
    r = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "receipt.der")
    assert r.code == 0 and "action: submitted (replaces bid B-17)" in r.out


def test_tampered_receipt_exits_2_and_still_says_what_it_claims(rpki, fields, tsa, tmp_path, bidtool):
    der = _receipt(rpki, fields, tsa, tmp_path)
    (tmp_path / "forged.der").write_bytes(der.replace(b'"size":5242880', b'"size":5242881'))
    r = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "forged.der")
    assert r.code == 2 and "size: 5242881 bytes" in r.out
    assert len(r.err.splitlines()) == 1 and "receipt NOT valid" in r.err


def test_receipt_without_the_tsa_root_exits_2(rpki, fields, tsa, tmp_path, bidtool):
    _receipt(rpki, fields, tsa, tmp_path, alg="ec")
    r = bidtool("receipt-verify", "--ca", "root.pem", "receipt.der")
    assert r.code == 2 and "timestamp" in r.err


def test_receipt_signed_by_someone_else_exits_2(rpki, fields, tsa, tmp_path, bidtool):
    from pki.signature import sign
    from pki.timestamps import add_timestamp
    other = rpki.supplier
    (tmp_path / "receipt.der").write_bytes(add_timestamp(sign(fields.canonical(), key=other.key,
                                                              certificate=other.cert, chain=other.chain[:1],
                                                              signing_time=NOW), tsa))
    _files(rpki, tmp_path)
    r = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "receipt.der")
    assert r.code == 2 and "receiptSigning" in r.err


def test_not_a_receipt_and_usage_mistakes_exit_1(rpki, tmp_path, bidtool):
    _files(rpki, tmp_path)
    (tmp_path / "note.txt").write_text('{"type":"bid-receipt"}')
    assert bidtool("receipt-verify", "--ca", "root.pem", "note.txt").code == 1
    assert bidtool("receipt-verify", "--ca", "root.pem", "missing.der").code == 1
    r = bidtool("receipt-verify", "note.txt")
    assert r.code == 1 and "--ca" in r.err
    assert bidtool("transcript-verify", "--ca", "note.txt", "note.txt").code == 1


def test_transcript_verify_prints_count_times_head_and_gaps(rpki, tsa, tmp_path, bidtool):
    events = hall(chain(HALL_DAY))
    s = rpki.receipt["ec"]
    (tmp_path / "transcript.der").write_bytes(build_transcript(events, tender=TENDER, key=s.key, certificate=s.cert,
                                                               chain=s.chain[:1], tsa=tsa))
    _files(rpki, tmp_path, "ec")
    r = bidtool("transcript-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "transcript.der")
    assert r.code == 0, r.err
    for line in ("Transcript verified", "tender: T-2026-001", "events: 7", f"first: {events[0].at}",
                 f"last: {events[-1].at}",
                 f"chain head: audit entry 12, sha256 {events[-1].sha256}, sm3 {events[-1].sm3}",
                 "gaps: entries 5–6, entries 9–10", "hall links: complete, events 1–7",
                 f"timestamp: {NOW.strftime('%Y-%m-%dT%H:%M:%SZ')}"):
        assert line in r.out, r.out
    assert "opening.objection" not in r.out
    listed = bidtool("transcript-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "--events",
                     "transcript.der")
    assert listed.code == 0 and "  #7 " in listed.out
    assert "opening.objection by user:6@203.0.113.9 tender:T-2026-001" in listed.out


def test_transcript_with_a_dropped_event_exits_2(rpki, tsa, tmp_path, bidtool):
    events = hall(chain(HALL_DAY))
    del events[4]
    value = {"type": TRANSCRIPT_TYPE, "version": 1, "tender": TENDER, "events": [e.to_json() for e in events]}
    s = rpki.receipt["rsa"]
    (tmp_path / "transcript.der").write_bytes(sign_statement(canonical_json(value), key=s.key, certificate=s.cert,
                                                             chain=s.chain[:1], tsa=tsa))
    _files(rpki, tmp_path)
    r = bidtool("transcript-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "transcript.der")
    assert r.code == 2 and "events: 6" in r.out
    assert "transcript NOT valid" in r.err and "dropped" in r.err and len(r.err.splitlines()) == 1


def test_receipt_is_no_transcript_and_back(rpki, fields, tsa, tmp_path, bidtool):
    _receipt(rpki, fields, tsa, tmp_path)
    r = bidtool("transcript-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "receipt.der")
    assert r.code == 2 and "not an opening transcript" in r.err
    events = hall(chain(HALL_DAY))
    s = rpki.receipt["rsa"]
    (tmp_path / "t.der").write_bytes(build_transcript(events, tender=TENDER, key=s.key, certificate=s.cert,
                                                      chain=s.chain[:1], tsa=tsa))
    r = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "t.der")
    assert r.code == 2 and "receipt" in r.err


def test_crls_are_required_when_given_and_a_revoked_receipt_certificate_fails(rpki, fields, tsa, tmp_path, bidtool):
    """With --crl, revocation is checked (and required); a receipt certificate revoked before the
    token's time makes the receipt fail."""
    svc = rpki.ca.ensure_service_certificate("receipt", tmp_path / "fresh", PLATFORM, profile="cfca",
                                             algorithm="rsa", at=ISSUED)
    key, cert = FileKey(load_private_key(svc.key_path.read_bytes())), load_certificate(svc.cert_path.read_bytes())
    chain = load_certificates(svc.chain_path.read_bytes())
    (tmp_path / "receipt.der").write_bytes(issue_receipt(fields, key=key, certificate=cert, chain=chain[:1], tsa=tsa))
    _files(rpki, tmp_path)

    def crls():
        for root in (False, True):
            (tmp_path / f"{root}.crl").write_bytes(rpki.ca.crl("cfca", "rsa", root=root))
        return ["--crl", "False.crl", "--crl", "True.crl"]

    ok = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", *crls(), "receipt.der")
    assert ok.code == 0, ok.err
    rpki.ca.revoke(cert.serial_number, "key_compromise", at=ISSUED + timedelta(minutes=1))
    revoked = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", *crls(), "receipt.der")
    assert revoked.code == 2 and "吊销" in revoked.err, revoked.err
