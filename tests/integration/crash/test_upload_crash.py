"""SIGKILL of the whole web server (gunicorn master and workers at once, as in a power cut) in the
middle of 40 concurrent uploads of 1 MB (the kill comes once 6 receipts are out, most uploads still
in flight), on PostgreSQL. After a restart:

- every bid a bidder holds a receipt for is in the store and its file's SHA-256 is the receipt's;
- every bid the database records has its complete file (no half-written file counts as a bid);
- every upload cut off can be resumed from the offset the platform gives (HEAD), or is found
  accepted (its answer was lost in the crash), and in the end each bidder has exactly one intact bid.
"""
from __future__ import annotations

import hashlib
import threading
import time

import live_platform as live
import pytest

BIDDERS = 40
SIZE = 1_000_000
CHUNK = 128 * 1024
KILL_AFTER = 6                 # receipts out when the server is killed


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_during_40_uploads_loses_no_bid_and_uploads_resume(live_db_url, tmp_path):
    world = live.make_world(live_db_url, tmp_path / "world", BIDDERS)
    envelopes = [live.sealed(b, SIZE) for b in world.bidders]
    server = live.platform_server(world, tmp_path / "gunicorn-1.log", workers=2, threads=16)
    try:
        clients = [live.Client(server.port) for _ in world.bidders]
        for client, bidder in zip(clients, world.bidders):
            client.login(bidder.username)
            client.close()
        outcomes = [live.Outcome(b.username, hashlib.sha256(e).hexdigest(), len(e))
                    for b, e in zip(world.bidders, envelopes)]
        threads = [threading.Thread(target=c.upload, args=(world.tender_id, e, CHUNK, o), daemon=True)
                   for c, e, o in zip(clients, envelopes, outcomes)]
        for t in threads:
            t.start()
        live_wait(lambda: sum(1 for o in outcomes if o.bid) >= KILL_AFTER or not any(t.is_alive() for t in threads),
                  240)
        server.kill()
        for t in threads:
            t.join(60)
    finally:
        server.kill()
    cut = [o for o in outcomes if not o.bid]
    assert 0 < len(cut) < BIDDERS, "the kill came before the first receipt or after the last upload"
    assert all(o.error or o.refusal for o in cut)

    # Before anything runs again: every recorded bid's file is whole, and no .part counts as a bid.
    recorded = live.recorded_bids(world)
    assert {o.bid for o in outcomes if o.bid} <= {bid for bid, _, _ in recorded}
    for bid, sha256, size in recorded:
        path = world.bid_store / "envelopes" / sha256[:2] / sha256
        assert path.stat().st_size == size and live.file_sha256(path) == sha256, bid

    restarted = live.platform_server(world, tmp_path / "gunicorn-2.log", workers=2, threads=16)
    try:
        assert live.lost_bids(world, outcomes, restarted.port) == []
        resumed = found = 0
        for outcome, envelope, before in zip(outcomes, envelopes, clients):
            if outcome.bid:
                continue
            client = live.Client(restarted.port)        # the bidder's session outlives the server: no new log-in
            client.cookie, client.csrf = before.cookie, before.csrf
            if outcome.upload_url is None:                 # cut before its upload began: start it now
                outcome.refusal = outcome.error = None
                client.upload(world.tender_id, envelope, CHUNK, outcome)
            else:
                status, state = client.json("GET", outcome.upload_url)
                assert status == 200, state
                if state["bid"]:                           # accepted, but the answer died with the server
                    outcome.bid, outcome.receipt_url = state["bid"]["id"], state["bid"]["receipt_url"]
                    found += 1
                else:
                    assert state["state"] == "receiving", state
                    outcome.refusal = None
                    client.resume(envelope, CHUNK, outcome)
                    resumed += 1
            client.close()
            assert outcome.bid, (outcome.username, outcome.refusal, outcome.error)
        assert resumed + found > 0
        print(f"{len(cut)} uploads cut by the kill: {resumed} resumed, {found} found accepted, "
              f"{len(cut) - resumed - found} started again")
        assert live.lost_bids(world, outcomes, restarted.port) == []
    finally:
        restarted.stop()
    recorded = live.recorded_bids(world)
    assert sorted(bid for bid, _, _ in recorded) == sorted(o.bid for o in outcomes)     # one bid each


def live_wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.02)
