"""Receipts (投标回执) for bids: what the platform signs the moment it accepts or withdraws a bid.

The format and the signing are :mod:`pki.receipts` (canonical JSON, the platform's receipt
certificate, an RFC 3161 token; checkable offline with ``openssl cms -verify`` and ``openssl ts
-verify``, docs/formats.md). Here: which fields a bid's receipt carries, and the issuer the use
cases are handed (the web layer builds it from the platform's receipt certificate and its TSA), so
that a test or a scaled set-up can pass another.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bidding.bids.models import Bid
from bidding.parties.models import Party
from bidding.tenders.models import Tender
from pki.certs import AnyCertificate
from pki.keyops import KeyOps
from pki.receipts import ReceiptFields, issue_receipt
from pki.timestamps import TsaSource

SUBMITTED, WITHDRAWN = "submitted", "withdrawn"


class ReceiptIssuer(Protocol):
    def issue(self, fields: ReceiptFields, *, signing_time: datetime) -> bytes:
        """The receipt's DER (SignedData with its timestamp token)."""


@dataclass(frozen=True)
class PlatformReceipts:
    """Receipts signed with the platform's receipt certificate (EKU receiptSigning) and timestamped
    by ``tsa`` (a URL or a responder such as the platform's own ``/tsa`` authority)."""

    key: KeyOps
    certificate: AnyCertificate
    chain: Sequence[AnyCertificate]
    tsa: TsaSource

    def issue(self, fields: ReceiptFields, *, signing_time: datetime) -> bytes:
        return issue_receipt(fields, key=self.key, certificate=self.certificate, chain=self.chain, tsa=self.tsa,
                             signing_time=signing_time)


def bidder_id(party: Party) -> str:
    """How a receipt (and the bid manifest) names the bidder: its unified social credit code."""
    return party.credit_code or f"party-{party.id}"


def receipt_fields(tender: Tender, bid: Bid, party: Party, *, action: str, at: datetime,
                   replaces: Bid | None = None) -> ReceiptFields:
    """The fields of ``bid``'s receipt for ``action`` (submitted: ``at`` is when its last byte
    arrived; withdrawn: when the withdrawal was accepted)."""
    return ReceiptFields(tender=tender.public_id, bid=bid.public_id, bidder=bidder_id(party), size=bid.size,
                         sha256=bid.sha256, sm3=bid.sm3, received_at=at, action=action,
                         replaces=replaces.public_id if replaces is not None else None)


__all__ = ["ReceiptIssuer", "PlatformReceipts", "receipt_fields", "bidder_id", "SUBMITTED", "WITHDRAWN"]
