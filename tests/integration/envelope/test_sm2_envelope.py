"""GM/T 0010 envelopes for SM2 recipients, checked against GmSSL's vector and, piece by piece,
against the openssl command line (SM2 decryption with pkeyutl, SM4-CBC with enc)."""
from __future__ import annotations

import re

import pytest

from pki import envelope
from pki.oids import SM2_ENCRYPT, SM2_EXCHANGE
from tests.integration.envelope.conftest import openssl

_KEEP_VALUE = ("OBJECT", "INTEGER", "PRINTABLESTRING", "UTF8STRING")


def skeleton(path, inform):
    """``openssl asn1parse`` output without offsets, lengths and random values (IV, keys, content)."""
    out = openssl("asn1parse", "-inform", inform, "-in", str(path), "-i").stdout.decode()
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*\d+:d=(\d+)\s+hl=\d+ l=\s*(?:\d+|inf)\s+(prim|cons):\s*(.*)$", line)
        assert m, line
        depth, kind, rest = m.groups()
        name, _, value = rest.partition(":")
        name = name.strip()
        rows.append((int(depth), kind, name, value.strip() if name in _KEEP_VALUE else None))
    return rows


def test_gmssl_vector_decrypts(tmp_path, sm2_vectors, gmssl_bidder):
    out = tmp_path / "plain"
    info = envelope.decrypt_file(sm2_vectors / "env10k.pem", out, key=gmssl_bidder.key,
                                 certificate=gmssl_bidder.cert)
    assert out.read_bytes() == (sm2_vectors / "plain10k.bin").read_bytes()
    assert (info.format, info.cipher, info.encoding, info.version) == ("gm", "sm4-cbc", "pem", 1)
    assert info.recipients[0].key_algorithm == "sm2-exchange"
    assert not info.authenticated


@pytest.mark.parametrize("compat", [False, True])
def test_structure_matches_gmssl_vector_field_by_field(tmp_path, sm2_vectors, gmssl_bidder, compat):
    env = tmp_path / "ours.der"
    info = envelope.encrypt_file(sm2_vectors / "plain10k.bin", env, recipients=[gmssl_bidder.cert],
                                 gmssl_compat=compat)
    assert info.recipients[0].key_algorithm == ("sm2-exchange" if compat else "sm2-encrypt")
    theirs = skeleton(sm2_vectors / "env10k.pem", "PEM")
    ours = skeleton(env, "DER")
    if not compat:   # the only difference in default mode: SM2-3 encryption instead of GmSSL's 301.2
        theirs = [(d, k, n, SM2_ENCRYPT if v == SM2_EXCHANGE else v) for d, k, n, v in theirs]
    assert ours == theirs
    out = tmp_path / "plain"
    envelope.decrypt_file(env, out, key=gmssl_bidder.key, certificate=gmssl_bidder.cert)
    assert out.read_bytes() == (sm2_vectors / "plain10k.bin").read_bytes()


@pytest.mark.parametrize("compat", [False, True])
def test_own_sm2_round_trip_and_openssl_pieces(tmp_path, plain, sm2_party, compat):
    """Our SM2 envelope: decrypted by us, and independently by openssl pkeyutl (the SM4 key) +
    openssl enc -sm4-cbc (the content, sliced out at the offsets asn1parse reports)."""
    env = tmp_path / "bid.der"
    info = envelope.encrypt_file(plain, env, recipients=[sm2_party.cert], gmssl_compat=compat)
    assert (info.format, info.cipher, info.encapsulated_type) == ("gm", "sm4-cbc", "gm-data")
    out = tmp_path / "ours"
    envelope.decrypt_file(env, out, key=sm2_party.key, certificate=sm2_party.cert)
    assert out.read_bytes() == plain.read_bytes()

    lines = openssl("asn1parse", "-inform", "DER", "-in", str(env), "-i").stdout.decode().splitlines()
    octets = [ln for ln in lines if "OCTET STRING" in ln]
    encrypted_key = bytes.fromhex(octets[0].rsplit(":", 1)[1])
    iv = bytes.fromhex(octets[1].rsplit(":", 1)[1])
    content = next(ln for ln in lines if "cont [ 0 ]" in ln and "prim" in ln)
    offset, hl, length = (int(x) for x in re.match(r"\s*(\d+):d=\d+\s+hl=(\d+) l=\s*(\d+)", content).groups())
    data = env.read_bytes()
    (tmp_path / "ek.der").write_bytes(encrypted_key)
    (tmp_path / "ct.bin").write_bytes(data[offset + hl:offset + hl + length])
    openssl("pkeyutl", "-decrypt", "-inkey", str(sm2_party.key_path), "-in", str(tmp_path / "ek.der"),
            "-out", str(tmp_path / "cek"))
    cek = (tmp_path / "cek").read_bytes()
    assert len(cek) == 16
    openssl("enc", "-d", "-sm4-cbc", "-K", cek.hex(), "-iv", iv.hex(), "-in", str(tmp_path / "ct.bin"),
            "-out", str(tmp_path / "openssl-plain"))
    assert (tmp_path / "openssl-plain").read_bytes() == plain.read_bytes()


def test_several_sm2_recipients(tmp_path, plain, sm2_party, sm2_party2, gmssl_bidder):
    env = tmp_path / "bid.der"
    parties = [sm2_party, sm2_party2, gmssl_bidder]
    info = envelope.encrypt_file(plain, env, recipients=[p.cert for p in parties])
    assert len(info.recipients) == 3
    for i, party in enumerate(parties):
        envelope.decrypt_file(env, tmp_path / f"out{i}", key=party.key, certificate=party.cert)
        assert (tmp_path / f"out{i}").read_bytes() == plain.read_bytes()


def test_sm2_wrong_certificate_is_refused(tmp_path, plain, sm2_party, sm2_party2):
    env = tmp_path / "bid.der"
    envelope.encrypt_file(plain, env, recipients=[sm2_party.cert])
    out = tmp_path / "out"
    with pytest.raises(envelope.NotAddressedToCertificate, match="此数字信封不是发给该证书的"):
        envelope.decrypt_file(env, out, key=sm2_party2.key, certificate=sm2_party2.cert)
    assert not out.exists()


def test_gmssl_vector_refuses_other_sm2_certificate(tmp_path, sm2_vectors, sm2_party):
    with pytest.raises(envelope.NotAddressedToCertificate, match="not addressed to this certificate"):
        envelope.decrypt_file(sm2_vectors / "env10k.pem", tmp_path / "out", key=sm2_party.key,
                              certificate=sm2_party.cert)
    assert list(tmp_path.iterdir()) == []
