"""The crash tests run the platform as it really runs (gunicorn in a process group of its own,
PostgreSQL) and kill it with SIGKILL; the machinery is scripts/bench/live_platform.py, shared with
the benchmarks."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "scripts" / "bench"
sys.path.insert(0, str(BENCH))


@pytest.fixture
def live_db_url(postgres_server, request) -> str:
    """A fresh, empty PostgreSQL database (``make_world`` migrates it)."""
    return postgres_server.create_database(f"crash_{request.node.name.split('[')[0][:40]}")
