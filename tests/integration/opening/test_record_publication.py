"""The opening record (开标记录表) and the transcript (docs/opening.md "The opening record and the
transcript"): generated at the window's close (or by the agency) from the opening's data, stamped by
the agency like every document, published only once stamped; then both are public: the record's
seal verifies (the platform's check and ``pdfsig``), the transcript verifies with
``pki.receipts.verify_transcript`` and ``openssl cms -verify``, holds every hall event in audit-chain
order with the hall's own links, and ends with ``opening.published``."""
from __future__ import annotations

import io
import json
import subprocess
from datetime import timedelta

import pytest
from support.auth import test_uow
from support.bidtool_env import openssl
from support.bids import root_pem
from support.opening import open_bid_of
from support.stamping import bind, issue_signer, party_identity, stamp_via_api

from pki.certs import load_certificate
from pki.receipts import verify_transcript
from pki.receipts.transcript import walk_hall_links

from .test_hall_visibility import OPENING, WINDOW, hall_world, post, state  # noqa: F401  (fixture)

AFTER = OPENING + WINDOW + timedelta(minutes=2)


@pytest.fixture
def record_world(hall_world, bid_ca):  # noqa: F811  (the fixture imported above)
    """The hall of test_hall_visibility with the agency's EC main key (with its 公章) bound, one bid
    decrypted, a sign-in, an objection and its answer."""
    world = hall_world
    world.agency_signer = issue_signer(bid_ca, party_identity("agency"), algorithm="ec")
    world.agency_binding = bind(world.app, _party(world, "agency"), world.agency_signer, bid_ca)
    world.at(OPENING - timedelta(minutes=5))
    assert post(world, "supplier3", "/sign-in").status_code == 201
    world.at(OPENING + timedelta(minutes=2))
    assert open_bid_of(world, "supplier2").status_code == 200
    assert post(world, "supplier", "/objections", {"text": "请公布解密失败的原因。"}).status_code == 201
    assert post(world, "agency", "/objections/1/answer", {"text": "解密时限结束后按 R15 处理并记录。"}).status_code == 200
    return world


def _party(world, username: str) -> int:
    from app.extensions import db
    from bidding.accounts.models import Account
    from sqlalchemy import select
    with world.app.app_context():
        return db.session.scalars(select(Account.party_id).where(Account.username == username)).one()


def _close(world) -> None:
    """What the window-end effect runs: R15, and the record generated for the agency."""
    from app.opening_keys import opening_keyring
    from bidding.opening.services import close_window
    with world.app.app_context():
        close_window(test_uow(world.app), world.tender_id, opening_keyring())


def _pdfsig(path) -> list[dict[str, str]]:
    """pdfsig's verdict per signature, read from its lines (it exits 0 on a digest mismatch)."""
    out = subprocess.run(["pdfsig", str(path)], check=False, capture_output=True, text=True, timeout=120).stdout
    found: list[dict[str, str]] = []
    for line in (line.strip() for line in out.splitlines()):
        if line.startswith("Signature #"):
            found.append({})
        elif found and line.startswith("- Signature Validation:"):
            found[-1]["signature"] = line.split(":", 1)[1].strip()
    return found


def test_record_cannot_be_made_or_published_too_early(record_world):
    world = record_world
    for path in ("/record", "/publication"):
        early = post(world, "agency", path)
        assert early.status_code == 409 and early.json["error"]["code"] == "opening_record_not_yet", path
    for who in ("supplier", "supplier2", "purchaser", "supervisor"):
        assert post(world, who, "/record").status_code == 403, who
        assert post(world, who, "/publication").status_code == 403, who


