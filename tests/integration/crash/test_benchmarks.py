"""The benchmarks' quick forms run end to end (no timing is asserted: the machine is shared): the
deadline rush loses no bid, the opening opens every bid."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "scripts" / "bench"


@pytest.mark.slow
@pytest.mark.postgres
def test_the_quick_rush_loses_no_bid(tmp_path):
    out = tmp_path / "rush.json"
    done = subprocess.run([sys.executable, str(BENCH / "rush.py"), "--bidders", "10", "--size-mb", "1",
                           "--tmp", str(tmp_path), "--json", str(out)], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    platform = figures["platform"]
    assert platform["lost"] == 0
    assert platform["accepted"] > 0 and platform["errors"] == 0 and platform["refused_other"] == 0, figures
    assert platform["accepted"] + platform["refused_deadline"] == 10
    assert figures["bare"]["accepted"] == 10
    assert "ratio platform/bare" in done.stdout


@pytest.mark.slow
def test_the_quick_opening_opens_every_bid(tmp_path):
    out = tmp_path / "opening.json"
    done = subprocess.run([sys.executable, str(BENCH / "opening.py"), "--bids", "5", "--size-mb", "0.1",
                           "--tmp", str(tmp_path), "--json", str(out)], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    assert figures["bids"] == 5 and figures["ratio"] > 0
    assert "ratio platform/openssl" in done.stdout
