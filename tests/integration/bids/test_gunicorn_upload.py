"""The upload protocol against gunicorn as ``make run`` serves it (gthread, 2 worker processes):
chunks sent on fresh connections land on either worker (the digests of a chunk the other worker
received are then computed once at the end), a connection closed in the middle of a chunk keeps
what arrived, HEAD tells where to go on, and the envelope stored under its SHA-256 is byte for byte
what was sent. CSRF is checked as in production (the development settings)."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from support.auth import PASSWORD, make_accounts
from support.bids import bind_encryption, open_tender, register, seal
from support.journeys import migrated_app

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One new connection per request (so requests spread over the workers), the session cookie and
    the CSRF token carried along."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie, self.token = port, "", ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Cookie": self.cookie, "X-CSRFToken": self.token, **(headers or {})}
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.getheaders()), json.loads(data) if data.startswith(b"{") else data

    def json(self, method: str, path: str, value: dict):
        return self.request(method, path, json.dumps(value).encode(), {"Content-Type": "application/json"})

    def chunk(self, url: str, offset: int, data: bytes):
        return self.request("PATCH", url, data, {"Upload-Offset": str(offset),
                                                 "Content-Type": "application/offset+octet-stream"})

    def broken_chunk(self, url: str, offset: int, data: bytes, announced: int) -> None:
        """Send the headers of a chunk of ``announced`` bytes and only ``data``, then hang up."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            head = (f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {self.cookie}\r\nX-CSRFToken: {self.token}\r\n"
                    f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
                    f"Content-Length: {announced}\r\n\r\n").encode()
            sock.sendall(head + data)
            time.sleep(0.5)


@pytest.fixture
def served(tmp_path, bid_ca, keys):
    instance = tmp_path / "instance"
    settings = {"DEVCA_DIR": str(bid_ca.state_dir), "TRUST_ANCHORS_DIR": str(bid_ca.anchors_dir),
                "FILE_STORE": str(instance / "files")}
    app = migrated_app(instance, **settings)        # the system clock, as gunicorn's app has
    accounts = make_accounts(app, ("supplier", "agency", "purchaser"))
    from app.extensions import db
    from bidding.accounts.models import Account
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    now = datetime.now(timezone.utc)
    tender_id = open_tender(app, parties, deadline=now + timedelta(days=1))
    register(app, tender_id, "supplier")
    bind_encryption(app, parties["supplier"], keys["rsa"], at=now)
    port = _free_port()
    env = {**os.environ, "EBID_ENV": "development", "EBID_INSTANCE_PATH": str(instance), "SECRET_KEY": "gunicorn-test",
           "DATABASE_URL": f"sqlite:///{instance / 'ebid.sqlite3'}", "EBID_DEVCA_DIR": str(bid_ca.state_dir),
           "EBID_FILE_STORE": str(instance / "files"), "EBID_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "2",
                               "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.2)
        yield port, tender_id, instance
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def test_chunks_over_two_workers_and_a_broken_connection(served, keys):
    port, tender_id, instance = served
    client = Client(port)
    status, _, body = client.request("GET", "/api/v1/csrf")
    client.token = body["csrf_token"]
    status, _, body = client.json("POST", "/api/v1/session", {"username": "supplier", "password": PASSWORD})
    assert status == 200, body
    client.token = body["csrf_token"]
    data = seal(os.urandom(3 * 1024 * 1024), keys["rsa"])
    status, _, upload = client.json("POST", f"/api/v1/tenders/{tender_id}/uploads",
                                    {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    assert status == 201, upload
    url, chunk, offset = upload["url"], 256 * 1024, 0
    while offset < len(data) // 2:
        status, _, body = client.chunk(url, offset, data[offset:offset + chunk])
        assert status == 200, body
        offset = body["offset"]
    client.broken_chunk(url, offset, data[offset:offset + 100_000], announced=chunk)
    kept = offset
    for _ in range(50):                # the worker notices the hang-up, keeps what arrived, records it
        status, headers, _ = client.request("HEAD", url)
        assert status == 200
        kept = int(headers["Upload-Offset"])
        if kept != offset:
            break
        time.sleep(0.1)
    assert kept == offset + 100_000
    offset += 100_000
    while True:
        status, _, body = client.chunk(url, offset, data[offset:offset + chunk])
        assert status == 200, body
        offset = body["offset"]
        if body["bid"]:
            break
    bid = body["bid"]
    assert bid["sha256"] == hashlib.sha256(data).hexdigest() and bid["size"] == len(data)
    sha = bid["sha256"]
    assert (instance / "files" / "bids" / "envelopes" / sha[:2] / sha).read_bytes() == data
    status, headers, receipt = client.request("GET", bid["receipt_url"])
    assert status == 200 and headers["Content-Type"] == "application/pkcs7-mime" and receipt[:1] == b"\x30"
