"""A contract from a notified award to its filing through the JSON API: the purchaser drafts it
(parties with credit codes, the award's price in figures and capitals, the terms it entered, the
tender's and the award notice's ids, several pages), stamps it with its cross-page seal (RSA), the
winner stamps with its own (EC); the project's verifier validates both signatures and the first
stays valid after the second's slices; pdfsig reports both valid; a change other than slices after
the first signature is flagged. Filing records the step; history, notices and audit follow."""
from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from support.pdfwitness import pdfsig_verdicts, slices_per_page, text_of

from pki import pdf
from pki.pdf.pagetree import walk_pages


def _verify(world, data: bytes):
    with world.app.app_context():
        from app.trust import trust_list
        return pdf.verify_pdf(data, trust=trust_list(), crls=world.ca.crls(), at=world.clock.now())


def test_draft_stamp_stamp_file(contract_world):
    world = contract_world
    purchaser, contract = world.drafted()
    assert contract["state"] == "draft" and contract["next_signer"] == "purchaser"
    assert contract["amount"] == "900000.00" and contract["supplier"]["name"] == "测试供应商甲"
    public_id = contract["document"]["public_id"]
    original = world.pdf(purchaser, public_id)
    text = text_of(original)
    assert "第3页/共3页" in text                                   # several pages: the 骑缝章 ties them
    for expected in ("测试采购单位", "测试供应商甲", "91440101MA5ACC001", "11440100ACC000003", "人民币 900,000.00 元",
                     "玖拾万元整", "广州市天河区体育西路 1 号", "2027年03月31日", "合同签订后 10 个工作日内"):
        assert expected.replace(" ", "") in "".join(text.split()), expected
    with world.app.app_context():
        from app.extensions import db
        from bidding.award.models import Award
        from bidding.documents.models import Document
        from bidding.tenders.models import Tender
        notice = db.session.get(Document, db.session.get(Award, world.award_id).notice_document_id).public_id
        tender = db.session.get(Tender, world.tender_id).public_id
    assert notice in text and tender in text
    assert slices_per_page(original) == [0, 0, 0]

    supplier = world.client("supplier")
    assert supplier.get(f"/api/v1/contracts/{contract['id']}").status_code == 403     # not sent yet
    assert supplier.get("/api/v1/contracts").json == []

    stamped = world.stamp(purchaser, "purchaser", public_id)
    assert stamped.status_code == 201, stamped.json
    first = world.pdf(purchaser, public_id)
    assert slices_per_page(first) == [1, 1, 1]                    # the purchaser's 骑缝章 on every page
    report = _verify(world, first)
    assert report.ok() and report.signatures[0].cross_page, [s.problems for s in report.signatures]
    after = supplier.get(f"/api/v1/contracts/{contract['id']}")
    assert after.status_code == 200 and after.json["state"] == "signed_by_purchaser"
    assert after.json["next_signer"] == "supplier"
    assert "请核对后用本单位数字证书签章" in world.last_notice("supplier")

    stamped = world.stamp(supplier, "supplier", public_id)
    assert stamped.status_code == 201, stamped.json
    final = world.pdf(supplier, public_id)
    assert slices_per_page(final) == [2, 2, 2]
    report = _verify(world, final)
    assert report.ok(), [s.problems for s in report.signatures]
    assert [s.algorithm for s in report.signatures] == ["rsa", "ec"]
    assert [s.fingerprint_sha256 for s in report.signatures] == [world.signers["purchaser"].fingerprint,
                                                                 world.signers["supplier"].fingerprint]
    assert all(s.cross_page and s.timestamp_time is not None for s in report.signatures)
    assert report.signatures[0].modification == "seal_slices"     # the winner's slices: accepted, still valid
    assert pdfsig_verdicts(final) == ["Signature is Valid."] * 2
    assert "双方均已签章，请备案" in world.last_notice("purchaser")

    filed = purchaser.post(f"/api/v1/contracts/{contract['id']}/filing")
    assert filed.status_code == 200, filed.json
    assert filed.json["state"] == "filed" and filed.json["filed_at"] and filed.json["signed_at"]
    assert "已将合同" in world.last_notice("supplier")
    history = supplier.get(f"/api/v1/contracts/{contract['id']}/history").json
    assert [e["action"] for e in history] == ["drafted", "stamped_by_purchaser", "stamped_by_supplier", "filed"]
    assert [e["party_id"] for e in history] == [world.parties[p] for p in ("purchaser", "purchaser", "supplier",
                                                                           "purchaser")]
    assert all(e["actor"].startswith("user:") and e["at"] for e in history)
    assert purchaser.get(f"/api/v1/contracts/{contract['id']}/history").json == history
    assert world.audit_actions() == ["contract.drafted", "contract.stamped", "contract.stamped", "contract.filed"]


def _annotated(data: bytes) -> bytes:
    """``data`` with one more revision adding a text annotation on page 1 (not a seal slice)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    pages = walk_pages(writer.root.raw_get("/Pages"))
    note = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (100, 100, 120, 120)]),
        generic.NameObject("/Contents"): generic.TextStringObject("付款方式改为验收后一次付清")}))
    writer.register_annotation(pages[0].ref, note)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_change_other_than_seal_slices_after_the_first_signature_is_flagged(contract_world):
    world = contract_world
    purchaser, contract = world.drafted()
    public_id = contract["document"]["public_id"]
    assert world.stamp(purchaser, "purchaser", public_id).status_code == 201
    first = world.pdf(purchaser, public_id)
    report = _verify(world, _annotated(first))
    [signature] = report.signatures
    assert signature.intact and signature.signature_valid and signature.cross_page
    assert signature.modification == "other" and signature.modified_after and not report.ok()
    assert pdfsig_verdicts(_annotated(first)) == ["Signature is Valid."]    # pdfsig does not see it: a witness only
