"""Fuzzing the time-stamping authority at POST /tsa (Flask test client) with mutated TimeStampReqs.

Each case mutates a corpus request (openssl's with SHA-256/384/512, with and without nonce, certReq
and policy; the project's with SM3; one with an extension) and posts it. Oracles:

- never an exception out of the application and never HTTP 500 (``traceback``, ``http``);
- a 200 is a DER TimeStampResp, content type application/timestamp-reply, granted or rejection
  with a failInfo (``reply``);
- a request the TSA grants, openssl must accept as well: ``openssl ts -verify -queryfile`` checks
  the reply against the very request (imprint, nonce, signature, chain) (``openssl``). Requests with
  an SM3 imprint have no openssl oracle: ``openssl ts`` has no name for it.
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

from bidding.clock import FrozenClock
from pki.timestamps import MemorySerialCounter, TimeStampAuthority, TimeStampResp

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

QUERY, REPLY = "application/timestamp-query", "application/timestamp-reply"

#: Requests the TSA grants and OpenSSL refuses, on purpose: (predicate over the case and openssl's
#: stderr, the reason). Empty.
OPENSSL_ALLOWED: list[tuple[object, str]] = []


@pytest.fixture(scope="module")
def tsa_client(corpus, tmp_path_factory):
    from app import create_app
    instance = tmp_path_factory.mktemp("fuzz-tsa-instance")
    key, certificate = corpus.key("tsa"), corpus.certificate("tsa")
    authority = TimeStampAuthority(key, certificate, [corpus.certificate("inter")], corpus.index["tsa_policy"],
                                   FrozenClock(corpus.at), serials=MemorySerialCounter(1000))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'db.sqlite3'}", "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "fuzz", "FILE_STORE": str(instance / "files"), "DEVCA_DIR": str(instance / "devca"),
                      "CRL_DIR": str(instance / "devca" / "crl"), "TRUST_ANCHORS_DIR": str(instance / "anchors"),
                      "TSA_FACTORY": lambda _app: authority})
    return app.test_client()


def test_fuzz_tsa(corpus, tsa_client, tmp_path):
    items, check = corpus.items("tsa"), checker(corpus, tsa_client, tmp_path)
    findings = Findings("tsa")
    for seed in seeds("tsa"):
        findings.run(make_case("tsa", seed, items), check)
    findings.check()


def test_corpus_requests_are_answered_as_they_are(corpus, tsa_client, tmp_path):
    """Granted, except the request with an extension (the TSA supports none)."""
    check = checker(corpus, tsa_client, tmp_path)
    for item in corpus.items("tsa"):
        expected = "rejected unaccepted_extensions" if "extension" in item.name else "granted"
        assert check(unchanged(item)) == expected, item.name


def checker(corpus, tsa_client, tmp_path):
    """``check(case) -> outcome`` for /tsa cases (raises :class:`Problem` for a finding)."""
    untrusted = tmp_path / "untrusted.pem"
    untrusted.write_bytes(corpus.pem("tsa").read_bytes() + corpus.pem("inter").read_bytes())

    def check(case) -> str:
        try:
            response = tsa_client.post("/tsa", data=case.data, content_type=QUERY)
        except Exception as exc:  # noqa: BLE001 — the finding: the application raised
            raise traceback_problem(exc) from None
        if response.status_code >= 500:
            raise Problem(f"http: {response.status_code} {response.get_data(as_text=True)[:200]}")
        if response.status_code != 200:
            return f"http {response.status_code}"
        if response.mimetype != REPLY:
            raise Problem(f"reply: content type {response.mimetype}")
        try:
            status = TimeStampResp.load(response.data, strict=True)["status"]
            outcome, fail_info = status["status"].native, sorted(status["fail_info"].native or ())
        except ValueError as exc:
            raise Problem(f"reply: not a DER TimeStampResp: {exc}") from None
        if outcome == "rejection" and len(fail_info) == 1:
            return f"rejected {fail_info[0]}"
        if outcome != "granted":
            raise Problem(f"reply: status {outcome} with failInfo {fail_info}")
        if case.item.info["openssl"]:
            _openssl_agrees(case, response.data, untrusted, tmp_path, corpus)
        return "granted"
    return check


def _openssl_agrees(case, reply: bytes, untrusted, tmp_path, corpus) -> None:
    query, answer = tmp_path / "query.tsq", tmp_path / "reply.tsr"
    query.write_bytes(case.data)
    answer.write_bytes(reply)
    proc = openssl("ts", "-verify", "-queryfile", query, "-in", answer, "-CAfile", corpus.pem("root"),
                   "-untrusted", untrusted, "-attime", corpus.attime)
    if proc.returncode != 0:
        if any(allowed(case, proc.stderr) for allowed, _ in OPENSSL_ALLOWED):
            return
        detail = first_line(proc.stderr) or first_line(proc.stdout)
        raise Problem(f"openssl: the TSA granted it, openssl ts -verify refused: {detail}")
