"""A development CA with every profile's chains, made once per test session in a temporary folder."""
from __future__ import annotations

import pytest

from support.devca import T0
from pki.devca import DevCA


@pytest.fixture(scope="session")
def devca(tmp_path_factory) -> DevCA:
    base = tmp_path_factory.mktemp("devca")
    ca = DevCA(base / "state", base / "anchors")
    ca.init(at=T0)
    return ca


@pytest.fixture(scope="session")
def trust(devca):
    return devca.trust_list()
