"""The tender pages as each role sees them: the public list and notice, the agency's steps (upload,
stamp panel, publish form), the purchaser's review form and stamp panel, the supplier's registration
button and downloads; the pages call the same use cases as the API."""
from __future__ import annotations

import io

from support.agreements import client_as
from support.tenders import tender_pdf


def test_the_pages_walk_a_tender(steps):
    app = steps.app
    steps.agreement()
    tid = steps.project()["id"]
    agency, purchaser = steps.agency, steps.purchaser

    page = agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "发布前准备" in page and 'id="documents-form"' in page and "尚未上传招标文件" in page
    assert 'id="stamp-panel"' not in page
    refused = agency.post(f"/tenders/{tid}/documents", data={"seal_page": "0", "file": (io.BytesIO(b"GIF89a..."), "x.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "请上传 PDF 文件" in refused.get_data(as_text=True)
    done = agency.post(f"/tenders/{tid}/documents", data={"seal_page": "0", "file": (io.BytesIO(tender_pdf()), "招标文件.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    page = agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "待签章：招标文件" in page and 'id="stamp-panel"' in page and "已上传，待代理机构签章" in page
    assert 'id="review-form"' not in purchaser.get(f"/tenders/{tid}").get_data(as_text=True)   # not stamped yet

    tender = agency.get(f"/api/v1/tenders/{tid}").json
    assert steps.stamp_documents(tender).status_code == 201
    page = purchaser.get(f"/tenders/{tid}").get_data(as_text=True)
    assert 'id="review-form"' in page and "供应商资格条件" in page
    form = {"opinion": "资格条件需修改", "conclusion": "同意发布", "item_1": "符合", "item_2": "需修改", "item_3": "符合",
            "item_4": "符合", "item_5": "符合"}
    refused = purchaser.post(f"/tenders/{tid}/review", data=form)
    assert refused.status_code == 400 and "结论不能是“同意发布”" in refused.get_data(as_text=True)
    form.update(opinion="经审核，同意发布。", item_2="符合")
    assert purchaser.post(f"/tenders/{tid}/review", data=form).status_code == 302
    page = purchaser.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "待签章：采购文件审核意见书" in page and 'id="stamp-panel"' in page
    tender = agency.get(f"/api/v1/tenders/{tid}").json
    assert steps.stamp_review(tender).status_code == 201
    page = agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert 'id="publish-form"' in page and 'type="datetime-local"' in page and 'id="stamp-panel"' not in page
    assert "文件已齐备" in purchaser.get(f"/tenders/{tid}").get_data(as_text=True)
    assert steps.publish(tid).status_code == 200

    listing = app.test_client().get("/tenders").get_data(as_text=True)
    assert "2027 年度办公设备采购项目" in listing and "投标中" in listing and "测试代理机构" in listing
    supplier = client_as(app, "supplier")
    page = supplier.get(f"/tenders/{tid}").get_data(as_text=True)
    assert 'id="register-form"' in page and "招标文件仅向已报名的供应商提供下载" in page
    assert supplier.post(f"/tenders/{tid}/registration").status_code == 302
    page = supplier.get(f"/tenders/{tid}").get_data(as_text=True)
    assert 'id="register-form"' not in page and 'id="documents-pdf"' in page
    assert "2027 年度办公设备采购项目" in supplier.get("/tenders/mine").get_data(as_text=True)
    assert "2027 年度办公设备采购项目" in purchaser.get("/tenders/mine").get_data(as_text=True)
    mine = agency.get("/tenders/mine").get_data(as_text=True)
    assert 'id="new-project"' in mine and "已报名供应商：1 家" in agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert 'id="amendment-form"' in agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "我的报名" in supplier.get("/tenders").get_data(as_text=True)                        # the navigation
