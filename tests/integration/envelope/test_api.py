"""The public API: sizes around block and chunk boundaries, streams, inspection, the two-step
opening, certificate forms, refusals."""
from __future__ import annotations

import io
import os

import pytest
from cryptography import x509 as cx509

from pki import envelope
from pki.envelope.content import CHUNK
from tests.integration.envelope.conftest import openssl

SIZES = [0, 1, 15, 16, 17, 31, 32, 33, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 17]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cipher", ["aes-256-gcm", "aes-256-cbc", "sm4-cbc"])
def test_round_trip_sizes(tmp_path, rsa_party, sm2_party, cipher, size):
    party = sm2_party if cipher == "sm4-cbc" else rsa_party
    src, env, out = tmp_path / "p", tmp_path / "e", tmp_path / "o"
    src.write_bytes(os.urandom(size))
    info = envelope.encrypt_file(src, env, recipients=[party.cert], cipher=cipher)
    assert info.envelope_size == env.stat().st_size
    assert info.ciphertext_size == (size if cipher == "aes-256-gcm" else (size // 16 + 1) * 16)
    back = envelope.decrypt_file(env, out, key=party.key, certificate=party.cert)
    assert out.read_bytes() == src.read_bytes()
    assert back.plaintext_size == size
    if cipher != "sm4-cbc" and size in (0, 16, CHUNK + 1):
        openssl("cms", "-decrypt", "-inform", "DER", "-in", str(env), "-recip", str(party.cert_path),
                "-inkey", str(party.key_path), "-binary", "-out", str(tmp_path / "ossl"))
        assert (tmp_path / "ossl").read_bytes() == src.read_bytes()


def test_inspect_describes_without_a_key(tmp_path, plain, rsa_party, ec_party):
    env = tmp_path / "e"
    envelope.encrypt_file(plain, env, recipients=[rsa_party.cert, ec_party.cert])
    info = envelope.inspect(env)
    assert (info.format, info.content_type, info.cipher, info.encoding) == \
        ("cms", "authEnvelopedData", "aes-256-gcm", "der")
    assert info.authenticated and info.ciphertext_size == plain.stat().st_size
    assert info.envelope_size == env.stat().st_size
    serials = {r.serial_number for r in info.recipients}
    assert serials == {rsa_party.cert.serial_number, ec_party.cert.serial_number}
    assert all("Envelope Test CA" in r.issuer for r in info.recipients)


def test_two_step_opening(tmp_path, plain, rsa_party, ec_party, sm2_party):
    """The platform releases the RecipientInfo (DER), the bidder's key unwraps the content key,
    the platform decrypts with it."""
    for parties in ([rsa_party, ec_party], [sm2_party]):
        env = tmp_path / "e"
        envelope.encrypt_file(plain, env, recipients=[p.cert for p in parties])
        assert len(envelope.recipient_infos(env)) == len(parties)
        for party in parties:
            released = envelope.find_recipient_info(env, party.cert).dump()
            content_key = envelope.unwrap_content_key(released, party.key, party.cert)
            out = tmp_path / "o"
            envelope.decrypt_with_content_key(env, out, content_key)
            assert out.read_bytes() == plain.read_bytes()
            sink = io.BytesIO()
            with open(env, "rb") as src:
                envelope.decrypt_with_content_key(src, sink, content_key)
            assert sink.getvalue() == plain.read_bytes()


def test_wrong_content_key_releases_nothing(tmp_path, plain, rsa_party):
    env, out = tmp_path / "e", tmp_path / "o"
    envelope.encrypt_file(plain, env, recipients=[rsa_party.cert])
    with pytest.raises(envelope.IntegrityError):
        envelope.decrypt_with_content_key(env, out, os.urandom(32))
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["e", "plain.bin"]
    with pytest.raises(envelope.EnvelopeError, match="content key of 16 bytes"):
        envelope.decrypt_with_content_key(env, out, os.urandom(16))


def test_streams_and_certificate_forms(tmp_path, plain, rsa_party, ec_party):
    crypto_cert = cx509.load_pem_x509_certificate(rsa_party.cert_path.read_bytes())
    sink = io.BytesIO()
    with open(plain, "rb") as src:
        info = envelope.encrypt_stream(src, sink, recipients=[crypto_cert, ec_party.cert_path.read_bytes()])
    assert info.encoding == "der"
    out = io.BytesIO()
    envelope.decrypt_stream(io.BytesIO(sink.getvalue()), out, key=rsa_party.key, certificate=crypto_cert,
                            spool_dir=tmp_path)
    assert out.getvalue() == plain.read_bytes()
    broken = bytearray(sink.getvalue())
    broken[-1] ^= 1                        # the GCM tag
    out = io.BytesIO()
    with pytest.raises(envelope.IntegrityError, match="no plaintext was released"):
        envelope.decrypt_stream(io.BytesIO(bytes(broken)), out, key=ec_party.key, certificate=ec_party.cert)
    assert out.getvalue() == b""


def test_not_addressed_and_key_mismatch(tmp_path, plain, rsa_party, rsa_party2, ec_party, ec_party2):
    env, out = tmp_path / "e", tmp_path / "o"
    envelope.encrypt_file(plain, env, recipients=[rsa_party.cert, ec_party.cert])
    for other in (rsa_party2, ec_party2):
        with pytest.raises(envelope.NotAddressedToCertificate,
                           match=r"此数字信封不是发给该证书的 \(this envelope is not addressed to this certificate\)"):
            envelope.decrypt_file(env, out, key=other.key, certificate=other.cert)
    with pytest.raises(envelope.KeyMismatch):
        envelope.decrypt_file(env, out, key=rsa_party2.key, certificate=rsa_party.cert)
    with pytest.raises(envelope.KeyMismatch):
        envelope.decrypt_file(env, out, key=ec_party.key, certificate=rsa_party.cert)
    assert not out.exists()


def test_existing_target_survives_a_failed_decryption(tmp_path, plain, rsa_party):
    env, out = tmp_path / "e", tmp_path / "o"
    envelope.encrypt_file(plain, env, recipients=[rsa_party.cert])
    out.write_bytes(b"previous")
    data = bytearray(env.read_bytes())
    data[-20] ^= 0xFF
    env.write_bytes(bytes(data))
    with pytest.raises(envelope.IntegrityError):
        envelope.decrypt_file(env, out, key=rsa_party.key, certificate=rsa_party.cert)
    assert out.read_bytes() == b"previous"


def test_recipient_refusals(tmp_path, plain, rsa_party, sm2_party):
    env = tmp_path / "e"
    with pytest.raises(envelope.RecipientError, match="cannot share"):
        envelope.encrypt_file(plain, env, recipients=[rsa_party.cert, sm2_party.cert])
    with pytest.raises(envelope.RecipientError, match="sm4-cbc"):
        envelope.encrypt_file(plain, env, recipients=[sm2_party.cert], cipher="aes-256-gcm")
    with pytest.raises(envelope.RecipientError, match="sm4-cbc"):
        envelope.encrypt_file(plain, env, recipients=[rsa_party.cert], cipher="sm4-cbc")
    with pytest.raises(envelope.RecipientError, match="no recipient"):
        envelope.encrypt_file(plain, env, recipients=[])
    with pytest.raises(envelope.RecipientError):
        envelope.encrypt_file(plain, env, recipients=[b"not a certificate"])
    assert not env.exists() and [p.name for p in tmp_path.iterdir()] == ["plain.bin"]


def test_progress_reports_bytes_done(tmp_path, rsa_party):
    src, env, out = tmp_path / "p", tmp_path / "e", tmp_path / "o"
    src.write_bytes(os.urandom(3 * CHUNK + 100))
    seen: list[int] = []
    envelope.encrypt_file(src, env, recipients=[rsa_party.cert], progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 3 * CHUNK + 100
    seen.clear()
    envelope.decrypt_file(env, out, key=rsa_party.key, certificate=rsa_party.cert, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 3 * CHUNK + 100
