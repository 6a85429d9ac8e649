"""A tender from project to registration through the JSON API: the agency creates a project under
the filed agreement, uploads and stamps the 招标文件 (EC key, through the agent's digest signer), the
purchaser writes and stamps the 采购文件审核意见书 (RSA) over exactly that file, the agency
publishes, a supplier registers and downloads; each stamped PDF verifies; notices follow."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from support.agreements import client_as

from pki import pdf


def _verify(app, ca, data: bytes):
    from app.trust import trust_list
    with app.app_context():
        return pdf.verify_pdf(data, trust=trust_list(), crls=ca.crls(), at=app.extensions["clock"].now())


def test_project_documents_review_publish_register_download(steps, ca, clock):
    app = steps.app
    steps.agreement(stamped=True)
    tender = steps.project()
    assert tender["phase"] == "draft" and tender["relation"] == "agency"
    assert tender["public_id"].startswith("ZB-2026-")
    assert [(l["name"], l["budget"]) for l in tender["project"]["lots"]] == [("台式计算机", "1000000.00"),
                                                                             ("激光打印机", "200000.00")]
    assert tender["missing"] == ["尚未上传招标文件"]
    supplier = client_as(app, "supplier")
    assert supplier.get(f"/api/v1/tenders/{tender['id']}").status_code == 404          # a draft: not found
    assert app.test_client().get(f"/tenders/{tender['id']}").status_code == 404

    tender = steps.documents(tender["id"])
    assert tender["documents"]["stamped"] is False and tender["missing"] == ["招标文件尚未由代理机构签章"]
    assert steps.stamp_documents(tender).status_code == 201
    tender = steps.agency.get(f"/api/v1/tenders/{tender['id']}").json
    assert tender["documents"]["stamped"] is True and tender["documents"]["current_revision"] == 2
    stamped = steps.purchaser.get(f"/tenders/{tender['id']}/documents.pdf")
    assert stamped.status_code == 200 and hashlib.sha256(stamped.data).hexdigest() == tender["documents"]["sha256"]
    report = _verify(app, ca, stamped.data)
    assert report.ok(), [s.problems for s in report.signatures]
    assert "测试代理机构" in report.signatures[0].signer_subject

    tender = steps.review(tender["id"])
    assert tender["review_conclusion"] == "同意发布" and tender["review"]["stamped"] is False
    review_pdf = steps.purchaser.get(f"/api/v1/tenders/{tender['id']}/files/review-opinion").data
    text = _pdf_text(review_pdf)
    assert tender["documents"]["sha256"] in text.replace("\n", "").replace(" ", "")
    assert steps.stamp_review(tender).status_code == 201
    tender = steps.agency.get(f"/api/v1/tenders/{tender['id']}").json
    assert tender["missing"] == []
    assert _verify(app, ca, steps.agency.get(f"/tenders/{tender['id']}/review.pdf").data).ok()

    published = steps.publish(tender["id"], deadline=timedelta(days=20), opening=timedelta(days=20, hours=1))
    assert published.status_code == 200, published.json
    tender = published.json
    assert tender["phase"] == "open" and tender["decryption_window_minutes"] == 30
    assert tender["bid_deadline"].startswith("2026-12-13T08:00")

    listed = app.test_client().get("/api/v1/tenders").json
    assert [t["public_id"] for t in listed] == [tender["public_id"]]
    public = app.test_client().get(f"/api/v1/tenders/{tender['id']}").json
    assert public["relation"] == "public" and public["documents"] is None and public["review"] is None
    assert supplier.get(f"/tenders/{tender['id']}/documents.pdf").status_code == 403       # not registered yet
    registered = supplier.post(f"/api/v1/tenders/{tender['id']}/registration")
    assert registered.status_code == 201, registered.json
    assert supplier.post(f"/api/v1/tenders/{tender['id']}/registration").json["error"]["code"] == "tender_already_registered"
    download = supplier.get(f"/api/v1/tenders/{tender['id']}/files/documents")
    assert download.status_code == 200 and download.data == stamped.data
    assert supplier.get(f"/api/v1/tenders/{tender['id']}/files/review-opinion").status_code == 403
    mine = supplier.get("/api/v1/tenders/mine").json
    assert [t["id"] for t in mine] == [tender["id"]]
    page = supplier.get(f"/tenders/{tender['id']}").get_data(as_text=True)
    assert "本单位已于" in page and "招标文件（已签章 PDF）" in page


def _pdf_text(data: bytes) -> str:
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True, check=True).stdout
