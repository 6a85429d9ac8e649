"""The development CA: stands in for NETCA, GDCA, CFCA, BJCA and HBCA in development and tests.

One idea per module; this package re-exports the public names::

    ca.py          DevCA: chains, issuing, the platform's own certificates, revocation and CRLs,
                   renewal (R7), lost-key replacement (R8), subject change (R5); the state directory
    records.py     IssuedCertificate (a row of index.json), ServiceCertificate, ServiceFiles, CaChain
    rules.py       purposes and key usages, service roles, lifetimes, CRL reasons
    keys.py        keys the CA generates and public keys it accepts
    x509build.py   building and signing certificates and CRLs (RSA, ECDSA P-256, SM2)
    errors.py      DevCaError and the refusals under it (PkiError codes, messages, kinds)
    tokens.py      certificates for keys generated on a PKCS#11 token
"""
from __future__ import annotations

from pki.devca.ca import DEFAULT_CONFIG_DIR, ClockLike, DevCA
from pki.devca.errors import (AlgorithmNotOffered, AlreadyRevoked, CertificateExpired, DevCaError, NotInitialised,
                              SubjectChangeRefused, UnknownCertificate)
from pki.devca.keys import PublicKeyInput
from pki.devca.records import CaChain, IssuedCertificate, ServiceCertificate, ServiceFiles
from pki.devca.rules import (AUTO, CRL_REASONS, CRL_VALIDITY, EXPERT_EVENT_EKU, EXPERT_EVENT_POLICY, INTERMEDIATE_YEARS,
                             KEY_USAGE, PURPOSES, ROOT_YEARS, SERVICE_MIN_REMAINING, SERVICE_ROLES)

__all__ = ["DevCA", "CaChain", "IssuedCertificate", "DevCaError", "NotInitialised", "UnknownCertificate",
           "AlgorithmNotOffered", "AlreadyRevoked", "CertificateExpired", "SubjectChangeRefused", "PURPOSES",
           "KEY_USAGE", "CRL_REASONS", "AUTO", "SERVICE_ROLES", "ServiceCertificate", "ServiceFiles",
           "DEFAULT_CONFIG_DIR", "ClockLike", "PublicKeyInput", "CRL_VALIDITY", "ROOT_YEARS", "INTERMEDIATE_YEARS",
           "SERVICE_MIN_REMAINING", "EXPERT_EVENT_EKU", "EXPERT_EVENT_POLICY"]
