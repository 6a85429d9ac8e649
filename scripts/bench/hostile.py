#!/usr/bin/env python3
"""Benchmark: envelopes under hostile framing (issue "Hostile input", finding 5).

(a) Peak memory (VmHWM, by ``/usr/bin/time -f %M``) of ``bidtool inspect``, ``bidtool decrypt`` and
    ``bidtool unpack`` on a 2 GiB envelope (``--quick``: 256 MiB): our DER envelope, the BER one
    ``openssl cms -encrypt -stream`` writes of the same file, and a bid package. Target: < 64 MiB each.
(b) A 24 MiB envelope re-encoded with every constructed element indefinite and its content in
    1-byte BER segments (72 MiB of framing), decrypted by ``bidtool decrypt`` and by
    ``openssl cms -decrypt`` in the same run, alternated, medians. Target: within 2x of OpenSSL.

    python scripts/bench/hostile.py            # 2 GiB
    python scripts/bench/hostile.py --quick    # 256 MiB

Every command is a fresh process (ours includes starting Python). Work files go to --tmp and are
deleted as soon as they are no longer needed (2 GiB runs need about 3 x the size free).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
TIME = "/usr/bin/time"
MIB = 1 << 20
PASSWORD = "bench-pass"
MEMORY_TARGET = 64 * MIB
RATIO_TARGET = 2.0


def run(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and stdout of one command, which must succeed. Dirty pages
    are written out first (untimed), so no command pays for its predecessor's writeback."""
    os.sync()
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        result = subprocess.run([TIME, "-f", "%M", "-o", rss.name, *cmd], capture_output=True, env=env)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stderr.decode(errors='replace')}")
        return wall, int(rss.read().strip().splitlines()[-1]) * 1024, result.stdout.decode(errors="replace")


def bidtool(*args: str) -> list[str]:
    return [sys.executable, "-m", "bidtool", *map(str, args)]


def environment(work: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_PASS": PASSWORD,
            "EBID_TRUST_ANCHORS": str(work / "ca" / "anchors")}


def setup(work: Path) -> dict[str, Path]:
    """A development CA and one supplier's RSA signing and encryption certificates (PKCS#12 keys),
    plus a plain PEM copy of the encryption key for openssl."""
    from pki.devca import DevCA
    from pki.identity import PartyIdentity, credit_code_check_char
    base = work / "ca"
    ca = DevCA(base / "state", base / "anchors")
    ca.init(["cfca"], at=datetime.now(timezone.utc))
    code = "91440101MA5ABCDE1" + credit_code_check_char("91440101MA5ABCDE1")
    ident = PartyIdentity(kind="institution", name="基准测试有限公司", credit_code=code)
    files = {}
    for purpose in ("signing", "encryption"):
        rec = ca.issue("cfca", ident, algorithm="rsa", purpose=purpose, password=PASSWORD.encode())
        files[f"{purpose}.crt"] = work / f"{purpose}.crt"
        files[f"{purpose}.p12"] = work / f"{purpose}.p12"
        files[f"{purpose}.crt"].write_bytes(ca.path(rec.cert_file).read_bytes())
        files[f"{purpose}.p12"].write_bytes(ca.path(rec.key_file).read_bytes())
    files["root"] = base / "anchors" / "cfca" / "rsa-root.pem"
    files["intermediate"] = base / "anchors" / "cfca" / "rsa-ca.pem"
    files["encryption.pem"] = work / "encryption.pem"
    subprocess.run(["openssl", "pkcs12", "-in", str(files["encryption.p12"]), "-nodes", "-nocerts", "-passin",
                    f"pass:{PASSWORD}", "-out", str(files["encryption.pem"])], check=True, capture_output=True)
    return files


def make_plain(path: Path, size: int) -> None:
    block = bytearray(os.urandom(4 * MIB))
    with open(path, "wb") as f:
        left, i = size, 0
        while left:
            block[0] = i & 0xFF      # no two blocks alike, cheaply
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
            i += 1


def memory_rows(work: Path, k: dict[str, Path], size: int, env: dict) -> Iterator[tuple]:
    """(what, seconds, peak bytes, note) for inspect / decrypt / unpack on envelopes of ``size``."""
    plain, der, ber, out = work / "plain.bin", work / "env.der", work / "openssl-stream.ber", work / "out.bin"
    key = ["--key", str(k["encryption.p12"]), "--pass-env", "BENCH_PASS", "--cert", str(k["encryption.crt"])]
    make_plain(plain, size)
    run(bidtool("encrypt", "--to", k["encryption.crt"], plain, der), env)
    wall, rss, text = run(bidtool("inspect", der), env)
    yield ("inspect (ours, DER)", wall, rss, text.splitlines()[2].strip())
    wall, rss, _ = run(bidtool("decrypt", *key, der, out), env)
    yield ("decrypt (ours, DER)", wall, rss, _same_size(out, size))
    out.unlink()
    der.unlink()
    subprocess.run(["openssl", "cms", "-encrypt", "-stream", "-binary", "-aes-256-gcm", "-outform", "DER",
                    "-in", str(plain), "-out", str(ber), str(k["encryption.crt"])], check=True)
    wall, rss, text = run(bidtool("inspect", ber), env)
    yield ("inspect (openssl BER)", wall, rss, text.splitlines()[0].split("(")[-1].rstrip(")"))
    wall, rss, _ = run(bidtool("decrypt", *key, ber, out), env)
    yield ("decrypt (openssl BER)", wall, rss, _same_size(out, size))
    out.unlink()
    ber.unlink()
    package, outdir = work / "bid.env", work / "unpacked"
    wall, rss, _ = run(bidtool("pack", "--tender", "T-BENCH", "--price", "1.00", "--key", k["signing.p12"],
                               "--pass-env", "BENCH_PASS", "--cert", k["signing.crt"], "--enc-cert",
                               k["encryption.crt"], "-o", package, plain), env)
    yield ("pack (for unpack)", wall, rss, "not judged")
    plain.unlink()
    wall, rss, _ = run(bidtool("unpack", *key, "--ca", k["root"], "--untrusted", k["intermediate"], package,
                               outdir), env)
    yield ("unpack", wall, rss, _same_size(outdir / "files" / "plain.bin", size))
    package.unlink()
    shutil.rmtree(outdir)


