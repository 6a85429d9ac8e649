"""The commitment letter (入驻承诺书): signed by a certificate actively bound to the supplier, over
exactly the letter's text; kept (DER) and verifiable with `openssl cms -verify`. The certificate
handler (经办人) change is recorded and audited and changes no certificate or binding (R5)."""
from __future__ import annotations

import base64
import json
import subprocess
from datetime import timedelta

import pytest
from registration_helpers import bind, crls, holder, sign_text
from sqlalchemy import select
from support.auth import AuthActions, make_accounts, test_uow

from app.extensions import db
from bidding.audit.models import AuditEntry
from bidding.certificates.models import CertificateBinding
from bidding.parties.commitment import commitment_letter_text, sign_commitment_letter, today
from bidding.parties.errors import (
    CommitmentAlreadySigned,
    CommitmentSignatureRefused,
    CommitmentSignerNotBound,
    InvalidHandler,
)
from bidding.parties.models import CommitmentLetter, Party
from bidding.parties.services import update_certificate_handler
from pki.certs import dump_pem, fingerprint_sha256


@pytest.fixture
def supplier(app):
    make_accounts(app, ("supplier", "supplier2", "agency"))
    with app.app_context():
        return db.session.scalars(select(Party).where(Party.name == "测试供应商甲")).one()


def _holder(app, ca, party, clock, algorithm="rsa"):
    return holder(ca, party.name, party.credit_code, clock.now() - timedelta(days=1), algorithm=algorithm)


def _letters(app) -> int:
    return len(db.session.scalars(select(CommitmentLetter)).all())


def test_a_bound_rsa_certificate_signs_the_letter_and_openssl_verifies_it(app, ca, trust, clock, supplier, tmp_path,
                                                                          monkeypatch):
    h = _holder(app, ca, supplier, clock)
    with app.app_context():
        bind(lambda: test_uow(app), ca, trust, clock, supplier.id, h)
        party = db.session.get(Party, supplier.id)
        text = commitment_letter_text(party, today(test_uow(app)))
        assert party.name in text and party.credit_code in text and "2026年11月23日" in text
        letter = sign_commitment_letter(test_uow(app), supplier.id, sign_text(h, text.encode("utf-8"), clock),
                                        trust=trust, crls=crls(ca, clock))
        assert letter.signer_fingerprint == fingerprint_sha256(h.cert) and letter.text == text
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "party.commitment_signed"
        with pytest.raises(CommitmentAlreadySigned):
            sign_commitment_letter(test_uow(app), supplier.id, letter.signature_der, trust=trust, crls=crls(ca, clock))
    client = app.test_client()
    AuthActions(client).login("supplier")
    got = client.get("/api/v1/party/commitment-letter").json
    assert got["signed"] and got["text"] == text
    assert base64.b64decode(got["text_base64"]) == text.encode("utf-8")
    (tmp_path / "letter.txt").write_bytes(base64.b64decode(got["text_base64"]))
    (tmp_path / "letter.p7s").write_bytes(base64.b64decode(got["signature"]))
    (tmp_path / "root.pem").write_bytes(dump_pem(h.root))
    result = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "letter.p7s"),
                             "-content", str(tmp_path / "letter.txt"), "-CAfile", str(tmp_path / "root.pem"),
                             "-purpose", "any", "-out", "/dev/null"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    page = client.get("/party")
    assert "已签署" in page.text
    # another supplier sees its own (unsigned) letter, an agency none
    other = app.test_client()
    AuthActions(other).login("supplier2")
    assert other.get("/api/v1/party/commitment-letter").json["signed"] is False
    agency = app.test_client()
    AuthActions(agency).login("agency")
    assert agency.get("/api/v1/party/commitment-letter").status_code == 403


def test_the_api_keeps_an_sm2_signature_of_a_bound_certificate(app, ca, trust, clock, supplier, monkeypatch, tmp_path):
    h = _holder(app, ca, supplier, clock, algorithm="sm2")
    with app.app_context():
        bind(lambda: test_uow(app), ca, trust, clock, supplier.id, h)
        app.extensions["trust_list"] = trust                 # the app's trust list is the test CA's
    crl_dir = tmp_path / "crl"
    crl_dir.mkdir()
    for i, der in enumerate(crls(ca, clock)):
        (crl_dir / f"c{i}.crl").write_bytes(der)
    app.config["CRL_DIR"] = str(crl_dir)
    client = app.test_client()
    AuthActions(client).login("supplier")
    letter = client.get("/api/v1/party/commitment-letter").json
    der = sign_text(h, base64.b64decode(letter["text_base64"]), clock)
    response = client.post("/api/v1/party/commitment-letter", json={"signature": base64.b64encode(der).decode()})
    assert response.status_code == 201, response.json
    assert response.json["signed"] and response.json["signer_fingerprint"] == fingerprint_sha256(h.cert)
    assert client.post("/api/v1/party/commitment-letter", json={"signature": "not base64!"}).status_code == 400


