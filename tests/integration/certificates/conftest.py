"""Binding certificates: a development CA (NETCA and BJCA chains, RSA and SM2) made once per session,
three weeks before the app's frozen clock (2026-11-23 08:00 UTC). Helpers: tests/support/bindings.py."""
from __future__ import annotations

import pytest
from support.bids import bid_ca, bids, keys  # noqa: F401  (fixtures: test_encryption_binding.py)
from support.bindings import CA_T0

from pki.devca import DevCA


@pytest.fixture(scope="session")
def ca(tmp_path_factory) -> DevCA:
    base = tmp_path_factory.mktemp("bind-ca")
    devca = DevCA(base / "state", base / "anchors")
    devca.init(["netca", "bjca"], at=CA_T0)
    return devca


@pytest.fixture(scope="session")
def trust(ca):
    return ca.trust_list()
