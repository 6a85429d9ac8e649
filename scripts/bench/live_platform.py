"""The platform as it really runs, for the benchmarks and the crash tests: a throw-away PostgreSQL
cluster (the test suite's own code, tests/conftest.py), the application under gunicorn (gthread
workers) in a process group of its own, many bidders made directly as rows through the domain and
the test helpers (tests/support: parties, accounts, encryption certificates from the development
CA, registrations), and a small HTTP client of the resumable upload protocol (docs/uploads.md).

Not a test and not part of the platform: ``scripts/bench/rush.py`` and ``tests/integration/crash``
use it. The application factory gunicorn loads is :func:`create` (its settings come as JSON in
``$EBID_LIVE_SETTINGS``).
"""
from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
for _path in (str(ROOT), str(TESTS)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

SETTINGS_ENV = "EBID_LIVE_SETTINGS"
PASSWORD = "rush-bidder-password"
CHUNK_TYPE = "application/offset+octet-stream"


def create():  # type: ignore[no-untyped-def]
    """The application factory gunicorn and ``flask`` load (``live_platform:create()``)."""
    from app import create_app
    return create_app(json.loads(os.environ[SETTINGS_ENV]))


def test_setup() -> Any:
    """tests/conftest.py as a module of its own (``PostgresServer``, ``migrate_database`` …); inside
    pytest it is the module pytest loaded."""
    loaded = sys.modules.get("conftest")
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == TESTS / "conftest.py":
        return loaded
    if "ebid_test_setup" not in sys.modules:
        spec = importlib.util.spec_from_file_location("ebid_test_setup", TESTS / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["ebid_test_setup"] = module
        spec.loader.exec_module(module)
    return sys.modules["ebid_test_setup"]


@contextmanager
def postgres() -> Iterator[Any]:
    """A throw-away PostgreSQL cluster, as the test suite's ``postgres_server`` fixture starts it
    (in a folder of its own under /tmp: the postgres user must be able to enter every parent)."""
    setup = test_setup()
    bin_dir = setup._postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="ebid-pg-", dir="/tmp"))
    root.chmod(0o755)
    shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "server.log"
    port = setup._free_port()
    init = setup._as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                              "-E", "UTF8", "--no-locale", "--no-sync", cwd=root)
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr}")
    options = f"-k {root} -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off -c max_connections=300"
    started = setup._as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                                 "-o", options, "start", cwd=root)
    if started.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log.read_text() if log.exists() else ''}")
    try:
        yield setup.PostgresServer(bin_dir, root, port)
    finally:
        setup._as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the world: a CA, a tender and many registered bidders ----------------------------------------------------
@dataclass
class Bidder:
    username: str
    party_id: int
    certificate: Any            # the bound encryption certificate (asn1crypto)


@dataclass
class World:
    settings: dict[str, Any]
    tender_id: int
    bidders: list[Bidder]
    ca: Any

    @property
    def bid_store(self) -> Path:
        return Path(self.settings["FILE_STORE"]) / "bids"


def live_settings(db_url: str, work: Path, ca: Any) -> dict[str, Any]:
    """The application's settings for a run under ``work`` (CSRF on, as in production; no log-in
    rate limit: every bidder logs in from 127.0.0.1)."""
    from support.bids import bid_settings
    return {"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(work / "instance"),
            "SECRET_KEY": "live-platform-secret", "FILE_STORE": str(work / "files"), "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING", **bid_settings(ca)}


