"""SM2 keys, signatures and encryption against vectors made by GmSSL 3.3 (another implementation)."""
from __future__ import annotations

import pytest
from asn1crypto import pem, x509

from pki.keys import WrongPassword, dump_private_key, load_private_key
from pki.sm2 import Sm2Error, Sm2PrivateKey, Sm2PublicKey, _mul_g, sm3


def _cert(path):
    return x509.Certificate.load(pem.unarmor(path.read_bytes())[2])


@pytest.fixture(scope="module")
def bidder(sm2_vectors):
    key = load_private_key((sm2_vectors / "bidder_key.pem").read_bytes(), b"1234")
    return key, _cert(sm2_vectors / "bidder_cert.pem")


def test_gmssl_encrypted_key_loads_and_matches_certificate(bidder):
    key, cert = bidder
    assert isinstance(key, Sm2PrivateKey)
    assert key.matches(Sm2PublicKey.from_certificate(cert))


def test_wrong_password_is_reported_as_such(sm2_vectors):
    with pytest.raises(WrongPassword):
        load_private_key((sm2_vectors / "bidder_key.pem").read_bytes(), b"4321")


def test_decrypts_gmssl_sm2_ciphertext(bidder, sm2_vectors):
    key, _ = bidder
    assert key.decrypt((sm2_vectors / "key16.sm2.der").read_bytes()) == (sm2_vectors / "key16.bin").read_bytes()


def test_tampered_ciphertext_is_refused(bidder, sm2_vectors):
    key, _ = bidder
    data = bytearray((sm2_vectors / "key16.sm2.der").read_bytes())
    data[-1] ^= 1
    with pytest.raises(Sm2Error):
        key.decrypt(bytes(data))


def test_verifies_gmssl_signature_with_default_id(bidder, sm2_vectors):
    _, cert = bidder
    pub = Sm2PublicKey.from_certificate(cert)
    msg = (sm2_vectors / "small.txt").read_bytes()
    sig = (sm2_vectors / "small.sm2sig.der").read_bytes()
    assert pub.verify(msg, sig)
    assert not pub.verify(msg + b"!", sig)
    assert not pub.verify(msg, sig, signer_id=None)


def test_certificate_signature_of_gmssl_root(sm2_vectors):
    ca, leaf = _cert(sm2_vectors / "ca_cert.pem"), _cert(sm2_vectors / "bidder_cert.pem")
    pub = Sm2PublicKey.from_certificate(ca)
    assert pub.verify(leaf["tbs_certificate"].dump(), leaf["signature_value"].native)


def test_sign_verify_round_trip_both_flavours():
    key = Sm2PrivateKey.generate()
    for signer_id in (b"1234567812345678", None):
        sig = key.sign(b"bid", signer_id=signer_id)
        assert key.public_key.verify(b"bid", sig, signer_id=signer_id)
    # the standard flavour is SM3(Z ‖ M): the digest form must agree with it
    assert key.public_key.verify_digest(sm3(key.public_key.z() + b"bid"), key.sign(b"bid"))


def test_pkcs8_round_trip_encrypted_and_public_point_derivation(bidder):
    key, _ = bidder
    again = load_private_key(dump_private_key(key, b"pw"), b"pw")
    assert again.d == key.d
    assert _mul_g(int.from_bytes(key.d, "big")) == key.public_key.point


def test_point_off_curve_is_refused():
    with pytest.raises(Sm2Error):
        Sm2PublicKey(b"\x01" * 64)
