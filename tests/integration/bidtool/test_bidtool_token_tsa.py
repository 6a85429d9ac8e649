"""bidtool with a key on a SoftHSM2 token (--pkcs11) and with a timestamp from an RFC 3161 TSA
served over HTTP on loopback."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.bidtool_env import CODE, openssl
from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.certs import load_certificate
from pki.devca import DevCA
from pki.identity import PartyIdentity
from pki.keyops import FileKey
from pki.keys import load_pkcs12
from pki.timestamps import TimeStampAuthority

PIN = "token-pin-2468"


@pytest.fixture(params=["rsa2048", "ec-p256"])
def token_key(request, pki_dir, tmp_path, isolated_tokens):
    """An RSA or EC P-256 key generated on a fresh SoftHSM token, certified by the dev CA, certificate stored
    beside it on the token. Yields (uri with pin-source, certificate path, env for the subprocess)."""
    hsm = init_softhsm_token(tmp_path / "hsm", "supplier-key", "so-1234", PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    key = session.generate_keypair(request.param, label="bid-enc", key_id=b"\x01\x02")
    ca = DevCA(pki_dir / "state", pki_dir / "anchors")
    ident = PartyIdentity(kind="institution", name="supplier 有限公司", credit_code=CODE)
    rec = ca.issue("cfca", ident, public_key=key.public_key_info(), purpose="encryption")
    cert = ca.path(rec.cert_file)
    session.store_certificate(load_certificate(cert.read_bytes()).dump(), label="bid-enc", key_id=b"\x01\x02")
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text(PIN)
    uri = key.uri().replace(pin_source=str(pin_file)).format()
    yield uri, cert, {"SOFTHSM2_CONF": str(hsm.conf_path)}, key.algorithm


def test_token_key_decrypts_and_signs_through_pkcs11_uri(bidtool, token_key, supplier, tmp_path):
    """RSA: the token unwraps the content key (OAEP-SHA256); EC: the token does the ECDH of RFC
    5753. Either way the private key never leaves the token."""
    uri, cert, env, alg = token_key
    plain = tmp_path / "plain"
    plain.write_bytes(b"bid on a token " * 1000)
    assert bidtool("encrypt", "--to", cert, plain, "env").code == 0
    r = bidtool("decrypt", "--pkcs11", uri, "--cert", cert, "env", "out", extra_env=env)
    assert r.code == 0, r.err
    assert (tmp_path / "out").read_bytes() == plain.read_bytes()
    r = bidtool("sign", "--pkcs11", uri, "--cert", cert, "--chain", supplier.inters[alg], plain, "sig", extra_env=env)
    assert r.code == 0, r.err
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "sig", "-CAfile", supplier.roots[alg],
                   "-purpose", "any", "-out", tmp_path / "verified")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "verified").read_bytes() == plain.read_bytes()


def test_wrong_pin_is_reported_with_attempts_left(bidtool, token_key, tmp_path):
    uri, cert, env, _ = token_key
    bad = tmp_path / "bad-pin"
    bad.write_text("000000")
    (tmp_path / "p").write_bytes(b"x")
    assert bidtool("encrypt", "--to", cert, "p", "env").code == 0
    wrong_uri = uri.split("?")[0] + f"?pin-source={bad}"
    r = bidtool("decrypt", "--pkcs11", wrong_uri, "--cert", cert, "env", "out", extra_env=env)
    assert r.code == 1 and "9 attempts left" in r.err and len(r.err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_last_attempt_is_singular(bidtool, token_key, tmp_path):
    """After eight wrong PINs the user reads "1 attempt left", not "1 attempts"."""
    uri, cert, env, _ = token_key
    bad = tmp_path / "bad-pin"
    bad.write_text("000000")
    (tmp_path / "p").write_bytes(b"x")
    assert bidtool("encrypt", "--to", cert, "p", "env").code == 0
    wrong_uri = uri.split("?")[0] + f"?pin-source={bad}"
    lines = [bidtool("decrypt", "--pkcs11", wrong_uri, "--cert", cert, "env", "out", extra_env=env).err
             for _ in range(9)]
    assert "2 attempts left" in lines[-2]
    assert "还可尝试 1 次" in lines[-1] and "1 attempt left" in lines[-1], lines[-1]


@pytest.fixture
def tsa_url(pki_dir, supplier):
    """The dev CA issues a TSA certificate; a loopback HTTP server answers timestamp queries."""
    ca = DevCA(pki_dir / "state", pki_dir / "anchors")
    ident = PartyIdentity(kind="institution", name="平台时间戳服务", credit_code=CODE)
    rec = ca.issue("cfca", ident, algorithm="rsa", password=b"tsa", extended_key_usage=["time_stamping"],
                   seal_kind=None)
    key, cert, _ = load_pkcs12(ca.path(rec.key_file).read_bytes(), b"tsa")

    class Clock:
        def now(self):
            return datetime.now(timezone.utc)

    inter = load_certificate(supplier.inters["rsa"].read_bytes())
    tsa = TimeStampAuthority(FileKey(key), cert, chain=[inter], policy_oid="1.2.3.4.1", clock=Clock())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = tsa.respond(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/tsa"
    server.shutdown()


def test_sign_with_timestamp(bidtool, supplier, tsa_url, tmp_path):
    (tmp_path / "doc").write_bytes(b"commitment letter")
    r = bidtool("sign", "--key", supplier.keys["rsa", "signing"], "--pass-env", "BID_PASS", "--cert",
                supplier.certs["rsa", "signing"], "--chain", supplier.inters["rsa"], "--detached", "--tsa", tsa_url,
                "doc", "doc.p7s")
    assert r.code == 0, r.err
    r = bidtool("inspect", "doc.p7s")
    assert "signature_time_stamp_token" in r.out or "time_stamp" in r.out, r.out
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "doc.p7s", "-content", tmp_path / "doc",
                   "-binary", "-CAfile", supplier.roots["rsa"], "-purpose", "any", "-out", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    r = bidtool("verify", "--ca", supplier.roots["rsa"], "--content", "doc", "doc.p7s")
    assert r.code == 0 and "timestamp 20" in r.out, r.out + r.err


def test_unreachable_tsa_is_one_line(bidtool, supplier, tmp_path):
    (tmp_path / "doc").write_bytes(b"x")
    r = bidtool("sign", "--key", supplier.keys["rsa", "signing"], "--pass-env", "BID_PASS", "--cert",
                supplier.certs["rsa", "signing"], "--tsa", "http://127.0.0.1:9/tsa", "doc", "doc.p7s")
    assert r.code == 3 and "time-stamping" in r.err
    assert not (tmp_path / "doc.p7s").exists()
