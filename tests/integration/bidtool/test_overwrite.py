"""No bidtool command replaces an existing file, or fills a non-empty folder, without --force: a
bidder once ran `bidtool decrypt plan.env plan.pdf` and lost the plan.pdf the envelope came from."""
from __future__ import annotations

import os

import pytest


def _key_args(party, alg, purpose):
    return ["--key", party.keys[alg, purpose], "--pass-env", "BID_PASS", "--cert", party.certs[alg, purpose]]


@pytest.fixture
def made(bidtool, supplier, tmp_path):
    """plan.pdf, its envelope plan.env, a bid package bid.env; the folder `opened` unpacked once."""
    (tmp_path / "plan.pdf").write_bytes(os.urandom(4000))
    assert bidtool("encrypt", "--to", supplier.certs["ec", "encryption"], "plan.pdf", "plan.env").code == 0
    r = bidtool("pack", *_key_args(supplier, "ec", "signing"), "--enc-cert", supplier.certs["ec", "encryption"],
                "--chain", supplier.inters["ec"], "--tender", "T-1", "--price", "1", "-o", "bid.env", "plan.pdf")
    assert r.code == 0, r.err
    assert _unpack(bidtool, supplier, "opened").code == 0
    return tmp_path


def _unpack(bidtool, supplier, outdir, *extra):
    return bidtool("unpack", *_key_args(supplier, "ec", "encryption"), "--ca", supplier.roots["ec"], *extra,
                   "bid.env", outdir)


def _commands(supplier):
    """Each command writing onto an existing file: (arguments, the file it would replace)."""
    return {
        "decrypt": ([*("decrypt", *_key_args(supplier, "ec", "encryption")), "plan.env", "plan.pdf"], "plan.pdf"),
        "encrypt": (["encrypt", "--to", supplier.certs["ec", "encryption"], "plan.pdf", "plan.env"], "plan.env"),
        "sign": (["sign", *_key_args(supplier, "ec", "signing"), "plan.pdf", "plan.env"], "plan.env"),
        "pack": (["pack", *_key_args(supplier, "ec", "signing"), "--enc-cert", supplier.certs["ec", "encryption"],
                  "--tender", "T-1", "--price", "1", "-o", "plan.env", "plan.pdf"], "plan.env"),
    }


@pytest.mark.parametrize("command", ["decrypt", "encrypt", "sign", "pack"])
def test_existing_output_is_kept_without_force(bidtool, supplier, made, command):
    args, target = _commands(supplier)[command]
    before = (made / target).read_bytes()
    r = bidtool(*args)
    assert r.code == 1 and len(r.err.splitlines()) == 1, r.err
    assert target in r.err and "--force" in r.err
    assert (made / target).read_bytes() == before
    assert sorted(p.name for p in made.iterdir() if p.name.startswith(".")) == []   # no temporary left


@pytest.mark.parametrize("command", ["decrypt", "encrypt", "sign", "pack"])
def test_force_replaces_the_output(bidtool, supplier, made, command):
    args, target = _commands(supplier)[command]
    (made / target).write_bytes(b"old")
    r = bidtool(*args[:1], "--force", *args[1:])
    assert r.code == 0, r.err
    assert (made / target).read_bytes() != b"old"


def test_decrypt_onto_the_original_needs_force_and_then_restores_it(bidtool, supplier, made):
    original = (made / "plan.pdf").read_bytes()
    (made / "plan.pdf").write_bytes(b"edited since")
    args, _ = _commands(supplier)["decrypt"]
    assert bidtool(*args).code == 1
    assert (made / "plan.pdf").read_bytes() == b"edited since"
    assert bidtool(args[0], "--force", *args[1:]).code == 0
    assert (made / "plan.pdf").read_bytes() == original


def test_unpack_into_a_non_empty_folder_needs_force(bidtool, supplier, made):
    (made / "opened" / "notes.txt").write_text("mine")
    r = _unpack(bidtool, supplier, "opened")
    assert r.code == 1 and len(r.err.splitlines()) == 1 and "opened" in r.err and "--force" in r.err, r.err
    r = _unpack(bidtool, supplier, "opened", "--force")
    assert r.code == 0, r.err
    assert (made / "opened" / "files" / "plan.pdf").read_bytes() == (made / "plan.pdf").read_bytes()
    assert (made / "opened" / "notes.txt").read_text() == "mine"     # only what unpack writes is replaced


def test_unpack_into_an_empty_folder_needs_nothing(bidtool, supplier, made):
    (made / "empty").mkdir()
    assert _unpack(bidtool, supplier, "empty").code == 0
