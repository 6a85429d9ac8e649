#!/usr/bin/env python3
"""Benchmark: the deadline rush (截止前集中投标). Many bidders upload their envelopes in the last
minute through the resumable upload API of the real platform (gunicorn gthread workers, PostgreSQL,
CSRF, receipts signed with a TSA token), the deadline falling inside the rush so that the last ones
are refused; then the same arrivals against a bare streaming upload app (``bare_upload.py``: fsync
and rename, nothing else) on the same gunicorn settings, in the same run, and the ratios.

    python scripts/bench/rush.py                               # 200 bidders x 5 MB over 60 s
    python scripts/bench/rush.py --bidders 20 --size-mb 1      # quick: well under a minute
    python scripts/bench/rush.py --workers 2 --threads 50 --json result.json

Reported for the platform: accepted, refused at the deadline (at the start or at the last byte),
other refusals and transport errors, **lost** (a bid whose bidder holds a receipt but whose
envelope is missing from the store or differs from the receipt's SHA-256, and any recorded bid whose
file differs: must be 0), p50/p99 latency from the first request to the receipt, throughput of
accepted bytes. Setting up (cluster, migrations, bidders, certificates, log-ins) is not timed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live_platform as live

MB = 1_000_000
#: refusals of the deadline: at the last byte, at the start, and a chunk after it (an upload lives
#: no longer than the deadline: 410 upload_expired)
DEADLINE_REFUSALS = {"bid_deadline_passed", "tender_not_open_for_bids", "upload_expired"}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def rush(port: int, tender_id: int, clients: list[live.Client], envelopes: list[bytes], usernames: list[str],
         arrivals: list[float], chunk: int) -> list[live.Outcome]:
    """Every bidder starts its upload at its arrival time (seconds after now + 1 s), all at once."""
    import hashlib
    outcomes = [live.Outcome(name, hashlib.sha256(data).hexdigest(), len(data)) for name, data in zip(usernames, envelopes)]
    t0 = time.monotonic() + 1.0

    def one(i: int) -> None:
        time.sleep(max(0.0, t0 + arrivals[i] - time.monotonic()))
        clients[i].upload(tender_id, envelopes[i], chunk, outcomes[i])
        clients[i].close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(envelopes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def summary(outcomes: list[live.Outcome]) -> dict[str, float | int]:
    accepted = [o for o in outcomes if o.bid]
    latencies = [o.latency for o in accepted]
    span = (max(o.finished for o in accepted) - min(o.started for o in accepted)) if accepted else float("nan")
    refusals = Counter(o.refusal for o in outcomes if o.refusal)
    return {"accepted": len(accepted), "refused_deadline": sum(refusals[c] for c in DEADLINE_REFUSALS),
            "refused_other": sum(n for c, n in refusals.items() if c not in DEADLINE_REFUSALS),
            "errors": sum(1 for o in outcomes if o.error), "p50_s": percentile(latencies, 50),
            "p99_s": percentile(latencies, 99), "mean_s": statistics.fmean(latencies) if latencies else float("nan"),
            "throughput_mb_s": sum(o.size for o in accepted) / MB / span if accepted else 0.0,
            "refusal_codes": dict(refusals),
            "error_kinds": dict(Counter(o.error.split(":")[0] for o in outcomes if o.error))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bidders", type=int, default=200)
    ap.add_argument("--size-mb", type=float, default=5.0, help="envelope size in MB (10^6 bytes; default 5)")
    ap.add_argument("--spread", type=float, default=None,
                    help="seconds over which the bidders arrive (default 0.3 s per bidder, at most 60)")
    ap.add_argument("--deadline-at", type=float, default=0.9,
                    help="the deadline as a fraction of the spread after the first arrival (default 0.9)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as `make run`)")
    ap.add_argument("--threads", type=int, default=16, help="threads per worker (default 16, as `make run`)")
    ap.add_argument("--chunk-mb", type=float, default=8.0, help="PATCH size in MiB (default 8: the platform's max)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tmp", default="/tmp", help="where the cluster, the stores and the logs go")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    args = ap.parse_args(argv)
    spread = args.spread if args.spread is not None else min(60.0, 0.3 * args.bidders)
    size, chunk = int(args.size_mb * MB), int(args.chunk_mb * (1 << 20))
    work = Path(tempfile.mkdtemp(prefix="bench-rush-", dir=args.tmp))
    work.chmod(0o755)
    rng = random.Random(args.seed)
    arrivals = sorted(rng.uniform(0, spread) for _ in range(args.bidders))
    print(f"rush: {args.bidders} bidders x {size / MB:g} MB over {spread:g} s, deadline at {args.deadline_at:g} of it; "
          f"gunicorn gthread {args.workers}x{args.threads}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
          flush=True)
    try:
        with live.postgres() as pg:
            began = time.monotonic()
            world = live.make_world(pg.create_database("rush"), work / "platform", args.bidders)
            envelopes = [live.sealed(b, size) for b in world.bidders]
            usernames = [b.username for b in world.bidders]
            print(f"set-up (not timed): {time.monotonic() - began:.1f} s", flush=True)

            server = live.platform_server(world, work / "gunicorn-platform.log", workers=args.workers,
                                          threads=args.threads)
            try:
                clients = [live.Client(server.port) for _ in usernames]
                _login_all(clients, usernames)
                live.set_deadline(world, datetime.now(UTC) + timedelta(seconds=1 + args.deadline_at * spread))
                ours = rush(server.port, world.tender_id, clients, envelopes, usernames, arrivals, chunk)
                lost = live.lost_bids(world, ours, server.port)
            finally:
                server.stop()

            bare_dir = work / "bare"
            bare = live.Server("bare_upload:app", {"BARE_UPLOAD_DIR": str(bare_dir)}, work / "gunicorn-bare.log",
                               workers=args.workers, threads=args.threads)
            try:
                theirs = rush(bare.port, 0, [live.Client(bare.port) for _ in usernames], envelopes, usernames,
                              arrivals, chunk)
            finally:
                bare.stop()
        figures = {"platform": {**summary(ours), "lost": len(lost)}, "bare": summary(theirs),
                   "bidders": args.bidders, "size_mb": size / MB, "spread_s": spread,
                   "workers": args.workers, "threads": args.threads}
        _print(figures, lost)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
        return 1 if lost else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _login_all(clients: list[live.Client], usernames: list[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda pair: pair[0].login(pair[1]), zip(clients, usernames)))
    for client in clients:
        client.close()


def _print(figures: dict, lost: list[str]) -> None:
    ours, theirs = figures["platform"], figures["bare"]
    print(f"{'':<10}{'accepted':>9}{'refused@deadline':>17}{'refused other':>14}{'errors':>7}{'lost':>5}"
          f"{'p50 s':>8}{'p99 s':>8}{'MB/s':>8}")
    for name, row in (("platform", ours), ("bare app", theirs)):
        print(f"{name:<10}{row['accepted']:>9}{row['refused_deadline']:>17}{row['refused_other']:>14}"
              f"{row['errors']:>7}{row.get('lost', '-'):>5}{row['p50_s']:>8.2f}{row['p99_s']:>8.2f}"
              f"{row['throughput_mb_s']:>8.1f}")
    ratio = {k: ours[k] / theirs[k] if theirs[k] else float("nan") for k in ("p50_s", "p99_s", "throughput_mb_s")}
    figures["ratios"] = ratio
    print(f"ratio platform/bare: p50 {ratio['p50_s']:.2f}x, p99 {ratio['p99_s']:.2f}x, "
          f"throughput {ratio['throughput_mb_s']:.2f}x")
    if ours["refusal_codes"]:
        print("platform refusals:", ", ".join(f"{c} {n}" for c, n in sorted(ours["refusal_codes"].items())))
    if ours["error_kinds"] or theirs["error_kinds"]:
        print("transport errors:", ours["error_kinds"], "(bare:", theirs["error_kinds"], ")")
    for line in lost:
        print("LOST:", line)


if __name__ == "__main__":
    sys.exit(main())
