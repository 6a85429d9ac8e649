"""入驻承诺书 as a PDF: the registration commitment letter a supplier signs (R14), with the same
wording as the text the supplier signs through the agent (:func:`bidding.parties.commitment.
commitment_letter_text`), so the two can never say different things. Sealed by the supplier."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bidding.documents.pdf.base import RenderedDocument, Signatory, build_document
from bidding.documents.pdf.common import PartyRef
from bidding.documents.pdf.styles import para, styles
from bidding.parties.commitment import commitment_letter_text

TITLE = "入驻承诺书"


@dataclass(frozen=True)
class SupplierCommitmentData:
    supplier: PartyRef
    signed_on: date


def render_supplier_commitment(data: SupplierCommitmentData, *, document_id: str,
                               verify_url: str) -> RenderedDocument:
    s = styles()
    lines = [line for line in commitment_letter_text(data.supplier, data.signed_on).split("\n") if line.strip()]
    title, version, body = lines[0], lines[1], lines[2:]
    story = [para(line, s.clause if line[:2] not in ("承诺", "统一", "日期") else s.body) for line in body]
    return build_document(title=title or TITLE, subtitle=version, story=story, document_id=document_id,
                          verify_url=verify_url, created=data.signed_on,
                          signatories=[Signatory("supplier", "承诺单位盖章", data.supplier.name)])
