"""Memory stays flat: a 64 MiB file is sealed and opened in a subprocess whose peak RSS stays
well under the file size. A memory assertion, not a timing one.

The child reads its own high-water mark (VmHWM in /proc/self/status) rather than ``ru_maxrss``:
Linux carries ``ru_maxrss`` over ``execve`` from the forked copy of the parent, so a child of a
large pytest process would report the parent's size."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.envelope.conftest import openssl

SIZE = 64 << 20
ROOT = Path(__file__).resolve().parents[3]

CHILD = r"""
import json, sys
from asn1crypto import pem, x509
from pki import envelope
from pki.keyops import FileKey
from pki.keys import load_private_key
op, src, dst, cert_path, key_path = sys.argv[1:6]
cert = x509.Certificate.load(pem.unarmor(open(cert_path, "rb").read())[2])
if op == "baseline":
    pass
elif op == "encrypt":
    envelope.encrypt_file(src, dst, recipients=[cert])
else:
    key = FileKey(load_private_key(open(key_path, "rb").read()))
    envelope.decrypt_file(src, dst, key=key, certificate=cert)
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps(int(hwm.split()[1]) * 1024))
"""


def _peak(*args: str) -> int:
    result = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "plain.bin"
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(SIZE >> 20):
            f.write(bytes([i & 0xFF]) + block[1:])
    return path


def test_memory_is_flat_for_64_mib(tmp_path, big_file, rsa_party):
    env, out = tmp_path / "env.der", tmp_path / "plain.out"
    keys = (str(rsa_party.cert_path), str(rsa_party.key_path))
    baseline = _peak("baseline", "-", "-", *keys)
    enc = _peak("encrypt", str(big_file), str(env), *keys)
    dec = _peak("decrypt", str(env), str(out), *keys)
    assert out.stat().st_size == SIZE and _same(out, big_file)
    for peak in (enc, dec):
        assert peak - baseline < 16 << 20, (baseline, enc, dec)
        assert peak < 48 << 20, (baseline, enc, dec)     # the interpreter alone is about 32 MiB


def test_memory_is_flat_reading_openssl_pem_stream(tmp_path, big_file, rsa_party):
    """PEM (base64 decoded in pieces) of BER with indefinite lengths, as openssl -stream writes."""
    env, out = tmp_path / "env.pem", tmp_path / "plain.out"
    openssl("cms", "-encrypt", "-binary", "-stream", "-aes-256-gcm", "-outform", "PEM", "-in", str(big_file),
            "-out", str(env), str(rsa_party.cert_path))
    keys = (str(rsa_party.cert_path), str(rsa_party.key_path))
    baseline = _peak("baseline", "-", "-", *keys)
    dec = _peak("decrypt", str(env), str(out), *keys)
    assert _same(out, big_file)
    assert dec - baseline < 16 << 20 and dec < 48 << 20, (baseline, dec)


def _same(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True
