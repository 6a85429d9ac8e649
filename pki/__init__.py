"""Certificates, trust, envelopes, signatures, timestamps, PDF seals and tokens.

Importing any part of ``pki`` registers the Chinese national (GM) algorithm identifiers with
asn1crypto first (see :mod:`pki.oids`). Nothing here knows about tenders or Flask.
"""
from pki import oids as _oids  # noqa: F401  (registration side effect)
