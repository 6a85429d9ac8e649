"""Preparing a stamp: the document plus one new revision holding the seal's appearance (and the
slices of a cross-page seal), the signature field and a signature dictionary whose ``/Contents`` is a
zero-filled placeholder; and the digest of its byte range, which the signer's key signs.

pyHanko's :class:`~pyhanko.sign.signers.pdf_signer.PdfSigner` with an
:class:`~pyhanko.sign.signers.ExternalSigner` does the PDF work (field, widget, appearance, signature
dictionary, byte range); the synchronous steps of its signing session are called one by one
(``init_signing_session``, ``prepare_tbs_document``, ``digest_tbs_document``), so no event loop is
involved and the signing time is the one given, not the system clock's. The CMS itself is made
elsewhere (the agent, or :func:`pki.pdf.stamp_with_key`) and embedded by :func:`pki.pdf.finish_stamp`.

RSA and EC: ``/SubFilter /ETSI.CAdES.detached`` (PAdES), SHA-256. SM2: GM/T 0010 signedData with
SM3 under ``/SubFilter /adbe.pkcs7.detached`` (the PKCS#7 form Chinese signature software writes).
"""
from __future__ import annotations

import io
import re
from datetime import datetime

from asn1crypto import algos
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers import ExternalSigner
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.stamp import StaticStampStyle

from pki.certs import AnyCertificate, key_algorithm, to_asn1
from pki.pdf.appearance import load_seal
from pki.pdf.errors import PlacementInvalid, StampRefused
from pki.pdf.model import PreparedStamp, StampSpec
from pki.pdf.pages import add_cross_page_seal, own_structures
from pki.pdf.pagetree import walk_pages
from pki.pdf.reading import guarded, open_writer
from pki.pdf.slices import MAX_SLICE_SIDE

#: DER bytes reserved for the signature by default: the signer's certificate and CA certificates, the
#: signature value and the timestamp token with the TSA's certificates come to 5–7 KiB with the
#: development CA; real CAs' chains are longer. (pyHanko parses /Contents one character at a time, so
#: the reserve is paid for at every verification.)
RESERVED_BYTES = 16 * 1024
MIN_SEAL_SIZE = 20.0
FIELD_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_TEXT = 200


def prepare_stamp(pdf: bytes, certificate: AnyCertificate, spec: StampSpec, *, signing_time: datetime,
                  reserved_bytes: int = RESERVED_BYTES) -> PreparedStamp:
    """The document with a new revision carrying ``spec``'s seal for ``certificate`` and an empty
    signature, and the digest to sign (SHA-256; SM3 for an SM2 certificate). ``reserved_bytes``: room
    for the signature's DER (certificates, signature value, timestamp token)."""
    if signing_time.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    if not 1024 <= reserved_bytes <= 1024 * 1024:
        raise ValueError("reserved_bytes must be between 1 KiB and 1 MiB")
    cert = to_asn1(certificate)
    algorithm = key_algorithm(cert)
    seal = load_seal(spec.seal_png)
    for label, text in (("reason", spec.reason), ("location", spec.location), ("signer_name", spec.signer_name)):
        if text is not None and (not text.strip() or len(text) > MAX_TEXT):
            raise StampRefused(f"{label} 须为 1 至 {MAX_TEXT} 个字符 ({label} must be 1 to {MAX_TEXT} characters)")
    writer = open_writer(pdf)
    if writer.security_handler is not None:
        raise StampRefused("加密的 PDF 不能加盖印章 (an encrypted PDF cannot be stamped)")
    pages = guarded(lambda: walk_pages(writer.root.raw_get("/Pages")), "walking its pages")
    if not pages:
        raise PlacementInvalid("PDF 没有页面 (the PDF has no pages)")
    index = _page_index(spec, len(pages))
    _check_box(spec, pages[index].box(), pages)
    fields = guarded(lambda: [(name, value is not None) for name, value, _ in enumerate_sig_fields(writer)],
                     "reading its form fields")
    existing = {name for name, _ in fields}
    signed = any(filled for _, filled in fields)
    field_name = _field_name(spec.field_name, existing)
    tag = re.sub(r"[^A-Za-z0-9]", "", field_name)[:24] or "S"
    if spec.cross_page or not signed:
        # a document's first stamp gives every page structures of its own, so later slices and
        # widgets change no page dictionary (pki.pdf.pages)
        guarded(lambda: own_structures(writer, pages), "preparing its pages")
    if spec.cross_page:
        add_cross_page_seal(writer, pages, seal, size=spec.placement.size, y=spec.cross_page_y, tag=tag)

    md = "sm3" if algorithm == "sm2" else "sha256"
    mechanism = algos.SignedDigestAlgorithm({"algorithm": "sm2sign_with_sm3"}) if algorithm == "sm2" else None
    signer = ExternalSigner(cert, None, signature_value=256, signature_mechanism=mechanism)
    meta = PdfSignatureMetadata(
        field_name=field_name, md_algorithm=md, name=spec.signer_name, reason=spec.reason, location=spec.location,
        subfilter=SigSeedSubFilter.ADOBE_PKCS7_DETACHED if algorithm == "sm2" else SigSeedSubFilter.PADES)
    p = spec.placement
    style = StaticStampStyle(background=PdfImage(seal, name=f"Seal{tag}"), border_width=0, background_opacity=1.0)
    pdf_signer = PdfSigner(meta, signer, stamp_style=style, new_field_spec=SigFieldSpec(
        field_name, on_page=index, box=(p.x, p.y, p.x + p.size, p.y + p.size)))

    def run():
        try:
            session = pdf_signer.init_signing_session(writer)
        except PyhankoSigningError as exc:       # e.g. a certification signature forbidding changes
            raise StampRefused(f"该文件不允许再签章 (the document does not allow another signature: {exc})") from None
        session.system_time = signing_time
        tbs = session.prepare_tbs_document(validation_info=None, bytes_reserved=2 * reserved_bytes)
        return tbs.digest_tbs_document(output=io.BytesIO())
    prepared, output = guarded(run, "adding the signature")
    return PreparedStamp(prepared_pdf=output.getvalue(), digest=prepared.document_digest, digest_algorithm=md,
                         field_name=field_name, certificate_der=cert.dump(),
                         reserved_start=prepared.reserved_region_start, reserved_end=prepared.reserved_region_end,
                         signing_time=signing_time, cross_page=spec.cross_page)