def _same_size(path: Path, size: int) -> str:
    got = path.stat().st_size
    if got != size:
        raise SystemExit(f"{path}: {got} bytes, expected {size}")
    return "output size ok"


def segment_rows(work: Path, k: dict[str, Path], size: int, reps: int, env: dict) -> list[tuple]:
    """Ours vs openssl decrypting ``size`` bytes framed as 1-byte BER segments."""
    sys.path.insert(0, str(ROOT))
    from devsetup.ber import to_indefinite
    plain, der, ber = work / "plain-small.bin", work / "small.der", work / "one-byte.ber"
    make_plain(plain, size)
    run(bidtool("encrypt", "--to", k["encryption.crt"], plain, der), env)
    ber.write_bytes(to_indefinite(der.read_bytes(), 1))
    key = ["--key", str(k["encryption.p12"]), "--pass-env", "BENCH_PASS", "--cert", str(k["encryption.crt"])]
    ours = bidtool("decrypt", "--force", *key, ber, work / "out-ours")
    theirs = ["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(ber), "-recip",
              str(k["encryption.crt"]), "-inkey", str(k["encryption.pem"]), "-out", str(work / "out-openssl")]
    times: dict[str, list[float]] = {"ours": [], "openssl": []}
    peaks: dict[str, list[int]] = {"ours": [], "openssl": []}
    for rep in range(reps):
        order = [("ours", ours), ("openssl", theirs)]
        for name, cmd in (order if rep % 2 == 0 else order[::-1]):
            wall, rss, _ = run(cmd, env)
            times[name].append(wall)
            peaks[name].append(rss)
    for name in ("out-ours", "out-openssl"):
        if (work / name).read_bytes() != plain.read_bytes():
            raise SystemExit(f"{name} differs from the plaintext")
    return [(ber.stat().st_size, statistics.median(times["ours"]), statistics.median(times["openssl"]),
             max(peaks["ours"]), max(peaks["openssl"]))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="256 MiB instead of 2 GiB for (a)")
    ap.add_argument("--segments-size", default=24, type=int, help="MiB of plaintext for (b) (default 24)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of (b) (default 3)")
    ap.add_argument("--tmp", default="/tmp", help="where the temporary files go (default /tmp)")
    args = ap.parse_args(argv)
    if not os.path.exists(TIME) or not shutil.which("openssl"):
        print("needs /usr/bin/time (Debian package 'time') and openssl", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    size = (256 if args.quick else 2048) * MIB
    print(subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
          f"| python {sys.version.split()[0]} | {os.cpu_count()} cores")
    work = Path(tempfile.mkdtemp(prefix="bench-hostile-", dir=args.tmp))
    failed = 0
    try:
        keys = setup(work)
        env = environment(work)
        print(f"\n(a) peak memory on {_fmt(size)} (target < {MEMORY_TARGET // MIB} MiB each)")
        header = f"{'command':<24} {'seconds':>8} {'peak MiB':>9}  {'ok':<3} note"
        print(header)
        print("-" * len(header))
        for what, wall, rss, note in memory_rows(work, keys, size, env):
            judged = not what.startswith("pack")
            ok = rss < MEMORY_TARGET
            failed += judged and not ok
            print(f"{what:<24} {wall:8.2f} {rss / MIB:9.1f}  {('yes' if ok else 'NO') if judged else '-':<3} {note}",
                  flush=True)
        print(f"\n(b) {args.segments_size} MiB in 1-byte BER segments, fully indefinite "
              f"({args.reps} reps, medians; target ratio <= {RATIO_TARGET})")
        header = f"{'envelope MiB':>12} {'ours s':>8} {'openssl s':>10} {'ratio':>6} {'ours MiB':>9} {'openssl MiB':>12}  ok"
        print(header)
        print("-" * len(header))
        for framed, mo, mt, rss_o, rss_t in segment_rows(work, keys, args.segments_size * MIB, args.reps, env):
            ok = mo / mt <= RATIO_TARGET
            failed += not ok
            print(f"{framed / MIB:12.1f} {mo:8.2f} {mt:10.2f} {mo / mt:6.2f} {rss_o / MIB:9.1f} {rss_t / MIB:12.1f}  "
                  f"{'yes' if ok else 'NO'}")
        start = statistics.median(run([sys.executable, "-c", "import bidtool.cli, pki.envelope"], env)[0]
                                  for _ in range(3))
        print(f"(ours includes starting Python and importing bidtool: {start:.2f} s per run)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def _fmt(size: int) -> str:
    return f"{size >> 30} GiB" if size >= 1 << 30 and size % (1 << 30) == 0 else f"{size >> 20} MiB"


if __name__ == "__main__":
    raise SystemExit(main())
