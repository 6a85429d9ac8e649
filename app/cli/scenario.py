"""``flask demo scenario`` (``make demo``): one tender end to end with the demo parties, through the
HTTP API and ``bidtool`` exactly as users drive them, on a clock the command advances (the whole
timeline takes minutes of platform time and a minute or two of real time).

The platform is this application built again with a :class:`bidding.clock.FrozenClock` and served
on a free loopback port for the length of the run (the TSA, receipts and opening keys then follow
that clock). The purchaser (示例采购单位) and the agency (示例招标代理) log in with their passwords and
bind their token certificates with their seals; the agreement is drafted, stamped by both (a digest
signed on the token, as the agent does) and filed; the project, its 招标文件 stamped, the review
opinion stamped, the tender published. Three bidders, one per key algorithm — 示例供应商 (RSA keys on
its token), 示例供应商乙 (EC P-256 key files) and 示例供应商丙 (SM2 key files), the last two from
:mod:`app.cli.demo_bidders` — register, bind their certificates (the signing one by a signed
challenge, the encryption one by proof of decryption), log in with ``bidtool login``, pack and
``bidtool submit``; 乙 withdraws and submits a new bid. At the opening 示例供应商 and 乙 release their
keys with ``bidtool open``; 丙 does not, and the window's end makes its bid invalid (R15). The agency
stamps the opening record and publishes it with the hall's transcript. Then
(:mod:`app.cli.demo_evaluation`) three experts are drawn from a pool where a fourth, who declared a
conflict with 乙, is excluded; they evaluate and sign the report, which the agency stamps; the
purchaser confirms 示例供应商, the agency stamps the award notice; the contract is stamped by the
purchaser then the winner (cross-page seals) and filed; the tender's OCDS package is fetched. Every
artefact is left in
``instance/demo/scenario/`` and checked at the end with bidtool itself; ``summary.json`` there says
what was done and what the database holds afterwards (``--json`` prints it, the step lines going to
stderr). Each bid's files carry a marker (``MARKER-…``, in the summary) that must appear nowhere on
the platform before the opening; ``--stop-after submissions`` ends the run once the bids are in, to
look for it.
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app

from app.cli.common import demo_dir, refusals, softhsm_dir
from app.cli.demo_evaluation import artefact_summary, run_after_opening

ONLINE = {"login", "logout", "tenders", "submit", "withdraw", "open"}
WINDOW_MINUTES = 10                    # the shortest decryption window the platform accepts
PRICES = {"supplier": "1080000.00", "supplier_b": ("1150000.00", "1096000.00"), "supplier_c": "1120000.00"}
STOPS = ("submissions",)               # --stop-after: where a run may end early


@click.command("scenario")
@click.option("--json", "as_json", is_flag=True, help="在标准输出打印 JSON 摘要（步骤行改写到标准错误） "
              "(print the JSON summary on stdout; the step lines go to stderr).")
@click.option("--stop-after", type=click.Choice(STOPS), help="在此步骤后停止：submissions = 投标全部递交后、开标前 "
              "(stop after this step: submissions = once every bid is in, before the opening).")
def demo_scenario(as_json: bool, stop_after: str | None) -> None:
    """Run one tender end to end with the demo parties (needs flask setup-dev); artefacts and
    summary.json in instance/demo/scenario/."""
    from bidtool.errors import ToolError
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    with refusals():
        try:
            out, summary = run_scenario(echo, stop_after=stop_after)
        except ToolError as exc:
            raise click.ClickException(" ".join(str(exc).split())) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    state = f"stopped after the {stop_after}" if stop_after else "done"
    echo(f"scenario: {state}; artefacts in {out}")


def run_scenario(echo: Callable[[str], None], *, stop_after: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The scenario, whole or up to ``stop_after``; the folder of its artefacts and its summary
    (also written there as ``summary.json``)."""
    from app import create_app
    from app.cli.demo_bidders import ensure_bidders
    from app.cli.devca import ensure_devca
    from app.scheduler import register_handlers
    from bidding.clock import FrozenClock, SystemClock
    from devsetup.demo import demo_secrets, load_demo
    parties = {p.key: p for p in load_demo(demo_dir())}
    if not {"supplier", "agency", "purchaser"} <= set(parties):
        raise click.ClickException("尚无演示数据，请先运行 flask setup-dev (no demo data: run flask setup-dev first)")
    ca, _, _ = ensure_devca()
    extra = ensure_bidders(ca)
    out = demo_dir() / "scenario"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    clock = FrozenClock(SystemClock().now().replace(microsecond=0))
    # the scheduler's effects run when the scenario moves the clock; no housekeeping on its clock
    app = create_app({**current_app.config, "CLOCK": clock, "RATELIMIT_ENABLED": False,
                      "HOUSEKEEPING_INTERVAL_SECONDS": 0}, instance_path=current_app.instance_path)
    register_handlers(app)
    with _served(app) as base, _bidtool_environment(app):
        scenario = Scenario(app, clock, base, out, echo, parties, demo_secrets(demo_dir()), extra)
        scenario.run(stop_after)
        summary = scenario.summary(stop_after or "done")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out, summary


