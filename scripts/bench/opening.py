#!/usr/bin/env python3
"""Benchmark: the opening (开标) of many bids — the platform's decrypt-and-verify per bid against
``openssl cms -decrypt`` of the same envelopes, in the same run.

Ours, per bid, is what ``bidding.opening.services.submit_key`` does with the bid's bytes
(docs/opening.md, step 3) without the database: the SHA-256 of the stored envelope, the content key
opened from the envelope the bidder sealed it in to the tender's opening certificate, then
``bidding.bids.sealing.open_bid`` with that key (``pki.envelope.decrypt_with_content_key``; the
manifest's signature and signer chain, tender and bidder, every file's size, SHA-256 and SM3; the
files published into a folder). All bids run in one fresh process (one opening), whose peak RSS is
reported. OpenSSL's side is one ``openssl cms -decrypt`` process per bid with the bidder's key (it
unwraps and decrypts; it checks nothing inside), its largest peak RSS reported.

    python scripts/bench/opening.py                        # 500 bids of 2 MB
    python scripts/bench/opening.py --bids 20 --size-mb 0.2 --json out.json     # quick
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)
MB = 1_000_000
TENDER = "ZB-2026-BENCH001"


def prepare(work: Path, bids: int, size: int) -> dict:
    """The CA, the bidder's signing and encryption certificates, the tender's opening certificate,
    and ``bids`` sealed bid packages (one file of ``size`` random bytes each), each with its content
    key sealed to the opening certificate (what the bidder's agent hands back)."""
    from cryptography.hazmat.primitives import serialization
    from support.bids import (
        PASSWORD,
        issue,
        make_bid_ca,
        party_identity,
        seal,
        sealed_package,
    )

    from pki import envelope
    from pki.identity import PartyIdentity
    from pki.keys import load_pkcs12
    ca = make_bid_ca(work / "ca")
    bidder = party_identity("supplier")
    signing = issue(ca, bidder, algorithm="rsa", purpose="signing", seal_kind=None)
    decryption = issue(ca, bidder, algorithm="rsa")
    opening = issue(ca, PartyIdentity("institution", "开标密钥", credit_code=bidder.credit_code), algorithm="rsa")
    keys = work / "keys"
    keys.mkdir()
    for name, holder in (("bidder", decryption), ("opening", opening)):
        (keys / f"{name}.crt").write_bytes(_pem(holder.cert.dump(), "CERTIFICATE"))
        private = load_pkcs12(ca.path(holder.record.key_file).read_bytes(), PASSWORD)[0]
        (keys / f"{name}.key").write_bytes(private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    envelopes = work / "envelopes"
    envelopes.mkdir()
    for i in range(bids):
        package = sealed_package(work / "packages" / str(i), signing, [decryption], tender=TENDER,
                                 bidder=bidder.credit_code, files={"报价文件.bin": os.urandom(size)})
        path = envelopes / f"{i:04d}.p7m"
        path.write_bytes(package)
        content_key = envelope.unwrap_content_key(envelope.find_recipient_info(path, decryption.cert),
                                                  decryption.key, decryption.cert)
        (envelopes / f"{i:04d}.key.p7m").write_bytes(seal(content_key, opening))
        shutil.rmtree(work / "packages" / str(i))
    return {"anchors": str(ca.anchors_dir), "chain": [c.dump().hex() for c in signing.chain],
            "bidder": bidder.credit_code, "keys": str(keys), "envelopes": str(envelopes), "bids": bids}


def _pem(der: bytes, label: str) -> bytes:
    import base64
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n".encode()


# -- the two sides, each in a process of its own --------------------------------------------------------------
def ours(spec: dict, out: Path) -> dict:
    """Open every bid as the platform does; seconds per bid and this process's peak RSS."""
    from asn1crypto import x509

    from bidding.bids.sealing import open_bid
    from pki import envelope
    from pki.certs import load_certificate
    from pki.keyops import FileKey
    from pki.keys import load_private_key
    from pki.trust import load_trust_list
    keys = Path(spec["keys"])
    opening_cert = load_certificate((keys / "opening.crt").read_bytes())
    opening_key = FileKey(load_private_key((keys / "opening.key").read_bytes()))
    trust = load_trust_list(ROOT / "config" / "trust", spec["anchors"])
    profile = trust.profile("cfca")
    roots = [load_certificate(p.read_bytes()) for p in sorted(Path(spec["anchors"]).glob("cfca/*-root.pem"))]
    chain = [x509.Certificate.load(bytes.fromhex(c)) for c in spec["chain"]]

    def identify(cert):  # type: ignore[no-untyped-def]
        return profile.read_identity(cert).number

    times = []
    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024       # Python and the imports
    for i in range(spec["bids"]):
        path = Path(spec["envelopes"]) / f"{i:04d}.p7m"
        start = time.perf_counter()
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        key_out = io.BytesIO()
        envelope.decrypt_stream(io.BytesIO((path.parent / f"{i:04d}.key.p7m").read_bytes()), key_out,
                                key=opening_key, certificate=opening_cert)
        opened = open_bid(path, out / f"{i:04d}", content_key=key_out.getvalue(), trust_roots=roots,
                          intermediates=chain, identify=identify, expect_tender=TENDER,
                          expect_bidder=spec["bidder"], at=datetime.now(UTC), replace=True)
        times.append(time.perf_counter() - start)
        assert opened.manifest.tender_id == TENDER and digest.hexdigest()
        shutil.rmtree(out / f"{i:04d}")          # untimed: keep the disk's dirty pages alike on both sides
    return {"times": times, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "rss_before": imported}


def theirs(spec: dict, out: Path) -> dict:
    """``openssl cms -decrypt`` once per bid; seconds per bid and the largest peak RSS of them."""
    keys = Path(spec["keys"])
    times = []
    for i in range(spec["bids"]):
        target = out / f"{i:04d}.bin"
        start = time.perf_counter()
        subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-recip", str(keys / "bidder.crt"),
                        "-inkey", str(keys / "bidder.key"), "-in", str(Path(spec["envelopes"]) / f"{i:04d}.p7m"),
                        "-out", str(target)], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        target.unlink()
    return {"times": times, "peak_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}


def child(side: str, spec_path: str, out: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    Path(out).mkdir(parents=True, exist_ok=True)
    result = (ours if side == "ours" else theirs)(spec, Path(out))
    print(json.dumps(result))


def run_side(side: str, spec_path: Path, out: Path) -> dict:
    os.sync()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", side, str(spec_path), str(out)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(*argv[1:4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bids", type=int, default=500)
    ap.add_argument("--size-mb", type=float, default=2.0, help="each bid's one file, MB (default 2)")
    ap.add_argument("--tmp", default="/tmp")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    if not shutil.which("openssl"):
        print("needs openssl", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-opening-", dir=args.tmp))
    try:
        began = time.monotonic()
        spec = prepare(work, args.bids, int(args.size_mb * MB))
        spec_path = work / "spec.json"
        spec_path.write_text(json.dumps(spec))
        print(f"opening: {args.bids} bids of {args.size_mb:g} MB | "
              f"{subprocess.run(['openssl', 'version'], capture_output=True, text=True, check=False).stdout.strip()} | "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} | set-up {time.monotonic() - began:.1f} s (untimed)",
              flush=True)
        a = run_side("ours", spec_path, work / "out-ours")
        b = run_side("openssl", spec_path, work / "out-openssl")
        rows = {}
        for name, r in (("platform", a), ("openssl", b)):
            t = r["times"]
            rows[name] = {"ms_per_bid_median": statistics.median(t) * 1000, "ms_per_bid_mean": statistics.fmean(t) * 1000,
                          "ms_p99": sorted(t)[min(len(t) - 1, int(len(t) * 0.99))] * 1000, "total_s": sum(t),
                          "peak_rss_mib": r["peak_rss"] / (1 << 20),
                          "rss_before_mib": r.get("rss_before", 0) / (1 << 20)}
        ratio = rows["platform"]["ms_per_bid_median"] / rows["openssl"]["ms_per_bid_median"]
        print(f"{'':<10}{'median ms/bid':>14}{'mean ms/bid':>12}{'p99 ms':>8}{'total s':>9}{'peak RSS MiB':>14}")
        for name, row in rows.items():
            print(f"{name:<10}{row['ms_per_bid_median']:>14.1f}{row['ms_per_bid_mean']:>12.1f}{row['ms_p99']:>8.1f}"
                  f"{row['total_s']:>9.2f}{row['peak_rss_mib']:>14.1f}")
        print(f"platform RSS before the first bid (Python and imports): {rows['platform']['rss_before_mib']:.1f} MiB; "
              f"growth over the opening: {rows['platform']['peak_rss_mib'] - rows['platform']['rss_before_mib']:.1f} MiB")
        print(f"ratio platform/openssl (median per bid): {ratio:.2f}x   (ours also verifies the manifest's signature "
              f"and chain and every file's SHA-256 and SM3, and publishes the files; openssl checks nothing inside)")
        if args.json:
            Path(args.json).write_text(json.dumps({**rows, "ratio": ratio, "bids": args.bids,
                                                   "size_mb": args.size_mb}, indent=2))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