def _page_index(spec: StampSpec, count: int) -> int:
    page = spec.placement.page
    if not isinstance(page, int) or not 0 <= page <= count:
        raise PlacementInvalid(f"页码须在 1 至 {count} 之间（0 表示最后一页） (page must be 1 to {count}, or 0 for the "
                               f"last page)")
    return count - 1 if page == 0 else page - 1


def _check_box(spec: StampSpec, box: tuple[float, float, float, float], pages) -> None:
    p = spec.placement
    x1, y1, x2, y2 = box
    if not MIN_SEAL_SIZE <= p.size <= MAX_SLICE_SIDE:
        raise PlacementInvalid(f"印章边长须在 {MIN_SEAL_SIZE:g} 至 {MAX_SLICE_SIDE:g} 点之间 (the seal's size must be "
                               f"{MIN_SEAL_SIZE:g} to {MAX_SLICE_SIDE:g} points)")
    if p.x < x1 or p.y < y1 or p.x + p.size > x2 or p.y + p.size > y2:
        raise PlacementInvalid(f"印章超出页面范围（页面 {x2 - x1:.0f}×{y2 - y1:.0f} 点） (the seal does not fit on the page, "
                               f"{x2 - x1:.0f}×{y2 - y1:.0f} points)")
    if spec.cross_page and spec.cross_page_y is not None:
        for node in pages:
            _, low, _, high = node.box()
            if spec.cross_page_y < low or spec.cross_page_y + p.size > high:
                raise PlacementInvalid("骑缝章超出页面范围 (the cross-page seal does not fit on every page)")


def _field_name(wanted: str | None, existing: set[str]) -> str:
    if wanted is not None:
        if not FIELD_NAME.fullmatch(wanted):
            raise PlacementInvalid("签名域名称须为 1 至 64 个字母、数字、_ 或 - (the field name must be 1 to 64 letters, "
                                   "digits, _ or -)")
        if wanted in existing:
            raise StampRefused(f"签名域 {wanted} 已存在 (the signature field {wanted} exists already)")
        return wanted
    n = len(existing) + 1
    while f"Seal{n}" in existing:
        n += 1
    return f"Seal{n}"


__all__ = ["prepare_stamp", "RESERVED_BYTES"]