def make_world(db_url: str, work: Path, bidders: int, *, deadline: datetime | None = None,
               migrate: bool = True) -> World:
    """Migrate ``db_url`` (unless done), make the CA, the agency and purchaser, one published tender
    and ``bidders`` suppliers, each with an account, a bound EC encryption certificate of its own
    and a registration for the tender (rows through the services and tests/support, no pages)."""
    from support.auth import make_accounts, test_uow
    from support.bids import bind_encryption, issue, make_bid_ca, open_tender

    from app import create_app
    from app.extensions import db
    from bidding.accounts import passwords
    from bidding.accounts.models import Account, Role
    from bidding.accounts.services import add_account
    from bidding.parties.models import PartyKind
    from bidding.parties.services import register_party
    from bidding.tenders.services import register_for_tender
    from pki.identity import PartyIdentity, credit_code_check_char

    work.mkdir(parents=True, exist_ok=True)
    ca = make_bid_ca(work / "ca")
    ca.publish_crls(at=datetime.now(UTC) - timedelta(minutes=5))
    settings = live_settings(db_url, work, ca)
    if migrate:
        test_setup().migrate_database(db_url, work / "migrate-instance")
    app = create_app(settings)
    try:
        accounts = make_accounts(app, ("agency", "purchaser"))
        with app.app_context():
            parties = {name: db.session.get(Account, i).party_id for name, i in accounts.items()}
        tender_id = open_tender(app, parties, deadline=deadline or datetime.now(UTC) + timedelta(days=1))
        password_hash = passwords.hash_password(PASSWORD)
        made = []
        for n in range(bidders):
            code17 = f"91440101MB{n:07d}"
            credit_code = code17 + credit_code_check_char(code17)
            name = f"压测供应商{n:04d}"
            with app.app_context():
                uow = test_uow(app)
                party = register_party(uow, name=name, kind=PartyKind.SUPPLIER, credit_code=credit_code)
                with uow:
                    account = add_account(uow, username=f"bidder{n:04d}", role=Role.SUPPLIER_STAFF,
                                          password_hash=password_hash, party_id=party.id)
                    uow.commit()
                    account_id, party_id = account.id, party.id
            holder = issue(ca, PartyIdentity("institution", name, credit_code=credit_code), algorithm="ec")
            bind_encryption(app, party_id, holder)
            with app.app_context():
                register_for_tender(test_uow(app), tender_id, db.session.get(Account, account_id))
            made.append(Bidder(f"bidder{n:04d}", party_id, holder.cert))
    finally:
        test_setup().dispose_app(app)
    return World(settings, tender_id, made, ca)


def set_deadline(world: World, deadline: datetime) -> None:
    """Move the tender's bid deadline (and its opening an hour after it) as rows, right before a rush."""
    from app import create_app
    from app.extensions import db
    from bidding.tenders.models import Tender
    app = create_app(world.settings)
    try:
        with app.app_context():
            tender = db.session.get(Tender, world.tender_id)
            tender.bid_deadline, tender.opening_at = deadline, deadline + timedelta(hours=1)
            db.session.commit()
    finally:
        test_setup().dispose_app(app)


def sealed(bidder: Bidder, size: int) -> bytes:
    """An envelope of about ``size`` bytes of random content, addressed to the bidder's certificate."""
    from support.bids import seal
    return seal(os.urandom(max(size - 1024, 1)), bidder.certificate)


