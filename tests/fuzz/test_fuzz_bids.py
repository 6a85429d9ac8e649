"""Fuzzing bid package opening (bidding.bids.sealing.open_bid) with mutated sealed bids.

A case is one of two kinds, chosen by its seed:

- ``envelope``: the sealed bid's envelope is mutated as a DER tree;
- ``archive``: the bid's plaintext tar archive is changed and sealed again for the same recipient —
  the manifest's signature mutated as a DER tree, a byte of manifest.json changed, or the tar
  bytes themselves flipped, cut or extended — so the checks behind the envelope are reached.

Oracles:

- only :class:`pki.errors.PkiError` and :class:`bidding.bids.errors.PackageError` may come out;
  anything else is a finding (``traceback``);
- a refusal leaves nothing beside the input in the case's folder: no output folder, no staging
  folder (``leftover``);
- a bid the project opens, openssl must open too (``openssl cms -decrypt``, then ``openssl cms
  -verify`` of manifest.sig over manifest.json), and the files published must be the archive's
  (``openssl``). SM2 bids (GM/T 0010) have no openssl oracle.
"""
from __future__ import annotations

import io
import shutil
import tarfile

import pytest
from fuzzing import (
    CORPUS,
    Findings,
    Problem,
    first_line,
    leftovers,
    make_case,
    openssl,
    seeds,
    traceback_problem,
    unchanged,
)
from mutations import mutate

from bidding.bids.errors import PackageError
from bidding.bids.sealing import open_bid
from pki import envelope
from pki.errors import PkiError

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

#: Bids the project opens and OpenSSL refuses, on purpose: (predicate over the case and openssl's
#: stderr, the reason). Empty: every such case so far was a project bug.
OPENSSL_ALLOWED: list[tuple[object, str]] = []


def identify(certificate) -> str | None:
    """The corpus certificates carry the bidder's credit code in the subject's serialNumber."""
    return certificate.subject.native.get("serial_number")


def test_fuzz_bids(corpus, tmp_path):
    items, check = corpus.items("bid"), checker(corpus, tmp_path)
    findings = Findings("bid")
    for seed in seeds("bid"):
        findings.run(make_case("bid", seed, items), check)
    findings.check()


def test_corpus_bids_open_as_they_are(corpus, tmp_path):
    """Each corpus bid opens, sealed as it is and with its archive rebuilt by this suite's tar writer."""
    check = checker(corpus, tmp_path)
    for item in corpus.items("bid"):
        assert check(unchanged(item, way="envelope")) == "opened (envelope)", item.name
        assert check(unchanged(item, way="archive rebuilt")) == "opened (archive rebuilt)", item.name


def checker(corpus, tmp_path):
    """``check(case) -> outcome`` for bid cases (raises :class:`Problem` for a finding)."""
    items = corpus.items("bid")
    labels = {label for item in items for label in (item.info["key"], item.info["root"])} | {"inter"}
    certificates = {label: corpus.certificate(label) for label in labels}
    keys = {item.info["key"]: corpus.key(item.info["key"]) for item in items}
    archives = {item.name: _plain_archive(item, keys, certificates, tmp_path) for item in items}

    def check(case) -> str:
        work = tmp_path / f"case-{case.seed}"
        work.mkdir()
        try:
            src = work / "in.der"
            mode = _prepare(case, src, archives[case.item.name], certificates)
            return _open(case, src, work, keys, certificates, corpus) + f" ({mode})"
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return check


def _plain_archive(item, keys, certificates, tmp_path) -> bytes:
    """The tar archive inside a corpus bid (what archive cases change)."""
    out = tmp_path / "plain-archives" / item.name
    envelope.decrypt_file(CORPUS / item.name, out, key=keys[item.info["key"]],
                          certificate=certificates[item.info["key"]])
    return out.read_bytes()


def _prepare(case, src, archive: bytes, certificates) -> str:
    """Write the case's sealed bid to ``src``; the kind of change made."""
    rng = case.rng
    if case.way == "envelope" or (case.way is None and rng.random() < 0.5):
        src.write_bytes(case.data)               # the mutated envelope
        return "envelope"
    what = "rebuilt" if case.way else rng.choice(["signature", "signature", "manifest", "tar"])
    notes = ["nothing changed"]
    if what == "rebuilt":
        archive = _replace(archive, "manifest.sig", _member(archive, "manifest.sig"))
    elif what == "signature":
        sig = _member(archive, "manifest.sig")
        changed, notes = mutate(sig, rng)
        archive = _replace(archive, "manifest.sig", changed)
    elif what == "manifest":
        manifest = bytearray(_member(archive, "manifest.json"))
        i = rng.randrange(len(manifest))
        manifest[i] = rng.choice([manifest[i] ^ 1, ord('"'), ord("0"), ord("\\"), 0, 0xC3])
        archive = _replace(archive, "manifest.json", bytes(manifest))
        notes = [f"manifest.json byte {i} set to {manifest[i]:02x}"]
    else:
        archive, notes = _tar_bytes(archive, rng)
    envelope.encrypt_file(_staged(src, archive), src, recipients=[certificates[case.item.info["key"]]])
    case.notes[:] = [f"archive {what}: {note}" for note in notes]     # the envelope's mutation is not used
    return f"archive {what}"


