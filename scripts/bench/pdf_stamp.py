#!/usr/bin/env python3
"""Benchmark: stamping and verifying a 50-page PDF (pki.pdf) against ``pdfsig`` on the same file.

Same files, same run, alternated, several repetitions, medians. ``pdfsig`` (poppler) is the
reference: it checks each signature's byte-range digest, signature value and certificate (NSS, the
development roots trusted), but neither the timestamp nor what follows a signature. Ours:

- *stamp*: prepare → sign the digest → finish with a timestamp (the platform's TSA, in process) and
  the validation data (B-LT), one signature, in process; with ``--cross-page`` also the variant with
  the cross-page seal (50 slices);
- *verify*: :func:`pki.pdf.verify_pdf` in process (chains and CRLs, timestamps, the difference
  policy, the seal image), and the same in a fresh Python process (as ``pdfsig`` is one);

each on the one-signature document and on a two-party contract (two signatures with cross-page
seals, B-LT). RSA-2048 and ECDSA P-256 from the development CA.

    python scripts/bench/pdf_stamp.py              # 5 repetitions
    python scripts/bench/pdf_stamp.py --reps 11
"""
from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PASSWORD = b"bench-pass"
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def child(argv: list[str]) -> None:
    """One verification in a fresh process: ``--child verify FILE ANCHORS_DIR CRL_DIR``."""
    from pki.pdf import verify_pdf
    from pki.trust import load_trust_list
    _, pdf, anchors, crl_dir = argv
    trust = load_trust_list(ROOT / "config" / "trust", anchors)
    crls = [p.read_bytes() for p in sorted(Path(crl_dir).glob("*.crl"))]
    result = verify_pdf(Path(pdf).read_bytes(), trust=trust, crls=crls)
    if not result.ok():
        raise SystemExit(f"verification failed: {[s.problems for s in result.signatures]}")


def document(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(TTFont("WQY", FONT, subfontIndex=0))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, initialFontName="WQY", initialFontSize=11, invariant=1)
    for page in range(pages):
        c.setFont("WQY", 16)
        c.drawString(72, 770, f"政府采购合同　第 {page + 1} 页 / 共 {pages} 页")
        c.setFont("WQY", 11)
        for line in range(30):
            c.drawString(72, 730 - line * 20, f"第 {line + 1} 条　甲乙双方约定的事项（基准测试文本 {page + 1}-{line + 1}）")
        c.showPage()
    c.save()
    return out.getvalue()


