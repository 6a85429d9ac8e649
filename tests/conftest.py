"""Shared test fixtures. Area-specific fixtures live in each area's own conftest.py."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def sm2_vectors() -> Path:
    path = VECTORS / "sm2"
    if not path.is_dir():
        pytest.fail(f"the shared SM2 vectors are missing at {path}: clone the project beside shared/")
    return path
