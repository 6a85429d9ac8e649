"""What the online bidtool tests share (``login``, ``tenders``, ``submit``, ``withdraw``, ``open``): the
platform served on a free loopback port (werkzeug, CSRF on as in production, the frozen clock of the
bid tests), the development CA of ``support.bids`` with the platform's TSA and receipt certificate, a
published tender the supplier is registered for, the supplier's RSA encryption certificate and RSA
signing certificate bound (the signing one through ``bind_certificate``, as the agent page does),
and a TCP proxy that can break a connection in the middle of a chunk.
"""
from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.auth import make_accounts, test_uow
from support.bids import (  # noqa: F401 (bid_ca: a fixture)
    CA_T0,
    CLOCK_T,
    PASSWORD,
    PROFILE,
    Holder,
    bid_ca,
    bid_settings,
    bind_encryption,
    issue,
    open_tender,
    party_identity,
    register,
)
from support.journeys import served

from bidding.accounts.models import Account
from bidding.clock import FrozenClock

KEY_PASS_ENV = {"KEY_PASS": PASSWORD.decode()}
SESSION = "bidtool-test-binding-session"
ORIGIN = "https://ebid.example.gov.cn"


@dataclass
class World:
    app: Any
    clock: Any
    base: str
    parties: dict[str, int]
    tender_id: int
    public_id: str
    encryption: Holder
    signing: Holder
    ca: Any
    files: dict[str, Path] = field(default_factory=dict)

    def key_args(self) -> list[str]:
        """bidtool options of the supplier's signing key file (password in $KEY_PASS)."""
        return ["--key", str(self.ca.path(self.signing.record.key_file)), "--pass-env", "KEY_PASS",
                "--cert", str(self.files["signing-cert"])]


def sqlite_copy(template: str, tmp: Path) -> str:
    path = tmp / "bidtool-platform.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def build_world(app, clock, ca, tmp: Path) -> World:
    """Accounts, the tender, the bindings; the certificates written as PEM files into ``tmp``."""
    from app.extensions import db
    accounts = make_accounts(app)
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    tender_id = open_tender(app, parties)
    register(app, tender_id, "supplier")
    supplier = party_identity("supplier")
    encryption = issue(ca, supplier, algorithm="rsa")
    signing = issue(ca, supplier, algorithm="rsa", purpose="signing", seal_kind=None)
    bind_encryption(app, parties["supplier"], encryption)
    bind_signing(app, parties["supplier"], signing.cert, signing.key, signing.chain)
    with app.app_context():
        from bidding.tenders.models import Tender
        public_id = db.session.get(Tender, tender_id).public_id
    files = {"signing-cert": tmp / "signing-cert.pem", "encryption-cert": tmp / "encryption-cert.pem",
             "root": Path(ca.anchors_dir) / PROFILE / "rsa-root.pem"}
    files["signing-cert"].write_bytes(ca.path(signing.record.cert_file).read_bytes())
    files["encryption-cert"].write_bytes(ca.path(encryption.record.cert_file).read_bytes())
    return World(app, clock, "", parties, tender_id, public_id, encryption, signing, ca, files)


def bind_signing(app, party_id: int, cert, key, chain) -> None:
    """Bind a signing certificate through the use case the binding page calls (a signed challenge)."""
    from app.certificates.proof import crls
    from app.trust import trust_list
    from bidding.certificates.challenges import issue_challenge
    from bidding.certificates.services import bind_certificate
    from pki.signature import sign
    with app.app_context():
        issued = issue_challenge(test_uow(app), "bind", SESSION, ORIGIN)
        der = sign(issued.message, key=key, certificate=cert, chain=chain, detached=True,
                   signing_time=app.extensions["clock"].now())
        bind_certificate(test_uow(app), party_id, der, issued.id, SESSION, ORIGIN, trust=trust_list(), crls=crls())


def settings(ca) -> dict[str, Any]:
    return {**bid_settings(ca), "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


def sealed_bid(tmp: Path, world: World, *, price: str = "1234567.80", name: str = "bid.p7m") -> Path:
    """A bid package for the world's tender, sealed to the supplier's encryption certificate."""
    from support.bids import sealed_package
    data = sealed_package(tmp, world.signing, [world.encryption], tender=world.public_id,
                          bidder=party_identity("supplier").number,
                          files={"技术标.pdf": b"%PDF-1.4 technical " * 20000, "报价.txt": price.encode()},
                          price=price)
    out = tmp / name
    out.write_bytes(data)
    return out


# -- fixtures (imported by the test modules) ----------------------------------------------------------------
@pytest.fixture
def world(request, tmp_path, make_app, _migrated_templates, bid_ca):
    clock = FrozenClock(CLOCK_T)
    app = make_app(sqlite_copy(_migrated_templates("sqlite", request), tmp_path), CLOCK=clock, **settings(bid_ca))
    w = build_world(app, clock, bid_ca, tmp_path)
    with served(app, "bidtool-platform") as live:
        w.base = live.base
        yield w


@pytest.fixture
def online(bidtool, world, tmp_path):
    """bidtool with the session file in the test's folder and the platform CA's roots trusted."""
    env = {"BIDTOOL_SESSION": str(tmp_path / "session.json"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "EBID_TRUST_ANCHORS": str(world.ca.anchors_dir), **KEY_PASS_ENV}

    def run(*args, extra_env=None):
        return bidtool(*args, extra_env={**env, **(extra_env or {})})
    return run




# -- a proxy that breaks a chunk -----------------------------------------------------------------------------
METHODS = {b"GET", b"HEAD", b"POST", b"PATCH", b"PUT", b"DELETE", b"OPTIONS"}


class DroppingProxy:
    """Forwards loopback TCP connections to ``target_port``. While ``drops`` > 0, a connection that
    carries a PATCH is cut (both ways) after ``cut_after`` bytes from the client: the platform sees
    a chunk that ends early, the client a broken connection. Each cut uses up one of ``drops``."""

    def __init__(self, target_port: int, *, cut_after: int = 40_000):
        self.target_port, self.cut_after = target_port, cut_after
        self.drops = 0
        self.cuts = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, name="dropping-proxy", daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=self._pipe, args=(upstream, client, None), daemon=True).start()
        self._pipe(client, upstream, self)

    def _pipe(self, src: socket.socket, dst: socket.socket, watch: "DroppingProxy | None") -> None:
        sent, cut = 0, False
        try:
            while data := src.recv(16384):
                if watch is not None and data.split(b" ", 1)[0] in METHODS:    # a request begins (keep-alive)
                    sent = 0
                    with self._lock:
                        cut = data.startswith(b"PATCH ") and self.drops > 0
                        if cut:
                            self.drops -= 1
                            self.cuts += 1
                if cut and sent + len(data) >= self.cut_after:
                    dst.sendall(data[:max(self.cut_after - sent, 0)])
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