# -- who acts --------------------------------------------------------------------------------------------
@dataclass
class Credential:
    """A certificate and its key, as the API and bidtool need them."""

    cert_path: Path
    chain_path: Path
    key: Any                      # KeyOps: a token key or a file key
    bidtool: list[str]            # bidtool options naming the key: --token … / --key …
    seal: dict[str, str] | None = None

    @property
    def cert(self):
        from pki.certs import load_certificate
        return load_certificate(self.cert_path.read_bytes())

    @property
    def chain(self) -> list:
        from pki.certs import load_certificates
        return load_certificates(self.chain_path.read_bytes())


class Actor:
    """A staff account on the platform's JSON API (bidtool's HTTP client), logged in by password."""

    def __init__(self, base: str, username: str, password: str, clock):
        from bidtool.platform import Platform
        self.username, self.clock = username, clock
        self.api = Platform(base)
        self.api.csrf_token = self.api.get_json("csrf")["csrf_token"]
        answer = self.api.post_json("session", {"username": username, "password": password})
        self.api.csrf_token = answer["csrf_token"]
        party = answer["account"].get("party")        # none for the operator
        self.party_id = party["id"] if party else None

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.api.post_json(path, body)

    def get(self, path: str) -> Any:
        return self.api.get_json(path)

    def download(self, path: str, to: Path) -> Path:
        to.write_bytes(self.api.request("GET", path, headers={"Accept": "*/*"}).content)
        return to

    def bind(self, cred: Credential) -> int:
        """The binding of ``cred``'s certificate, made now if missing: a signing certificate by a
        signed "bind" challenge (with its seal), an encryption one by proof of decryption."""
        from bidding.opening.statement import seal_content_key
        from pki.certs import fingerprint_sha256, load_certificate
        from pki.signature import sign
        cert = cred.cert
        known = {b["binding"]["fingerprint_sha256"]: b["binding"]["id"] for b in self.get("certificates")}
        if fingerprint_sha256(cert) in known:
            return known[fingerprint_sha256(cert)]
        if cert.key_usage_value is not None and "digital_signature" in cert.key_usage_value.native:
            challenge = self.post("challenges", {"purpose": "bind"})
            der = sign(base64.b64decode(challenge["message"]), key=cred.key, certificate=cert, chain=cred.chain,
                       detached=True, signing_time=self.clock.now())
            return self.post("certificates", {"challenge": challenge["id"], "signature": _b64(der),
                                              "seal": cred.seal})["id"]
        proof = self.post("certificates/encryption-proofs", {"certificate": _b64(cert.dump())})
        answer = seal_content_key(base64.b64decode(proof["recipient_info"]), key=cred.key, certificate=cert,
                                  opening_certificate=load_certificate(base64.b64decode(proof["transport_certificate"])))
        return self.post(f"certificates/encryption-proofs/{proof['id']}", {"envelope": _b64(answer)})["id"]

    def stamp(self, public_id: str, binding_id: int, cred: Credential) -> Any:
        """Stamp a document as the agent page does: the platform prepares the digest, the key signs it."""
        from pki.signature.prehashed import sign_digest
        prepared = self.post(f"documents/{public_id}/stamp-sessions", {"binding_id": binding_id})
        der = sign_digest(bytes.fromhex(prepared["digest"]), key=cred.key, certificate=cred.cert, chain=cred.chain,
                          signing_time=None)      # PAdES: the time is the timestamp's, as the agent signs
        return self.post(f"stamp-sessions/{prepared['id']}/signature", {"signature": _b64(der)})