def test_an_unbound_certificate_is_refused(app, ca, trust, clock, supplier):
    h = _holder(app, ca, supplier, clock)                    # the party's own certificate, but not bound
    with app.app_context():
        text = commitment_letter_text(db.session.get(Party, supplier.id), today(test_uow(app)))
        with pytest.raises(CommitmentSignerNotBound):
            sign_commitment_letter(test_uow(app), supplier.id, sign_text(h, text.encode(), clock), trust=trust,
                                   crls=crls(ca, clock))
        assert _letters(app) == 0


def test_a_certificate_bound_to_another_party_is_refused(app, ca, trust, clock, supplier):
    with app.app_context():
        other = db.session.scalars(select(Party).where(Party.name == "测试供应商乙")).one()
        h = _holder(app, ca, other, clock)
        bind(lambda: test_uow(app), ca, trust, clock, other.id, h)
        text = commitment_letter_text(db.session.get(Party, supplier.id), today(test_uow(app)))
        with pytest.raises(CommitmentSignerNotBound):
            sign_commitment_letter(test_uow(app), supplier.id, sign_text(h, text.encode(), clock), trust=trust,
                                   crls=crls(ca, clock))
        assert _letters(app) == 0


def test_a_signature_over_other_text_is_refused(app, ca, trust, clock, supplier):
    h = _holder(app, ca, supplier, clock)
    with app.app_context():
        bind(lambda: test_uow(app), ca, trust, clock, supplier.id, h)
        party = db.session.get(Party, supplier.id)
        yesterday = commitment_letter_text(party, today(test_uow(app)) - timedelta(days=1))
        for text in (yesterday.encode(), b"something else"):
            with pytest.raises(CommitmentSignatureRefused) as refused:
                sign_commitment_letter(test_uow(app), supplier.id, sign_text(h, text, clock), trust=trust,
                                       crls=crls(ca, clock))
            assert not isinstance(refused.value, CommitmentSignerNotBound)
        with pytest.raises(CommitmentSignatureRefused):
            sign_commitment_letter(test_uow(app), supplier.id, b"\x30\x03\x02\x01\x00", trust=trust)
        assert _letters(app) == 0


def _binding_rows():
    return [{c.name: getattr(b, c.name) for c in CertificateBinding.__table__.columns}
            for b in db.session.scalars(select(CertificateBinding).order_by(CertificateBinding.id))]


def test_changing_the_handler_changes_no_certificate_r5(app, ca, trust, clock, supplier):
    h = _holder(app, ca, supplier, clock)
    with app.app_context():
        bind(lambda: test_uow(app), ca, trust, clock, supplier.id, h)
        update_certificate_handler(test_uow(app), supplier.id, name="张三", id_last4="123X", phone="13900001111")
        before = _binding_rows()
    client = app.test_client()
    AuthActions(client).login("supplier")
    response = client.put("/api/v1/party/handler", json={"name": "李四", "id_last4": "4567", "phone": "020-12345678"})
    assert response.status_code == 200, response.json
    assert response.json["handler"] == {"name": "李四", "id_last4": "4567", "phone": "020-12345678"}
    with app.app_context():
        assert _binding_rows() == before
        party = db.session.get(Party, supplier.id)
        assert (party.handler_name, party.handler_id_last4, party.handler_phone) == ("李四", "4567", "020-12345678")
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "party.handler_changed" and entry.object_id == str(supplier.id)
        details = json.loads(entry.details)
        assert details["before"]["name"] == "张三" and details["after"]["name"] == "李四"
        with pytest.raises(InvalidHandler):
            update_certificate_handler(test_uow(app), supplier.id, name="王五", id_last4="12", phone="13900001111")
        assert db.session.get(Party, supplier.id).handler_name == "李四"
    page = client.post("/party/handler", data={"name": "王五", "id_last4": "12ab", "phone": "13900001111"})
    assert page.status_code == 400 and "身份证号码后 4 位" in page.text
    assert client.post("/party/handler", data={"name": "王五", "id_last4": "0001", "phone": "13900001111"}).status_code == 302
    assert "王五" in client.get("/party").text
