"""One rule for "is this the key of that certificate?" (pki.keys.key_matches_certificate): RSA,
EC P-256 and SM2; the key as a private key, a public key, a KeyOps or an SPKI; the certificate as
asn1crypto, ``cryptography`` or its SPKI; equivalent encodings of one key match."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from asn1crypto import keys as akeys, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pki.devca.x509build import build_certificate, extension, key_identifier
from pki.keyops import FileKey
from pki.keys import key_matches_certificate, normalised_spki, public_key_info
from pki.oids import SM2_CURVE
from pki.sm2 import Sm2PrivateKey

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOT_AFTER = datetime(2028, 1, 1, tzinfo=timezone.utc)

GENERATE = {
    "rsa": lambda: rsa.generate_private_key(65537, 2048),
    "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
    "sm2": Sm2PrivateKey.generate,
}


def _self_signed(key) -> x509.Certificate:
    spki = public_key_info(key)
    name = x509.Name.build({"common_name": "密钥匹配测试 key match", "country_name": "CN"})
    return build_certificate(7, name, name, spki, NOT_BEFORE, NOT_AFTER,
                             [extension("key_identifier", key_identifier(spki))], key)


@pytest.fixture(scope="module")
def pairs() -> dict:
    """algorithm -> (key, its certificate, another key of the same algorithm)."""
    out = {}
    for alg, generate in GENERATE.items():
        key = generate()
        out[alg] = (key, _self_signed(key), generate())
    return out


def _public(key):
    return key.public_key if isinstance(key, Sm2PrivateKey) else key.public_key()


@pytest.mark.parametrize("alg", list(GENERATE))
def test_a_key_matches_its_certificate_in_every_form(pairs, alg):
    key, cert, _ = pairs[alg]
    as_cryptography = cx509.load_der_x509_certificate(cert.dump())
    for key_form in (key, _public(key), FileKey(key), public_key_info(key)):
        for cert_form in (cert, as_cryptography, cert.public_key):
            assert key_matches_certificate(key_form, cert_form), (type(key_form), type(cert_form))


@pytest.mark.parametrize("alg", list(GENERATE))
def test_another_key_of_the_same_algorithm_does_not_match(pairs, alg):
    _, cert, other = pairs[alg]
    assert not key_matches_certificate(other, cert)
    assert not key_matches_certificate(FileKey(other), cert)


@pytest.mark.parametrize("alg, other_alg", [("rsa", "ec"), ("ec", "rsa"), ("ec", "sm2"), ("sm2", "ec"),
                                            ("rsa", "sm2"), ("sm2", "rsa")])
def test_a_key_of_another_algorithm_does_not_match(pairs, alg, other_alg):
    key = pairs[alg][0]
    cert = pairs[other_alg][1]
    assert not key_matches_certificate(key, cert)


def test_sm2_and_p256_keys_with_the_same_point_bytes_do_not_match(pairs):
    """The curve is part of the comparison: the same 64 point bytes under sm2p256v1 are not a P-256 key."""
    sm2_spki = pairs["sm2"][1].public_key
    relabelled = akeys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": akeys.ECDomainParameters("named", "secp256r1")},
        "public_key": sm2_spki["public_key"].native,
    })
    assert not key_matches_certificate(relabelled, pairs["sm2"][1])


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def test_rsa_without_null_parameters_matches(pairs):
    key, cert, _ = pairs["rsa"]
    spki = cert.public_key
    no_params = bytes.fromhex("300b06092a864886f70d010101")        # rsaEncryption, parameters absent
    body = no_params + spki["public_key"].dump()
    other_encoding = akeys.PublicKeyInfo.load(b"\x30" + _der_length(len(body)) + body)
    assert other_encoding.dump() != spki.dump()
    assert key_matches_certificate(other_encoding, cert)
    assert normalised_spki(other_encoding) == normalised_spki(spki)


def test_compressed_points_match(pairs):
    ec_key, ec_cert, _ = pairs["ec"]
    compressed = ec_key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.CompressedPoint)
    ec_spki = akeys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": akeys.ECDomainParameters("named", "secp256r1")},
        "public_key": compressed,
    })
    assert key_matches_certificate(ec_spki, ec_cert)

    sm2_key, sm2_cert, _ = pairs["sm2"]
    point = sm2_key.public_key.point
    sm2_spki = akeys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": akeys.ECDomainParameters("named", SM2_CURVE)},
        "public_key": bytes([2 + (point[63] & 1)]) + point[:32],
    })
    assert key_matches_certificate(sm2_spki, sm2_cert)


def test_an_unreadable_certificate_key_matches_nothing(pairs):
    key, _, _ = pairs["sm2"]
    broken = akeys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": akeys.ECDomainParameters("named", SM2_CURVE)},
        "public_key": b"\x04" + b"\x01" * 64,                     # not a point of the curve
    })
    assert not key_matches_certificate(key, broken)


def test_something_that_is_no_key_is_a_programming_error(pairs):
    with pytest.raises(TypeError):
        key_matches_certificate("not a key", pairs["rsa"][1])
    with pytest.raises(TypeError):
        key_matches_certificate(pairs["rsa"][0], b"not a certificate")