class World:
    """A development CA with two parties (RSA, EC), the TSA, the CRLs and an NSS database for pdfsig."""

    def __init__(self, work: Path):
        import pki  # noqa: F401
        from asn1crypto import pem

        from pki.certs import load_certificate
        from pki.devca import DevCA
        from pki.identity import PartyIdentity, credit_code_check_char
        from pki.keyops import FileKey
        from pki.keys import load_pkcs12, load_private_key
        from pki.timestamps import TimeStampAuthority

        def code(seed: int) -> str:
            first = f"9144010055{seed:07d}"
            return first + credit_code_check_char(first)

        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.work = work
        self.ca = DevCA(work / "state", work / "anchors")
        self.ca.init(["cfca"], at=self.now - timedelta(days=1))
        self.parties = {}
        for alg, name, seed in (("rsa", "基准采购人单位", 1), ("ec", "基准供应商有限公司", 2)):
            rec = self.ca.issue("cfca", PartyIdentity("institution", name, credit_code=code(seed)), algorithm=alg,
                                password=PASSWORD, at=self.now - timedelta(hours=1))
            key = load_pkcs12(self.ca.path(rec.key_file).read_bytes(), PASSWORD)[0]
            self.parties[alg] = (FileKey(key), self.ca.certificate(rec.serial),
                                 self.ca.path(rec.seal_file).read_bytes(), self.ca.chain("cfca", alg).intermediate)
        service = self.ca.ensure_service_certificate("tsa", work / "tsa", PartyIdentity(
            "institution", "基准时间戳服务", credit_code=code(99)), profile="cfca", algorithm="rsa",
            at=self.now - timedelta(hours=1))

        class Clock:
            def now(_self):
                return self.now

        self.tsa = TimeStampAuthority(FileKey(load_private_key(service.key_path.read_bytes())),
                                      load_certificate(service.cert_path.read_bytes()),
                                      [self.ca.chain("cfca", "rsa").intermediate], "1.3.6.1.4.1.99999.14.9", Clock())
        self.ca.publish_crls(at=self.now - timedelta(minutes=1))
        self.crl_dir = work / "crl"
        self.crl_dir.mkdir()
        for index, crl in enumerate(self.ca.crls()):
            (self.crl_dir / f"{index}.crl").write_bytes(crl)
        self.nss = work / "nss"
        self.nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{self.nss}", "--empty-password"], check=True, capture_output=True)
        for index, chain in enumerate(self.ca.chains()):
            root = work / f"root{index}.pem"
            root.write_bytes(pem.armor("CERTIFICATE", chain.root.dump()))
            subprocess.run(["certutil", "-A", "-d", f"sql:{self.nss}", "-n", f"root{index}", "-t", "C,C,", "-i",
                            str(root)], check=True, capture_output=True)

    def stamp(self, pdf: bytes, alg: str, *, cross_page: bool, x: float = 90) -> bytes:
        from pki.pdf import SealPlacement, StampSpec, ValidationData, stamp_with_key
        key, cert, seal, inter = self.parties[alg]
        certs = tuple(c for chain in self.ca.chains() for c in (chain.intermediate, chain.root))
        return stamp_with_key(pdf, key, cert, StampSpec(seal, SealPlacement(page=0, x=x, y=70), cross_page=cross_page),
                              chain=[inter], signing_time=self.now, timestamper=self.tsa,
                              validation=ValidationData(certs, tuple(self.ca.crls())))

    def verify(self, pdf: bytes) -> None:
        from pki.pdf import verify_pdf
        if not hasattr(self, "trust"):
            self.trust, self.crls = self.ca.trust_list(), self.ca.crls()    # as a server keeps them
        result = verify_pdf(pdf, trust=self.trust, crls=self.crls)
        if not result.ok():
            raise SystemExit(f"verification failed: {[s.problems for s in result.signatures]}")

    def pdfsig(self, path: Path, signatures: int) -> None:
        out = subprocess.run(["pdfsig", "-nssdir", f"sql:{self.nss}", str(path)], capture_output=True, text=True).stdout
        if out.count("Signature is Valid.") != signatures or out.count("Certificate is Trusted.") != signatures:
            raise SystemExit(f"pdfsig disagrees:\n{out}")

    def fresh_verify(self, path: Path) -> None:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "verify", str(path),
                        str(self.work / "anchors"), str(self.crl_dir)], check=True)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    if not shutil.which("pdfsig") or not shutil.which("certutil"):
        print("needs pdfsig (poppler-utils) and certutil (libnss3-tools)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    try:
        world = World(work)
        plain = document(args.pages)
        one = world.stamp(plain, "rsa", cross_page=False)
        contract = world.stamp(world.stamp(plain, "rsa", cross_page=True), "ec", cross_page=True, x=330)
        files = {"one": work / "one.pdf", "contract": work / "contract.pdf"}
        files["one"].write_bytes(one)
        files["contract"].write_bytes(contract)
        world.verify(one)                           # warm up (imports, caches) and check
        world.pdfsig(files["one"], 1)

        rows = {key: [] for key in ("stamp", "stamp-x", "v-one", "fv-one", "p-one", "v-two", "fv-two", "p-two")}
        for _ in range(args.reps):
            rows["p-one"].append(timed(lambda: world.pdfsig(files["one"], 1)))
            rows["stamp"].append(timed(lambda: world.stamp(plain, "rsa", cross_page=False)))
            rows["stamp-x"].append(timed(lambda: world.stamp(plain, "rsa", cross_page=True)))
            rows["v-one"].append(timed(lambda: world.verify(one)))
            rows["fv-one"].append(timed(lambda: world.fresh_verify(files["one"])))
            rows["p-two"].append(timed(lambda: world.pdfsig(files["contract"], 2)))
            rows["v-two"].append(timed(lambda: world.verify(contract)))
            rows["fv-two"].append(timed(lambda: world.fresh_verify(files["contract"])))
        med = {key: statistics.median(values) * 1000 for key, values in rows.items()}
        start = statistics.median(timed(lambda: subprocess.run([sys.executable, "-c", "import pki.pdf"], check=True))
                                  for _ in range(3)) * 1000

        print(f"{args.pages}-page PDF ({len(plain) // 1024} KiB), RSA-2048 / P-256, B-LT with a timestamp; "
              f"{args.reps} repetitions, medians")
        print(f"{'operation':<52} {'ours ms':>9} {'pdfsig ms':>10} {'ratio':>7}")
        print("-" * 81)
        lines = [
            ("stamp 1 signature (prepare, sign, TSA, DSS)", "stamp", "p-one"),
            (f"stamp 1 signature + cross-page seal ({args.pages} slices)", "stamp-x", "p-one"),
            ("verify 1 signature, in process", "v-one", "p-one"),
            ("verify 1 signature, fresh process", "fv-one", "p-one"),
            ("verify 2 signatures (contract), in process", "v-two", "p-two"),
            ("verify 2 signatures (contract), fresh process", "fv-two", "p-two"),
        ]
        for label, ours, theirs in lines:
            print(f"{label:<52} {med[ours]:9.0f} {med[theirs]:10.0f} {med[ours] / med[theirs]:7.2f}")
        print(f"per signature of the contract: ours {med['v-two'] / 2:.0f} ms in process, pdfsig "
              f"{med['p-two'] / 2:.0f} ms (a fresh process starts and imports pki.pdf in {start:.0f} ms)")
        print(f"sizes: plain {len(plain) // 1024} KiB, one signature {len(one) // 1024} KiB, "
              f"contract {len(contract) // 1024} KiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