class Scenario:
    """The steps, in order; each prints one line."""

    def __init__(self, app, clock, base: str, out: Path, echo: Callable[[str], None], parties: dict[str, Any],
                 secrets: dict[str, dict[str, str]], extra: list[Any]):
        self.app, self.clock, self.base, self.out, self.echo = app, clock, base, out, echo
        self.parties, self.secrets, self.extra = parties, secrets, extra
        self.logins = _login_passwords(demo_dir() / "SECRETS.txt")
        self.run_id = _token_hex(6)      # the bids' markers differ from run to run
        self.tender_row: dict[str, Any] | None = None
        self.bidder_list: list[Bidder] = []
        self.after: Any = None           # what the steps after the opening did (app.cli.demo_evaluation)

    def say(self, step: str, text: str) -> None:
        from bidding.tenders.times import BEIJING
        self.echo(f"[{self.clock.now().astimezone(BEIJING):%m-%d %H:%M} 北京时间] {step}: {text}")

    def later(self, **delta: float) -> None:
        self.clock.advance(**delta)

    # -- the run ---------------------------------------------------------------------------------------
    def run(self, stop_after: str | None = None) -> None:
        purchaser, agency = self.staff("purchaser"), self.staff("agency")
        p_cred, a_cred = self.token_credential("purchaser", "signing-ec"), self.token_credential("agency", "signing-ec")
        p_bind, a_bind = purchaser.bind(p_cred), agency.bind(a_cred)
        self.say("证书绑定 bindings", f"purchaser and agency signing certificates bound (#{p_bind}, #{a_bind})")
        self.agreement(purchaser, agency, (p_bind, p_cred), (a_bind, a_cred))
        tender = self.tender_row = self.tender(purchaser, agency, (p_bind, p_cred), (a_bind, a_cred))
        bidders = self.bidder_list = self.bidders()
        for bidder in bidders:
            self.enter(bidder, tender)
        self.withdraw_and_replace(bidders[1], tender)
        if stop_after == "submissions":
            self.say("停止 stopped", "every bid is in; the opening is not run (--stop-after submissions)")
            return
        self.opening(tender, bidders)
        self.record(agency, a_bind, a_cred, tender)
        self.after = run_after_opening(self, purchaser, agency, (p_bind, p_cred), (a_bind, a_cred), tender)
        self.check()

    def staff(self, key: str) -> Actor:
        return Actor(self.base, key, self.logins[key], self.clock)

    def actor_of(self, bidder: Bidder) -> Actor:
        return Actor(self.base, bidder.username, bidder.password, self.clock)

    def token_credential(self, party: str, name: str) -> Credential:
        from devsetup.softhsm import use_softhsm_dir
        from pki.pkcs11 import open_key
        if not os.environ.get("SOFTHSM2_CONF"):
            use_softhsm_dir(softhsm_dir())
        entry = self.parties[party]
        cert = next(c for c in entry.certificates if c.name == name)
        folder = Path(entry.directory)
        pin = self.secrets[party]["user_pin"]
        os.environ[_pin_env(party)] = pin
        seal = ({"kind": cert.seal_kind, "image": _b64((folder / cert.seal_file).read_bytes())}
                if cert.seal_file else None)
        return Credential(folder / cert.cert_file, folder / cert.chain_file, open_key(cert.key_uri, pin=pin),
                          ["--token", entry.token_label, "--pin-env", _pin_env(party)], seal)

    # -- before the bids -----------------------------------------------------------------------------
    def agreement(self, purchaser: Actor, agency: Actor, p, a) -> None:
        from bidding.tenders.times import BEIJING
        today = self.clock.now().astimezone(BEIJING).date()
        terms = {"project_name": "2027 年度办公设备采购", "scope": "台式计算机 200 台、打印机 30 台的采购及三年维保",
                 "procurement_method": "公开招标", "budget": "1200000.00", "fee": "15000.00",
                 "fee_terms": "由中标人在领取中标通知书时支付", "term_start": (today - timedelta(days=1)).isoformat(),
                 "term_end": (today + timedelta(days=365)).isoformat(), "agency_id": agency.party_id}
        made = purchaser.post("agreements", terms)
        purchaser.stamp(made["document"]["public_id"], p[0], p[1])
        agency.stamp(made["document"]["public_id"], a[0], a[1])
        agency.post(f"agreements/{made['id']}/filing")
        self.say("委托协议 agreement", f"drafted by the purchaser, stamped by both, filed (#{made['id']})")
        self.later(minutes=1)

    def tender(self, purchaser: Actor, agency: Actor, p, a) -> dict[str, Any]:
        project = agency.post("projects", {"purchaser_id": purchaser.party_id, "title": "2027 年度办公设备采购项目",
                                           "budget": "1200000.00", "method": "公开招标",
                                           "description": "台式计算机 200 台、激光打印机 30 台，含三年上门维保。"})
        tender_id = project["id"]
        self.say("采购项目 project", f"{project['public_id']} created by the agency")
        uploaded = agency.api.request("POST", f"tenders/{tender_id}/documents",
                                      files={"file": ("zhaobiao.pdf", _tender_pdf(), "application/pdf")}).json()
        agency.stamp(uploaded["documents"]["public_id"], a[0], a[1])
        self.say("招标文件 documents", "uploaded and stamped by the agency")
        reviewed = purchaser.post(f"tenders/{tender_id}/review-opinion", {
            "opinion": "经审核，采购需求明确，资格条件和评分标准合法合规，同意发布。", "conclusion": "同意发布"})
        purchaser.stamp(reviewed["review"]["public_id"], p[0], p[1])
        self.say("审核意见 review", "written and stamped by the purchaser")
        self.later(minutes=1)
        now = self.clock.now()
        deadline, opening = now + timedelta(minutes=40), now + timedelta(minutes=45)
        published = agency.post(f"tenders/{tender_id}/publication", {
            "bid_deadline": deadline.isoformat(), "opening_at": opening.isoformat(),
            "decryption_window_minutes": WINDOW_MINUTES})
        agency.download(f"tenders/{tender_id}/files/documents", self.out / "tender-documents.pdf")
        self.say("发布 published", f"{published['public_id']}: bids until {_bj(deadline)}, opening {_bj(opening)}, "
                 f"decryption window {WINDOW_MINUTES} min")
        return published

    # -- the bidders ---------------------------------------------------------------------------------
    def bidders(self) -> list[Bidder]:
        from pki.keyops import FileKey
        supplier = Bidder("supplier", self.parties["supplier"].name, self.logins["supplier"],
                          self.token_credential("supplier", "signing-rsa"),
                          self.token_credential("supplier", "encryption-rsa"), self.out / "supplier")
        out = [supplier]
        for b in self.extra:
            os.environ[_pass_env(b.username)] = b.key_password

            def cred(purpose: str, b=b) -> Credential:
                key = FileKey(b.load_key(purpose))
                return Credential(b.cert(purpose), b.chain, key,
                                  ["--key", str(b.key(purpose)), "--pass-env", _pass_env(b.username)])
            out.append(Bidder(b.username, b.name, b.password, cred("signing"), cred("encryption"),
                              self.out / b.username))
        return out

    def enter(self, bidder: Bidder, tender: dict[str, Any]) -> None:
        actor = Actor(self.base, bidder.username, bidder.password, self.clock)
        actor.post(f"tenders/{tender['id']}/registration")
        sign_id, enc_id = actor.bind(bidder.signing), actor.bind(bidder.encryption)
        bidder.signing_binding = sign_id
        self.say(f"{bidder.name} 报名 registered", f"signing certificate #{sign_id} and encryption certificate "
                 f"#{enc_id} bound")
        bidder.folder.mkdir(parents=True, exist_ok=True)
        self.bidtool(bidder, "login", "--platform", self.base, *bidder.signing.bidtool,
                     "--cert", bidder.signing.cert_path, step="证书登录 bidtool login")
        self.submit(bidder, tender, _price(bidder.username, 0))

    def submit(self, bidder: Bidder, tender: dict[str, Any], price: str, name: str = "bid") -> str:
        files = bidder.folder / f"{name}-files"
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir()
        marker = f"MARKER-{self.run_id}-{bidder.username}-{name}-END"    # plaintext only the opening may reveal
        (files / "技术标.pdf").write_bytes(_tender_pdf(f"Technical offer of {bidder.username} {marker}"))
        (files / "报价一览表.txt").write_text(f"投标总价 {price} 元\n{marker}\n", encoding="utf-8")
        package = bidder.folder / f"{name}.p7m"
        self.bidtool(bidder, "pack", *bidder.signing.bidtool, "--cert", bidder.signing.cert_path,
                     "--enc-cert", bidder.encryption.cert_path, "--chain", bidder.signing.chain_path,
                     "--tender", tender["public_id"], "--price", price, "--item", "交货期=合同签订后30日",
                     "--item", "质保期=3年", "--force", "-o", package,
                     *sorted(files.iterdir()), step="密封 bidtool pack")
        self.later(minutes=2)
        receipt = self.out / f"receipt-{bidder.username}-{name}.p7m"
        said = self.bidtool(bidder, "submit", str(tender["id"]), package, "--receipt", receipt,
                            step="递交 bidtool submit")
        bid_id = said.split("bid ", 1)[1].split()[0]
        bidder.bids.append({"id": bid_id, "price": price, "marker": marker, "package": str(package),
                            "receipt": str(receipt)})
        return bid_id

    def withdraw_and_replace(self, bidder: Bidder, tender: dict[str, Any]) -> None:
        bids = Actor(self.base, bidder.username, bidder.password, self.clock).get(f"bids?tender_id={tender['id']}")
        current = next(b["id"] for b in bids if b["state"] == "submitted")
        self.later(minutes=3)
        receipt = self.out / f"receipt-{bidder.username}-withdrawal.p7m"
        self.bidtool(bidder, "withdraw", current, "--receipt", receipt, step="撤回 bidtool withdraw")
        next(b for b in bidder.bids if b["id"] == current)["withdrawal_receipt"] = str(receipt)
        self.later(minutes=2)
        self.submit(bidder, tender, _price(bidder.username, 1), name="bid2")

    # -- the opening ---------------------------------------------------------------------------------
    def opening(self, tender: dict[str, Any], bidders: list[Bidder]) -> None:
        from app.scheduler import run_due
        from bidtool.platform import Platform
        opening_at = datetime.fromisoformat(tender["opening_at"])
        self.clock.set(opening_at - timedelta(minutes=10))
        run_due(self.app)                                   # the deadline's effect: bids closed
        for bidder in bidders[:2]:
            Platform.logged_in(bidder.session).post_json(f"tenders/{tender['id']}/opening/sign-in")
        self.say("签到 sign-in", f"{', '.join(b.name for b in bidders[:2])} signed in to the opening hall")
        self.clock.set(opening_at)
        run_due(self.app)                                   # the window opens
        self.say("开标 opening", "the decryption window is open")
        for bidder in bidders[:2]:
            self.later(minutes=1)
            self.bidtool(bidder, "open", str(tender["id"]), *bidder.encryption.bidtool,
                         "--cert", bidder.encryption.cert_path, *_sign_options(bidder.signing),
                         "--sign-cert", bidder.signing.cert_path, "--chain", bidder.signing.chain_path,
                         step="解密 bidtool open")
        self.say(f"{bidders[2].name} 未解密", "does not release its key within the window")
        self.clock.set(datetime.fromisoformat(tender["window_end"]))
        run_due(self.app)                                   # the window closes: R15
        self.later(minutes=1)

    def record(self, agency: Actor, binding: int, cred: Credential, tender: dict[str, Any]) -> None:
        hall = agency.get(f"tenders/{tender['id']}/opening")
        for line in _hall_lines(hall):
            self.say("唱标 reading", line)
        made = agency.post(f"tenders/{tender['id']}/opening/record")
        agency.stamp(made["document"], binding, cred)
        self.say("开标记录 record", "generated and stamped by the agency")
        self.later(minutes=1)
        agency.post(f"tenders/{tender['id']}/opening/publication")
        agency.download(f"tenders/{tender['id']}/opening/record.pdf", self.out / "opening-record.pdf")
        agency.download(f"tenders/{tender['id']}/opening/transcript.der", self.out / "opening-transcript.der")
        self.say("公布 published", "opening record and the hall's signed, timestamped transcript published")

    def check(self) -> None:
        """The artefacts, checked offline with bidtool as anyone would."""
        roots = [str(p) for p in sorted(Path(self.app.config["TRUST_ANCHORS_DIR"]).glob("*/*-root.pem"))]
        cas = [a for root in roots for a in ("--ca", root)]
        for receipt in sorted(self.out.glob("receipt-*.p7m")):
            self.run_bidtool("receipt-verify", *cas, receipt, step=f"回执 {receipt.name}")
        self.run_bidtool("verify", *cas, self.out / "tender-documents.pdf", step="招标文件 tender-documents.pdf")
        self.run_bidtool("verify", *cas, self.out / "opening-record.pdf", step="开标记录 opening-record.pdf")
        self.run_bidtool("transcript-verify", *cas, self.out / "opening-transcript.der",
                         step="开标记录 opening-transcript.der")
        if self.after is not None:
            for name, step in (("evaluation-report.pdf", "评标报告"), ("award-notice.pdf", "中标通知书"),
                               ("contract.pdf", "合同")):
                self.run_bidtool("verify", *cas, self.out / name, step=f"{step} {name}")

    # -- the summary ----------------------------------------------------------------------------------
    def summary(self, stage: str) -> dict[str, Any]:
        """What the scenario did (its tender, each bidder's keys and bids, the markers in the bids'
        files, the artefacts) and what the database says of it now (each bid's state, its recipients'
        algorithms and the price read at 唱标)."""
        from sqlalchemy import select

        from app.bids.common import bid_store
        from app.extensions import db
        from bidding.bids.models import Bid, BidRecipient
        from bidding.certificates.models import CertificateBinding
        from bidding.opening.models import BidOpening, OpeningHall
        from pki.certs import fingerprint_sha256, key_algorithm
        config = self.app.config
        tender = self.tender_row or {}
        out: dict[str, Any] = {
            "stage": stage, "run": self.run_id,
            "instance": str(self.app.instance_path), "database": str(config["SQLALCHEMY_DATABASE_URI"]),
            "file_store": str(config["FILE_STORE"]), "artefacts": str(self.out),
            "tender": {k: tender.get(k) for k in ("id", "public_id", "bid_deadline", "opening_at", "window_end")},
            "bidders": [], "opening": None}
        with self.app.app_context():
            out["bid_store"] = str(bid_store().root)
            for bidder in self.bidder_list:
                entry = {"username": bidder.username, "name": bidder.name, "key_storage": bidder.key_storage,
                         "signing_algorithm": key_algorithm(bidder.signing.cert),
                         "encryption_algorithm": key_algorithm(bidder.encryption.cert),
                         "encryption_certificate_sha256": fingerprint_sha256(bidder.encryption.cert), "bids": []}
                for mine in bidder.bids:
                    bid = db.session.scalars(select(Bid).where(Bid.public_id == mine["id"])).one()
                    bindings = db.session.scalars(select(CertificateBinding).join(
                        BidRecipient, BidRecipient.binding_id == CertificateBinding.id).where(
                        BidRecipient.bid_id == bid.id)).all()
                    opened = db.session.scalars(select(BidOpening).where(BidOpening.bid_id == bid.id)).first()
                    entry["bids"].append({
                        **mine, "state": bid.state.value, "sha256": bid.sha256, "size": bid.size,
                        "cipher": bid.cipher, "envelope_format": bid.envelope_format,
                        "recipients": [{"algorithm": b.algorithm, "fingerprint_sha256": b.fingerprint_sha256,
                                        "purpose": b.purpose.value} for b in bindings],
                        "opening": None if opened is None else {
                            "state": opened.state.value, "price": opened.price, "currency": opened.currency}})
                out["bidders"].append(entry)
            if tender.get("id"):
                hall = db.session.scalars(select(OpeningHall).where(OpeningHall.tender_id == tender["id"])).first()
                if hall is not None:
                    out["opening"] = {"closed": hall.closed_at is not None, "published": hall.published_at is not None,
                                      "record": str(self.out / "opening-record.pdf"),
                                      "transcript": str(self.out / "opening-transcript.der")}
            db.session.remove()
        if self.after is not None:
            out.update(self.after_summary())
        return out

    def after_summary(self) -> dict[str, Any]:
        """The evaluation, the award, the contract and the OCDS package: who took part, the states the
        API reports, each document's path, SHA-256 and signature count."""
        after, documents = self.after, artefact_summary(self.after)
        return {"evaluation": {"experts": after.experts, "excluded": after.excluded,
                               "report": documents.get("evaluation_report")},
                "award": {"winner": after.winner, "state": after.award_state, "notice": documents.get("award_notice")},
                "contract": {"state": after.contract_state, **(documents.get("contract") or {})},
                "ocds": documents.get("ocds")}

    # -- bidtool, in this process ---------------------------------------------------------------------
    def bidtool(self, bidder: Bidder, *args: Any, step: str) -> str:
        """bidtool as the bidder runs it; the online commands with the bidder's session file."""
        session = ["--session", bidder.session] if args[0] in ONLINE else []
        return self.run_bidtool(*args, *session, step=f"{bidder.name} {step}")

    def run_bidtool(self, *args: Any, step: str) -> str:
        from bidtool.cli import main
        argv = [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        said = out.getvalue().strip()
        if code != 0:
            raise click.ClickException(f"{step}: bidtool {argv[0]} exit {code}: {err.getvalue().strip()}")
        self.say(step, said.splitlines()[0] if said else "ok")
        return said


@dataclass
class Bidder:
    username: str
    name: str
    password: str
    signing: Credential
    encryption: Credential
    folder: Path
    bids: list[dict[str, Any]] = field(default_factory=list)     # what it submitted, in order
    signing_binding: int | None = None                            # its signing certificate's binding

    @property
    def session(self) -> Path:
        return self.folder / "session.json"

    @property
    def key_storage(self) -> str:
        return "token" if "--token" in self.encryption.bidtool else "file"


# -- helpers ---------------------------------------------------------------------------------------------
def _sign_options(cred: Credential) -> list[str]:
    """bidtool open's options for the signing key (the --key / --token options renamed)."""
    names = {"--key": "--sign-key", "--token": "--sign-token", "--pass-env": "--sign-pass-env"}
    options = [names.get(a, a) for a in cred.bidtool]
    if "--pin-env" in options:          # the same token's PIN: bidtool open reads it from --pin-env
        i = options.index("--pin-env")
        del options[i:i + 2]
    return options


def _hall_lines(hall: dict[str, Any]) -> list[str]:
    """唱标: each bidder, its state and the price its manifest signs (once the window has closed)."""
    lines = []
    for r in hall.get("results") or hall.get("bids") or ():
        price = f", {r['price']} {r.get('currency') or ''}".rstrip() if r.get("price") else ""
        lines.append(f"{r['bidder']}: {r['state_label']} {r['state']}{price}")
    return lines or ["(no bids)"]


def _price(username: str, n: int) -> str:
    price = PRICES[username]
    return price[n] if isinstance(price, tuple) else price


def _token_hex(n: int) -> str:
    import secrets
    return secrets.token_hex(n)


def _pin_env(party: str) -> str:
    return f"EBID_SCENARIO_PIN_{party.upper()}"


def _pass_env(username: str) -> str:
    return f"EBID_SCENARIO_KEYPASS_{username.upper()}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _bj(at: datetime) -> str:
    from bidding.tenders.times import BEIJING
    return f"{at.astimezone(BEIJING):%m-%d %H:%M}"


def _login_passwords(path: Path) -> dict[str, str]:
    from app.cli.accounts import _add_passwords
    return _add_passwords(path, [])


def _tender_pdf(title: str = "2027 Office Equipment Procurement - Tender Documents") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    for number in (1, 2, 3):
        page.setFont("Helvetica", 14)
        page.drawString(72, 770, f"{title} - page {number} of 3")
        page.setFont("Helvetica", 10)
        for line in range(30):
            page.drawString(72, 730 - 18 * line, f"Section {number}.{line + 1}: requirements, qualifications, scoring.")
        page.showPage()
    page.save()
    return out.getvalue()


@contextlib.contextmanager
def _served(app) -> Iterator[str]:
    """``app`` served by werkzeug on a free loopback port (its PUBLIC_BASE_URL) while the block runs."""
    from werkzeug.serving import make_server

    from app.extensions import db
    for name in ("werkzeug", "ebid.access"):       # the steps' lines, not one per request
        logging.getLogger(name).setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, name="demo-scenario", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextlib.contextmanager
def _bidtool_environment(app) -> Iterator[None]:
    """bidtool reads the platform's trust list and anchors, and the secrets from variables the
    scenario sets; all is put back afterwards."""
    saved = dict(os.environ)
    os.environ["EBID_TRUST_ANCHORS"] = str(app.config["TRUST_ANCHORS_DIR"])
    if app.config.get("TRUST_CONFIG_DIR"):
        os.environ["EBID_TRUST_CONFIG"] = str(app.config["TRUST_CONFIG_DIR"])
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
