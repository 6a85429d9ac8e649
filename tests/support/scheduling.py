"""Helpers of the scheduler tests (tests/integration/scheduling): the witness table's rows, waiting
for a condition, and ``flask scheduler`` as a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def witness_rows(engine) -> list[tuple[int, int, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT effect_id, pid, attempt FROM effect_witness "
                                                    "ORDER BY effect_id"))]


class SchedulerProcess:
    """``flask scheduler`` in a subprocess on ``db_url``, the app ``witness_app:create`` from
    ``app_dir``; its output in files under ``workdir``."""

    def __init__(self, db_url: str, workdir: Path, app_dir: Path, *args: str, slow: bool = False) -> None:
        self.workdir = workdir
        self.log = workdir / "witness.log"
        n = len(list(workdir.glob("scheduler-*.err")))
        self.stderr_path = workdir / f"scheduler-{n}.err"
        self.stdout_path = workdir / f"scheduler-{n}.out"
        env = dict(os.environ, WITNESS_DB=db_url, WITNESS_INSTANCE=str(workdir / "instance"),
                   WITNESS_LOG=str(self.log), WITNESS_SLOW="1" if slow else "0",
                   PYTHONPATH=os.pathsep.join([str(app_dir), str(ROOT)]), FLASK_APP="witness_app:create")
        env.pop("EBID_ENV", None)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen([str(FLASK), "scheduler", *args], cwd=ROOT, env=env,
                                            stdout=out, stderr=err)

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def wait_for(condition: Callable[[], object], timeout: float = 30, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