# -- gunicorn -------------------------------------------------------------------------------------------------
class Server:
    """``gunicorn <app>`` (gthread) on 127.0.0.1 in a process group of its own, so that
    :meth:`kill` takes the master and every worker at once (a power cut, not a shutdown). No control
    socket: gunicorn 27 puts it at one path per user, which servers started side by side would share."""

    def __init__(self, app: str, env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 16,
                 port: int | None = None, pythonpath: tuple[Path, ...] = ()) -> None:
        self.port = port or free_port()
        self.log = log
        gunicorn = Path(sys.executable).parent / "gunicorn"
        path = os.pathsep.join(str(p) for p in (*pythonpath, Path(__file__).parent, ROOT))
        full_env = dict(os.environ, **env, PYTHONPATH=path)
        full_env.pop("EBID_ENV", None)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread", "--workers",
                 str(workers), "--threads", str(threads), "--timeout", "300", "--graceful-timeout", "5",
                 "--backlog", "1024", "--no-control-socket", app], cwd=ROOT, env=full_env, stdout=out, stderr=out, start_new_session=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/ready-probe")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer")

    def kill(self) -> None:
        """SIGKILL to the master and its workers."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()


def platform_server(world: World, log: Path, **options: Any) -> Server:
    return Server("live_platform:create()", {SETTINGS_ENV: json.dumps(world.settings)}, log, **options)


# -- the upload client ----------------------------------------------------------------------------------------
class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        super().__init__(f"{status} {error.get('code')}")
        self.status, self.code, self.body = status, error.get("code") or f"http_{status}", body


@dataclass
class Outcome:
    """What one upload came to: ``bid`` (id) and its receipt's URL when accepted, else the refusal's
    code; ``started``/``finished`` on the monotonic clock."""

    username: str
    sha256: str
    size: int
    started: float = 0.0
    finished: float = 0.0
    bid: str | None = None
    receipt_url: str | None = None
    refusal: str | None = None
    upload_url: str | None = None
    error: str | None = None
    chunks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def latency(self) -> float:
        return self.finished - self.started


class Client:
    """One bidder's HTTP session (cookie and CSRF token) on one keep-alive connection."""

    def __init__(self, port: int, timeout: float = 300) -> None:
        self.port, self.timeout = port, timeout
        self.cookie = ""
        self.csrf = ""
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request. The server may answer before it has read the whole body (a refusal at the
        deadline does not read 5 MB first) and close the connection: the answer is read all the
        same, as browsers do. A kept-alive connection the server closed while idle (gthread's
        keep-alive is 2 s) is reopened and the request sent once more; a fresh one that fails raises."""
        all_headers = {"Cookie": self.cookie, "X-CSRFToken": self.csrf, **(headers or {})}
        while True:
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                try:
                    self.conn.request(method, path, body=body, headers=all_headers)
                except (BrokenPipeError, ConnectionResetError):
                    answered = self._early_answer()
                    if answered is None:
                        raise
                    response, data = answered
                else:
                    response = self.conn.getresponse()
                    data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused:
                    continue
                raise
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            if response.getheader("Connection", "").lower() == "close" or response.will_close:
                self.close()
            return response.status, dict(response.getheaders()), data

    def _early_answer(self) -> tuple[http.client.HTTPResponse, bytes] | None:
        if self.conn is None or self.conn.sock is None:     # the connection itself failed: nothing to read
            return None
        try:
            response = self.conn.getresponse()
            return response, response.read()
        except (OSError, http.client.HTTPException):
            return None

    def json(self, method: str, path: str, payload: Any = None) -> tuple[int, dict[str, Any]]:
        body = None if payload is None else json.dumps(payload).encode()
        status, _, data = self.request(method, path, body, {"Content-Type": "application/json"} if body else None)
        return status, (json.loads(data) if data and data[:1] in (b"{", b"[") else {})

    def login(self, username: str, password: str = PASSWORD) -> None:
        status, body = self.json("GET", "/api/v1/csrf")          # log-in is a write: it needs a token too
        if status != 200:
            raise Refused(status, body)
        self.csrf = body["csrf_token"]
        status, body = self.json("POST", "/api/v1/session", {"username": username, "password": password})
        if status != 200:
            raise Refused(status, body)
        self.csrf = body["csrf_token"]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # the protocol
    def start(self, tender_id: int, data: bytes) -> dict[str, Any]:
        status, body = self.json("POST", f"/api/v1/tenders/{tender_id}/uploads",
                                 {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        if status != 201:
            raise Refused(status, body)
        return body

    def send(self, url: str, data: bytes, offset: int, chunk: int, outcome: Outcome) -> dict[str, Any]:
        """PATCH from ``offset`` to the end in chunks; the last answer."""
        body: dict[str, Any] = {}
        while True:
            piece = data[offset:offset + chunk]
            status, _, raw = self.request("PATCH", url, piece, {"Upload-Offset": str(offset),
                                                                       "Content-Type": CHUNK_TYPE})
            body = json.loads(raw) if raw else {}
            outcome.chunks += 1
            if status != 200:
                raise Refused(status, body)
            offset = body["offset"]
            if offset >= len(data):
                return body

    def offset(self, url: str) -> int:
        status, headers, _ = self.request("HEAD", url)
        if status != 200:
            raise Refused(status, {"code": f"http_{status}"})
        return int(headers["Upload-Offset"])

    def upload(self, tender_id: int, data: bytes, chunk: int, outcome: Outcome) -> Outcome:
        """The whole protocol; the outcome records a bid, a refusal or a transport error."""
        outcome.started = time.monotonic()
        try:
            started = self.start(tender_id, data)
            outcome.upload_url = started["url"]
            self._finish(data, 0, min(chunk, started["max_chunk"]), outcome)
        except Refused as refused:
            outcome.refusal = refused.code
        except (OSError, http.client.HTTPException) as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.finished = time.monotonic()
        return outcome

    def resume(self, data: bytes, chunk: int, outcome: Outcome) -> Outcome:
        """Go on with an upload from where the platform says it stands (HEAD)."""
        outcome.error = None
        try:
            self._finish(data, self.offset(outcome.upload_url), chunk, outcome)
        except Refused as refused:
            outcome.refusal = refused.code
        return outcome

    def _finish(self, data: bytes, offset: int, chunk: int, outcome: Outcome) -> None:
        answer = self.send(outcome.upload_url, data, offset, chunk, outcome)
        if answer.get("bid"):
            outcome.bid, outcome.receipt_url = answer["bid"]["id"], answer["bid"]["receipt_url"]
        else:
            outcome.refusal = f"not completed: {answer.get('state')}"

    def receipt_sha256(self, receipt_url: str) -> str:
        """The SHA-256 the bid's receipt states (its signed JSON, read without verifying)."""
        from asn1crypto import cms

        from pki.receipts.receipt import parse_receipt_json
        status, _, der = self.request("GET", receipt_url)
        if status != 200:
            raise Refused(status, {"code": f"http_{status}"})
        content = cms.ContentInfo.load(der)["content"]["encap_content_info"]["content"].native
        fields, problems = parse_receipt_json(content)
        if fields is None:
            raise ValueError(f"receipt unreadable: {problems}")
        return fields.sha256