def _staged(src, archive: bytes):
    plain = src.with_name("archive.tar")
    plain.write_bytes(archive)
    return plain


def _member(archive: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
        return tar.extractfile(name).read()


def _replace(archive: bytes, name: str, data: bytes) -> bytes:
    """The archive with member ``name``'s contents replaced, every header otherwise as it was."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as src, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as dst:
        for member in src.getmembers():
            body = data if member.name == name else src.extractfile(member).read()
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
    return out.getvalue()


def _tar_bytes(archive: bytes, rng) -> tuple[bytes, list[str]]:
    end = len(archive.rstrip(b"\x00"))
    how = rng.choice(["flip", "flip", "truncate", "append"])
    if how == "flip":
        i = rng.randrange(end)
        return archive[:i] + bytes([archive[i] ^ (1 << rng.randrange(8))]) + archive[i + 1:], [f"tar byte {i} flipped"]
    if how == "truncate":
        cut = rng.randrange(len(archive))
        return archive[:cut], [f"tar cut to {cut} bytes"]
    extra = rng.choice([b"x", archive[:512], bytes(512) + b"trailing"])
    return archive + extra, [f"{len(extra)} bytes appended to the tar"]


def _open(case, src, work, keys, certificates, corpus) -> str:
    info = case.item.info
    out_dir = work / "bid"        # its folder exists: a refusal must leave nothing beside the input
    try:
        opened = open_bid(src, out_dir, key=keys[info["key"]], certificate=certificates[info["key"]],
                          trust_roots=[certificates[info["root"]]],
                          intermediates=[certificates["inter"]] if info["root"] == "root" else [],
                          identify=identify, expect_tender=corpus.index["tender"],
                          expect_bidder=corpus.index["code"], at=corpus.at)
    except (PkiError, PackageError) as exc:
        left = leftovers(work, {src, src.with_name("archive.tar")})
        if left:
            raise Problem(f"leftover: refused ({type(exc).__name__}) but left {left}") from None
        return f"refused {type(exc).__name__}"
    except Exception as exc:  # noqa: BLE001 — the finding: anything outside the documented family
        raise traceback_problem(exc) from None
    if info["openssl"]:
        _openssl_agrees(case, src, out_dir, opened, work, corpus)
    return "opened"


def _openssl_agrees(case, src, out_dir, opened, work, corpus) -> None:
    label = case.item.info["key"]
    tar_path = work / "openssl.tar"
    proc = openssl("cms", "-decrypt", "-inform", "DER", "-in", src, "-recip", corpus.pem(label),
                   "-inkey", corpus.key_file(label), "-binary", "-out", tar_path)
    if proc.returncode != 0:
        if any(allowed(case, proc.stderr) for allowed, _ in OPENSSL_ALLOWED):
            return
        raise Problem(f"openssl: the project opened the bid, openssl cms -decrypt refused: {first_line(proc.stderr)}")
    archive = tar_path.read_bytes()
    manifest, sig = work / "manifest.json", work / "manifest.sig"
    manifest.write_bytes(_member(archive, "manifest.json"))
    sig.write_bytes(_member(archive, "manifest.sig"))
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", sig, "-content", manifest, "-binary",
                   "-CAfile", corpus.trust_file(case.item.info),
                   "-attime", corpus.attime, "-purpose", "any", "-out", work / "verified")
    if proc.returncode != 0:
        raise Problem(f"openssl: the project opened the bid, openssl cms -verify refused manifest.sig: "
                      f"{first_line(proc.stderr)}")
    if (out_dir / "manifest.json").read_bytes() != manifest.read_bytes():
        raise Problem("openssl: the published manifest.json is not the archive's")
    for path in opened.files:
        if path.read_bytes() != _member(archive, f"files/{path.name}"):
            raise Problem(f"openssl: the published {path.name} is not the archive's")
