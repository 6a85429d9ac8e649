"""The openssl command line as an independent checker, both ways, for RSA (OAEP and v1.5) and
EC P-256 recipients, AES-256-GCM and AES-256-CBC, one and three recipients, DER, PEM and BER."""
from __future__ import annotations

import pytest

from pki import envelope
from tests.integration.envelope.conftest import openssl

CIPHERS = ["aes-256-gcm", "aes-256-cbc"]


def _openssl_decrypt(env, party, out, inform="DER"):
    result = openssl("cms", "-decrypt", "-inform", inform, "-in", str(env), "-recip", str(party.cert_path),
                     "-inkey", str(party.key_path), "-binary", "-out", str(out), check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return out.read_bytes()


@pytest.mark.parametrize("cipher", CIPHERS)
@pytest.mark.parametrize("rsa_padding", ["oaep", "pkcs1v15"])
def test_openssl_opens_ours_one_rsa_recipient(tmp_path, plain, rsa_party, cipher, rsa_padding):
    env = tmp_path / "bid.p7m"
    info = envelope.encrypt_file(plain, env, recipients=[rsa_party.cert], cipher=cipher, rsa_padding=rsa_padding)
    assert info.cipher == cipher and info.encoding == "der"
    assert info.recipients[0].key_algorithm == ("rsaes-oaep-sha256" if rsa_padding == "oaep" else "rsaes-pkcs1v15")
    assert info.envelope_size == env.stat().st_size
    assert _openssl_decrypt(env, rsa_party, tmp_path / "out") == plain.read_bytes()


@pytest.mark.parametrize("cipher", CIPHERS)
def test_openssl_opens_ours_one_ec_recipient(tmp_path, plain, ec_party, cipher):
    env = tmp_path / "bid.p7m"
    info = envelope.encrypt_file(plain, env, recipients=[ec_party.cert], cipher=cipher)
    assert info.recipients[0].key_algorithm == "ecdh-sha256kdf-aes256-wrap"
    assert _openssl_decrypt(env, ec_party, tmp_path / "out") == plain.read_bytes()


@pytest.mark.parametrize("cipher", CIPHERS)
@pytest.mark.parametrize("rsa_padding", ["oaep", "pkcs1v15"])
def test_openssl_opens_ours_three_mixed_recipients(tmp_path, plain, rsa_party, ec_party, rsa_party2, cipher,
                                                   rsa_padding):
    env = tmp_path / "bid.p7m"
    parties = [rsa_party, ec_party, rsa_party2]
    info = envelope.encrypt_file(plain, env, recipients=[p.cert for p in parties], cipher=cipher,
                                 rsa_padding=rsa_padding)
    assert sorted(r.kind for r in info.recipients) == ["kari", "ktri", "ktri"]
    assert info.version == (0 if cipher == "aes-256-gcm" else 2)   # RFC 5652 §6.1: a kari makes v2
    for i, party in enumerate(parties):
        assert _openssl_decrypt(env, party, tmp_path / f"out{i}") == plain.read_bytes()
        assert envelope.decrypt_file(env, tmp_path / f"ours{i}", key=party.key, certificate=party.cert) \
            .plaintext_size == plain.stat().st_size
        assert (tmp_path / f"ours{i}").read_bytes() == plain.read_bytes()


OPENSSL_VARIANTS = {
    "gcm-v15": ["-aes-256-gcm"],
    "gcm-oaep256": ["-aes-256-gcm", "KEYOPT"],
    "cbc-v15": ["-aes-256-cbc"],
    "cbc-oaep256": ["-aes-256-cbc", "KEYOPT"],
}
FORMS = {"der": ["-outform", "DER"], "pem": ["-outform", "PEM"], "ber-stream": ["-outform", "DER", "-stream"],
         "pem-stream": ["-outform", "PEM", "-stream"]}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("variant", sorted(OPENSSL_VARIANTS))
def test_ours_opens_openssl(tmp_path, plain, rsa_party, ec_party, rsa_party2, variant, form):
    env = tmp_path / "openssl.env"
    args = ["cms", "-encrypt", "-binary", "-in", str(plain), "-out", str(env), *FORMS[form]]
    opts = [o for o in OPENSSL_VARIANTS[variant] if o != "KEYOPT"]
    args += opts
    for party in (rsa_party, ec_party, rsa_party2):
        args += ["-recip", str(party.cert_path)]
        if "KEYOPT" in OPENSSL_VARIANTS[variant] and party.name.startswith("rsa"):
            args += ["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"]
        if party.name.startswith("ec"):
            args += ["-keyopt", "ecdh_kdf_md:sha256"]
    openssl(*args)
    expected_encoding = {"der": "der", "ber-stream": "ber"}.get(form, "pem")
    for i, party in enumerate((rsa_party, ec_party, rsa_party2)):
        out = tmp_path / f"out{i}"
        info = envelope.decrypt_file(env, out, key=party.key, certificate=party.cert)
        assert out.read_bytes() == plain.read_bytes()
        assert info.encoding == expected_encoding
        assert info.cipher == ("aes-256-gcm" if "gcm" in variant else "aes-256-cbc")
    algs = sorted(r.key_algorithm for r in envelope.inspect(env).recipients)
    rsa_alg = "rsaes-oaep-sha256" if "oaep" in variant else "rsaes-pkcs1v15"
    assert algs == sorted(["ecdh-sha256kdf-aes256-wrap", rsa_alg, rsa_alg])


def test_ours_opens_openssl_ec_sha1kdf_default(tmp_path, plain, ec_party):
    """OpenSSL's default EC scheme is dhSinglePass-stdDH-sha1kdf: accepted when reading."""
    env = tmp_path / "openssl.env"
    openssl("cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-in", str(plain), "-out", str(env),
            str(ec_party.cert_path))
    info = envelope.decrypt_file(env, tmp_path / "out", key=ec_party.key, certificate=ec_party.cert)
    assert info.recipients[0].key_algorithm == "ecdh-sha1kdf-aes256-wrap"
    assert (tmp_path / "out").read_bytes() == plain.read_bytes()


def test_ours_opens_openssl_oaep_sha1(tmp_path, plain, rsa_party):
    env = tmp_path / "openssl.env"
    openssl("cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-in", str(plain), "-out", str(env),
            "-recip", str(rsa_party.cert_path), "-keyopt", "rsa_padding_mode:oaep")
    info = envelope.decrypt_file(env, tmp_path / "out", key=rsa_party.key, certificate=rsa_party.cert)
    assert info.recipients[0].key_algorithm == "rsaes-oaep-sha1"
    assert (tmp_path / "out").read_bytes() == plain.read_bytes()


def test_openssl_opens_our_ber_stream_from_a_pipe(tmp_path, rsa_party, ec_party):
    """Without a known size (a pipe), the envelope is BER with indefinite lengths."""
    import io
    import os

    data = os.urandom(3 * (1 << 20) + 5)

    class Unsized(io.RawIOBase):
        def __init__(self, payload):
            self._b = io.BytesIO(payload)

        def readable(self):
            return True

        def readinto(self, b):
            return self._b.readinto(b)

    env = tmp_path / "ber.env"
    with open(env, "wb") as dst:
        info = envelope.encrypt_stream(Unsized(data), dst, recipients=[rsa_party.cert, ec_party.cert])
    assert info.encoding == "ber" and info.plaintext_size == len(data)
    assert env.read_bytes()[:2] == b"\x30\x80"
    assert _openssl_decrypt(env, ec_party, tmp_path / "out") == data
    assert envelope.inspect(env).encoding == "ber"
