"""What the platform signs about the bidding itself: the bid receipt (投标回执) and the opening
transcript (开标记录 transcript). Both are RFC 8785 canonical JSON in an attached CMS SignedData
(GM/T 0010 for an SM2 key) by the platform's receipt certificate, with an RFC 3161 token over the
signature, checkable offline with ``openssl cms -verify`` and ``openssl ts -verify`` or
``bidtool receipt-verify`` / ``transcript-verify`` (docs/formats.md).

    der = issue_receipt(ReceiptFields(tender=…, bid=…, bidder=…, size=…, sha256=…, sm3=…,
                                      received_at=last_byte_at), key=key, certificate=cert, chain=[ca], tsa=tsa)
    check = verify_receipt(der, trust_roots=[root], tsa_roots=[tsa_root])
    check.ok, check.fields, check.timestamp.gen_time, check.reasons

    der = build_transcript(audit_entries, tender=…, key=key, certificate=cert, chain=[ca], tsa=tsa)
    check = verify_transcript(der, trust_roots=[root], tsa_roots=[tsa_root])
    check.ok, check.count, check.first_at, check.last_at, check.head, check.gaps, check.reasons

One module per idea: :mod:`~pki.receipts.canonical` (RFC 8785 and its strict reading),
:mod:`~pki.receipts.statement` (signing, the token, the certificate's role),
:mod:`~pki.receipts.receipt`, :mod:`~pki.receipts.audit_chain` (the audit log's hash rule),
:mod:`~pki.receipts.transcript`.
"""
from pki.receipts.audit_chain import GENESIS_DIGEST, AuditEntryContent, entry_content, entry_digests
from pki.receipts.canonical import JsonRefused, canonical_json, read_canonical
from pki.receipts.errors import NotReceiptCertificate, ReceiptFieldsInvalid, StatementError, TranscriptInvalid
from pki.receipts.receipt import (DEFAULT_TOLERANCE, RECEIPT_TYPE, ReceiptCheck, ReceiptFields, format_millis,
                                  issue_receipt, verify_receipt)
from pki.receipts.statement import RECEIPT_SIGNING_EKU, has_receipt_role
from pki.receipts.transcript import (TRANSCRIPT_TYPE, ChainHead, TranscriptCheck, TranscriptEvent, build_transcript,
                                     verify_transcript)

__all__ = ["ReceiptFields", "ReceiptCheck", "issue_receipt", "verify_receipt", "TranscriptEvent", "TranscriptCheck",
           "ChainHead", "build_transcript", "verify_transcript", "RECEIPT_SIGNING_EKU", "has_receipt_role",
           "RECEIPT_TYPE", "TRANSCRIPT_TYPE", "DEFAULT_TOLERANCE", "format_millis", "canonical_json",
           "read_canonical", "JsonRefused", "GENESIS_DIGEST", "AuditEntryContent", "entry_content", "entry_digests",
           "StatementError", "ReceiptFieldsInvalid", "TranscriptInvalid", "NotReceiptCertificate"]
