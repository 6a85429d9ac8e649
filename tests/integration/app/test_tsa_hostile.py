"""/tsa under hostile input (issue "Hostile input", finding 6).

Every malformed TimeStampReq gets an RFC 3161 answer (HTTP 200, ``application/timestamp-reply``,
PKIStatus rejection with failInfo badDataFormat, or badAlg for a hash it does not take) that
``openssl ts -reply -text`` reads; a wrong content type or an oversized body gets a 4xx. Nothing is
ever a 500, and a body is read in pieces up to a hard cap, announced or chunked, so a 300 MB chunked
POST to a real gunicorn leaves the worker's peak memory where it was.
"""
from __future__ import annotations

import http.client
import io
import os
import select
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pki.timestamps import TimeStampResp, build_request

# HTTP behaviour only: one database backend is enough (the DB tests run on both).
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

REPO = Path(__file__).resolve().parents[3]
QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"
SHA256 = bytes(range(32))
SHA256_ALG = bytes.fromhex("300d06096086480165030402010500")   # AlgorithmIdentifier sha256, NULL


def write_tsa_files(directory: Path) -> Path:
    """An EC CA and a TSA certificate (critical EKU timeStamping) issued by it, as the platform's TSA
    files (``tsa.pem``, ``tsa.key.pem``, ``chain.pem``); returns the CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject, issuer, public_key, signing_key, serial, *extensions):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(serial).not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
                   .not_valid_after(datetime(2031, 1, 1, tzinfo=UTC)))
        for extension in extensions:
            builder = builder.add_extension(extension, critical=True)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert(name("测试 CA"), name("测试 CA"), ca_key.public_key(), ca_key, 1,
              x509.BasicConstraints(ca=True, path_length=None),
              x509.KeyUsage(False, False, False, False, False, True, True, False, False))
    tsa = cert(name("平台时间戳服务"), ca.subject, tsa_key.public_key(), ca_key, 2,
               x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
               x509.KeyUsage(True, True, False, False, False, False, False, False, False))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (directory / "chain.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.key.pem").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "chain.pem"


@pytest.fixture
def tsa_client(app, client):
    write_tsa_files(Path(app.config["DEVCA_DIR"]) / "tsa")
    return client


def openssl_query(tmp_path: Path, *options: str) -> bytes:
    data = tmp_path / "document.txt"
    data.write_text("投标文件摘要", encoding="utf-8")
    return subprocess.run(["openssl", "ts", "-query", "-data", str(data), *options],
                          capture_output=True, check=True).stdout


def reply_status(reply: bytes) -> tuple[str, set[str]]:
    status = TimeStampResp.load(reply, strict=True)["status"]
    return status["status"].native, set(status["fail_info"].native or ())


def openssl_reply_text(tmp_path: Path, reply: bytes) -> str:
    path = tmp_path / "reply.tsr"
    path.write_bytes(reply)
    return subprocess.run(["openssl", "ts", "-reply", "-in", str(path), "-text"],
                          capture_output=True, text=True, check=True).stdout


#: How `openssl ts -reply -text` names the PKIFailureInfo bits (RFC 3161 §2.4.2).
OPENSSL_FAILURE_TEXT = {"bad_data_format": "the data submitted has the wrong format",
                        "bad_alg": "unrecognized or unsupported algorithm identifier"}


def assert_rejected(tmp_path: Path, response, fail_info: str) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == REPLY
    assert reply_status(response.data) == ("rejection", {fail_info})
    text = openssl_reply_text(tmp_path, response.data)
    assert "Status: Rejected" in text
    assert f"Failure info: {OPENSSL_FAILURE_TEXT[fail_info]}" in text


def tlv(tag: int, body: bytes) -> bytes:
    assert len(body) < 0x80
    return bytes([tag, len(body)]) + body


def request_der(*fields: bytes) -> bytes:
    return tlv(0x30, b"".join(fields))


VERSION_1 = tlv(0x02, b"\x01")
IMPRINT = tlv(0x30, SHA256_ALG + tlv(0x04, SHA256))


# -- the finding: a mutated -sha512 query ---------------------------------------------------------------
@SQLITE
def test_mutated_sha512_query_is_rejected_as_bad_data_format(tsa_client, tmp_path):
    """`openssl ts -query -sha512 -cert`, byte 88 (the nonce's INTEGER tag) set to 0x09 (REAL):
    asn1crypto kept the REAL aside and raised AttributeError from ``.native`` — HTTP 500."""
    query = bytearray(openssl_query(tmp_path, "-sha512", "-cert"))
    assert query[88] == 0x02
    query[88] = 0x09
    assert_rejected(tmp_path, tsa_client.post("/tsa", data=bytes(query), content_type=QUERY), "bad_data_format")


@pytest.mark.parametrize("digest", ["-sha256", "-sha384", "-sha512"])
@SQLITE
def test_well_formed_openssl_queries_are_granted(tsa_client, tmp_path, digest):
    response = tsa_client.post("/tsa", data=openssl_query(tmp_path, digest, "-cert"), content_type=QUERY)
    assert response.status_code == 200
    assert reply_status(response.data) == ("granted", set())
    assert "Status: Granted." in openssl_reply_text(tmp_path, response.data)


HOSTILE = {
    "garbage": (b"garbage that is not DER", "bad_data_format"),
    "one zero byte": (b"\x00", "bad_data_format"),
    "trailing bytes": (build_request(SHA256) + b"\x00", "bad_data_format"),
    "truncated": (build_request(SHA256)[:-3], "bad_data_format"),
    "unknown hash OID": (request_der(VERSION_1, tlv(0x30, tlv(0x30, tlv(0x06, bytes.fromhex("2a030405")))
                                                    + tlv(0x04, SHA256))), "bad_alg"),
    "SHA-1": (build_request(bytes(20), "sha1"), "bad_alg"),
    "hash parameters not NULL": (request_der(VERSION_1, tlv(0x30, tlv(0x30, SHA256_ALG[2:13] + b"\x02\x01\x00")
                                                             + tlv(0x04, SHA256))), "bad_alg"),
    "digest too short": (build_request(bytes(31)), "bad_data_format"),
    "digest too long": (build_request(bytes(64), "sha256"), "bad_data_format"),
    "version 2": (request_der(tlv(0x02, b"\x02"), IMPRINT), "bad_data_format"),
    "version non-minimal": (request_der(tlv(0x02, b"\x00\x01"), IMPRINT), "bad_data_format"),
    "indefinite length (BER)": (b"\x30\x80" + VERSION_1 + IMPRINT + b"\x00\x00", "bad_data_format"),
    "non-minimal length": (b"\x30\x81" + bytes([len(VERSION_1 + IMPRINT)]) + VERSION_1 + IMPRINT,
                           "bad_data_format"),
    "certReq FALSE written (DER omits defaults)": (request_der(VERSION_1, IMPRINT, tlv(0x01, b"\x00")),
                                                   "bad_data_format"),
    "certReq not 0xFF": (request_der(VERSION_1, IMPRINT, tlv(0x01, b"\x01")), "bad_data_format"),
    "nonce twice": (request_der(VERSION_1, IMPRINT, tlv(0x02, b"\x05"), tlv(0x02, b"\x06")), "bad_data_format"),
    "fields out of order": (request_der(VERSION_1, IMPRINT, tlv(0x01, b"\xff"), tlv(0x02, b"\x05")),
                            "bad_data_format"),
    "REAL instead of nonce": (request_der(VERSION_1, IMPRINT, tlv(0x09, b"\x80\x01")), "bad_data_format"),
    "unknown element": (request_der(VERSION_1, IMPRINT, tlv(0x0C, "字".encode())), "bad_data_format"),
    "imprint missing": (request_der(VERSION_1), "bad_data_format"),
    "not a SEQUENCE": (tlv(0x31, VERSION_1 + IMPRINT), "bad_data_format"),
    "multi-byte tag": (request_der(VERSION_1, IMPRINT, b"\x1f\x81\x00\x00"), "bad_data_format"),
    "huge length": (b"\x30\x84\xff\xff\xff\xff" + VERSION_1, "bad_data_format"),
    "malformed extensions": (request_der(VERSION_1, IMPRINT, tlv(0xA0, b"\x04\x00")), "bad_data_format"),
    "malformed policy OID": (request_der(VERSION_1, IMPRINT, tlv(0x06, b"\x80\x01")), "bad_data_format"),
    "nonce of 65 bytes": (request_der(VERSION_1, IMPRINT, tlv(0x02, b"\x01" * 65)), "bad_data_format"),
}


@pytest.mark.parametrize("body,fail_info", HOSTILE.values(), ids=HOSTILE.keys())
@SQLITE
def test_malformed_requests_get_an_rfc3161_rejection(tsa_client, tmp_path, body, fail_info):
    assert_rejected(tmp_path, tsa_client.post("/tsa", data=body, content_type=QUERY), fail_info)


@SQLITE
def test_every_single_byte_change_of_a_query_is_answered(tsa_client, tmp_path):
    """Each byte of a -sha512 query set to each of a few values: granted or rejected, never a 500."""
    query = openssl_query(tmp_path, "-sha512", "-cert")
    statuses = set()
    for position in range(len(query)):
        for value in (0x00, 0x09, 0x80, 0xFF, query[position] ^ 0x01):
            mutated = query[:position] + bytes([value]) + query[position + 1:]
            response = tsa_client.post("/tsa", data=mutated, content_type=QUERY)
            assert response.status_code == 200, (position, value, response.get_data(as_text=True))
            statuses.add(reply_status(response.data)[0])
    assert statuses == {"granted", "rejection"}


# -- HTTP-level refusals --------------------------------------------------------------------------------
@SQLITE
def test_wrong_content_type_is_415(tsa_client, tmp_path):
    query = openssl_query(tmp_path, "-sha256")
    for content_type in ("application/octet-stream", "application/timestamp-reply", "text/plain"):
        assert tsa_client.post("/tsa", data=query, content_type=content_type).status_code == 415


@SQLITE
def test_empty_request_is_400(tsa_client):
    assert tsa_client.post("/tsa", data=b"", content_type=QUERY).status_code == 400


@SQLITE
def test_announced_oversized_request_is_413_before_reading(tsa_client, app):
    limit = app.config["TSA_MAX_REQUEST"]
    body = CountingStream(limit + 1)
    response = tsa_client.post("/tsa", input_stream=body, content_type=QUERY)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_too_large"
    assert body.consumed == 0


class CountingStream(io.RawIOBase):
    """``size`` bytes of 0x30 (``None``: endless), counting what the application reads. Its length
    (what Werkzeug's test client writes as Content-Length) is ``size``, or 0 for an endless stream."""

    def __init__(self, size: int | None):
        self.size, self.consumed, self._position = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = (self.size or 0) + offset if whence == 2 else offset
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer) -> int:
        n = len(buffer) if self.size is None else min(len(buffer), self.size - self.consumed)
        buffer[:n] = b"\x30" * n
        self.consumed += n
        return n


def chunked_post(client, stream, **environ):
    """A chunked POST as a de-chunking WSGI server (gunicorn) presents it: no Content-Length, the
    body in ``wsgi.input``, ``wsgi.input_terminated`` set."""
    return client.post("/tsa", input_stream=stream, content_type=QUERY,
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides=environ)


@SQLITE
def test_endless_chunked_request_is_413_after_reading_at_most_the_cap(tsa_client, app):
    limit = app.config["TSA_MAX_REQUEST"]
    body = CountingStream(None)
    response = chunked_post(tsa_client, body, **{"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_too_large"
    assert body.consumed == limit + 1


@SQLITE
def test_chunked_request_within_the_cap_is_answered(tsa_client, tmp_path):
    stream = io.BytesIO(openssl_query(tmp_path, "-sha256", "-cert"))
    response = chunked_post(tsa_client, stream, **{"wsgi.input_terminated": True})
    assert response.status_code == 200
    assert reply_status(response.data) == ("granted", set())


@SQLITE
def test_chunked_request_the_server_does_not_terminate_is_411(tsa_client, tmp_path):
    """Without ``wsgi.input_terminated`` Werkzeug would hand over an empty stream."""
    response = chunked_post(tsa_client, io.BytesIO(openssl_query(tmp_path, "-sha256")))
    assert response.status_code == 411
    assert response.json["error"]["code"] == "length_required"


# -- a real gunicorn and a 300 MB chunked body -----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_kib(pid: int) -> int:
    """VmHWM: the process's peak resident set size."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


def _worker_pid(master: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise AssertionError("gunicorn started no worker")


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn (gthread, 1 worker, 4 threads) serving an isolated instance with TSA files; yields
    (host, port, master pid, worker pid)."""
    instance = tmp_path / "instance"
    write_tsa_files(instance / "devca" / "tsa")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EBID_") and k not in ("DATABASE_URL", "SECRET_KEY", "FLASK_APP")}
    env.update(EBID_ENV="development", EBID_INSTANCE_PATH=str(instance))
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen([str(REPO / ".venv/bin/gunicorn"), "--worker-class", "gthread", "--workers", "1",
                                   "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
        yield "127.0.0.1", port, server.pid, _worker_pid(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


MIB = 1024 * 1024


@pytest.mark.slow
def test_300_mb_chunked_post_to_gunicorn_is_413_without_memory_growth(gunicorn, tmp_path):
    host, port, _master, worker = gunicorn
    # warm up: the first request builds the TSA and imports what a request needs
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/tsa", body=openssl_query(tmp_path, "-sha256", "-cert"),
                 headers={"Content-Type": QUERY})
    warm = conn.getresponse()
    assert warm.status == 200 and reply_status(warm.read())[0] == "granted"
    conn.close()
    before = _peak_kib(worker)

    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.connect()
    sent = 0

    def body():
        """1 MiB chunks up to 300 MB, stopping as soon as the server has answered."""
        nonlocal sent
        chunk = b"\x30" * MIB
        while sent < 300 * MIB:
            if select.select([conn.sock], [], [], 0)[0]:
                return
            sent += len(chunk)
            yield chunk

    try:
        conn.request("POST", "/tsa", body=body(), headers={"Content-Type": QUERY}, encode_chunked=True)
    except OSError:
        pass        # the server may close its side while we still send: its answer is already here
    response = http.client.HTTPResponse(conn.sock, method="POST")
    response.begin()
    assert response.status == 413
    assert b"request_too_large" in response.read()
    conn.close()
    after = _peak_kib(worker)
    print(f"sent {sent / MIB:.0f} MiB; worker VmHWM {before / 1024:.1f} -> {after / 1024:.1f} MiB")
    assert sent < 300 * MIB, "the server read the whole body before answering"
    assert after - before < 64 * 1024, f"worker peak memory grew by {(after - before) / 1024:.1f} MiB"


@pytest.mark.slow
def test_gunicorn_answers_the_mutated_query_with_a_rejection(gunicorn, tmp_path):
    host, port, _master, _worker = gunicorn
    query = bytearray(openssl_query(tmp_path, "-sha512", "-cert"))
    query[88] = 0x09
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/tsa", body=bytes(query), headers={"Content-Type": QUERY})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == REPLY
    assert reply_status(response.read()) == ("rejection", {"bad_data_format"})
    conn.close()

