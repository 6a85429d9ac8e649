"""验签: upload a PDF, or a signature and its content, and see every signature; ``?doc=<id>`` shows
what the platform recorded of one of its documents. Open to everyone."""
from __future__ import annotations

import base64
from typing import Any

from flask import render_template, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app import context
from app.certificates.proof import crls
from app.trust import trust_list
from app.verify.forms import VerifyForm
from bidding.documents.errors import DocumentNotFound, VerificationInputRefused, VerificationInputTooLarge
from bidding.documents.verification import public_record, verify_upload
from pki.pdf import MAX_PDF_BYTES


def b64(data: bytes | None) -> str:
    return base64.b64encode(data).decode("ascii") if data else ""


def read_limited(storage: Any, limit: int, what: str) -> bytes:
    """The upload's bytes, at most ``limit``: one byte more is refused (413) without reading on."""
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise VerificationInputTooLarge(f"{what}不得超过 {limit // (1024 * 1024)} MiB ({what}: at most {limit} bytes)",
                                        max_bytes=limit)
    return data


def acting_party() -> int | None:
    return current_user.party_id if getattr(current_user, "is_authenticated", False) else None


def upload_limit() -> int:
    """The largest request the verification page reads: a file and its content, each at most
    :data:`MAX_PDF_BYTES`, and the form around them (not the platform's 2 GiB for bids)."""
    return 2 * MAX_PDF_BYTES + 1024 * 1024


def verify_page():  # type: ignore[no-untyped-def]
    uow = context.uow()
    request.max_content_length = upload_limit()
    try:
        form = VerifyForm()
    except RequestEntityTooLarge:
        too_large = VerificationInputTooLarge(f"上传内容不得超过 {upload_limit() // (1024 * 1024)} MiB (at most "
                                              f"{upload_limit()} bytes)", max_bytes=upload_limit())
        return render_template("verify/index.html", form=VerifyForm(formdata=None), result=None, error=too_large,
                               record=None, record_error=None, doc="",
                               limit_mib=MAX_PDF_BYTES // (1024 * 1024)), 413
    record, record_error = None, None
    doc = (request.args.get("doc") or "").strip()
    if doc:
        try:
            record = public_record(uow, doc[:64], acting_party())
        except DocumentNotFound as missing:
            record_error = missing
    result, error, status = None, None, 404 if record_error else 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            try:
                data = read_limited(form.file.data, MAX_PDF_BYTES, "文件")
                content = read_limited(form.content.data, MAX_PDF_BYTES, "原文文件") if form.content.data else None
                result = verify_upload(uow, data, trust=trust_list(), crls=crls(), content=content)
            except (VerificationInputRefused, VerificationInputTooLarge) as refusal:
                error, status = refusal, refusal.http_status
    return render_template("verify/index.html", form=form, result=result, error=error, record=record,
                           record_error=record_error, doc=doc, limit_mib=MAX_PDF_BYTES // (1024 * 1024)), status
