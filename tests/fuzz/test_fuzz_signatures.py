"""Fuzzing signature verification (pki.signature.verify) with mutated CMS / GM/T 0010 SignedData.

Each case mutates a corpus signature (attached, detached, PSS, ECDSA, SM2 in both flavours, one with
a timestamp token, some written by openssl) and verifies it against the corpus root at the corpus
moment. Oracles:

- only :class:`pki.errors.PkiError` may come out (``SignatureFormatError`` for what is not a
  SignedData); anything else is a finding (``traceback``);
- a signature the project calls valid (``result.ok``), ``openssl cms -verify`` must accept as well,
  and give out the same content (``openssl``), unless :data:`OPENSSL_ALLOWED` documents why not.
  GM/T 0010 signatures (SM2) have no openssl oracle: OpenSSL does not implement that format.
"""
from __future__ import annotations

import pytest
from fuzzing import (
    Findings,
    Problem,
    first_line,
    make_case,
    openssl,
    seeds,
    traceback_problem,
    unchanged,
)

from pki.errors import PkiError
from pki.signature import verify

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

#: Signatures the project accepts and OpenSSL refuses, on purpose: (predicate over the case and
#: openssl's stderr, the reason). Empty: every such case so far was a project bug.
OPENSSL_ALLOWED: list[tuple[object, str]] = []


def test_fuzz_signatures(corpus, tmp_path):
    items, check = corpus.items("signature"), checker(corpus, tmp_path)
    findings = Findings("signature")
    for seed in seeds("signature"):
        findings.run(make_case("signature", seed, items), check)
    findings.check()


def test_corpus_signatures_verify_as_they_are(corpus, tmp_path):
    check = checker(corpus, tmp_path)
    for item in corpus.items("signature"):
        assert check(unchanged(item)) == "valid", item.name


def checker(corpus, tmp_path):
    """``check(case) -> outcome`` for signature cases (raises :class:`Problem` for a finding)."""
    document = (corpus.root / "document.txt").read_bytes()
    certificates = {label: corpus.certificate(label) for label in ("root", "sm2-root", "inter")}

    def check(case) -> str:
        detached = case.item.info["detached"]
        try:
            result = verify(case.data, content=document if detached else None,
                            trust_roots=[certificates[case.item.info["root"]]],
                            intermediates=[certificates[label] for label in case.item.info["intermediates"]],
                            at=corpus.at)
        except PkiError as exc:
            return f"refused {type(exc).__name__}"
        except Exception as exc:  # noqa: BLE001 — the finding: anything outside the documented family
            raise traceback_problem(exc) from None
        if not result.ok:
            return f"invalid {result.codes[0]}"
        if case.item.info["openssl"]:
            _openssl_agrees(case, document if detached else result.content, detached, tmp_path, corpus)
        return "valid"
    return check


def _openssl_agrees(case, content: bytes, detached: bool, tmp_path, corpus) -> None:
    sig, out, data = tmp_path / "sig.der", tmp_path / "openssl.out", tmp_path / "content.bin"
    sig.write_bytes(case.data)
    args = ["cms", "-verify", "-inform", "DER", "-in", sig, "-CAfile", corpus.trust_file(case.item.info),
            "-attime", corpus.attime, "-purpose", "any", "-binary", "-out", out]
    if detached:
        data.write_bytes(content)
        args += ["-content", data]
    proc = openssl(*args)
    if proc.returncode != 0:
        if any(allowed(case, proc.stderr) for allowed, _ in OPENSSL_ALLOWED):
            return
        raise Problem(f"openssl: the project verified it, openssl cms -verify refused: {first_line(proc.stderr)}")
    if out.read_bytes() != content:
        raise Problem("openssl: openssl's verified content differs from the project's")
