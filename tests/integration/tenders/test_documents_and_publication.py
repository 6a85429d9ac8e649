"""The 招标文件 upload (a PDF by its bytes, size-limited, readable, not encrypted, not signed), the
review over exactly the stamped file, and publication: refused until both documents are stamped and
the review agrees, with times in the future, the opening not before the deadline and a decryption
window of 10 to 120 minutes; every refusal in Chinese, changing nothing."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from support.agreements import client_as
from support.tenders import iso, tender_pdf, upload

from app.extensions import db
from bidding.tenders.models import Tender

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200


def _tender(app, tender_id: int) -> Tender:
    with app.app_context():
        tender = db.session.get(Tender, tender_id)
        db.session.expunge(tender)
        return tender


def test_upload_is_judged_by_its_bytes(steps):
    app = steps.app
    steps.agreement()
    tender = steps.project()
    agency = steps.agency
    for data, name, words in ((PNG, "zhaobiao.pdf", "请上传 PDF 文件"), (b"", "empty.pdf", "请上传 PDF 文件"),
                              (b"%PDF-1.7\n garbage", "broken.pdf", "无法读取该 PDF"),
                              (b"hello %PDF-1.4", "late.pdf", "请上传 PDF 文件")):
        answer = upload(agency, tender["id"], data, name=name)
        assert answer.status_code == 400, (name, answer.json)
        assert answer.json["error"]["code"] == "tender_pdf_refused" and words in answer.json["error"]["message"]
    assert upload(agency, tender["id"], seal_page=9).json["error"]["details"]["field"] == "seal_page"
    app.config["TENDER_PDF_MAX_BYTES"] = 20_000
    big = upload(agency, tender["id"], tender_pdf(pages=40))
    assert big.status_code == 413 and big.json["error"]["code"] == "tender_pdf_too_large"
    del app.config["TENDER_PDF_MAX_BYTES"]
    assert _tender(app, tender["id"]).documents_document_id is None

    answer = upload(agency, tender["id"], seal_page=1)
    assert answer.status_code == 201, answer.json
    assert answer.json["documents"]["kind"] == "tender_documents"
    page = agency.get(f"/tenders/{tender['id']}").get_data(as_text=True)
    assert "待签章：招标文件" in page and 'id="stamp-panel"' in page


def test_a_signed_or_encrypted_pdf_is_refused(steps, agency_signer, ca):
    from pki import pdf
    from pki.seal import make_seal
    from support.stamping import party_identity
    steps.agreement()
    tender = steps.project()
    signed = pdf.stamp_with_key(tender_pdf(), agency_signer.key, agency_signer.cert,
                                pdf.StampSpec(make_seal(party_identity("agency")).image_png, pdf.SealPlacement(page=1, x=300, y=100, size=100)),
                                chain=agency_signer.chain, signing_time=steps.clock.now())
    answer = upload(steps.agency, tender["id"], signed)
    assert answer.status_code == 400 and "已含电子签名" in answer.json["error"]["message"]
    answer = upload(steps.agency, tender["id"], _encrypted(tender_pdf()))
    assert answer.status_code == 400 and "加密" in answer.json["error"]["message"]


def test_publication_needs_both_stamps_and_an_agreeing_review(steps):
    app = steps.app
    steps.agreement()
    tender = steps.project()
    tid = tender["id"]

    def refused_publication() -> list[str]:
        answer = steps.publish(tid)
        assert answer.status_code == 409, answer.json
        assert answer.json["error"]["code"] == "tender_documents_not_ready"
        return answer.json["error"]["details"]["missing"]

    assert refused_publication() == ["尚未上传招标文件"]
    tender = steps.documents(tid)
    assert refused_publication() == ["招标文件尚未由代理机构签章"]
    early = steps.purchaser.post(f"/api/v1/tenders/{tid}/review-opinion", json={"opinion": "同意", "conclusion": "同意发布"})
    assert early.status_code == 409 and early.json["error"]["code"] == "tender_documents_not_ready"
    assert steps.stamp_documents(tender).status_code == 201
    assert refused_publication() == ["采购人尚未出具采购文件审核意见书"]
    assert steps.agency.post(f"/api/v1/tenders/{tid}/review-opinion", json={"opinion": "同意", "conclusion": "同意发布"}
                             ).status_code == 403                                    # the agency does not review

    bad = steps.purchaser.post(f"/api/v1/tenders/{tid}/review-opinion", json={
        "opinion": "评分标准须修改", "conclusion": "同意发布",
        "items": [{"item": "评审方法和评分标准", "conclusion": "需修改", "remark": "价格分权重过低"}]})
    assert bad.status_code == 400 and bad.json["error"]["details"]["field"] == "conclusion"
    tender = steps.review(tid, opinion="评分标准中价格分权重过低，请修改后重新报审。", conclusion="修改后发布")
    assert refused_publication() == ["采购文件审核意见书尚未由采购人签章"]
    assert steps.stamp_review(tender).status_code == 201
    assert refused_publication() == ["审核结论为“修改后发布”，须修改招标文件后重新审核"]

    tender = steps.documents(tid, data=tender_pdf("Tender documents, revised"))      # a new file: the review is void
    assert tender["review"] is None and tender["documents"]["stamped"] is False
    assert refused_publication() == ["招标文件尚未由代理机构签章"]
    assert steps.stamp_documents(tender).status_code == 201
    tender = steps.review(tid)
    first_review = tender["review"]["public_id"]
    tender = steps.review(tid)                                                      # written again: the first is void
    stale = steps.purchaser.post(f"/api/v1/documents/{first_review}/stamp-sessions",
                                 json={"binding_id": steps.bound["purchaser"]})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "document_stamp_not_allowed"
    assert steps.stamp_review(tender).status_code == 201
    assert steps.publish(tid).status_code == 200
    assert _tender(app, tid).published_at == steps.clock.now()

    again = steps.publish(tid)
    assert again.status_code == 409 and again.json["error"]["code"] == "tender_phase"
    assert upload(steps.agency, tid).json["error"]["code"] == "tender_phase"          # changes are amendments now
    assert steps.purchaser.post(f"/api/v1/tenders/{tid}/review-opinion", json={"opinion": "再审", "conclusion": "同意发布"}
                                ).json["error"]["code"] == "tender_phase"


@pytest.mark.parametrize("deadline, opening, window, field, words", [
    (timedelta(0), timedelta(hours=1), None, "bid_deadline", "须晚于当前时间"),
    (-timedelta(days=1), timedelta(hours=1), None, "bid_deadline", "须晚于当前时间"),
    (timedelta(days=10), timedelta(days=10) - timedelta(milliseconds=1), None, "opening_at", "不得早于投标截止时间"),
    (timedelta(days=10), timedelta(days=11), 9, "decryption_window_minutes", "解密时限须为 10 至 120 分钟"),
    (timedelta(days=10), timedelta(days=11), 121, "decryption_window_minutes", "解密时限须为 10 至 120 分钟"),
    (timedelta(days=2000), timedelta(days=2000), None, "bid_deadline", "不能晚于三年之后"),
])
def test_times_are_checked(steps, deadline, opening, window, field, words):
    steps.agreement()
    tid = steps.project()["id"]
    answer = steps.publish(tid, deadline=deadline, opening=opening, window=window)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "tender_times_invalid"
    assert answer.json["error"]["details"]["field"] == field and words in answer.json["error"]["message"]
    assert _tender(steps.app, tid).published_at is None


def test_the_publish_form_takes_beijing_time_and_says_what_is_wrong(steps):
    tender = steps.ready()
    tid, now = tender["id"], steps.clock.now()             # 2026-11-23 08:00 UTC = 16:00 in Beijing
    page = steps.agency.post(f"/tenders/{tid}/publish", data={
        "bid_deadline": "2026-11-23T15:59", "opening_at": "2026-12-20T09:30", "decryption_window_minutes": "30"})
    assert page.status_code == 400 and "须晚于当前时间" in page.get_data(as_text=True)
    page = steps.agency.post(f"/tenders/{tid}/publish", data={
        "bid_deadline": "2026-12-20T09:30", "opening_at": "2026-12-20T09:00", "decryption_window_minutes": ""})
    assert page.status_code == 400 and "不得早于投标截止时间" in page.get_data(as_text=True)
    done = steps.agency.post(f"/tenders/{tid}/publish", data={
        "bid_deadline": "2026-12-20T09:30", "opening_at": "2026-12-20T09:30", "decryption_window_minutes": ""})
    assert done.status_code == 302
    tender = _tender(steps.app, tid)
    assert iso(tender.bid_deadline) == "2026-12-20T01:30:00+00:00" and tender.opening_at == tender.bid_deadline
    assert tender.decryption_window == timedelta(minutes=30) and tender.published_at == now
    notice = client_as(steps.app, "supplier").get(f"/tenders/{tid}").get_data(as_text=True)
    assert "2026-12-20 09:30" in notice and "投标中" in notice


def test_another_agency_cannot_touch_the_tender(steps):
    from support.tenders import make_extra
    make_extra(steps.app, "agency2")
    other = client_as(steps.app, "agency2")
    steps.agreement()
    tid = steps.project()["id"]
    assert upload(other, tid).status_code == 404                                 # a draft of another agency
    assert other.post(f"/api/v1/tenders/{tid}/publication", json={}).status_code == 422
    body = {"bid_deadline": iso(steps.clock.now() + timedelta(days=9)), "opening_at": iso(steps.clock.now() + timedelta(days=9))}
    assert other.post(f"/api/v1/tenders/{tid}/publication", json=body).status_code == 404
    assert client_as(steps.app, "purchaser").post(f"/tenders/{tid}/publish", data={}).status_code == 403


def _encrypted(data: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(data)))
    writer.encrypt("owner-secret", "user-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
