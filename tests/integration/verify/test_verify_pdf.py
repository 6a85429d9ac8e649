"""The public verification page (验签) on PDFs: an agreement stamped by the purchaser (RSA) and the
agency (EC) shows both signatures valid, with signer, party, seal image, signing time and timestamp,
certificate status and coverage, and matches the platform's record; one byte changed after signing,
or a page appended after signing, is reported (the byte change by pdfsig too); an SM2 stamp
verifies; the page and the API answer alike, without log-in."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from support.agreements import client_as, draft, stamped_agreement
from support.stamping import b64, bind, issue_signer, party_identity, stamp_via_api


def _api(client, data: bytes, content: bytes | None = None):
    files = {"file": (io.BytesIO(data), "upload.pdf")}
    if content is not None:
        files["content"] = (io.BytesIO(content), "content.bin")
    return client.post("/api/v1/verify", data=files, content_type="multipart/form-data")


def _page(client, data: bytes, path: str = "/verify"):
    return client.post(path, data={"file": (io.BytesIO(data), "upload.pdf")}, content_type="multipart/form-data")


def test_both_stamps_verify(world, bound, purchaser_signer, agency_signer):
    app, _, parties = world
    public_id, final = stamped_agreement(app, parties, bound, purchaser_signer, agency_signer)
    anonymous = app.test_client()
    result = _api(anonymous, final)
    assert result.status_code == 200, result.json
    body = result.json
    assert body["ok"] is True and body["kind"] == "pdf" and len(body["signatures"]) == 2
    assert body["record"] == {"public_id": public_id, "title": "委托协议：2027 年度办公设备采购", "seq": 3, "latest": True}
    first, second = body["signatures"]
    assert (first["algorithm"], second["algorithm"]) == ("rsa", "ec")
    assert first["party"]["name"] == "测试采购单位" and first["party"]["kind"] == "采购人"
    assert second["party"]["name"] == "测试代理机构"
    for signature in body["signatures"]:
        assert signature["ok"] and signature["intact"] and signature["signature_valid"] and signature["trusted"]
        assert signature["certificate_status"] == "good" and signature["timestamp_time"]
        assert signature["seal_png"] and signature["problems"] == []
    assert first["covers_whole_document"] is False and first["modification"] == "seal_slices"
    assert first["modified_after"] is False

    page = _page(anonymous, final)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "全部 2 个签名均有效" in html and "测试采购单位（采购人）" in html and "测试代理机构（代理机构）" in html
    assert html.count('class="seal-image"') == 2 and "可信时间戳" in html
    assert "与平台文件" in html and public_id in html


def test_one_byte_changed_after_signing(world, bound, purchaser_signer, agency_signer, tmp_path):
    app, _, parties = world
    _, final = stamped_agreement(app, parties, bound, purchaser_signer, agency_signer)
    at = final.index(b"ebidding bidding.documents.pdf")
    changed = final[:at] + b"E" + final[at + 1:]
    body = _api(app.test_client(), changed).json
    assert body["ok"] is False and body["record"] is None
    assert [s["intact"] for s in body["signatures"]] == [False, False]
    assert all(s["problems"] for s in body["signatures"])
    html = _page(app.test_client(), changed).get_data(as_text=True)
    assert "验证未通过" in html and "无效" in html
    if shutil.which("pdfsig"):
        (tmp_path / "changed.pdf").write_bytes(changed)
        out = subprocess.run(["pdfsig", str(tmp_path / "changed.pdf")], capture_output=True, text=True).stdout
        assert "Signature is Valid." not in out and len(re.findall(r"Signature #\d", out)) == 2


def test_a_page_appended_after_signing(world, bound, purchaser_signer, agency_signer):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    app, _, parties = world
    _, final = stamped_agreement(app, parties, bound, purchaser_signer, agency_signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(final))
    contents = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (added later) Tj ET"))
    page = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        generic.NameObject("/Resources"): generic.DictionaryObject(),
        generic.NameObject("/Contents"): contents})
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    body = _api(app.test_client(), out.getvalue()).json
    assert body["ok"] is False
    last = body["signatures"][-1]
    assert last["intact"] and last["signature_valid"]          # the signed bytes are still there …
    assert last["modified_after"] is True and last["modification"] == "other"   # … but a page came after
    assert last["covers_whole_document"] is False
    html = _page(app.test_client(), out.getvalue()).get_data(as_text=True)
    assert "签名后文件被修改" in html


def test_an_sm2_stamp(world, ca, bound, agency_signer):
    app, _, parties = world
    sm2 = issue_signer(ca, party_identity("purchaser"), algorithm="sm2")
    binding = bind(app, parties["purchaser"], sm2, ca)
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    prepared = purchaser.post(f"/api/v1/documents/{public_id}/stamp-sessions", json={"binding_id": binding}).json
    assert prepared["digest_algorithm"] == "sm3"
    done = purchaser.post(f"/api/v1/stamp-sessions/{prepared['id']}/signature",
                          json={"signature": b64(sm2.sign_digest(prepared["digest"]))})
    assert done.status_code == 201, done.json
    agency = client_as(app, "agency")
    assert stamp_via_api(agency, public_id, bound["agency"], agency_signer).status_code == 201
    body = _api(app.test_client(), agency.get(f"/documents/{public_id}.pdf").data).json
    assert body["ok"] is True, body
    assert [s["algorithm"] for s in body["signatures"]] == ["sm2", "ec"]
    assert body["signatures"][0]["party"]["name"] == "测试采购单位"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hostile_and_oversized_uploads(world, bound, purchaser_signer, agency_signer, monkeypatch):
    app, _, parties = world
    _, final = stamped_agreement(app, parties, bound, purchaser_signer, agency_signer)
    client = app.test_client()
    cases = [b"\x00" * 10, b"%PDF-1.7\n garbage \n%%EOF", final[: len(final) // 2], b"hello world",
             b"-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n", bytes(range(256)) * 40, final[:400]]
    for data in cases:
        answer = _api(client, data)
        assert answer.status_code in (200, 400), (data[:20], answer.status_code)
        if answer.status_code == 400:
            assert answer.json["error"]["code"] == "verify_input_unreadable"
            assert "无法" in answer.json["error"]["message"]
        else:
            assert answer.json["ok"] is False
        page = _page(client, data)
        assert page.status_code in (200, 400) and "验签" in page.get_data(as_text=True)
    empty = _api(client, b"")
    assert empty.status_code == 400
    page = client.post("/verify", data={}, content_type="multipart/form-data")
    assert page.status_code == 400 and "请选择要验证的文件" in page.get_data(as_text=True)
    import app.api.verify as api_verify
    import app.verify.views as views
    monkeypatch.setattr(views, "MAX_PDF_BYTES", 1024)
    monkeypatch.setattr(api_verify, "MAX_PDF_BYTES", 1024)
    too_large = _api(client, final)
    assert too_large.status_code == 413 and too_large.json["error"]["code"] == "verify_input_too_large"
    page = _page(client, final)
    assert page.status_code == 413 and "不得超过" in page.get_data(as_text=True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_upload_far_too_large_is_not_read(world, monkeypatch):
    """The request itself is bounded (2 × the PDF limit and the form), not only each file."""
    import app.api.verify as api_verify
    import app.verify.views as views
    app, _, _ = world
    monkeypatch.setattr(views, "MAX_PDF_BYTES", 1024)
    monkeypatch.setattr(api_verify, "upload_limit", lambda: 4096)
    monkeypatch.setattr(views, "upload_limit", lambda: 4096)
    big = b"%PDF-1.7\n" + b"0" * 10_000
    page = _page(app.test_client(), big)
    assert page.status_code == 413 and "上传内容不得超过" in page.get_data(as_text=True)
    answer = _api(app.test_client(), big)
    assert answer.status_code == 413 and answer.json["error"]["code"] == "http_413"
