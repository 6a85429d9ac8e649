"""The rules a bid must meet when its last byte arrives, through the JSON API: R17 (the moment the last
byte arrives decides: the deadline's own instant is refused, a millisecond before is accepted, also
when the acceptance itself ends after the deadline), R16 (no plaintext: a PDF, a zip, a signature or
a damaged envelope are refused, their bytes removed), the recipients (only the bidder's own active
bound encryption certificates: another bidder's, the platform's, a superseded one are refused; RSA,
EC, SM2 and several own recipients accepted) and R11 (a certificate expiring before the decryption
window ends is refused with the advice to renew first and run the self-test; a warning from 30 days
before). Every refusal leaves no bid."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.bids import (CA_T0, OPENING, WINDOW, AdvancingStream, bind_encryption, issue, party_identity, patch, seal,
                          start, tender_of, upload)
from support.tenders import tender_pdf

from app.extensions import db
from bidding.bids.models import Bid, BidRecipient, BidUpload, UploadState
from bidding.certificates.models import BindingState, CertificateBinding
from pki.certs import load_certificate
from pki.signature import sign

PAYLOAD = b"sealed bid package " * 2000


def _count(app, model=Bid) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _refused(answer, status: int, code: str) -> None:
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code, answer.json


def _no_bytes_left(bids) -> None:
    uploads = bids.store() / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())
    envelopes = bids.store() / "envelopes"
    assert not envelopes.exists() or not any(p.is_file() for p in envelopes.rglob("*"))


# -- R17: the deadline, to the millisecond ---------------------------------------------------------------
def _last_byte_at(bids, data: bytes, at):
    """Start an upload a minute before ``at``; its last byte arrives exactly at ``at``."""
    client = bids.client()
    bids.clock.set(at - timedelta(minutes=1))
    url = start(client, bids.tender_id, data).json["url"]
    return patch(client, url, 0, stream=AdvancingStream(data, bids.clock, at), length=len(data))


def test_the_deadline_instant_is_refused_a_millisecond_before_is_accepted(bids, keys):
    deadline = tender_of(bids.app, bids.tender_id).bid_deadline
    data = seal(PAYLOAD, keys["rsa"])
    late = _last_byte_at(bids, data, deadline)
    _refused(late, 409, "bid_deadline_passed")
    assert _count(bids.app) == 0
    _no_bytes_left(bids)
    in_time = _last_byte_at(bids, data, deadline - timedelta(milliseconds=1))
    assert in_time.status_code == 200, in_time.json
    bid = in_time.json["bid"]
    assert bid["received_at"].startswith(f"{(deadline - timedelta(milliseconds=1)):%Y-%m-%dT%H:%M:%S.999}")
    assert _count(bids.app) == 1


def test_the_moment_that_counts_is_the_last_bytes_not_the_end_of_the_acceptance(bids, keys):
    """The last byte arrives 1 ms before the deadline; signing the receipt ends 2 s after it: accepted
    with received_at = the last byte's moment."""
    deadline = tender_of(bids.app, bids.tender_id).bid_deadline
    from app.bids.common import _platform_receipts

    class Slow:
        def __init__(self, app):
            self.inner = _platform_receipts(app)

        def issue(self, fields, *, signing_time):
            bids.clock.advance(seconds=2)
            return self.inner.issue(fields, signing_time=signing_time)
    bids.app.config["BID_RECEIPTS_FACTORY"] = Slow
    answer = _last_byte_at(bids, seal(PAYLOAD, keys["rsa"]), deadline - timedelta(milliseconds=1))
    assert answer.status_code == 200, answer.json
    assert bids.clock.now() > deadline
    with bids.app.app_context():
        bid = db.session.scalars(select(Bid)).one()
        assert bid.received_at == deadline - timedelta(milliseconds=1)


def test_nothing_starts_at_or_after_the_deadline(bids, keys):
    deadline = tender_of(bids.app, bids.tender_id).bid_deadline
    client = bids.client()
    bids.clock.set(deadline)
    _refused(start(client, bids.tender_id, seal(b"x", keys["rsa"])), 409, "bid_deadline_passed")
    assert _count(bids.app, BidUpload) == 0


# -- R16: no plaintext -----------------------------------------------------------------------------------------
def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("bid.pdf", tender_pdf("Plain bid"))
    return out.getvalue()


@pytest.mark.parametrize("kind", ["pdf", "zip", "text", "signature"])
def test_a_plaintext_upload_is_refused_at_its_first_chunk(bids, keys, kind):
    client = bids.client()
    if kind == "signature":      # a CMS structure, but a signature, not an envelope
        data = sign(PAYLOAD, key=keys["signing"].key, certificate=keys["signing"].cert, detached=False,
                    signing_time=bids.clock.now())
    else:
        data = {"pdf": tender_pdf("Plain bid", 4), "zip": _zip(), "text": PAYLOAD}[kind]
    url = start(client, bids.tender_id, data).json["url"]
    first = patch(client, url, 0, data[:4096])
    _refused(first, 400, "bid_not_encrypted")
    assert "投标文件必须加密" in first.json["error"]["message"]
    assert _count(bids.app) == 0
    _no_bytes_left(bids)
    assert client.get(url).json["state"] == "refused"
    assert client.get(url).json["refusal"]["code"] == "bid_not_encrypted"


