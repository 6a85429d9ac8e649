"""A prepared stamp takes exactly the signature it waits for: over its digest, by its certificate, valid,
one signer; and every refusal of preparing or finishing says why (a PdfError with a code)."""
from __future__ import annotations

import hashlib
import io

import pytest
from asn1crypto import cms
from reportlab.pdfgen import canvas

from pki.pdf import (PdfUnreadable, PlacementInvalid, PreparedStamp, PreparedStampMismatch, SealImageInvalid,
                     SealPlacement, SignatureTooLarge, StampRefused, StampSpec, finish_stamp, prepare_stamp,
                     stamp_with_key, verify_pdf)
from pki.signature.errors import SigningError
from pki.signature.prehashed import sign_digest


@pytest.fixture
def signer(world):
    return world.party("准备签章测试单位", "rsa", 401)


@pytest.fixture
def prepared(world, signer) -> PreparedStamp:
    return prepare_stamp(world.docs[3], signer.certificate, StampSpec(signer.seal_png), signing_time=world.now)


def signature(party, digest: bytes, *, certificate=None) -> bytes:
    return sign_digest(digest, key=party.key, certificate=certificate or party.certificate,
                       chain=[party.intermediate], signing_time=None)


def test_the_right_signature_finishes(world, signer):
    spec = StampSpec(signer.seal_png, reason="同意委托协议条款", location="广州", signer_name="张三（经办人）")
    prepared = prepare_stamp(world.docs[3], signer.certificate, spec, signing_time=world.now)
    assert prepared.digest == hashlib.sha256(prepared.signed_bytes()).digest()
    assert prepared.prepared_pdf[prepared.reserved_start:prepared.reserved_end].strip(b"<>0") == b""
    final = finish_stamp(prepared, signature(signer, prepared.digest))
    (report,) = verify_pdf(final, trust=world.trust, crls=world.crls()).signatures
    assert report.ok() and report.timestamp_time is None and report.covers_whole_document   # B-B
    assert (report.reason, report.location, report.signer_name) == ("同意委托协议条款", "广州", "张三（经办人）")
    assert report.signing_time == world.now          # /M: PAdES signatures carry no signing-time attribute


def test_a_signature_over_another_digest_is_refused(signer, prepared):
    with pytest.raises(PreparedStampMismatch, match="摘要"):
        finish_stamp(prepared, signature(signer, hashlib.sha256(b"another document").digest()))


def test_a_signature_by_another_certificate_is_refused(world, prepared):
    other = world.party("另一家单位", "rsa", 402)
    with pytest.raises(PreparedStampMismatch, match="证书"):
        finish_stamp(prepared, signature(other, prepared.digest))


def test_the_right_certificate_with_another_key_is_refused(world, signer, prepared):
    other = world.party("另一家单位", "rsa", 402)
    forged = sign_digest(prepared.digest, key=other.key, certificate=signer.certificate, signing_time=None)
    with pytest.raises(PreparedStampMismatch) as refused:
        finish_stamp(prepared, forged)
    assert refused.value.code == "prepared_stamp_mismatch" and refused.value.kind == "integrity"


def test_a_signature_for_another_preparation_is_refused(world, signer, prepared):
    again = prepare_stamp(world.docs[3], signer.certificate, StampSpec(signer.seal_png), signing_time=world.now)
    assert again.digest != prepared.digest           # every prepared revision is its own document
    with pytest.raises(PreparedStampMismatch):
        finish_stamp(prepared, signature(signer, again.digest))


def test_two_signers_or_garbage_are_refused(signer, prepared):
    one = cms.ContentInfo.load(signature(signer, prepared.digest))
    signed = one["content"]
    doubled = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
        "version": signed["version"], "digest_algorithms": signed["digest_algorithms"],
        "encap_content_info": signed["encap_content_info"], "certificates": signed["certificates"],
        "signer_infos": [signed["signer_infos"][0], signed["signer_infos"][0]]})}).dump()
    with pytest.raises(PreparedStampMismatch, match="一个签名者"):
        finish_stamp(prepared, doubled)
    with pytest.raises(PreparedStampMismatch, match="无法解析"):
        finish_stamp(prepared, b"\x30\x03\x02\x01\x01")


def test_the_record_must_match_the_prepared_document(world, signer, prepared):
    record = prepared.to_record()
    assert PreparedStamp.from_record(record, prepared.prepared_pdf) == prepared
    with pytest.raises(PreparedStampMismatch):
        PreparedStamp.from_record(record, prepared.prepared_pdf + b"\n")
    with pytest.raises(PreparedStampMismatch):
        PreparedStamp.from_record({**record, "digest": "zz"}, prepared.prepared_pdf)
    with pytest.raises(PreparedStampMismatch):
        PreparedStamp.from_record({k: v for k, v in record.items() if k != "reserved_end"}, prepared.prepared_pdf)


def test_a_signature_too_large_for_its_reserve(world, signer):
    small = prepare_stamp(world.docs[3], signer.certificate, StampSpec(signer.seal_png), signing_time=world.now,
                          reserved_bytes=3000)
    with pytest.raises(SignatureTooLarge):
        finish_stamp(small, signature(signer, small.digest), timestamper=world.tsa)


def test_preparing_refuses_with_reasons(world, signer):
    cert, seal, pdf, now = signer.certificate, signer.seal_png, world.docs[3], world.now
    cases = [
        (StampSpec(seal, SealPlacement(page=4)), PlacementInvalid, "页码"),
        (StampSpec(seal, SealPlacement(page=1, x=550)), PlacementInvalid, "超出页面"),
        (StampSpec(seal, SealPlacement(size=5)), PlacementInvalid, "边长"),
        (StampSpec(seal, field_name="签名 1"), PlacementInvalid, "名称"),
        (StampSpec(b"GIF89a not a png"), SealImageInvalid, "PNG"),
        (StampSpec(seal[:100]), SealImageInvalid, "无法读取"),
        (StampSpec(seal, cross_page=True, cross_page_y=800), PlacementInvalid, "骑缝章"),
    ]
    for spec, error, words in cases:
        with pytest.raises(error, match=words):
            prepare_stamp(pdf, cert, spec, signing_time=now)
    stamped = finish_stamp(p := prepare_stamp(pdf, cert, StampSpec(seal, field_name="Purchaser"), signing_time=now),
                           signature(signer, p.digest))
    with pytest.raises(StampRefused, match="已存在"):
        prepare_stamp(stamped, cert, StampSpec(seal, field_name="Purchaser"), signing_time=now)
    second = prepare_stamp(stamped, cert, StampSpec(seal), signing_time=now)
    assert second.field_name == "Seal2"
    with pytest.raises(PdfUnreadable):
        prepare_stamp(b"%PDF-1.7\n garbage", cert, StampSpec(seal), signing_time=now)


def test_an_encrypted_pdf_is_refused(world, signer):
    out = io.BytesIO()
    c = canvas.Canvas(out, encrypt="secret")
    c.drawString(72, 720, "encrypted")
    c.save()
    with pytest.raises(StampRefused, match="加密"):
        prepare_stamp(out.getvalue(), signer.certificate, StampSpec(signer.seal_png), signing_time=world.now)


def test_stamping_with_a_key_that_is_not_the_certificates(world, signer):
    other = world.party("另一家单位", "rsa", 402)
    with pytest.raises(SigningError):
        stamp_with_key(world.docs[3], other.key, signer.certificate, StampSpec(signer.seal_png),
                       signing_time=world.now)
