"""The output folder of an opened bid: staged beside it, published by rename only at the end,
never written through a link, replaced only when asked and then without losing the user's files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bidding.bids.errors import OutputRefused
from bidding.bids.output import publish, staged_output

OWNED = frozenset({"files", "manifest.json", "manifest.sig"})


def _open(destination: Path, *, replace: bool = False, fail: bool = False) -> None:
    with staged_output(destination, replace=replace) as staging:
        fd = staging.subfolder("files")
        os.close(fd)
        staging.write("manifest.json", b"{new}")
        if fail:
            raise RuntimeError("a check failed")
        publish(staging, destination, replace=replace, owned=OWNED)


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith("."))


def test_published_into_an_absent_or_empty_folder(tmp_path):
    _open(tmp_path / "a" / "opened")
    assert (tmp_path / "a" / "opened" / "manifest.json").read_bytes() == b"{new}"
    (tmp_path / "empty").mkdir()
    _open(tmp_path / "empty")
    assert sorted(os.listdir(tmp_path / "empty")) == ["files", "manifest.json"]
    assert _beside(tmp_path / "empty") == []


def test_a_failed_check_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        _open(tmp_path / "opened", fail=True)
    assert os.listdir(tmp_path) == []


def test_a_non_empty_folder_needs_replace(tmp_path):
    out = tmp_path / "opened"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputRefused, match="not empty: add --force"):
        _open(out)
    assert os.listdir(out) == ["notes.txt"] and _beside(out) == []


def test_replace_keeps_the_users_entries_and_the_old_until_the_new_is_in_place(tmp_path):
    out = tmp_path / "opened"
    (out / "files").mkdir(parents=True)
    (out / "files" / "old.pdf").write_bytes(b"old")
    (out / "manifest.json").write_bytes(b"{old}")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError):
        _open(out, replace=True, fail=True)                  # a refused package: the old unpack stays
    assert (out / "files" / "old.pdf").read_bytes() == b"old" and _beside(out) == []
    _open(out, replace=True)
    assert sorted(os.listdir(out)) == ["files", "manifest.json", "notes.txt"]
    assert os.listdir(out / "files") == [] and (out / "manifest.json").read_bytes() == b"{new}"
    assert (out / "notes.txt").read_text() == "mine" and _beside(out) == []


@pytest.mark.parametrize("replace", [False, True])
def test_a_destination_that_is_a_link_is_refused(tmp_path, replace):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "opened").symlink_to(elsewhere)
    with pytest.raises(OutputRefused, match="symbolic link"):
        _open(tmp_path / "opened", replace=replace)
    assert os.listdir(elsewhere) == [] and (tmp_path / "opened").is_symlink()
    assert _beside(tmp_path / "opened") == []


def test_links_inside_the_old_folder_are_removed_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("keep")
    out = tmp_path / "opened"
    out.mkdir()
    (out / "files").symlink_to(elsewhere)
    (out / "manifest.json").symlink_to(elsewhere / "precious")
    _open(out, replace=True)
    assert not (out / "files").is_symlink() and not (out / "manifest.json").is_symlink()
    assert os.listdir(elsewhere) == ["precious"] and (elsewhere / "precious").read_text() == "keep"


def test_a_file_or_the_current_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputRefused, match="not a folder"):
        _open(tmp_path / "file")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    with pytest.raises(OutputRefused, match="current folder"):
        _open(Path("."))


def test_the_destination_changing_after_the_checks_is_refused_at_publish(tmp_path):
    out = tmp_path / "opened"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(OutputRefused, match="symbolic link"):
        with staged_output(out, replace=True) as staging:
            staging.write("manifest.json", b"{new}")
            out.symlink_to(elsewhere)                 # planted while the package was being checked
            publish(staging, out, replace=True, owned=OWNED)
    assert os.listdir(elsewhere) == [] and _beside(out) == []