def test_a_damaged_envelope_is_refused(bids, keys):
    data = bytearray(seal(PAYLOAD, keys["rsa"]))
    data[40:60] = b"\xff" * 20                       # inside the RecipientInfos
    answer = upload(bids.client(), bids.tender_id, bytes(data))
    _refused(answer, 400, "bid_envelope_malformed")
    assert _count(bids.app) == 0
    _no_bytes_left(bids)


# -- recipients ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["rsa", "ec", "sm2"])
def test_an_envelope_to_an_own_encryption_certificate_is_accepted(bids, keys, algorithm):
    answer = upload(bids.client(), bids.tender_id, seal(PAYLOAD, keys[algorithm]))
    assert answer.status_code == 200, answer.json
    bid = answer.json["bid"]
    assert bid["cipher"] == ("sm4-cbc" if algorithm == "sm2" else "aes-256-gcm")
    assert bid["envelope_format"] == ("gm" if algorithm == "sm2" else "cms")
    assert [r["fingerprint_sha256"] for r in bid["recipients"]] == [keys[algorithm].record.sha256]


def test_several_own_recipients_are_all_recorded(bids, keys):
    answer = upload(bids.client(), bids.tender_id, seal(PAYLOAD, keys["rsa"], keys["ec"]))
    assert answer.status_code == 200, answer.json
    assert sorted(r["fingerprint_sha256"] for r in answer.json["bid"]["recipients"]) == \
        sorted([keys["rsa"].record.sha256, keys["ec"].record.sha256])


@pytest.mark.parametrize("whose", ["another_bidder", "platform", "own_and_another", "unbound_own"])
def test_an_envelope_someone_else_could_open_is_refused(bids, keys, bid_ca, whose):
    if whose == "another_bidder":
        recipients = [keys["other"]]
    elif whose == "platform":
        recipients = [load_certificate((bid_ca.state_dir / "platform" / "receipt.pem").read_bytes())]
        transport = issue(bid_ca, party_identity("supplier"), algorithm="rsa")   # a cert the platform could hold
        recipients = [transport]
    elif whose == "own_and_another":
        recipients = [keys["rsa"], keys["other"]]
    else:                                          # the supplier's own certificate, but never bound
        recipients = [issue(bid_ca, party_identity("supplier"), algorithm="ec")]
    answer = upload(bids.client(), bids.tender_id, seal(PAYLOAD, *recipients))
    _refused(answer, 422, "bid_recipient_refused")
    assert "本单位已绑定的有效加密证书" in answer.json["error"]["message"]
    assert _count(bids.app) == 0 and _count(bids.app, BidRecipient) == 0
    _no_bytes_left(bids)


def test_a_superseded_binding_is_no_recipient(bids, keys):
    with bids.app.app_context():
        db.session.get(CertificateBinding, bids.bindings["rsa"]).state = BindingState.SUPERSEDED
        db.session.commit()
    _refused(upload(bids.client(), bids.tender_id, seal(PAYLOAD, keys["rsa"])), 422, "bid_recipient_refused")


# -- R11: the certificate must outlast the decryption window ------------------------------------------------
def test_a_certificate_expiring_before_the_window_ends_is_refused_with_advice(bids, bid_ca):
    window_end = OPENING + WINDOW
    short = issue(bid_ca, party_identity("supplier"), algorithm="rsa", not_before=CA_T0,
                  not_after=window_end - timedelta(minutes=1))
    bind_encryption(bids.app, bids.parties["supplier"], short)
    answer = upload(bids.client(), bids.tender_id, seal(PAYLOAD, short))
    _refused(answer, 409, "certificate_expires_before_opening")
    message = answer.json["error"]["message"]
    assert "续期" in message and "加解密测试" in message and "早于本项目开标解密结束时间" in message
    assert _count(bids.app) == 0
    # when it is the party's only one: refused before a byte is sent
    with bids.app.app_context():
        for name in ("rsa", "ec", "sm2"):
            db.session.get(CertificateBinding, bids.bindings[name]).state = BindingState.REVOKED
        db.session.commit()
    early = start(bids.client(), bids.tender_id, seal(b"x", short))
    _refused(early, 409, "certificate_expires_before_opening")
    assert "续期" in early.json["error"]["message"]


def test_a_warning_from_30_days_before_expiry(bids, bid_ca):
    soon = issue(bid_ca, party_identity("supplier"), algorithm="rsa", not_before=CA_T0,
                 not_after=bids.clock.now() + timedelta(days=20))
    bind_encryption(bids.app, bids.parties["supplier"], soon)
    client = bids.client()
    started = start(client, bids.tender_id, seal(PAYLOAD, soon))
    assert started.status_code == 201 and any("到期" in w for w in started.json["warnings"])
    answer = upload(client, bids.tender_id, seal(PAYLOAD, soon))
    assert answer.status_code == 200, answer.json
    assert len(answer.json["warnings"]) == 1 and "剩余 20 天" in answer.json["warnings"][0]
    page = client.get(f"/tenders/{bids.tender_id}/bid").get_data(as_text=True)
    assert "剩余 20 天" in page


def test_refused_uploads_are_in_the_audit_log(bids):
    from bidding.audit.models import AuditEntry
    client = bids.client()
    data = tender_pdf("Plain")
    url = start(client, bids.tender_id, data).json["url"]
    patch(client, url, 0, data)
    with bids.app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[-2:] == ["bid.upload_started", "bid.upload_refused"]
        assert db.session.scalars(select(BidUpload)).one().state is UploadState.REFUSED
