"""``bidtool agent`` as a user starts it: a real subprocess configured by a TOML file, stopped with
SIGTERM; and the start-up refusals, each one bilingual line with bidtool's exit codes."""
from __future__ import annotations

import base64
import os
import queue
import signal
import socket
import subprocess
import threading

import pytest
from support.agent import KEY_PASSWORD, ORIGIN, PIN, AgentClient, b64
from support.bidtool_env import BIDTOOL, openssl

from bidtool.cli import main


def _toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def test_bidtool_agent_subprocess_with_a_toml_file(cas, token, tmp_path):
    files = cas.sm2_signing.cert_path.parent
    config = files / "agent.toml"           # relative paths: relative to the file's folder
    config.write_text(f"""
port = 0
origins = ["{ORIGIN}"]
state_dir = "{tmp_path / 'state'}"
pkcs11 = ["{token.uri}"]
chain = {_toml_list(str(cas.inter(a)) for a in ("rsa", "ec", "sm2"))}
[[key]]
file = "signing-sm2.key.pem"
cert = "signing-sm2.pem"
""", encoding="utf-8")
    env = dict(os.environ, SOFTHSM2_CONF=str(token.hsm.conf_path))
    env.pop("BIDTOOL_DEBUG", None)
    proc = subprocess.Popen([BIDTOOL, "agent", "--config", config], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []

    def drain():
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace")
            log.append(line)
            lines.put(line)
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=60)
        assert "http://127.0.0.1:" in first and ORIGIN in first, first
        port = int(first.split("http://127.0.0.1:")[1].split("/")[0])
        client = AgentClient(port)
        certs = {c["id"]: c for c in client.certificates()}
        assert len(certs) == 5          # 4 on the token, 1 key file
        rsa = client.cert_id(token.cert_der(cas, "rsa", "signing"))
        assert certs[rsa]["location"]["type"] == "token"
        assert client.post("/v1/sign", {"certificate": rsa, "pin": "wrong-pin", "data": b64(b"x")}).status == 400
        r = client.post("/v1/sign", {"certificate": rsa, "pin": PIN, "data": b64(b"signed by the agent")})
        assert r.status == 200, r.body
        (tmp_path / "sig").write_bytes(base64.b64decode(r.json["signature"]))
        (tmp_path / "content").write_bytes(b"signed by the agent")
        check = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig", "-content",
                        tmp_path / "content", "-CAfile", cas.root("rsa"), "-purpose", "any", "-out", os.devnull)
        assert check.returncode == 0, check.stderr
        sm2 = client.cert_id(cas.sm2_signing.cert.dump())
        assert client.post("/v1/sign", {"certificate": sm2, "pin": KEY_PASSWORD, "data": b64(b"x")}).status == 200
        assert client.get("/v1/info", origin="http://evil.example").status == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        reader.join(10)
    assert proc.returncode == 0, "".join(log)
    assert "agent stopped" in out.decode()
    text = "".join(log)
    assert '"POST /v1/sign" 200' in text and "origin=http://evil.example" in text
    for secret in (PIN, "wrong-pin", KEY_PASSWORD):         # the log never holds a PIN or a body
        assert secret not in text
    assert "Traceback" not in text


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(map(str, argv)))
    err = capsys.readouterr().err
    return code, err


def test_start_up_refusals_are_one_bilingual_line(cas, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BIDTOOL_DEBUG", raising=False)
    key, cert = cas.sm2_signing.key_path, cas.sm2_signing.cert_path
    plain = tmp_path / "plain.key.pem"
    from pki.keys import dump_private_key
    plain.write_bytes(dump_private_key(cas.sm2_signing.key._key))
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('origins = ["http://127.0.0.1:5000"]\nprot = 1\n')
    cases = [
        (("agent", "--key", key, "--cert", cert), "--origin"),
        (("agent", "--origin", ORIGIN), "no keys"),
        (("agent", "--origin", "127.0.0.1:5000", "--key", key, "--cert", cert), "invalid origin"),
        (("agent", "--origin", ORIGIN, "--key", key), "pairs"),
        (("agent", "--origin", ORIGIN, "--key", plain, "--cert", cert), "not encrypted"),
        (("agent", "--origin", ORIGIN, "--pkcs11", "pkcs11:token=x?pin-value=1234"), "must not carry a PIN"),
        (("agent", "--config", bad_toml, "--key", key, "--cert", cert), "prot"),
        (("agent", "--origin", ORIGIN, "--key", tmp_path / "missing.pem", "--cert", cert), "missing.pem"),
        (("agent", "--origin", ORIGIN, "--bogus"), "--bogus"),
    ]
    for argv, fragment in cases:
        code, err = _run(capsys, *argv, "--state-dir", tmp_path / "state")
        lines = err.splitlines()
        assert code == 1, (argv, err)
        assert len(lines) == 1 and lines[0].startswith("bidtool: ") and "(" in lines[0], err
        assert fragment in lines[0], (fragment, err)


def test_a_port_in_use_is_exit_3(cas, tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, err = _run(capsys, "agent", "--origin", ORIGIN, "--port", taken.getsockname()[1],
                         "--key", cas.sm2_signing.key_path, "--cert", cas.sm2_signing.cert_path,
                         "--state-dir", tmp_path / "state")
    assert code == 3 and len(err.splitlines()) == 1 and "cannot listen" in err, err


@pytest.mark.parametrize("origin,expected", [
    ("https://EBID.example.gov.cn:443/", "https://ebid.example.gov.cn"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("http://localhost", "http://localhost"),
    ("https://ebid.example.gov.cn/path", None),
    ("ftp://ebid.example.gov.cn", None),
    ("https://user@ebid.example.gov.cn", None),
    ("null", None),
])
def test_origins_are_normalised_as_browsers_send_them(origin, expected):
    from bidtool.agent.config import normalise_origin
    assert normalise_origin(origin) == expected
