"""Envelopes framed by someone hostile (issue "Hostile input", findings 5, 7, 8, 9): every framing
OpenSSL opens is opened, every limit of pki.envelope.limits is refused with a clear PkiError of
kind "input", and nothing unverified is ever left on disk. No timing asserts: the cost of tiny BER
segments is checked by counting cipher calls; speed is scripts/bench/hostile.py's business."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asn1crypto import cms, x509

from pki import envelope
from pki.envelope import content as content_module
from pki.envelope import der as der_module
from pki.envelope.limits import MAX_DEPTH, MAX_NAME
from devsetup.ber import EOC, nested_octet_strings, segments, to_indefinite
from tests.integration.envelope.conftest import openssl

ROOT = Path(__file__).resolve().parents[3]
TIME = "/usr/bin/time"


def bidtool(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bidtool", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)


def peak_kib(*args: str) -> tuple[int, subprocess.CompletedProcess]:
    """Peak RSS (VmHWM) of ``bidtool ARGS`` in KiB, measured by /usr/bin/time -f %M."""
    if not os.path.exists(TIME):
        pytest.fail("/usr/bin/time is missing: make test installs the Debian package 'time'")
    rss = Path(f"/tmp/hb-rss-{os.getpid()}-{time.monotonic_ns()}")
    try:
        r = subprocess.run([TIME, "-f", "%M", "-o", str(rss), sys.executable, "-m", "bidtool", *args],
                           capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        return int(rss.read_text().split()[-1]), r
    finally:
        rss.unlink(missing_ok=True)


def one_line(stderr: str) -> str:
    text = stderr.strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    return text


@pytest.fixture
def sealed(tmp_path, plain, rsa_party):
    def make(cipher: str = "aes-256-gcm", party=rsa_party) -> Path:
        env = tmp_path / f"env-{cipher}.der"
        envelope.encrypt_file(plain, env, recipients=[party.cert], cipher=cipher)
        return env
    return make


# -- finding 8: BER that OpenSSL opens is opened; PEM armour must close what it opened ----------
@pytest.mark.parametrize("cipher,segment", [("aes-256-gcm", 1), ("aes-256-cbc", 1), ("aes-256-gcm", 1000),
                                            ("aes-256-cbc", 7)])
def test_fully_indefinite_envelope_opens_here_and_in_openssl(tmp_path, plain, sealed, rsa_party, cipher, segment):
    ber = tmp_path / "env.ber"
    ber.write_bytes(to_indefinite(sealed(cipher).read_bytes(), segment))
    assert ber.read_bytes().count(b"\x80") and b"\x30\x80" in ber.read_bytes()[:2]
    r = openssl("cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(ber), "-recip", str(rsa_party.cert_path),
                "-inkey", str(rsa_party.key_path), "-out", str(tmp_path / "o.openssl"), check=False)
    assert r.returncode == 0, r.stderr
    info = envelope.decrypt_file(ber, tmp_path / "o.ours", key=rsa_party.key, certificate=rsa_party.cert)
    assert (tmp_path / "o.ours").read_bytes() == (tmp_path / "o.openssl").read_bytes() == plain.read_bytes()
    assert info.encoding == "ber" and envelope.inspect(ber).ciphertext_size == info.ciphertext_size


def test_fully_indefinite_ec_and_sm2(tmp_path, plain, sealed, ec_party, sm2_party):
    for party in (ec_party, sm2_party):
        ber = tmp_path / f"{party.name}.ber"
        ber.write_bytes(to_indefinite(sealed(party=party, cipher="sm4-cbc" if party is sm2_party else "aes-256-gcm")
                                      .read_bytes(), 3))
        envelope.decrypt_file(ber, tmp_path / "o", key=party.key, certificate=party.cert)
        assert (tmp_path / "o").read_bytes() == plain.read_bytes()


def test_pem_end_label_must_match_begin(tmp_path, sealed, rsa_party):
    import base64
    body = base64.encodebytes(sealed().read_bytes())
    good, bad = tmp_path / "good.pem", tmp_path / "bad.pem"
    good.write_bytes(b"-----BEGIN CMS-----\n" + body + b"-----END CMS-----\n")
    bad.write_bytes(b"-----BEGIN CMS-----\n" + body + b"-----END PKCS7-----\n")
    assert envelope.inspect(good).encoding == "pem"
    with pytest.raises(envelope.MalformedEnvelope, match="does not match BEGIN CMS"):
        envelope.decrypt_file(bad, tmp_path / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert not (tmp_path / "o").exists()
    r = bidtool("inspect", bad)
    assert r.returncode == 1 and "does not match" in one_line(r.stderr)


# -- finding 5: tiny segments cost linear time; nesting and sizes are limited ----------------------
class CountingCipher:
    """Wraps a cryptography cipher context, counting calls into it."""
    calls = 0

    def __init__(self, ctx):
        self._ctx = ctx

    def update_into(self, data, out):
        CountingCipher.calls += 1
        return self._ctx.update_into(data, out)

    def __getattr__(self, name):
        return getattr(self._ctx, name)


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "aes-256-cbc"])
def test_one_byte_segments_decrypt_with_few_cipher_calls(tmp_path, monkeypatch, sealed, plain, rsa_party, cipher):
    ber = tmp_path / "env.ber"
    ber.write_bytes(to_indefinite(sealed(cipher).read_bytes(), 1))      # 70 001 segments of one byte
    original = content_module.ContentAlgorithm._cipher

    def counting(self, key, tag=None):
        cipher_obj = original(self, key, tag)

        class Wrapped:
            def decryptor(self_inner):
                return CountingCipher(cipher_obj.decryptor())
        return Wrapped()
    monkeypatch.setattr(content_module.ContentAlgorithm, "_cipher", counting)
    CountingCipher.calls = 0
    envelope.decrypt_file(ber, tmp_path / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert (tmp_path / "o").read_bytes() == plain.read_bytes()
    assert CountingCipher.calls <= 3, CountingCipher.calls      # one per MiB, not one per segment


def test_runs_of_equal_segments_are_taken_whole():
    """The reassembly takes a buffer of equal segments in one step, for every segment size."""
    import io
    for size in (1, 2, 15, 16, 17, 200, 5000):
        data = os.urandom(50_000)
        framed = b"\x24\x80" + segments(data, size) + EOC
        src = der_module.Source(io.BytesIO(framed))
        pieces = list(der_module.content_chunks(src, der_module.read_header(src)))
        assert b"".join(bytes(p) for p in pieces) == data
        assert len(pieces) <= 4, (size, len(pieces))


def test_changes_of_segment_size_are_limited(monkeypatch):
    import io
    monkeypatch.setattr(der_module, "MAX_SEGMENT_RUNS", 1000)
    ok = b"\x24\x80" + b"\x04\x01a\x04\x02bc" * 499 + EOC
    src = der_module.Source(io.BytesIO(ok))
    assert sum(len(p) for p in der_module.content_chunks(src, der_module.read_header(src))) == 499 * 3
    hostile = b"\x24\x80" + b"\x04\x01a\x04\x02bc" * 501 + EOC
    src = der_module.Source(io.BytesIO(hostile))
    with pytest.raises(envelope.LimitExceeded) as caught:
        list(der_module.content_chunks(src, der_module.read_header(src)))
    assert caught.value.kind == "input" and "segment size" in str(caught.value)


def test_thousand_nested_octet_strings_are_refused_without_recursion_error(tmp_path, sealed, rsa_party):
    env = tmp_path / "nested.ber"
    env.write_bytes(to_indefinite(sealed().read_bytes(), content=lambda octets: nested_octet_strings(1000)))
    with pytest.raises(envelope.LimitExceeded) as caught:
        envelope.decrypt_file(env, tmp_path / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert caught.value.kind == "input" and f"{MAX_DEPTH}" in str(caught.value)
    with pytest.raises(envelope.LimitExceeded):
        envelope.inspect(env)
    r = bidtool("inspect", env)
    assert r.returncode == 1 and "nesting" in one_line(r.stderr)
    # 1 000 nested SEQUENCEs as the whole file, and inside the RecipientInfos (read into memory)
    deep = tmp_path / "deep.ber"
    deep.write_bytes(b"\x30\x80" * 1000 + EOC * 1000)
    r = bidtool("inspect", deep)
    assert r.returncode == 1 and "nesting" in one_line(r.stderr)
    hostile = tmp_path / "deep-ri.ber"
    hostile.write_bytes(_indefinite_with_deep_recipients(sealed().read_bytes()))
    with pytest.raises(envelope.LimitExceeded):
        envelope.inspect(hostile)


def _indefinite_with_deep_recipients(der: bytes) -> bytes:
    ber = to_indefinite(der, 1000)
    start = ber.index(b"\x31\x80")                                  # RecipientInfos, indefinite
    return ber[:start + 2] + b"\x30\x80" * 1000 + EOC * 1000 + ber[start + 2:]


def test_huge_issuer_name_is_refused_in_bounded_memory(tmp_path, sealed, rsa_party):
    rdn = bytes.fromhex("310a300806035504030c0178")                # CN=x, 12 bytes
    rdns = rdn * 80_000                                             # 960 000 bytes, 80 000 RDNs
    name = b"\x30\x83" + len(rdns).to_bytes(3, "big") + rdns
    info = cms.ContentInfo.load(sealed().read_bytes())
    ri = info["content"]["recipient_infos"][0].chosen
    ri["rid"] = cms.RecipientIdentifier(name="issuer_and_serial_number", value={
        "issuer": x509.Name.load(name), "serial_number": rsa_party.cert.serial_number})
    env = tmp_path / "huge-name.der"
    env.write_bytes(info.dump(force=True))
    assert len(env.read_bytes()) > 900_000
    assert len(name) > MAX_NAME
    with pytest.raises(envelope.LimitExceeded) as caught:
        envelope.decrypt_file(env, tmp_path / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert caught.value.kind == "input" and "issuer name" in str(caught.value)
    peak, r = peak_kib("inspect", str(env))
    assert r.returncode == 1 and "issuer name" in one_line(r.stderr)
    assert peak < 64 * 1024, f"{peak} KiB"


def test_asn1crypto_detail_goes_to_the_debug_log(tmp_path, sealed, caplog):
    der = bytearray(sealed().read_bytes())
    at = der.index(bytes.fromhex("06092a864886f70d010107"))       # the OAEP OID inside the RecipientInfo
    der[at + 3] ^= 0xFF                                            # now an unknown algorithm OID...
    der[at - 4] = 0x05                                              # ...and a damaged inner tag
    env = tmp_path / "damaged.der"
    env.write_bytes(bytes(der))
    with caplog.at_level(logging.DEBUG, logger="pki.envelope.errors"):
        with pytest.raises(envelope.EnvelopeError) as caught:
            envelope.inspect(env)
    assert "\n" not in str(caught.value) and "while parsing" not in str(caught.value)
    assert any("while parsing" in r.getMessage() for r in caplog.records)   # asn1crypto's own lines
    r = bidtool("inspect", env)
    assert r.returncode == 1 and "while parsing" not in one_line(r.stderr)


# -- finding 7: nothing unverified is left behind ------------------------------------------------
@pytest.fixture(scope="module")
def big_envelope(tmp_path_factory, rsa_party) -> Path:
    """A ~200 MB AES-256-GCM envelope (deleted with the module's temporary folder)."""
    folder = tmp_path_factory.mktemp("big-envelope")
    plain = folder / "plain.bin"
    block = os.urandom(1 << 20)
    with open(plain, "wb") as f:
        for i in range(200):
            f.write(bytes([i]) + block[1:])
    env = folder / "big.der"
    envelope.encrypt_file(plain, env, recipients=[rsa_party.cert])
    plain.unlink()
    yield env
    shutil.rmtree(folder, ignore_errors=True)


def _read_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/io") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))
    except (OSError, StopIteration):
        return 0


@pytest.mark.parametrize("signum", [15, 9])
def test_signal_mid_decrypt_leaves_nothing(tmp_path, big_envelope, rsa_party, signum):
    dest = tmp_path / "dest"
    dest.mkdir()
    out = dest / "a" / "b" / "plain.bin"
    proc = subprocess.Popen([sys.executable, "-m", "bidtool", "decrypt", "--key", str(rsa_party.key_path),
                             "--cert", str(rsa_party.cert_path), str(big_envelope), str(out)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _read_bytes(proc.pid) < 40 << 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert proc.poll() is None, "bidtool finished before the signal: make the envelope bigger"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    if signum == 15:
        assert proc.returncode == 143 and "terminated" in one_line(err)
    else:
        assert proc.returncode == -9
    assert list(dest.iterdir()) == []


def test_failed_decrypt_leaves_no_file_and_no_folder(tmp_path, sealed, rsa_party):
    der = bytearray(sealed().read_bytes())
    der[-1] ^= 1                                                    # the last byte of the GCM tag
    env = tmp_path / "tampered.der"
    env.write_bytes(bytes(der))
    dest = tmp_path / "dest"
    dest.mkdir()
    r = bidtool("decrypt", "--key", rsa_party.key_path, "--cert", rsa_party.cert_path, env, dest / "x" / "y" / "o")
    assert r.returncode == 2 and "tag" in one_line(r.stderr)
    assert list(dest.iterdir()) == []
    with pytest.raises(envelope.IntegrityError):
        envelope.decrypt_file(env, dest / "x" / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert list(dest.iterdir()) == []


def test_successful_decrypt_makes_its_folders(tmp_path, sealed, plain, rsa_party):
    out = tmp_path / "new" / "deeper" / "o"
    envelope.decrypt_file(sealed(), out, key=rsa_party.key, certificate=rsa_party.cert)
    assert out.read_bytes() == plain.read_bytes()
    assert [p.name for p in out.parent.iterdir()] == ["o"]          # no temporary name left beside it
    envelope.decrypt_file(sealed("aes-256-cbc"), out, key=rsa_party.key, certificate=rsa_party.cert)
    assert out.read_bytes() == plain.read_bytes() and [p.name for p in out.parent.iterdir()] == ["o"]


def test_inspect_of_a_large_file_has_bounded_memory(tmp_path, big_envelope):
    peak, r = peak_kib("inspect", str(big_envelope))
    assert r.returncode == 0, r.stderr
    assert "ciphertext 209715200 bytes" in r.stdout
    assert peak < 64 * 1024, f"{peak} KiB"
    junk = tmp_path / "junk.bin"                                   # neither envelope nor signature
    with open(junk, "wb") as f:
        f.truncate(200 << 20)
    peak, r = peak_kib("inspect", str(junk))
    assert r.returncode == 1 and "neither an envelope nor a signature" in one_line(r.stderr)
    assert peak < 64 * 1024, f"{peak} KiB"


@pytest.mark.parametrize("refusal", ["EOPNOTSUPP", "EISDIR", "EINVAL"])
def test_named_temporary_file_where_o_tmpfile_is_refused(tmp_path, monkeypatch, sealed, plain, rsa_party, refusal):
    import errno
    from pki import files
    real_open = os.open

    def no_tmpfile(path, flags, *args, **kwargs):
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(getattr(errno, refusal), os.strerror(getattr(errno, refusal)))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(files.os, "open", no_tmpfile)
    dest = tmp_path / "dest"
    dest.mkdir()
    der = bytearray(sealed().read_bytes())
    der[-1] ^= 1
    (tmp_path / "bad.der").write_bytes(bytes(der))
    with pytest.raises(envelope.IntegrityError):
        envelope.decrypt_file(tmp_path / "bad.der", dest / "x" / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert list(dest.iterdir()) == []
    envelope.decrypt_file(sealed(), dest / "x" / "o", key=rsa_party.key, certificate=rsa_party.cert)
    assert (dest / "x" / "o").read_bytes() == plain.read_bytes() and os.listdir(dest) == ["x"]
    assert os.listdir(dest / "x") == ["o"]
