"""Altering an envelope anywhere gives a specific EnvelopeError and leaves no output behind."""
from __future__ import annotations

import os

import pytest

from pki import envelope

PLAIN = os.urandom(100)


def _expect_refusal(tmp_path, data: bytes, party, label: str) -> type:
    env = tmp_path / "tampered.der"
    env.write_bytes(data)
    out = tmp_path / "out" / "plain.bin"
    try:
        envelope.decrypt_file(env, out, key=party.key, certificate=party.cert)
    except envelope.EnvelopeError as exc:
        assert str(exc), label
        leftovers = list(out.parent.iterdir())
        assert leftovers == [], f"{label}: left {leftovers}"
        return type(exc)
    raise AssertionError(f"{label}: the altered envelope opened")


@pytest.fixture
def out_dir(tmp_path):
    (tmp_path / "out").mkdir()
    return tmp_path


@pytest.mark.parametrize("who,mask", [("rsa", 0x01), ("ec", 0x01), ("ec", 0x80)])
def test_every_byte_of_a_gcm_envelope(out_dir, rsa_party, ec_party, who, mask):
    party = rsa_party if who == "rsa" else ec_party
    src = out_dir / "plain.bin"
    src.write_bytes(PLAIN)
    env = out_dir / "good.der"
    envelope.encrypt_file(src, env, recipients=[party.cert])
    good = env.read_bytes()
    seen: set[type] = set()
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= mask
        seen.add(_expect_refusal(out_dir, bytes(bad), party, f"byte {i} ^ {mask:#x}"))
    # the tag and the ciphertext are caught by GCM, the rest by parsing or key unwrapping
    assert envelope.IntegrityError in seen and envelope.MalformedEnvelope in seen


def test_truncations_and_extensions(out_dir, rsa_party):
    src = out_dir / "plain.bin"
    src.write_bytes(PLAIN)
    env = out_dir / "good.der"
    envelope.encrypt_file(src, env, recipients=[rsa_party.cert], cipher="aes-256-cbc")
    good = env.read_bytes()
    for cut in range(0, len(good), 7):
        assert issubclass(_expect_refusal(out_dir, good[:cut], rsa_party, f"cut at {cut}"),
                          envelope.MalformedEnvelope)
    assert _expect_refusal(out_dir, good + b"\x00", rsa_party, "appended") is envelope.MalformedEnvelope


def test_cbc_padding_damage_is_a_padding_error(out_dir, rsa_party, sm2_party):
    """CBC has no integrity: damage shows only if it hits the padding (documented)."""
    src = out_dir / "plain.bin"
    src.write_bytes(os.urandom(64))          # a whole number of blocks: the padding block is 16 × 0x10
    for party, cipher in ((rsa_party, "aes-256-cbc"), (sm2_party, "sm4-cbc")):
        env = out_dir / "good.der"
        envelope.encrypt_file(src, env, recipients=[party.cert], cipher=cipher)
        bad = bytearray(env.read_bytes())
        bad[-17] ^= 0x01                     # last byte of the next-to-last block -> padding 0x11
        assert _expect_refusal(out_dir, bytes(bad), party, cipher) is envelope.PaddingError


def test_tampered_pem_and_ber(out_dir, rsa_party, plain):
    from tests.integration.envelope.conftest import openssl
    for form in (["-outform", "PEM"], ["-outform", "DER", "-stream"]):
        env = out_dir / "openssl.env"
        openssl("cms", "-encrypt", "-binary", "-aes-256-gcm", "-in", str(plain), "-out", str(env), *form,
                str(rsa_party.cert_path))
        good = env.read_bytes()
        positions = range(0, len(good), max(1, len(good) // 100))
        for i in positions:
            bad = bytearray(good)
            bad[i] = (bad[i] + 1) % 256 if chr(bad[i]) not in "\r\n" else bad[i]
            if bytes(bad) == good:
                continue
            _expect_refusal(out_dir, bytes(bad), rsa_party, f"{form[1]} byte {i}")


def test_garbage_is_refused_cleanly(out_dir, rsa_party):
    for data in (b"", b"\x30", b"\x30\x80", b"-----BEGIN CMS-----\n!!!!\n-----END CMS-----\n",
                 b"not an envelope at all", os.urandom(2000), b"\x30\x84\xff\xff\xff\xff" + os.urandom(50)):
        assert issubclass(_expect_refusal(out_dir, data, rsa_party, repr(data[:20])), envelope.EnvelopeError)


def test_originator_key_algorithm_is_checked(out_dir, ec_party):
    """RFC 5753: the ephemeral key must be id-ecPublicKey; another OID is refused before the key
    agreement, with a specific error."""
    src = out_dir / "plain.bin"
    src.write_bytes(PLAIN)
    envelope.encrypt_file(src, out_dir / "good.der", recipients=[ec_party.cert])
    hexed = (out_dir / "good.der").read_bytes().hex()
    assert hexed.count("06072a8648ce3d0201") == 1
    data = bytes.fromhex(hexed.replace("06072a8648ce3d0201", "06072b8648ce3d0201"))   # 1.3.840…
    assert _expect_refusal(out_dir, data, ec_party, "originator OID") is envelope.MalformedEnvelope
