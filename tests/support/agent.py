"""Helpers of the signing-agent tests (fixtures are in tests/integration/agent/conftest.py):
credentials made by the dev CA, a SoftHSM token description, and ``AgentClient``, which keeps every
response body it received so that a test can check none ever carried private-key material or a PIN."""
from __future__ import annotations

import base64
import http.client
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bidtool.agent import command
from bidtool.cli import build_parser
from devsetup.softhsm import SoftHsmToken
from pki.certs import load_certificate
from pki.devca import DevCA
from pki.devca.tokens import TokenCertificate
from pki.identity import PartyIdentity
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key

PIN = "agent-pin-2468"
SO_PIN = "agent-so-1357"
KEY_PASSWORD = "sm2-pass-9753"
TRANSPORT_PASSWORD = b"opening-pass"
ORIGIN = "http://127.0.0.1:5000"


@dataclass
class FileCredential:
    cert_path: Path
    key_path: Path
    cert: Any
    key: FileKey | None = None


@dataclass
class CaSet:
    ca: DevCA
    dir: Path
    sm2_signing: FileCredential
    sm2_encryption: FileCredential
    transport: dict[str, FileCredential]          # alg → the platform's opening certificate and key
    signing_only: FileCredential                  # an RSA signing certificate (no keyEncipherment)

    def root(self, alg: str) -> Path:
        return self.dir / "anchors" / "cfca" / f"{alg}-root.pem"

    def inter(self, alg: str) -> Path:
        return self.dir / "anchors" / "cfca" / f"{alg}-ca.pem"


def file_credential(ca: DevCA, base: Path, name: str, alg: str, purpose: str, password: bytes,
                     ident: PartyIdentity) -> FileCredential:
    rec = ca.issue("cfca", ident, algorithm=alg, purpose=purpose, password=password)
    cert_path = base / f"{name}.pem"
    cert_path.write_bytes(ca.path(rec.cert_file).read_bytes())
    key_path = base / (f"{name}.key.pem" if alg == "sm2" else f"{name}.p12")
    key_path.write_bytes(ca.path(rec.key_file).read_bytes())
    data = key_path.read_bytes()
    private = load_private_key(data, password) if alg == "sm2" else load_pkcs12(data, password)[0]
    return FileCredential(cert_path, key_path, load_certificate(cert_path.read_bytes()), FileKey(private))


@dataclass
class Token:
    hsm: SoftHsmToken
    keys: dict[tuple[str, str], TokenCertificate]       # (alg, purpose) → key pair and certificate

    @property
    def uri(self) -> str:
        return self.hsm.uri().format()

    def cert(self, alg: str, purpose: str):
        return self.keys[alg, purpose].record

    def cert_der(self, cas: CaSet, alg: str, purpose: str) -> bytes:
        return cas.ca.certificate(self.keys[alg, purpose].serial).dump()


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str | None:
        return self.json.get("error", {}).get("code")


@dataclass
class AgentClient:
    port: int
    server: Any = None
    bodies: list[bytes] = field(default_factory=list)

    def request(self, method: str, path: str, body: Any = None, *, origin: str | None = ORIGIN,
                host: str | None = None, headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            if origin is not None:
                conn.putheader("Origin", origin)
            if data is not None:
                conn.putheader("Content-Type", "application/json")
                conn.putheader("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders(data)
            resp = conn.getresponse()
            result = Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        self.bodies.append(result.body)
        return result

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw) -> Response:
        return self.request("POST", path, body, **kw)

    def certificates(self) -> list[dict[str, Any]]:
        r = self.get("/v1/certificates")
        assert r.status == 200, r.body
        return r.json["certificates"]

    def cert_id(self, der: bytes) -> str:
        import hashlib
        return hashlib.sha256(der).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def agent_args(cas: CaSet, token: Token | None, state_dir: Path, *extra: str) -> list[str]:
    args = ["agent", "--port", "0", "--origin", ORIGIN, "--state-dir", str(state_dir),
            "--key", str(cas.sm2_signing.key_path), "--cert", str(cas.sm2_signing.cert_path),
            "--key", str(cas.sm2_encryption.key_path), "--cert", str(cas.sm2_encryption.cert_path)]
    for alg in ("rsa", "ec", "sm2"):
        args += ["--chain", str(cas.inter(alg))]
    if token is not None:
        args += ["--pkcs11", token.uri]
    return [*args, *extra]


def start_agent(argv: list[str]):
    server = command.build(build_parser().parse_args(argv))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
