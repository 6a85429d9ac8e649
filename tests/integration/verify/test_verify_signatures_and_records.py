"""The verification page on detached CMS and GM/T 0010 signatures with their content (RSA, EC, SM2),
and the platform's record of a document (``?doc=``): revisions and digests for anyone, the files only
for the document's parties."""
from __future__ import annotations

import io

import pytest
from support.agreements import client_as, stamped_agreement
from support.stamping import bind, issue_signer, party_identity

from pki.signature import sign

CONTENT = "投标文件摘要：报价 1,180,000.00 元".encode()


def _api(client, data: bytes, content: bytes | None = None):
    files = {"file": (io.BytesIO(data), "signature.p7s")}
    if content is not None:
        files["content"] = (io.BytesIO(content), "content.txt")
    return client.post("/api/v1/verify", data=files, content_type="multipart/form-data")


@pytest.mark.parametrize("algorithm", ["rsa", "ec", "sm2"])
def test_detached_signatures(world, ca, clock, algorithm):
    app, _, parties = world
    signer = issue_signer(ca, party_identity("supplier"), algorithm=algorithm)
    bind(app, parties["supplier"], signer, ca)
    der = sign(CONTENT, key=signer.key, certificate=signer.cert, chain=signer.chain, detached=True,
               signing_time=clock.now())
    client = app.test_client()
    ok = _api(client, der, CONTENT)
    assert ok.status_code == 200, ok.json
    body = ok.json
    assert body["ok"] is True and body["kind"] == "cms", body["signatures"]
    assert body["flavour"] == ("gm-standard" if algorithm == "sm2" else "cms")
    (signature,) = body["signatures"]
    assert signature["party"]["name"] == "测试供应商甲" and signature["certificate_status"] == "good"
    assert signature["algorithm"].startswith({"rsa": "RSA", "ec": "ECDSA", "sm2": "SM2"}[algorithm])
    wrong = _api(client, der, CONTENT + b"!").json
    assert wrong["ok"] is False and wrong["signatures"][0]["intact"] is False
    missing = _api(client, der)
    assert missing.status_code == 400 and "原文" in missing.json["error"]["message"]
    page = client.post("/verify", data={"file": (io.BytesIO(der), "s.p7s"), "content": (io.BytesIO(CONTENT), "c.txt")},
                       content_type="multipart/form-data")
    assert page.status_code == 200 and "签名有效" in page.get_data(as_text=True)


def test_a_signer_not_bound_here(world, ca, clock):
    app, _, _ = world
    stranger = issue_signer(ca, party_identity("supplier2"), algorithm="rsa")
    der = sign(CONTENT, key=stranger.key, certificate=stranger.cert, chain=stranger.chain, detached=False,
               signing_time=clock.now())
    body = _api(app.test_client(), der).json            # attached: no content file needed
    assert body["ok"] is True and body["signatures"][0]["party"] is None
    assert "未在本平台绑定" in app.test_client().post(
        "/verify", data={"file": (io.BytesIO(der), "s.p7s")}, content_type="multipart/form-data").get_data(as_text=True)


def test_the_platform_record_of_a_document(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    public_id, final = stamped_agreement(app, parties, bound, purchaser_signer, agency_signer)
    anonymous = app.test_client()
    record = anonymous.get(f"/api/v1/verify/documents/{public_id}")
    assert record.status_code == 200
    body = record.json
    assert body["may_download"] is False and [r["seq"] for r in body["revisions"]] == [1, 2, 3]
    assert body["signers"] == [{"role": "采购人", "name": "测试采购单位", "stamped": True},
                               {"role": "代理机构", "name": "测试代理机构", "stamped": True}]
    import hashlib
    assert body["revisions"][-1]["sha256"] == hashlib.sha256(final).hexdigest()
    assert body["revisions"][1]["signer"] == "测试采购单位"
    page = anonymous.get(f"/verify?doc={public_id.lower()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and hashlib.sha256(final).hexdigest() in html
    assert f"/documents/{public_id}/revisions/1.pdf" not in html           # no files for strangers
    assert f"/documents/{public_id}/revisions/1.pdf" in client_as(app, "agency").get(
        f"/verify?doc={public_id}").get_data(as_text=True)
    assert f"/documents/{public_id}/revisions/1.pdf" not in client_as(app, "supplier").get(
        f"/verify?doc={public_id}").get_data(as_text=True)
    unknown = anonymous.get("/verify?doc=NOPE-NOPE-NOPE-NOPE")
    assert unknown.status_code == 404 and "没有编号为" in unknown.get_data(as_text=True)
    assert anonymous.get("/api/v1/verify/documents/NOPE").status_code == 404