def test_stamped_record_and_transcript_are_published(record_world, bid_ca, tmp_path):
    world = record_world
    public = world.app.test_client()
    world.at(AFTER)
    _close(world)
    seen = state(world, "agency")
    record = seen["record"]
    assert record and not record["stamped"] and record["published_at"] is None
    assert seen["viewer"]["may_make_record"] and not seen["viewer"]["may_publish"]
    assert state(world, "purchaser")["record"]["record_url"] is None          # not before publication
    unstamped = post(world, "agency", "/publication")
    assert unstamped.status_code == 409 and unstamped.json["error"]["code"] == "opening_record_not_stamped"
    for url in ("record.pdf", "transcript.der"):
        missing = public.get(f"/api/v1/tenders/{world.tender_id}/opening/{url}")
        assert missing.status_code == 404 and missing.json["error"]["code"] == "opening_not_published", url

    # made again while unstamped (say, after an objection was answered): the older one cannot be stamped
    again = post(world, "agency", "/record")
    assert again.status_code == 201 and again.json["document"] != record["document"]
    stale = stamp_via_api(world.clients["agency"], record["document"], world.agency_binding, world.agency_signer)
    assert stale.status_code == 409, stale.json
    document = again.json["document"]
    stamped = stamp_via_api(world.clients["agency"], document, world.agency_binding, world.agency_signer)
    assert stamped.status_code == 201, stamped.json
    seen = state(world, "agency")
    assert seen["record"]["stamped"] and seen["viewer"]["may_publish"] and not seen["viewer"]["may_make_record"]
    assert post(world, "agency", "/record").json["error"]["code"] == "opening_record_stamped"

    published = post(world, "agency", "/publication")
    assert published.status_code == 200, published.json
    assert published.json["record"]["published_at"] and published.json["record"]["transcript_url"]
    assert post(world, "agency", "/publication").json["error"]["code"] == "opening_already_published"
    assert post(world, "supplier", "/objections", {"text": "公布后的异议"}).json["error"]["code"] == "objection_not_open"
    for who in ("purchaser", "supervisor", "supplier", "supplier2", "supplier3"):
        assert state(world, who)["record"]["record_url"].endswith("/opening/record.pdf"), who

    # the record: public, the agency's seal valid (the platform's check and pdfsig)
    pdf = public.get(f"/api/v1/tenders/{world.tender_id}/opening/record.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (tmp_path / "record.pdf").write_bytes(pdf.data)
    signatures = _pdfsig(tmp_path / "record.pdf")
    assert [s["signature"] for s in signatures] == ["Signature is Valid."], signatures
    text = subprocess.run(["pdftotext", str(tmp_path / "record.pdf"), "-"], check=False, capture_output=True,
                          text=True).stdout
    assert "1,234,567.80" in text and "测试供应商乙" in text and "测试供应商丙" in text
    assert "1198000" not in text and "1,198,000.00" not in text                      # never decrypted: no price

    # the transcript: public, signed by the receipt certificate with a token; every hall event, linked
    der = public.get(f"/api/v1/tenders/{world.tender_id}/opening/transcript.der")
    assert der.status_code == 200 and der.mimetype == "application/pkcs7-mime"
    root = load_certificate(root_pem(bid_ca).read_bytes())
    check = verify_transcript(der.data, trust_roots=[root], tsa_roots=[root])
    assert check.ok, check.reasons
    assert check.tender == world.tender and check.hall_linked
    assert walk_hall_links(check.events) == ([], True)
    actions = [e.action for e in check.events]
    order = ["opening.signed_in", "opening.bid_decrypted", "opening.objection_raised", "opening.objection_answered",
             "opening.window_closed", "opening.record_generated", "opening.record_stamped", "opening.published"]
    assert [a for a in actions if a in order] == order[:6] + ["opening.record_generated"] + order[6:]
    assert actions[-1] == "opening.published"
    assert [json.loads(e.details)["hall_seq"] for e in check.events] == list(range(1, len(actions) + 1))
    assert json.loads(check.events[-1].details)["document"] == document
    (tmp_path / "transcript.der").write_bytes(der.data)
    (tmp_path / "root.pem").write_bytes(root_pem(bid_ca).read_bytes())
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "transcript.der", "-CAfile",
                   tmp_path / "root.pem", "-purpose", "any")
    assert proc.returncode == 0, proc.stderr
    content = json.loads(proc.stdout)
    assert content["type"] == "opening-transcript" and content["tender"] == world.tender
    assert [e["action"] for e in content["events"]] == actions
    checked = public.post("/api/v1/verify", data={"file": (io.BytesIO(der.data), "transcript.der")},
                          content_type="multipart/form-data")                  # the verification page knows it
    assert checked.status_code == 200 and checked.json["ok"], checked.json
    assert checked.json["statement"]["kind"] == "transcript" and checked.json["statement"]["ok"]
    assert dict(checked.json["statement"]["facts"])["事件数"] == str(len(actions))

    # the bidders are told
    notices = world.clients.get("supplier2") or world.client("supplier2")
    assert any("开标记录已公布" in json.dumps(n, ensure_ascii=False) for n in notices.get("/api/v1/notices").json["notices"])


def test_a_record_the_agency_made_before_the_close_is_kept(record_world):
    world = record_world
    world.at(AFTER)                                   # the window is over; the close's effect has not run yet
    made = post(world, "agency", "/record")
    assert made.status_code == 201, made.json
    results = {r["bidder"]: r["state"] for r in state(world, "agency")["results"]}
    assert results == {"测试供应商乙": "decrypted", "测试供应商丙": "invalid"}     # R15 by the clock already
    _close(world)
    assert state(world, "agency")["record"]["document"] == made.json["document"]
    document = world.clients["agency"].get(made.json["download_url"])
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert world.client("purchaser").get(made.json["download_url"]).status_code in (403, 404)
