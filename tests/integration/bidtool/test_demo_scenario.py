"""Issues 15 and 16's acceptance: ``flask demo scenario`` runs a tender from creation to the stamped
opening record with three bidders — 示例供应商 (RSA keys on its SoftHSM token), 示例供应商乙 (EC P-256 key
files) and 示例供应商丙 (SM2 key files) — of whom 乙 withdraws and replaces its bid and 丙 does not
decrypt in the window and is marked invalid (R15); then (issue 16) three experts drawn from a pool
where a fourth declared a conflict with 乙 and is excluded, the evaluation, its report signed by
every expert and stamped by the agency, the award to 示例供应商 with its stamped notice, the contract
stamped by the purchaser then the winner with cross-page seals and filed, and the tender's OCDS
package.

A temporary instance made by ``flask setup-dev`` (the README walkthrough's stand-in project root)
runs it twice: first a run stopped after the submissions (``--stop-after submissions``) on the fresh
instance — it registers the bidders, makes their keys and binds their certificates — when no bid's
plaintext may be anywhere on the platform; then a whole run (what ``make demo`` does), which reuses
the bidders, their keys and bindings and sweeps the stopped run's tender through its window. What is
asserted comes from the instance's database (read with ``sqlite3``, not through the application),
from the scenario's ``--json`` summary (what it did: its tender, bids, key storage and markers), and
from other tools: the receipts with ``openssl cms -verify`` and ``openssl ts -verify``, the stamped
PDFs with ``pdfsig``, the transcript with ``bidtool transcript-verify`` and ``openssl cms -verify``."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.bidtool_env import BIDTOOL, openssl
from test_readme_walkthrough import FOREIGN_SETTINGS, REPO, VENV_BIN

pytestmark = pytest.mark.slow

PRICES = {"supplier": "1080000.00", "supplier_b": "1096000.00"}       # as read at 唱标; 丙: none


@dataclass
class Run:
    summary: dict[str, Any]
    stdout: str
    stderr: str

    @property
    def tender(self) -> dict[str, Any]:
        return self.summary["tender"]

    def bidder(self, username: str) -> dict[str, Any]:
        return next(b for b in self.summary["bidders"] if b["username"] == username)

    @property
    def markers(self) -> list[str]:
        return [bid["marker"] for b in self.summary["bidders"] for bid in b["bids"]]


@dataclass
class World:
    root: Path
    env: dict[str, str]
    stopped: Run                     # the first run, on the fresh instance, stopped after the submissions
    run: Run                         # the whole run after it

    @property
    def instance(self) -> Path:
        return self.root / "instance"

    @property
    def artefacts(self) -> dict[str, Path]:
        """The whole run's artefacts (receipts, PDFs, the transcript) by name."""
        out = self.instance / "demo" / "scenario"
        return {p.name: p for p in sorted(out.glob("*.p7m")) + sorted(out.glob("*.pdf")) + sorted(out.glob("*.der"))}


def _flask(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=root, env=env,
                          check=False, capture_output=True, text=True, timeout=600)


