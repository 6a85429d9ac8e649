"""The fuzz suite's plumbing (imported by the tests as ``fuzzing``): the seed corpus, how many cases of each class run, replaying seeds,
and collecting findings so that one run reports every failing seed rather than the first.

Environment variables (README.md):

- ``EBID_FUZZ_CASES``: cases per run over all classes (default 3 000);
- ``EBID_FUZZ_START``: the first seed (default 0), to explore other seeds than ``make test`` does;
- ``EBID_FUZZ_REPLAY``: ``class:seed[,class:seed…]`` runs only those cases, e.g. ``envelope:17,tsa:3``;
- ``EBID_FUZZ_REPORT``: a file to append every finding to, one JSON object a line.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from mutations import mutate

CORPUS = Path(__file__).resolve().parent / "corpus"
REPO = CORPUS.parents[2]
DEFAULT_CASES = 3000
#: The share of each class in a run's cases.
SHARES = {"envelope": 0.30, "signature": 0.30, "bid": 0.15, "tsa": 0.25}
#: A case that takes longer than this is a finding (a hang or a quadratic walk).
CASE_SECONDS = 20


def seeds(kind: str) -> list[int]:
    """The seeds of class ``kind`` this run: ``EBID_FUZZ_REPLAY``'s, else a range from ``EBID_FUZZ_START``."""
    replay = os.environ.get("EBID_FUZZ_REPLAY", "").strip()
    if replay:
        pairs = [part.strip().split(":", 1) for part in replay.split(",") if part.strip()]
        return [int(seed) for name, seed in pairs if name == kind]
    total = int(os.environ.get("EBID_FUZZ_CASES", str(DEFAULT_CASES)))
    start = int(os.environ.get("EBID_FUZZ_START", 0))
    return list(range(start, start + max(1, round(total * SHARES[kind]))))


@dataclass(frozen=True)
class Item:
    """One seed input of the corpus and how to open it (``index.json``)."""

    kind: str
    name: str
    data: bytes
    info: dict


@dataclass
class Case:
    kind: str
    seed: int
    item: Item
    data: bytes
    notes: list[str]            # what was changed, for the report
    rng: random.Random
    way: str | None = None      # an API to use instead of the one the RNG picks (corpus checks)

    def label(self) -> str:
        return f"{self.kind}:{self.seed} ({self.item.name}: {'; '.join(self.notes)})"


def make_case(kind: str, seed: int, items: list[Item]) -> Case:
    """The case of ``seed``: one corpus item and its mutation, all from ``random.Random(f"{kind}:{seed}")``.
    The RNG is handed on for choices the class makes after mutating (which API to call)."""
    rng = random.Random(f"{kind}:{seed}")
    item = rng.choice(items)
    data, notes = mutate(item.data, rng)
    return Case(kind, seed, item, data, notes, rng)


def unchanged(item: Item, *, way: str | None = None) -> Case:
    """A corpus item as it is, for the checks that every seed input is accepted by the project and
    by openssl (without them a fuzz class could be refusing everything for a dull reason)."""
    return Case(item.kind, -1, item, item.data, ["unchanged"], random.Random(0), way)


class CaseTimeout(BaseException):
    """Raised in the case by SIGALRM (a BaseException: no ``except Exception`` of the code under test
    swallows it)."""


