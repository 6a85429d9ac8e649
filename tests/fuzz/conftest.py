"""Fixtures of the fuzz suite; the plumbing is :mod:`fuzzing` (README.md says how to run and replay)."""
from __future__ import annotations

import pytest
from fuzzing import Corpus, load_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    """The seed corpus (tests/fuzz/corpus, written by make_corpus.py)."""
    return load_corpus(tmp_path_factory.mktemp("fuzz-corpus"))