def _scenario(root: Path, env: dict[str, str], *options: str) -> Run:
    proc = _flask(root, env, "demo", "scenario", "--json", *options)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return Run(json.loads(proc.stdout), proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """A fresh ``flask setup-dev`` instance (as tests/integration/bidtool/test_readme_walkthrough.py
    makes one) and the scenario's two runs on it: stopped after the submissions, then whole."""
    root = tmp_path_factory.mktemp("scenario") / "project"
    root.mkdir()
    (root / ".venv").symlink_to(REPO / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS and not k.startswith("EBID_")}
    env.update(EBID_ENV="development", EBID_INSTANCE_PATH=str(root / "instance"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    for step in (["db", "upgrade"], ["setup-dev"]):
        proc = _flask(root, env, *step)
        assert proc.returncode == 0, f"flask {' '.join(step)}:\n{proc.stdout}\n{proc.stderr}"

    # the stopped run (on the fresh instance: it makes the bidders, their keys and bindings) logs
    # everything it can: its markers must not be in the logs (stderr; stdout is the summary, which
    # names them) either
    stopped = _scenario(root, {**env, "EBID_LOG_LEVEL": "DEBUG"}, "--stop-after", "submissions")
    places = _places_with(root / "instance", stopped.markers, logs=stopped.stderr,
                          skip_summary=True)
    stopped.summary["marker_places"] = sorted(places)
    stopped.summary["envelopes"] = {bid["id"]: _stored_envelope(stopped.summary, bid)
                                    for b in stopped.summary["bidders"] for bid in b["bids"]}
    stopped.summary["db_states"] = {k: v["state"] for k, v in _bids(root / "instance", stopped.tender["id"]).items()}
    # the markers are really in the bids: each bidder's own plaintext files hold its marker
    stopped.summary["marker_in_files"] = {bid["id"]: bid["marker"] in _bid_files(bid) for b in
                                          stopped.summary["bidders"] for bid in b["bids"]}
    run = _scenario(root, env)           # replaces the stopped run's artefacts in demo/scenario/
    return World(root, env, stopped, run)


def _bid_files(bid: dict[str, Any]) -> str:
    """The text of the price list the bidder packed into ``bid`` (its folder: ``<package>-files``)."""
    package = Path(bid["package"])
    return (package.with_name(package.stem + "-files") / "报价一览表.txt").read_text(encoding="utf-8")


def _stored_envelope(summary: dict[str, Any], bid: dict[str, Any]) -> bool:
    """The bid store holds, under the bid's digest, exactly the envelope the bidder packed."""
    stored = Path(summary["bid_store"]) / "envelopes" / bid["sha256"][:2] / bid["sha256"]
    return stored.is_file() and stored.read_bytes() == Path(bid["package"]).read_bytes()


def _places_with(instance: Path, markers: list[str], *, logs: str, skip_summary: bool = False) -> set[str]:
    """Where on the platform any marker is (UTF-8 or UTF-16): every file of the instance — the
    database and its journal, the file and bid stores, the CA, the tokens — but the bidders' own
    working folders of the scenario (``demo/scenario/<bidder>/``, their side of the wire), a row
    dump of the database, and the logs."""
    needles = [m.encode(enc) for m in markers for enc in ("utf-8", "utf-16-le")]
    found = set()
    bidders_side = instance / "demo" / "scenario"
    for path in instance.rglob("*"):
        if not path.is_file() or (bidders_side in path.parents and path.parent != bidders_side):
            continue
        if skip_summary and path == bidders_side / "summary.json":
            continue                                   # the scenario's own report names them
        if any(n in path.read_bytes() for n in needles):
            found.add(str(path.relative_to(instance)))
    with sqlite3.connect(f"file:{instance / 'ebid.sqlite3'}?mode=ro", uri=True) as db:
        dump = "\n".join(db.iterdump()).encode("utf-8")
    if any(n in dump for n in needles):
        found.add("database dump")
    if any(n in logs.encode("utf-8") for n in needles):
        found.add("logs")
    return found


def _bids(world: World | Path, tender_id: int) -> dict[str, dict[str, Any]]:
    """Every bid of the tender as the database (of the world or instance) has it now: state,
    replacement, recipients' algorithms, the opening's state and price, the bidder's name."""
    instance = world.instance if isinstance(world, World) else world
    with sqlite3.connect(f"file:{instance / 'ebid.sqlite3'}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT b.id, b.public_id, b.state, b.sha256, b.withdrawn_at, b.replaces_id, p.name "
                          "FROM bid b JOIN party p ON p.id = b.party_id WHERE b.tender_id = ?", (tender_id,)).fetchall()
        out = {}
        for r in rows:
            recipients = db.execute("SELECT c.algorithm, c.fingerprint_sha256, c.purpose FROM bid_recipient r JOIN "
                                    "certificate_binding c ON c.id = r.binding_id WHERE r.bid_id = ?",
                                    (r["id"],)).fetchall()
            opening = db.execute("SELECT state, price, currency FROM bid_opening WHERE bid_id = ?", (r["id"],)).fetchone()
            out[r["public_id"]] = {**dict(r), "recipients": [dict(x) for x in recipients],
                                   "opening": dict(opening) if opening else None}
        return out


def _bindings(said: str) -> dict[str, tuple[str, str]]:
    """Each bidder's signing and encryption binding ids, from the scenario's 报名 lines."""
    return {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"\] (\S+) 报名 registered: signing certificate #(\d+) and encryption certificate #(\d+) bound", said)}


def _roots(world: World) -> list[Path]:
    return sorted((world.instance / "devca" / "anchors").glob("*/*-root.pem"))


def _bundle(world: World, tmp_path: Path) -> Path:
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(b"".join(r.read_bytes() for r in _roots(world)))
    return bundle


def _bidtool(world: World, *args: Any) -> subprocess.CompletedProcess:
    env = {**world.env, "EBID_TRUST_ANCHORS": str(world.instance / "devca" / "anchors")}
    return subprocess.run([str(BIDTOOL), *map(str, args)], check=False, capture_output=True, text=True, timeout=120, env=env,
                          cwd=world.root)


# -- the whole run --------------------------------------------------------------------------------------------
def test_the_whole_run_goes_through_every_step(world):
    said = world.run.stderr              # --json: the step lines go to stderr, the summary to stdout
    for step in ("委托协议 agreement", "招标文件 documents", "审核意见 review", "发布 published", "bidtool login",
                 "bidtool pack", "bidtool submit", "bidtool withdraw", "bidtool open", "未解密", "唱标 reading",
                 "开标记录 record", "公布 published", "专家库 pool", "抽取专家 draw", "专家确认 confirmed",
                 "评标开始 evaluation", "承诺书 commitment", "评审 sheets", "评审汇总 summary", "评标报告 report",
                 "确认中标人 award", "中标通知书 notices", "合同 contract", "公开数据 OCDS", "scenario: done"):
        assert step in said, step
    assert said.count("已解密 (decrypted)") == 2
    assert world.run.summary["stage"] == "done"
    assert world.run.summary["opening"]["closed"] and world.run.summary["opening"]["published"]


def test_three_bidders_one_per_key_algorithm(world):
    """RSA on a token, EC P-256 and SM2 key files: the scenario's account of the keys it used, the
    database's account of the certificates each bid is sealed to, and the key files themselves."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    run = world.run
    expected = {"supplier": ("token", "rsa"), "supplier_b": ("file", "ec"), "supplier_c": ("file", "sm2")}
    assert {b["username"] for b in run.summary["bidders"]} == set(expected)
    db_bids = _bids(world, run.tender["id"])
    for username, (storage, algorithm) in expected.items():
        bidder = run.bidder(username)
        assert (bidder["key_storage"], bidder["signing_algorithm"], bidder["encryption_algorithm"]) == \
            (storage, algorithm, algorithm), bidder
        for bid in bidder["bids"]:
            recipients = db_bids[bid["id"]]["recipients"]
            assert [(r["algorithm"], r["purpose"], r["fingerprint_sha256"]) for r in recipients] == \
                [(algorithm, "encryption", bidder["encryption_certificate_sha256"])], (username, recipients)
    folder = world.instance / "demo" / "bidders"
    ec_cert = x509.load_pem_x509_certificate((folder / "supplier_b" / "encryption-ec.pem").read_bytes())
    assert isinstance(ec_cert.public_key(), ec.EllipticCurvePublicKey)
    assert ec_cert.public_key().curve.name == "secp256r1"
    for purpose in ("signing", "encryption"):     # SM2 keys are encrypted PKCS#8 PEM, not PKCS#12
        assert (folder / "supplier_c" / f"{purpose}-sm2.key.pem").read_bytes().startswith(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert (folder / "supplier_b" / f"{purpose}-ec.p12").is_file()
    sm2 = run.bidder("supplier_c")["bids"][0]
    assert (sm2["envelope_format"], sm2["cipher"]) == ("gm", "sm4-cbc")


def test_final_states_and_the_prices_read_at_the_opening(world):
    run = world.run
    db_bids = _bids(world, run.tender["id"])
    supplier, b, c = (run.bidder(u)["bids"] for u in ("supplier", "supplier_b", "supplier_c"))
    assert (len(supplier), len(b), len(c)) == (1, 2, 1)
    assert set(db_bids) == {x["id"] for x in supplier + b + c}      # no other bid for the tender
    # 乙's first bid withdrawn (before the deadline, a receipt for it), its second one opened
    first_b, second_b = db_bids[b[0]["id"]], db_bids[b[1]["id"]]
    assert first_b["state"] == "withdrawn" and first_b["withdrawn_at"] and first_b["opening"] is None
    assert second_b["state"] == "decrypted" and second_b["replaces_id"] is None
    assert db_bids[supplier[0]["id"]]["state"] == "decrypted"
    assert db_bids[c[0]["id"]]["state"] == "invalid"                  # R15: 丙 did not decrypt
    assert db_bids[c[0]["id"]]["opening"] == {"state": "invalid", "price": None, "currency": None}
    for username, bid in (("supplier", supplier[0]), ("supplier_b", b[1])):
        assert db_bids[bid["id"]]["opening"] == {"state": "decrypted", "price": PRICES[username], "currency": "CNY"}
        assert bid["price"] == PRICES[username]                      # what the bidder packed
    # 唱标 as the hall read it out
    lines = [line.split("唱标 reading: ", 1)[1] for line in world.run.stderr.splitlines() if "唱标 reading: " in line]
    assert sorted(lines) == sorted(["示例供应商: 已解密 decrypted, 1080000.00 CNY",
                                    "示例供应商乙: 已解密 decrypted, 1096000.00 CNY",
                                    "示例供应商丙: 未解密（投标人原因，撤销） invalid"]), lines


# -- what the whole run left, checked with other tools -------------------------------------------------------
def test_every_receipt_verifies_with_openssl_cms_and_ts(world, tmp_path):
    bundle = _bundle(world, tmp_path)
    cas = [a for r in _roots(world) for a in ("--ca", r)]
    tsa_chain = world.instance / "devca" / "tsa" / "chain.pem"
    run = world.run
    expected = {}               # receipt file -> (bid, action, sha256 from the database)
    db_bids = _bids(world, run.tender["id"])
    for b in run.summary["bidders"]:
        for bid in b["bids"]:
            expected[Path(bid["receipt"]).name] = (bid["id"], "submitted", db_bids[bid["id"]]["sha256"])
            if "withdrawal_receipt" in bid:
                expected[Path(bid["withdrawal_receipt"]).name] = (bid["id"], "withdrawn", db_bids[bid["id"]]["sha256"])
    receipts = {name: path for name, path in world.artefacts.items() if name.startswith("receipt-")}
    assert sorted(receipts) == sorted(expected) and len(receipts) == 5  # four bids and a withdrawal
    for name, path in receipts.items():
        content = tmp_path / f"{name}.json"
        proc = openssl("cms", "-verify", "-inform", "DER", "-in", path, "-CAfile", bundle, "-purpose", "any",
                       "-out", content)
        assert proc.returncode == 0 and b"CMS Verification successful" in proc.stderr, (name, proc.stderr)
        fields = json.loads(content.read_bytes())
        bid, action, sha256 = expected[name]
        assert (fields["bid"], fields["action"], fields["sha256"], fields["tender"]) == \
            (bid, action, sha256, run.tender["public_id"]), (name, fields)
        token = tmp_path / f"{name}.tst"
        proc = _bidtool(world, "receipt-verify", *cas, "--export-token", token, path)
        assert proc.returncode == 0, (name, proc.stderr)
        imprint = re.search(r"timestamp imprint \(SHA-256 of the signature value\): ([0-9a-f]{64})", proc.stdout)
        assert imprint, proc.stdout
        proc = openssl("ts", "-verify", "-in", token, "-token_in", "-digest", imprint.group(1), "-CAfile", bundle,
                       "-untrusted", tsa_chain)
        assert proc.returncode == 0 and b"Verification: OK" in proc.stdout, (name, proc.stdout, proc.stderr)
        # and the same token refuses another digest: the check is not a formality
        other = format(int(imprint.group(1), 16) ^ 1, "064x")
        proc = openssl("ts", "-verify", "-in", token, "-token_in", "-digest", other, "-CAfile", bundle,
                       "-untrusted", tsa_chain)
        assert proc.returncode != 0 or b"Verification: OK" not in proc.stdout


def _pdfsig(path: Path) -> list[dict[str, str]]:
    """pdfsig's report, one dict per signature (pdfsig exits 0 even when a signature is bad)."""
    proc = subprocess.run(["pdfsig", str(path)], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    signatures = []
    for block in re.split(r"^Signature #\d+:\s*$", proc.stdout, flags=re.MULTILINE)[1:]:
        fields = dict(m.groups() for m in re.finditer(r"^\s*- ([^:\n]+): (.*)$", block, re.MULTILINE))
        signatures.append(fields)
    return signatures


def test_the_stamped_pdfs_verify_with_pdfsig(world):
    record = _pdfsig(world.artefacts["opening-record.pdf"])
    assert len(record) >= 1, record
    assert all(s.get("Signature Validation") == "Signature is Valid." for s in record), record
    assert any(s.get("Signer Certificate Common Name") == "示例招标代理" for s in record), record
    documents = _pdfsig(world.artefacts["tender-documents.pdf"])
    assert documents and all(s.get("Signature Validation") == "Signature is Valid." for s in documents), documents
    ok = _bidtool(world, "verify", *[a for r in _roots(world) for a in ("--ca", r)], world.artefacts["opening-record.pdf"])
    assert ok.returncode == 0 and "Verification successful" in ok.stdout, ok.stderr


def test_the_transcript_verifies_with_bidtool_and_openssl(world, tmp_path):
    transcript = world.artefacts["opening-transcript.der"]
    cas = [a for r in _roots(world) for a in ("--ca", r)]
    proc = _bidtool(world, "transcript-verify", *cas, "--events", transcript)
    assert proc.returncode == 0, proc.stderr
    assert world.run.tender["public_id"] in proc.stdout
    assert proc.stdout.count("opening.bid_decrypted") == 2           # 丙 released no key
    for event in ("opening.started", "opening.window_closed", "opening.published"):
        assert event in proc.stdout, event
    content = tmp_path / "transcript.json"
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", transcript, "-CAfile", _bundle(world, tmp_path),
                   "-purpose", "any", "-out", content)
    assert proc.returncode == 0 and b"CMS Verification successful" in proc.stderr, proc.stderr
    body = json.loads(content.read_bytes())
    assert body["type"] == "opening-transcript", body
    assert world.run.tender["public_id"] in content.read_text(encoding="utf-8")


# -- no plaintext before the opening --------------------------------------------------------------------------
def test_no_bid_plaintext_on_the_platform_before_the_opening(world):
    run = world.stopped
    assert run.summary["stage"] == "submissions" and run.summary["opening"] is None
    assert "bidtool open" not in run.stderr and "stopped after the submissions" in run.stderr
    states = run.summary["db_states"]                 # read when the run stopped
    assert set(states) == {bid["id"] for b in run.summary["bidders"] for bid in b["bids"]}
    assert sorted(states.values()) == ["submitted", "submitted", "submitted", "withdrawn"], states
    assert len(run.markers) == 4 and len(set(run.markers)) == 4
    assert all(run.summary["marker_in_files"].values()), run.summary["marker_in_files"]
    assert run.summary["marker_places"] == [], run.summary["marker_places"]
    assert all(run.summary["envelopes"].values()), run.summary["envelopes"]


# -- the whole run after the stopped one -----------------------------------------------------------------------
def test_the_whole_run_reuses_the_stopped_runs_bidders_and_sweeps_its_tender(world):
    stopped, run = world.stopped, world.run
    assert run.summary["stage"] == "done" and "scenario: done" in run.stderr
    assert run.tender["id"] != stopped.tender["id"]
    for username in ("supplier", "supplier_b", "supplier_c"):      # the same keys, bound once
        assert run.bidder(username)["encryption_certificate_sha256"] == \
            stopped.bidder(username)["encryption_certificate_sha256"]
    assert len(_bindings(stopped.stderr)) == 3
    assert _bindings(run.stderr) == _bindings(stopped.stderr)         # the bindings the stopped run made
    db_bids = _bids(world, run.tender["id"])
    assert sorted(b["state"] for b in db_bids.values()) == ["decrypted", "decrypted", "invalid", "withdrawn"]
    # the stopped run's tender went through its window during the whole run: nobody decrypted, so
    # every bid still submitted is invalid (R15), and its plaintext never reached the platform
    swept = _bids(world, stopped.tender["id"])
    assert sorted(b["state"] for b in swept.values()) == ["invalid", "invalid", "invalid", "withdrawn"]
    assert _places_with(world.instance, stopped.markers, logs=run.stderr) == set()


def test_after_the_opening_only_the_opened_bids_plaintext_is_on_the_platform(world):
    """The marker search finds what is there: the whole run's two decrypted bids are in the bid
    store's opened folder, and only there; 乙's withdrawn bid and 丙's invalid one never were (the
    scenario's own summary.json, the last run's report, names them all and is not searched)."""
    run = world.run
    opened = Path(run.summary["bid_store"]).relative_to(world.instance) / "opened"
    decrypted = [run.bidder("supplier")["bids"][0], run.bidder("supplier_b")["bids"][1]]
    for bid in decrypted:
        found = _places_with(world.instance, [bid["marker"]], logs=run.stderr, skip_summary=True)
        assert found and all(place.startswith(f"{opened}/") for place in found), (bid["id"], found)
        assert any(f"/{bid['id']}/" in place for place in found), (bid["id"], found)
    never = [run.bidder("supplier_b")["bids"][0]["marker"], run.bidder("supplier_c")["bids"][0]["marker"]]
    assert _places_with(world.instance, never, logs=run.stderr, skip_summary=True) == set()


# -- after the opening: the evaluation, the award, the contract, open data (issue 16) -------------------------
EXPERTS = ["示例专家丙", "示例专家乙", "示例专家甲"]          # drawn; 示例专家丁 declared a conflict with 乙


def _db(world: World, sql: str, *args: Any) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{world.instance / 'ebid.sqlite3'}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


def _verified(world: World, name: str):
    """The project's verifier's report on an artefact, trusting the development CA's roots only."""
    from pki.certs import load_certificates
    from pki.pdf import TrustAnchors, verify_pdf
    roots = tuple(c for r in _roots(world) for c in load_certificates(r.read_bytes()))
    return verify_pdf(world.artefacts[name].read_bytes(), trust=TrustAnchors(roots))


def test_three_experts_are_drawn_and_the_conflicted_one_is_excluded(world):
    run = world.run
    assert sorted(e["name"] for e in run.summary["evaluation"]["experts"]) == EXPERTS
    assert run.summary["evaluation"]["excluded"] == 1
    draw = _db(world, "SELECT id, exclusions_json FROM expert_draw WHERE tender_id = ?", run.tender["id"])
    assert len(draw) == 1
    excluded = json.loads(draw[0]["exclusions_json"])
    names = {r["id"]: r["name"] for r in _db(world, "SELECT id, name FROM expert")}
    assert [(names[x["expert_id"]], x["reasons"]) for x in excluded] == [("示例专家丁", ["declared_conflict"])]
    called = _db(world, "SELECT expert_id, state FROM expert_assignment WHERE draw_id = ?", draw[0]["id"])
    assert sorted((names[r["expert_id"]], r["state"]) for r in called) == [(n, "confirmed") for n in EXPERTS]


def test_the_report_notice_and_contract_verify_with_the_verifier_and_pdfsig(world):
    run = world.run
    expected = {"evaluation-report.pdf": (run.summary["evaluation"]["report"], sorted([*EXPERTS, "示例招标代理"])),
                "award-notice.pdf": (run.summary["award"]["notice"], ["示例招标代理"]),
                "contract.pdf": (run.summary["contract"], ["示例供应商", "示例采购单位"])}
    for name, (listed, signers) in expected.items():
        path = world.artefacts[name]
        assert listed["path"] == str(path), (name, listed)
        assert listed["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name
        report = _verified(world, name)
        assert report.ok(), (name, [s.problems for s in report.signatures])
        assert sorted(s.signer_name for s in report.signatures) == signers, name
        assert all(s.timestamp_time is not None and s.seal_png is not None for s in report.signatures), name
        verdicts = _pdfsig(path)
        assert len(verdicts) == len(signers) == listed["signatures"], (name, verdicts)
        assert all(v.get("Signature Validation") == "Signature is Valid." for v in verdicts), (name, verdicts)
    # the report: every expert signed before the agency stamped it
    assert _verified(world, "evaluation-report.pdf").signatures[-1].signer_name == "示例招标代理"
    award = _db(world, "SELECT a.state, p.name FROM award a JOIN party p ON p.id = a.winner_party_id "
                "WHERE a.tender_id = ?", run.tender["id"])
    assert [tuple(r) for r in award] == [("notified", "示例供应商")]
    assert (run.summary["award"]["winner"], run.summary["award"]["state"]) == ("示例供应商", "notified")


def test_the_contract_carries_both_parties_cross_page_seals_and_is_filed(world):
    from pyhanko.pdf_utils.reader import PdfFileReader

    from pki.pdf.slices import NAME_PREFIX
    report = _verified(world, "contract.pdf")
    assert [(s.signer_name, s.field_name, s.cross_page) for s in report.signatures] == \
        [("示例采购单位", "seal-purchaser", True), ("示例供应商", "seal-supplier", True)]
    reader = PdfFileReader(io.BytesIO(world.artefacts["contract.pdf"].read_bytes()), strict=False)
    per_page = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        xobjects = page["/Resources"].get_object().get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else {}
        per_page.append(sum(1 for n in xobjects if str(n).startswith("/" + NAME_PREFIX)))
    assert len(per_page) >= 2 and all(n == 2 for n in per_page), per_page     # a slice of each party's seal
    contract = _db(world, "SELECT c.state FROM contract c JOIN award a ON a.id = c.award_id WHERE a.tender_id = ?",
                   world.run.tender["id"])
    assert [r["state"] for r in contract] == ["filed"] and world.run.summary["contract"]["state"] == "filed"


def test_the_ocds_package_is_valid_ocds_with_the_award_and_the_contract(world):
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig
    run = world.run
    path = world.instance / "demo" / "scenario" / "ocds.json"
    assert run.summary["ocds"]["path"] == str(path)
    assert run.summary["ocds"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    package = json.loads(path.read_bytes())
    releases = package["releases"]
    assert {r["tag"][0] for r in releases} >= {"tender", "award", "contract"}, [r["tag"] for r in releases]
    last = releases[-1]
    assert [s["name"] for a in last["awards"] for s in a["suppliers"]] == ["示例供应商"], last["awards"]
    assert len(last["contracts"]) == 1 and last["contracts"][0]["awardID"] == last["awards"][0]["id"]
    assert all(run.tender["public_id"] in json.dumps(r, ensure_ascii=False) for r in releases)
    config = LibCoveOCDSConfig({"standard_zip": _standard_zip(), "context": "api"})
    with _no_network():
        review = ocds_json_output("", json_data=package, lib_cove_ocds_config=config, record_pkg=False)
    problems = {"validation_errors": review.get("validation_errors") or [],
                "additional_closed_codelist_values": review.get("additional_closed_codelist_values") or {},
                "additional_fields": review.get("all_additional_fields") or review.get("additional_fields") or {}}
    assert not any(problems.values()), problems


def _standard_zip() -> bytes:
    """The OCDS 1.1.5 schema pinned in tests/vectors/ocds/ as the standard's ZIP libcoveocds reads
    (as tests/integration/publication/conftest.py builds it)."""
    standard = REPO / "tests" / "vectors" / "ocds" / "1__1__5"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("standard-1__1__5/", "")
        for path in sorted(standard.rglob("*")):
            if path.is_file():
                archive.write(path, "standard-1__1__5/" + path.relative_to(standard).as_posix())
    return out.getvalue()


@contextlib.contextmanager
def _no_network():
    """Any connection fails while the validator runs: it must need none."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access during OCDS validation")
    original, original_create = socket.socket.connect, socket.create_connection
    socket.socket.connect, socket.create_connection = refuse, refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.create_connection = original, original_create