# -- after a run: what the store holds ------------------------------------------------------------------------
def file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def lost_bids(world: World, outcomes: list[Outcome], port: int) -> list[str]:
    """Every bid a bidder holds a receipt for whose envelope is missing from the store or differs
    from the receipt's SHA-256 (and from what the bidder sent); and every bid the database records
    whose file is not what it records. Each as a line saying what is wrong."""
    from bidding.bids.uploads import BidStore
    store = BidStore(world.bid_store)
    problems = []
    by_user: dict[str, Client] = {}
    for outcome in outcomes:
        if not outcome.bid:
            continue
        client = by_user.get(outcome.username)
        if client is None:
            client = by_user[outcome.username] = Client(port)
            client.login(outcome.username)
        stated = client.receipt_sha256(outcome.receipt_url)
        on_disk = file_sha256(store.envelope_path(stated))
        if stated != outcome.sha256 or on_disk != stated:
            problems.append(f"{outcome.bid} ({outcome.username}): sent {outcome.sha256[:12]}, receipt "
                            f"{stated[:12]}, store {on_disk[:12] if on_disk else 'missing'}")
    for client in by_user.values():
        client.close()
    for bid, sha256, size in recorded_bids(world):
        path = store.envelope_path(sha256)
        if file_sha256(path) != sha256 or path.stat().st_size != size:
            problems.append(f"{bid}: the database's envelope {sha256[:12]} is missing or differs in the store")
    return problems


def recorded_bids(world: World) -> list[tuple[str, str, int]]:
    """(public id, SHA-256, size) of every bid of the world's tender that has a receipt."""
    from sqlalchemy import create_engine, text
    engine = create_engine(world.settings["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT b.public_id, b.sha256, b.size FROM bid b WHERE b.tender_id = :t AND EXISTS "
                "(SELECT 1 FROM bid_receipt r WHERE r.bid_id = b.id)"), {"t": world.tender_id})]
    finally:
        engine.dispose()
