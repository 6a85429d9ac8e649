"""Fuzzing the digital envelope reader (pki.envelope) with mutated CMS / GM/T 0010 envelopes.

Each case mutates a corpus envelope and opens it through one of the public ways in: ``decrypt_file``
(into a folder that does not exist yet), ``decrypt_stream``, ``inspect``, or the opening
ceremony's two steps (``find_recipient_info`` + ``unwrap_content_key``, then
``decrypt_with_content_key`` into a path). Oracles:

- only :class:`pki.errors.PkiError` may come out; anything else is a finding (``traceback``);
- a refusal leaves nothing beside the input (``leftover``);
- what the project decrypts, ``openssl cms -decrypt`` must decrypt too, to the same bytes
  (``openssl``), unless :data:`OPENSSL_ALLOWED` documents why not. GM/T 0010 envelopes (SM2/SM4)
  have no openssl oracle: OpenSSL does not implement that format.
"""
from __future__ import annotations

import io
import shutil

import pytest
from fuzzing import (
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

from pki import envelope
from pki.errors import PkiError

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

#: Envelopes the project opens and OpenSSL refuses, on purpose: (predicate over the case and
#: openssl's stderr, the reason). Empty: every such case so far was a project bug.
OPENSSL_ALLOWED: list[tuple[object, str]] = []

WAYS = ["decrypt_file", "decrypt_file", "decrypt_stream", "inspect", "two_step"]


def test_fuzz_envelopes(corpus, tmp_path):
    items, check = corpus.items("envelope"), checker(corpus, tmp_path)
    findings = Findings("envelope")
    for seed in seeds("envelope"):
        findings.run(make_case("envelope", seed, items), check)
    findings.check()


def test_corpus_envelopes_open_as_they_are(corpus, tmp_path):
    check = checker(corpus, tmp_path)
    for item in corpus.items("envelope"):
        for way in WAYS:
            outcome = check(unchanged(item, way=way))
            assert outcome in ("inspected", f"accepted ({way})"), (item.name, outcome)


def checker(corpus, tmp_path):
    """``check(case) -> outcome`` for envelope cases (raises :class:`Problem` for a finding)."""
    parties = {label: (corpus.key(label), corpus.certificate(label)) for label in ("rsa-enc", "ec-enc", "sm2-enc")}

    def check(case) -> str:
        work = tmp_path / f"case-{case.seed}"
        work.mkdir()
        try:
            return _open(case, work, *parties[case.item.info["key"]], corpus)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return check


def _open(case, work, key, certificate, corpus) -> str:
    src = work / "in.der"
    src.write_bytes(case.data)
    way = case.way or case.rng.choice(WAYS)
    dst = work / "out" / "sub" / "plain.bin"
    try:
        if way == "decrypt_file":
            envelope.decrypt_file(src, dst, key=key, certificate=certificate)
            plain = dst.read_bytes()
        elif way == "decrypt_stream":
            sink = io.BytesIO()
            with open(src, "rb") as stream:
                envelope.decrypt_stream(stream, sink, key=key, certificate=certificate, spool_dir=work)
            plain = sink.getvalue()
        elif way == "inspect":
            envelope.inspect(src)
            return "inspected"
        else:
            info = envelope.find_recipient_info(src, certificate)
            content_key = envelope.unwrap_content_key(info.dump(), key, certificate)
            envelope.decrypt_with_content_key(src, dst, content_key)
            plain = dst.read_bytes()
    except PkiError as exc:
        left = leftovers(work, {src})
        if left:
            raise Problem(f"leftover: {way} refused ({type(exc).__name__}) but left {left}") from None
        return f"refused {type(exc).__name__}"
    except Exception as exc:  # noqa: BLE001 — the finding: anything outside the documented family
        raise traceback_problem(exc) from None
    if case.item.info["openssl"]:
        _openssl_agrees(case, src, plain, work, corpus)
    return f"accepted ({way})"


def _openssl_agrees(case, src, plain, work, corpus) -> None:
    label = case.item.info["key"]
    out = work / "openssl.out"
    proc = openssl("cms", "-decrypt", "-inform", "DER", "-in", src, "-recip", corpus.pem(label),
                   "-inkey", corpus.key_file(label), "-binary", "-out", out)
    if proc.returncode != 0:
        if any(allowed(case, proc.stderr) for allowed, _ in OPENSSL_ALLOWED):
            return
        raise Problem(f"openssl: the project decrypted it, openssl cms -decrypt refused: {first_line(proc.stderr)}")
    if out.read_bytes() != plain:
        raise Problem(f"openssl: openssl decrypted {out.stat().st_size} other bytes than the project's {len(plain)}")
