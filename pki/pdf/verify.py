"""Verifying every signature of a PDF, for the verification page (验签) and the API.

For each signature field with a value (in the order of their revisions):

- the byte range must be the usual two pieces around exactly the ``/Contents`` string;
- the signature in ``/Contents`` is checked by the project's own CMS verifier,
  :func:`pki.signature.verify`, over the bytes of the byte range: RSA, ECDSA and SM2 (GM/T 0010)
  alike, with its timestamp token (B-T), and the signer's chain against the trust list at the
  timestamp's time (else the time given, else now), with the CRLs given and those the document carries
  (B-LT), and the certificates the document carries as intermediates;
- what follows the signature's revision is judged by :data:`pki.pdf.policy.SEAL_DIFF_POLICY`, the
  signature's coverage by pyHanko (:class:`~pyhanko.sign.validation.pdf_embedded.EmbeddedPdfSignature`);
- the seal image is read back from the widget's appearance, and whether the signature's revision drew
  a cross-page seal from the page contents.

Untrusted input costs bounded work (:mod:`pki.pdf.reading`; at most :data:`MAX_SIGNATURES`
signatures and :data:`MAX_SIGNATURE_FIELDS` signature fields) and nothing but a
:class:`~pki.pdf.errors.PdfError` escapes; a damaged signature in a readable PDF is a report with
its problems, not an exception.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import parser as asn1_parser, x509
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, extract_contents

from pki.certs import fingerprint_sha256, key_algorithm
from pki.errors import ASN1_ERRORS
from pki.pdf.errors import PdfTooComplex
from pki.pdf.model import PdfSignatureReport, PdfVerification, TrustAnchors
from pki.pdf.pagetree import get
from pki.pdf.policy import SEAL_DIFF_POLICY, slices_added
from pki.pdf.reading import PARSER_ERRORS, guarded, open_reader
from pki.signature.errors import SignatureFormatError
from pki.signature.verify import SignerVerification, verify
from pki.trust import TrustList

log = logging.getLogger(__name__)

MAX_SIGNATURES = 64
MAX_SIGNATURE_FIELDS = 20_000
MAX_DSS_ITEMS = 1_000
MAX_APPEARANCE_DEPTH = 4
MAX_IMAGE_SIDE = 2048
SUBFILTERS = ("/adbe.pkcs7.detached", "/ETSI.CAdES.detached")
#: Reasons of a signer's check that are about the chain or the certificate, not about the signature value.
CERTIFICATE_CODES = frozenset({"expired", "not_yet_valid", "revoked", "untrusted_issuer", "policy_missing",
                               "revocation_unknown", "disallowed_algorithm", "invalid_chain", "chain_unreadable",
                               "key_usage_missing"})
TIMESTAMP_CODES = frozenset({"timestamp_invalid", "timestamp_unreadable", "timestamp_missing"})


@dataclass
class _Draft:
    """A report being filled in; missing facts keep their pessimistic defaults."""

    field_name: str
    algorithm: str = "unknown"
    signer_subject: str = ""
    signer_certificate_der: bytes = b""
    fingerprint_sha256: str = ""
    signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    timestamp_authority: str | None = None
    intact: bool = False
    signature_valid: bool = False
    trusted: bool = False
    certificate_status: str = "unknown"
    covers_whole_document: bool = False
    modification: str = "other"
    cross_page: bool = False
    seal_png: bytes | None = None
    problems: list[str] = field(default_factory=list)
    revision: int = 0
    subfilter: str = ""
    flavour: str = ""
    signer_name: str | None = None
    reason: str | None = None
    location: str | None = None

    def report(self) -> PdfSignatureReport:
        return PdfSignatureReport(
            field_name=self.field_name, algorithm=self.algorithm, signer_subject=self.signer_subject,
            signer_certificate_der=self.signer_certificate_der, fingerprint_sha256=self.fingerprint_sha256,
            signing_time=self.signing_time, timestamp_time=self.timestamp_time, intact=self.intact,
            signature_valid=self.signature_valid, trusted=self.trusted, certificate_status=self.certificate_status,
            covers_whole_document=self.covers_whole_document, modified_after=self.modification == "other",
            modification=self.modification, cross_page=self.cross_page, seal_png=self.seal_png,
            problems=tuple(dict.fromkeys(self.problems)), revision=self.revision, subfilter=self.subfilter,
            flavour=self.flavour, signer_name=self.signer_name, reason=self.reason, location=self.location,
            timestamp_authority=self.timestamp_authority)


@dataclass(frozen=True)
class _Stores:
    """What the document carries for validation (its DSS)."""

    certificates: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()


def verify_pdf(pdf: bytes, *, trust: TrustList | TrustAnchors, crls: Sequence[bytes] = (),
               at: datetime | None = None) -> PdfVerification:
    """Every signature of ``pdf``, checked (see the module). ``trust``: the trust list (or bare
    :class:`~pki.pdf.model.TrustAnchors`) the signers' and the timestamps' chains must end in. ``crls``: DER or PEM CRLs to judge the
    certificates' status with, besides those in the document; ``at``: the moment to judge a
    certificate at when its signature carries no valid timestamp (the caller's clock; default now) —
    a timestamped signature is judged at its timestamp's time (B-T)."""
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    reader = open_reader(pdf)
    fields = guarded(lambda: _signature_fields(reader), "reading its signature fields")
    stores = _stores(reader)
    drafts = [_check(reader, pdf, name, sig_field, trust=trust, crls=tuple(crls) + stores.crls,
                     extra_certs=stores.certificates, at=at) for name, sig_field in fields]
    drafts.sort(key=lambda d: d.revision)
    revisions = guarded(lambda: reader.xrefs.total_revisions, "counting its revisions")
    return PdfVerification(tuple(d.report() for d in drafts), revisions)


def _signature_fields(reader: PdfFileReader) -> list[tuple[str, generic.DictionaryObject]]:
    filled = []
    for count, (name, value, field_ref) in enumerate(enumerate_sig_fields(reader), start=1):
        if count > MAX_SIGNATURE_FIELDS:
            raise PdfTooComplex(f"签名域超过 {MAX_SIGNATURE_FIELDS} 个 (more than {MAX_SIGNATURE_FIELDS} signature fields)")
        if value is None:
            continue
        sig_field = field_ref.get_object()
        if get(get(sig_field, "/V"), "/Type", "/Sig") == "/DocTimeStamp":
            continue        # a document timestamp signs no one's seal; the platform makes none
        filled.append((name, sig_field))
        if len(filled) > MAX_SIGNATURES:
            raise PdfTooComplex(f"签名超过 {MAX_SIGNATURES} 个 (more than {MAX_SIGNATURES} signatures)")
    return filled


def _stores(reader: PdfFileReader) -> _Stores:
    """The DSS's certificates and CRLs; an unreadable DSS is simply not used."""
    try:
        dss = get(reader.root, "/DSS")
        if not isinstance(dss, generic.DictionaryObject):
            return _Stores()
        certs = [x509.Certificate.load(data) for data in _dss_items(dss, "/Certs", DecodePurpose.CERTIFICATE)]
        for cert in certs:
            cert.native
        crls = tuple(_dss_items(dss, "/CRLs", DecodePurpose.CRL))
        return _Stores(tuple(certs), crls)
    except (*PARSER_ERRORS, *ASN1_ERRORS):
        log.debug("unreadable DSS ignored", exc_info=True)
        return _Stores()


def _dss_items(dss: generic.DictionaryObject, key: str, purpose: DecodePurpose) -> list[bytes]:
    items = get(dss, key)
    if items is None:
        return []
    if not isinstance(items, generic.ArrayObject) or len(items) > MAX_DSS_ITEMS:
        raise ValueError(f"DSS {key} is not a small array")
    return [item.get_object().read_data(purpose) for item in items]


# -- one signature ------------------------------------------------------------------------------------
def _check(reader: PdfFileReader, pdf: bytes, name: str, sig_field: generic.DictionaryObject, *, trust: TrustList | TrustAnchors,
           crls: tuple[bytes, ...], extra_certs: tuple[x509.Certificate, ...], at: datetime | None) -> _Draft:
    draft = _Draft(field_name=name)
    try:
        _fill(draft, reader, pdf, sig_field, trust=trust, crls=crls, extra_certs=extra_certs, at=at)
    except PdfTooComplex:
        raise
    except (*PARSER_ERRORS, SignatureFormatError) as exc:
        log.debug("signature %s unreadable", name, exc_info=True)
        if isinstance(exc, SignatureFormatError):
            detail = exc.message
        else:
            detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        draft.problems.append(f"签名无法解析 (the signature is unreadable: {detail[:200]})")
    return draft


def _fill(draft: _Draft, reader: PdfFileReader, pdf: bytes, sig_field, *, trust, crls, extra_certs, at) -> None:
    sig_obj = sig_field["/V"]
    draft.subfilter = str(get(sig_obj, "/SubFilter", ""))
    for key, attr in (("/Name", "signer_name"), ("/Reason", "reason"), ("/Location", "location")):
        value = get(sig_obj, key)
        if isinstance(value, str):
            setattr(draft, attr, str(value)[:500])
    draft.revision = reader.xrefs.get_last_change(sig_field.raw_get("/V").reference)
    draft.seal_png = _seal_image(sig_field)
    if draft.subfilter not in SUBFILTERS:
        draft.problems.append(f"不支持的签名格式 {draft.subfilter or '（无）'} (unsupported signature format)")
        return
    byte_range = [int(v) for v in sig_obj["/ByteRange"]]
    contents = extract_contents(sig_obj)
    der = _der_of(contents, draft)
    signed = _signed_bytes(pdf, byte_range, contents, draft)

    def check(moment: datetime | None):
        return verify(der, content=signed if signed is not None else b"", trust_roots=trust.roots,
                      intermediates=[*trust.intermediates, *extra_certs], crls=crls, at=moment)
    verification = check(None)              # each chain at its signer's valid timestamp, if any
    first = verification.signers[0]
    if at is not None and not (first.timestamp is not None and first.timestamp.ok):
        verification = check(at)            # no timestamp: at the moment the caller's clock gives
    if len(verification.signers) != 1:
        draft.problems.append("PDF 签名须有且仅有一个签名者 (a PDF signature has exactly one signer)")
    signer = verification.signers[0]
    _signer_facts(draft, signer, byte_range_ok=signed is not None)
    if draft.signing_time is None and "/M" in sig_obj:
        try:
            draft.signing_time = generic.parse_pdf_date(sig_obj["/M"], strict=False)
        except PARSER_ERRORS:
            pass
    _integrity(draft, reader, sig_field)
    if draft.revision > 0:
        draft.cross_page = slices_added(reader.get_historical_resolver(draft.revision - 1),
                                        reader.get_historical_resolver(draft.revision)) > 0


def _der_of(contents: bytes, draft: _Draft) -> bytes:
    """The DER of the signature: ``/Contents`` without the zeros padding the reserved space."""
    _, _, _, header, body, trailer = asn1_parser.parse(contents)
    size = len(header) + len(body) + len(trailer)
    if contents[size:].strip(b"\x00"):
        draft.problems.append("签名数据之后有多余内容 (data follows the signature in /Contents)")
    return contents[:size]


def _signed_bytes(pdf: bytes, byte_range: list[int], contents: bytes, draft: _Draft) -> bytes | None:
    """The bytes the byte range covers, when it is the usual two pieces around exactly ``/Contents``."""
    if len(byte_range) == 4:
        start1, len1, start2, len2 = byte_range
        if (start1 == 0 and 0 < len1 < start2 and len2 >= 0 and start2 + len2 <= len(pdf)
                and start2 - len1 == 2 * len(contents) + 2 and pdf[len1:len1 + 1] == b"<"
                and pdf[start2 - 1:start2] == b">"):
            return pdf[:len1] + pdf[start2:start2 + len2]
    draft.problems.append("签名的字节范围异常，未按常规覆盖文件 (the signature's byte range is irregular)")
    return None


def _signer_facts(draft: _Draft, signer: SignerVerification, *, byte_range_ok: bool) -> None:
    cert = signer.signer_certificate
    if cert is not None:
        draft.signer_certificate_der = cert.dump()
        draft.signer_subject = cert.subject.human_friendly
        draft.fingerprint_sha256 = fingerprint_sha256(cert)
        try:
            found = key_algorithm(cert)
        except ASN1_ERRORS:
            found = "unknown"
        draft.algorithm = found if found in ("rsa", "ec", "sm2") else "unknown"
    draft.flavour = signer.flavour
    draft.signing_time = signer.signing_time
    if signer.timestamp is not None and signer.timestamp.ok:
        draft.timestamp_time = signer.timestamp.gen_time
        draft.timestamp_authority = signer.timestamp.tsa_name
    chain_reasons = set(signer.chain.reasons) if signer.chain is not None else set()
    signature_reasons = [r for r in signer.reasons
                         if r not in chain_reasons and r.code not in CERTIFICATE_CODES | TIMESTAMP_CODES]
    draft.intact = byte_range_ok and not any(r.code in ("digest_mismatch", "content_missing")
                                             for r in signature_reasons)
    draft.signature_valid = cert is not None and not [r for r in signature_reasons if r.code != "digest_mismatch"]
    draft.problems += [r.message for r in signer.reasons]
    draft.trusted, draft.certificate_status = _certificate_status(signer)
    if draft.certificate_status in ("expired", "not_yet_valid") and cert is not None and \
            draft.certificate_status not in (signer.chain.codes if signer.chain is not None else ()):
        validity = cert["tbs_certificate"]["validity"]
        start, end = validity["not_before"].native, validity["not_after"].native
        when = f"{signer.checked_at:%Y-%m-%d %H:%M} UTC"
        draft.problems.append(f"证书在 {when} 已过期（有效期至 {end:%Y-%m-%d}） (at {when} the certificate had expired, "
                              f"on {end:%Y-%m-%d})" if draft.certificate_status == "expired" else
                              f"证书在 {when} 尚未生效（{start:%Y-%m-%d} 起） (at {when} the certificate was not yet valid: "
                              f"from {start:%Y-%m-%d})")
    if signer.chain is not None and draft.certificate_status == "unknown":
        draft.problems += [w.message for w in signer.chain.warnings]


def _certificate_status(signer: SignerVerification) -> tuple[bool, str]:
    chain = signer.chain
    if chain is None:
        return False, "unknown"
    codes = set(chain.codes)
    if "revoked" in codes:
        return False, "revoked"
    # the certificate's own period first: the chain check stops at stale revocation data before it
    # looks at the dates, and a seal is valid exactly as long as its certificate (R22)
    cert, when = signer.signer_certificate, signer.checked_at
    if cert is not None and when is not None:
        validity = cert["tbs_certificate"]["validity"]
        if when > validity["not_after"].native:
            return False, "expired"
        if when < validity["not_before"].native:
            return False, "not_yet_valid"
    for code in ("expired", "not_yet_valid"):
        if code in codes:
            return False, code
    usage_ok = not any(r.code == "key_usage_missing" for r in signer.reasons)
    if not chain.ok or not usage_ok:
        return False, "unknown"
    if any(w.code == "revocation_unknown" for w in chain.warnings):
        return True, "unknown"
    return True, "good"


def _integrity(draft: _Draft, reader: PdfFileReader, sig_field) -> None:
    """Coverage (pyHanko) and what came after (the seal policy)."""
    embedded = EmbeddedPdfSignature(reader, sig_field, draft.field_name)
    coverage = embedded.evaluate_signature_coverage()
    embedded.coverage = coverage
    draft.covers_whole_document = coverage == SignatureCoverageLevel.ENTIRE_FILE
    if draft.covers_whole_document:
        draft.modification = "none"
        return
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        draft.modification = "other"
        draft.problems.append("签名未完整覆盖其所在的修订版本 (the signature does not cover its whole revision)")
        return
    result = SEAL_DIFF_POLICY.review_file(reader, embedded.signed_revision, field_mdp_spec=embedded.fieldmdp,
                                          doc_mdp=embedded.docmdp_level)
    if not isinstance(result, DiffResult):
        draft.modification = "other"
        draft.problems.append("签名后文件被修改，修改内容不只是后续签章、骑缝章或验证数据 (the document was changed after "
                              "this signature beyond later seals, cross-page seals and validation data)")
        return
    level = result.modification_level
    docmdp = embedded.docmdp_level
    if docmdp is not None and level.value > docmdp.value:
        draft.modification = "other"
        draft.problems.append("签名后的修改超出了认证签名允许的范围 (the changes exceed what the certification "
                              "signature allows)")
    elif level <= ModificationLevel.LTA_UPDATES:
        draft.modification = "validation_data"
    elif level == ModificationLevel.FORM_FILLING:
        draft.modification = "seal_slices"
    else:
        draft.modification = "other"
        draft.problems.append("签名后文件被修改 (the document was changed after this signature)")


# -- the seal image -----------------------------------------------------------------------------------
def _seal_image(sig_field: generic.DictionaryObject) -> bytes | None:
    """The largest image in the widget's normal appearance, as PNG (None when there is none, or it is
    in a form this does not read)."""
    try:
        widget = sig_field
        if "/AP" not in widget and isinstance(get(sig_field, "/Kids"), generic.ArrayObject) and sig_field["/Kids"]:
            widget = sig_field["/Kids"][0].get_object()
        appearance = widget["/AP"]["/N"]
        images = list(_images(appearance, 0))
        if not images:
            return None
        best = max(images, key=lambda img: int(img["/Width"]) * int(img["/Height"]))
        return _png(best)
    except (*PARSER_ERRORS, OSError):
        log.debug("seal image not extracted", exc_info=True)
        return None


def _images(xobject, depth: int):
    if depth > MAX_APPEARANCE_DEPTH or not isinstance(xobject, generic.StreamObject):
        return
    if get(xobject, "/Subtype") == "/Image":
        yield xobject
        return
    resources = get(xobject, "/Resources")
    xobjects = get(resources, "/XObject") if isinstance(resources, generic.DictionaryObject) else None
    if isinstance(xobjects, generic.DictionaryObject):
        for key in list(xobjects)[:16]:
            yield from _images(xobjects[key], depth + 1)


def _png(image: generic.StreamObject) -> bytes | None:
    mode = {"/DeviceRGB": "RGB", "/DeviceGray": "L"}.get(get(image, "/ColorSpace"))
    width, height = int(image["/Width"]), int(image["/Height"])
    if (mode is None or get(image, "/BitsPerComponent") != 8
            or not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE)):
        return None
    picture = Image.frombytes(mode, (width, height), image.data)
    mask = get(image, "/SMask")
    if isinstance(mask, generic.StreamObject) and get(mask, "/ColorSpace") == "/DeviceGray" \
            and (int(mask["/Width"]), int(mask["/Height"])) == (width, height):
        picture = picture.convert("RGBA")
        picture.putalpha(Image.frombytes("L", (width, height), mask.data))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


__all__ = ["verify_pdf", "MAX_SIGNATURES", "MAX_SIGNATURE_FIELDS"]