@dataclass
class Findings:
    """What one class's run found: problems by seed, and counts of outcomes (printed with ``-s`` and
    in the failure message)."""

    kind: str
    problems: list[tuple[Case, str]] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)

    def run(self, case: Case, check) -> None:
        """Run ``check(case)`` (which returns an outcome name, or raises :class:`Problem`) under a time limit."""
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(CASE_SECONDS)
        try:
            self.outcomes[check(case)] += 1
        except Problem as problem:
            self.outcomes["PROBLEM"] += 1
            self.problems.append((case, str(problem)))
        except CaseTimeout:
            self.outcomes["PROBLEM"] += 1
            self.problems.append((case, f"hang: no answer within {CASE_SECONDS} s"))
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def summary(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items()))
        return f"{self.kind}: {sum(self.outcomes.values())} cases: {counts}"

    def check(self) -> None:
        print(self.summary())
        report = os.environ.get("EBID_FUZZ_REPORT")
        if report:
            with open(report, "a", encoding="utf-8") as out:
                for case, problem in self.problems:
                    out.write(json.dumps({"class": case.kind, "seed": case.seed, "item": case.item.name,
                                          "mutations": case.notes, "problem": problem}, ensure_ascii=False) + "\n")
        if self.problems:
            kinds = Counter(problem.split(":", 1)[0] for _, problem in self.problems)
            lines = [f"{len(self.problems)} fuzz findings ({dict(kinds)}); replay with "
                     f"EBID_FUZZ_REPLAY=<class:seed>", self.summary()]
            lines += [f"- {case.label()}\n    {problem}" for case, problem in self.problems[:60]]
            pytest.fail("\n".join(lines), pytrace=False)


def _alarm(signum, frame):
    raise CaseTimeout()


class Problem(Exception):
    """A finding: the message starts with its class (``traceback``, ``openssl``, ``leftover``, …)."""


def traceback_problem(exc: BaseException) -> Problem:
    """An exception outside the documented error family: its type, message, where it was raised
    and the innermost frames of the project's own code."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f"{_short(f.filename)}:{f.lineno} {f.name}" for f in frames
            if f.filename.startswith(str(REPO)) and "/.venv/" not in f.filename and "/tests/" not in f.filename]
    inner = f"{_short(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"
    return Problem(f"traceback: {type(exc).__name__}: {str(exc)[:160]} (raised at {inner}; project frames "
                   f"{' <- '.join(reversed(ours[-3:])) or 'none'})")


def _short(filename: str) -> str:
    path = Path(filename)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) and "/.venv/" not in filename else path.name


def leftovers(work: Path, keep: set[Path]) -> list[str]:
    return sorted(str(p.relative_to(work)) for p in work.rglob("*") if p not in keep)


def openssl(*args, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *map(str, args)], input=input, capture_output=True, timeout=60, check=False)


def first_line(data: bytes) -> str:
    """openssl's first line that says something (not "Using configuration from …")."""
    lines = [line.strip() for line in data.decode(errors="replace").splitlines()]
    return next((line for line in lines if line and not line.startswith("Using configuration")), "")


# -- the corpus ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Corpus:
    root: Path
    index: dict
    at: datetime
    scratch: Path               # a temporary folder for files made from the corpus

    def items(self, kind: str) -> list[Item]:
        return [Item(kind, entry["file"], (self.root / entry["file"]).read_bytes(), entry)
                for entry in self.index[kind]]

    def pem(self, label: str) -> Path:
        return self.root / "pki" / f"{label}.pem"

    def key_file(self, label: str) -> Path:
        return self.root / "pki" / f"{label}.key"

    def certificate(self, label: str):
        from pki.certs import load_certificate
        return load_certificate(self.pem(label).read_bytes())

    def key(self, label: str):
        from pki.keyops import FileKey
        from pki.keys import load_private_key
        return FileKey(load_private_key(self.key_file(label).read_bytes()))

    def trust_file(self, info: dict) -> Path:
        """``-CAfile`` for openssl: the item's root, plus the intermediates the project is given
        (``cms -verify`` has no ``-untrusted``, and ``-certfile`` does not serve chain building)."""
        labels = [info["root"], *info.get("intermediates", ["inter"] if info["root"] == "root" else [])]
        path = self.scratch / f"{'+'.join(labels)}.pem"
        if not path.exists():
            path.write_bytes(b"".join(self.pem(label).read_bytes() for label in labels))
        return path

    @property
    def attime(self) -> str:
        return str(int(self.at.timestamp()))


def load_corpus(scratch: Path) -> Corpus:
    import pki  # noqa: F401  (registers the GM OIDs with asn1crypto)
    index = json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))
    return Corpus(CORPUS, index, datetime.fromisoformat(index["at"]), scratch)
