"""The development CA issues the receipt certificate with the EKU the receipts require."""
from __future__ import annotations

from pki.devca.rules import SERVICE_PURPOSES, SERVICE_ROLES
from pki.receipts import RECEIPT_SIGNING_EKU


def test_receipt_role_carries_the_receipt_eku():
    assert SERVICE_ROLES["receipt"] == (RECEIPT_SIGNING_EKU,)
    assert SERVICE_PURPOSES.get("receipt", "signing") == "signing"


def test_the_eku_is_on_the_platforms_private_arc():
    assert RECEIPT_SIGNING_EKU.startswith("2.25.72332915291831301101814497930267910821.")
    others = [eku for role, ekus in SERVICE_ROLES.items() if role != "receipt" for eku in ekus]
    assert RECEIPT_SIGNING_EKU not in others
