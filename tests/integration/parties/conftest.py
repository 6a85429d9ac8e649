"""Registration tests: a development CA (NETCA RSA and SM2) made once per session three weeks
before the app's frozen clock, for binding certificates and signing the commitment letter."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pki.devca import DevCA

CA_T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def ca(tmp_path_factory) -> DevCA:
    base = tmp_path_factory.mktemp("registration-ca")
    devca = DevCA(base / "state", base / "anchors")
    devca.init(["netca"], at=CA_T0)
    return devca


@pytest.fixture(scope="session")
def trust(ca):
    return ca.trust_list()
