"""What the development CA issues: chain lifetimes, purposes and their key usages, the platform's
own certificate roles, CRL validity and revocation reasons.

Key usage of end-entity certificates:

- ``signing`` (signature certificate, 签名证书): digitalSignature + nonRepudiation;
- ``encryption`` (encryption certificate, 加密证书): RSA keyEncipherment + dataEncipherment (key
  transport), EC keyAgreement (ECDH, RFC 5753), SM2 keyEncipherment + dataEncipherment +
  keyAgreement (SM2 encryption and key exchange, as Chinese CAs issue them).
"""
from __future__ import annotations

from datetime import timedelta

ROOT_YEARS = 30
INTERMEDIATE_YEARS = 20
CRL_VALIDITY = timedelta(days=7)
PURPOSES = ("signing", "encryption")
AUTO = "auto"
KEY_USAGE = {
    ("signing", "rsa"): {"digital_signature", "non_repudiation"},
    ("signing", "ec"): {"digital_signature", "non_repudiation"},
    ("signing", "sm2"): {"digital_signature", "non_repudiation"},
    ("encryption", "rsa"): {"key_encipherment", "data_encipherment"},
    ("encryption", "ec"): {"key_agreement"},
    ("encryption", "sm2"): {"key_encipherment", "data_encipherment", "key_agreement"},
}
# The platform's own certificates: role -> extended key usage (critical; empty: none). "receipt"
# signs bid receipts and opening transcripts: its EKU is pki.receipts.RECEIPT_SIGNING_EKU (written
# out here so the development CA does not import the receipts; a unit test keeps the two equal).
SERVICE_ROLES: dict[str, tuple[str, ...]] = {
    "tsa": ("time_stamping",), "platform": (), "transport": (),
    "receipt": ("2.25.72332915291831301101814497930267910821.5.1",),
    "opening": (),
}
# role -> key purpose; "transport" receives keys re-encrypted by the local agent (self-test);
# "opening" is a tender's opening key (bidding.opening.keys): bidders seal their content keys to it.
SERVICE_PURPOSES: dict[str, str] = {"transport": "encryption", "opening": "encryption"}
SERVICE_MIN_REMAINING = timedelta(days=30)
# Experts' event certificates (专家事件证书, R12): issued for hours to a natural person whose key was
# generated on the platform's token; this EKU (critical) and policy say "expert event certificate".
EXPERT_EVENT_EKU = "2.25.72332915291831301101814497930267910821.5.2"
EXPERT_EVENT_POLICY = "2.25.72332915291831301101814497930267910821.6.1"
CRL_REASONS = ("unspecified", "key_compromise", "ca_compromise", "affiliation_changed", "superseded",
               "cessation_of_operation", "certificate_hold", "privilege_withdrawn")


__all__ = ["ROOT_YEARS", "INTERMEDIATE_YEARS", "CRL_VALIDITY", "PURPOSES", "AUTO", "KEY_USAGE", "SERVICE_ROLES",
           "SERVICE_PURPOSES", "SERVICE_MIN_REMAINING", "CRL_REASONS", "EXPERT_EVENT_EKU", "EXPERT_EVENT_POLICY"]
