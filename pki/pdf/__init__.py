"""PDF seals (电子印章): PAdES signatures with the visible seal of a certificate, the cross-page seal
(骑缝章), interrupted signing through the local agent, and verification.

    prepared = prepare_stamp(pdf, certificate, StampSpec(seal_png, SealPlacement(page=1, x=400, y=80)),
                             signing_time=clock.now())
    # keep prepared.to_record() and prepared.prepared_pdf; the agent signs prepared.digest ("pades": true)
    final = finish_stamp(prepared, signature_cms, timestamper=tsa, validation=ValidationData(certs, crls))
    report = verify_pdf(final, trust=trust_list, crls=crls)
    report.ok(), report.signatures[0].signer_subject, report.signatures[0].modification

    final = stamp_with_key(pdf, FileKey(key), certificate, spec, chain=[ca], signing_time=…)   # one step

One revision per signer (earlier signatures stay valid); RSA/EC as ``ETSI.CAdES.detached`` with
SHA-256, SM2 as GM/T 0010 signedData with SM3 (checked by the project's own verifier: pyHanko and
poppler cannot). ``docs/pdf-seals.md`` explains the formats and the difference policy.
"""
from pki.pdf.errors import (PdfError, PdfTooComplex, PdfTooLarge, PdfUnreadable, PlacementInvalid,
                            PreparedStampMismatch, SealImageInvalid, SignatureTooLarge, StampRefused)
from pki.pdf.finish import finish_stamp
from pki.pdf.local import stamp_with_key
from pki.pdf.model import (MAX_PDF_BYTES, PdfSignatureReport, PdfVerification, PreparedStamp, SealPlacement,
                           StampSpec, TrustAnchors, ValidationData)
from pki.pdf.policy import SEAL_DIFF_POLICY
from pki.pdf.prepare import prepare_stamp
from pki.pdf.verify import verify_pdf

__all__ = ["MAX_PDF_BYTES", "PdfError", "PdfUnreadable", "PdfTooLarge", "PdfTooComplex", "SealImageInvalid",
           "PlacementInvalid", "StampRefused", "PreparedStampMismatch", "SignatureTooLarge", "SealPlacement",
           "StampSpec", "PreparedStamp", "TrustAnchors", "ValidationData", "PdfSignatureReport", "PdfVerification", "prepare_stamp",
           "finish_stamp", "stamp_with_key", "verify_pdf", "SEAL_DIFF_POLICY"]
