"""Atomic writes: a failure half-way leaves the old file and no temporary file behind."""
from __future__ import annotations

import os

import pytest

from pki.files import atomic_output, write_atomic


def test_write_replaces_with_mode(tmp_path):
    target = tmp_path / "sub" / "state.json"
    write_atomic(target, b"one", mode=0o600)
    write_atomic(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert oct(os.stat(target).st_mode & 0o777) == "0o600"
    assert os.listdir(target.parent) == ["state.json"]


@pytest.mark.parametrize("durable", [True, False])
def test_failure_keeps_the_old_file(tmp_path, durable):
    target = tmp_path / "bid.env"
    target.write_bytes(b"accepted")
    with pytest.raises(RuntimeError):
        with atomic_output(target, durable=durable) as out:
            out.write(b"half of a new")
            raise RuntimeError("crash")
    assert target.read_bytes() == b"accepted"
    assert os.listdir(tmp_path) == ["bid.env"]
