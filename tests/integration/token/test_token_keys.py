"""Keys generated on a SoftHSM token: they stay there, and what they do checks out with
``cryptography`` and the openssl command line."""
from __future__ import annotations

import datetime
import hashlib

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.keyops import KeyOperationError, KeyOps
from pki.keys import key_matches_certificate

MESSAGE = "投标文件摘要 bid manifest".encode("utf-8")


def _pub(key: tokens.TokenKey):
    return serialization.load_der_public_key(key.public_key_info().dump())


# --------------------------------------------------------------------------- the key stays put

def test_private_keys_are_sensitive_never_extractable_and_generated_on_the_token(rsa_key, ec_key):
    for key in (rsa_key, ec_key):
        assert isinstance(key, KeyOps)
        assert key.protection() == tokens.KeyProtection(
            sensitive=True, extractable=False, always_sensitive=True, never_extractable=True, local=True)


def test_reading_the_private_value_is_refused(session, rsa_key, ec_key):
    with session.raw() as raw:
        rsa_priv = next(raw.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: rsa_key.key_id}))
        ec_priv = next(raw.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: ec_key.key_id}))
        for obj, attribute in ((rsa_priv, Attribute.PRIVATE_EXPONENT), (rsa_priv, Attribute.PRIME_1),
                               (ec_priv, Attribute.VALUE)):
            with pytest.raises(pkcs11.exceptions.AttributeSensitive):
                obj[attribute]
        with pytest.raises(pkcs11.exceptions.PKCS11Error):      # cannot be made extractable again
            rsa_priv[Attribute.EXTRACTABLE] = True


def test_wrapping_the_private_key_out_is_refused(session, rsa_key, ec_key):
    with session.raw() as raw:
        wrapper = raw.generate_key(KeyType.AES, 256, store=False,
                                   template={Attribute.WRAP: True, Attribute.EXTRACTABLE: True})
        for key in (rsa_key, ec_key):
            priv = next(raw.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key.key_id}))
            with pytest.raises((pkcs11.exceptions.KeyUnextractable, pkcs11.exceptions.KeyNotWrappable)):
                wrapper.wrap_key(priv, mechanism=Mechanism.AES_KEY_WRAP_PAD)


# ------------------------------------------------------------------------------ RSA decryption

def test_oaep_sha256_from_cryptography_decrypts_on_the_token(rsa_key):
    h = hashes.SHA256()
    ct = _pub(rsa_key).encrypt(b"k" * 32, padding.OAEP(padding.MGF1(h), h, None))
    assert rsa_key.rsa_decrypt(ct, oaep_hash="sha256") == b"k" * 32


def test_oaep_sha256_from_the_openssl_cli_decrypts_on_the_token(rsa_key, openssl, tmp_path, public_pem):
    pem = public_pem(rsa_key, tmp_path / "pub.pem")
    (tmp_path / "cek").write_bytes(bytes(range(32)))
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(pem), "-in", str(tmp_path / "cek"),
            "-out", str(tmp_path / "ct"), "-pkeyopt", "rsa_padding_mode:oaep",
            "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
    assert rsa_key.rsa_decrypt((tmp_path / "ct").read_bytes(), oaep_hash="sha256") == bytes(range(32))


def test_oaep_sha1_and_pkcs1_v15_decrypt_on_the_token(rsa_key, openssl, tmp_path, public_pem):
    pub = _pub(rsa_key)
    sha1 = hashes.SHA1()
    assert rsa_key.rsa_decrypt(pub.encrypt(b"one", padding.OAEP(padding.MGF1(sha1), sha1, None)),
                               oaep_hash="sha1") == b"one"
    assert rsa_key.rsa_decrypt(pub.encrypt(b"two", padding.PKCS1v15()), oaep_hash=None) == b"two"
    pem = public_pem(rsa_key, tmp_path / "pub.pem")
    (tmp_path / "m").write_bytes(b"three")
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(pem), "-in", str(tmp_path / "m"),
            "-out", str(tmp_path / "ct"))                       # PKCS#1 v1.5 by default
    assert rsa_key.rsa_decrypt((tmp_path / "ct").read_bytes(), oaep_hash=None) == b"three"


def test_bad_ciphertexts_all_give_the_one_uniform_error(rsa_key):
    pub = _pub(rsa_key)
    h = hashes.SHA256()
    good = pub.encrypt(b"secret", padding.OAEP(padding.MGF1(h), h, None))
    n = pub.public_numbers().n
    bad = {
        "tampered oaep": good[:100] + bytes([good[100] ^ 1]) + good[101:],
        "oaep label mismatch": pub.encrypt(b"secret", padding.OAEP(padding.MGF1(h), h, b"label")),
        "sha1 oaep read as sha256": pub.encrypt(b"secret", padding.OAEP(padding.MGF1(hashes.SHA1()),
                                                                        hashes.SHA1(), None)),
        "pkcs1 read as oaep": pub.encrypt(b"secret", padding.PKCS1v15()),
        "too short": good[1:],
        "not below n": (n + 5).to_bytes(256, "big"),
    }
    messages = set()
    for name, ct in bad.items():
        with pytest.raises(tokens.RsaDecryptionFailed) as info:
            rsa_key.rsa_decrypt(ct, oaep_hash="sha256")
        messages.add(str(info.value))
    with pytest.raises(tokens.RsaDecryptionFailed) as info:
        rsa_key.rsa_decrypt(good, oaep_hash=None)          # OAEP read as PKCS#1 v1.5
    messages.add(str(info.value))
    assert messages == {"RSA 解密失败 (RSA decryption failed)"}
    assert issubclass(tokens.RsaDecryptionFailed, KeyOperationError)


def test_raw_rsa_fallback_can_be_forbidden(rsa_key):
    tokens.configure(allow_raw_rsa=False)
    h = hashes.SHA256()
    ct = _pub(rsa_key).encrypt(b"x", padding.OAEP(padding.MGF1(h), h, None))
    with pytest.raises(tokens.MechanismUnavailable, match="raw RSA"):
        rsa_key.rsa_decrypt(ct, oaep_hash="sha256")
    sha1 = hashes.SHA1()
    ct1 = _pub(rsa_key).encrypt(b"y", padding.OAEP(padding.MGF1(sha1), sha1, None))
    assert rsa_key.rsa_decrypt(ct1, oaep_hash="sha1") == b"y"     # the real mechanism still works


def test_oaep_decode_matches_rfc8017_and_rejects_every_single_bit_flip():
    priv = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = priv.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    h = hashes.SHA256()
    ct = priv.public_key().encrypt(b"content key", padding.OAEP(padding.MGF1(h), h, None))
    em = pow(int.from_bytes(ct, "big"), d, n).to_bytes(128, "big")
    assert tokens.oaep_decode(em, 128, "sha256") == b"content key"
    for i in range(0, 128 * 8, 7):
        flipped = bytearray(em)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(tokens.RsaDecryptionFailed):
            tokens.oaep_decode(bytes(flipped), 128, "sha256")


# ------------------------------------------------------------------------------------- ECDH

def test_ecdh_on_the_token_equals_ecdh_from_the_peer_side(ec_key):
    peer = ec.generate_private_key(ec.SECP256R1())
    assert ec_key.ecdh(peer.public_key()) == peer.exchange(ec.ECDH(), _pub(ec_key))


def test_ecdh_refuses_a_peer_on_another_curve_and_an_rsa_key(ec_key, rsa_key):
    with pytest.raises(tokens.TokenError, match="curve|曲线"):
        ec_key.ecdh(ec.generate_private_key(ec.SECP384R1()).public_key())
    with pytest.raises(tokens.TokenError):
        rsa_key.ecdh(ec.generate_private_key(ec.SECP256R1()).public_key())


# -------------------------------------------------------------------------------- signatures

def _files(tmp_path, key, sig):
    (tmp_path / "data").write_bytes(MESSAGE)
    (tmp_path / "sig").write_bytes(sig)
    pub = _pub(key).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "pub.pem").write_bytes(pub)
    return str(tmp_path / "pub.pem"), str(tmp_path / "data"), str(tmp_path / "sig")


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_rsa_pkcs1_signature_verifies_with_cryptography_and_openssl(rsa_key, openssl, tmp_path, hash_name):
    sig = rsa_key.sign(MESSAGE, hash_algorithm=hash_name)
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[hash_name]
    _pub(rsa_key).verify(sig, MESSAGE, padding.PKCS1v15(), algorithm)
    pem, data, sigf = _files(tmp_path, rsa_key, sig)
    assert b"Verified OK" in openssl("dgst", f"-{hash_name}", "-verify", pem, "-signature", sigf, data).stdout


def test_rsa_pss_signature_verifies_with_cryptography_and_openssl(rsa_key, openssl, tmp_path):
    sig = rsa_key.sign(MESSAGE, hash_algorithm="sha256", pss=True)
    _pub(rsa_key).verify(sig, MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    pem, data, sigf = _files(tmp_path, rsa_key, sig)
    out = openssl("dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
                  "-sigopt", "rsa_mgf1_md:sha256", "-verify", pem, "-signature", sigf, data).stdout
    assert b"Verified OK" in out
    # and it is really PSS: the PKCS#1 v1.5 check refuses it
    assert openssl("dgst", "-sha256", "-verify", pem, "-signature", sigf, data, check=False).returncode != 0


@pytest.mark.parametrize("hash_name", ["sha256", "sha384"])
def test_ecdsa_signature_is_der_and_verifies_with_cryptography_and_openssl(ec_key, openssl, tmp_path,
                                                                          hash_name):
    sig = ec_key.sign(MESSAGE, hash_algorithm=hash_name)
    assert sig[0] == 0x30                                   # DER SEQUENCE {r, s}, not raw r||s
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[hash_name]
    _pub(ec_key).verify(sig, MESSAGE, ec.ECDSA(algorithm))
    pem, data, sigf = _files(tmp_path, ec_key, sig)
    assert b"Verified OK" in openssl("dgst", f"-{hash_name}", "-verify", pem, "-signature", sigf, data).stdout
    (tmp_path / "digest").write_bytes(hashlib.new(hash_name, MESSAGE).digest())
    out = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pem, "-in", str(tmp_path / "digest"),
                  "-sigfile", sigf).stdout
    assert b"Signature Verified Successfully" in out


def test_a_changed_message_does_not_verify(ec_key, openssl, tmp_path):
    sig = ec_key.sign(MESSAGE, hash_algorithm="sha256")
    pem, data, sigf = _files(tmp_path, ec_key, sig)
    (tmp_path / "data").write_bytes(MESSAGE + b"!")
    assert openssl("dgst", "-sha256", "-verify", pem, "-signature", sigf, data, check=False).returncode != 0


def test_unsupported_operations_raise_clear_errors(ec_key, rsa_key):
    with pytest.raises(tokens.MechanismUnavailable, match="SM2"):
        rsa_key.sm2_decrypt(b"\x30\x00")
    with pytest.raises(tokens.TokenError, match="sha1"):
        rsa_key.sign(MESSAGE, hash_algorithm="sha1")
    with pytest.raises(tokens.TokenError, match="PSS"):
        ec_key.sign(MESSAGE, hash_algorithm="sha256", pss=True)
    with pytest.raises(tokens.TokenError, match="rsa"):
        ec_key.rsa_decrypt(b"\x00" * 32, oaep_hash="sha256")


# ------------------------------------------------------------- finding keys, certificates, URIs

def _certificate_for(key: tokens.TokenKey, cn: str) -> bytes:
    ca = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")]))
            .public_key(_pub(key)).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(ca, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_rsa3072_key_and_its_certificate_share_the_cka_id(session, softhsm):
    key = session.generate_keypair("rsa3072", label="seal", key_id=b"\x33")
    assert _pub(key).key_size == 3072
    cert = _certificate_for(key, "供应商甲")
    session.store_certificate(cert, label="seal-cert", key_id=b"\x33")
    assert session.find_certificate(key_id=b"\x33") == cert
    assert session.find_certificate(label="seal-cert") == cert
    with session.raw() as raw:
        ids = {bytes(o[Attribute.ID]) for o in raw.get_objects({Attribute.LABEL: "seal"})}
        ids |= {bytes(o[Attribute.ID]) for o in raw.get_objects({Attribute.LABEL: "seal-cert"})}
    assert ids == {b"\x33"}


def test_a_certificate_for_another_key_is_refused(session, rsa_key, ec_key):
    with pytest.raises(tokens.CertificateKeyMismatch):
        session.store_certificate(_certificate_for(ec_key, "wrong"), label="c", key_id=rsa_key.key_id)


def test_token_keys_match_their_certificates_by_the_one_rule(session, rsa_key, ec_key):
    other_rsa = session.generate_keypair("rsa2048", label="other-rsa", key_id=b"\x0a\x02")
    for key, wrong in ((rsa_key, other_rsa), (ec_key, rsa_key)):
        cert = x509.load_der_x509_certificate(_certificate_for(key, "mine"))
        assert key_matches_certificate(key, cert)
        assert not key_matches_certificate(wrong, cert)


def test_open_key_by_uri_by_label_by_id_and_with_pin_source(softhsm, rsa_key, ec_key, tmp_path, user_pin):
    by_label = tokens.open_key(f"pkcs11:token={softhsm.label};object=sig-ec", pin=user_pin)
    by_id = tokens.open_key(f"pkcs11:token={softhsm.label};id=%0E%C1;type=private", pin=user_pin)
    pin_file = tmp_path / "pin"
    pin_file.write_text(user_pin + "\n")
    by_both = tokens.open_key(f"pkcs11:serial={softhsm.serial};object=sig-ec;id=%0e%c1"
                              f"?pin-source=file://{pin_file}")
    by_value = tokens.open_key(softhsm.uri(object="enc-rsa").replace(pin_value=user_pin))
    for key in (by_label, by_id, by_both):
        assert key.public_key_info().dump() == ec_key.public_key_info().dump()
        assert key.algorithm == "ec"
    assert by_value.algorithm == "rsa"
    assert by_value.public_key_info().dump() == rsa_key.public_key_info().dump()
    assert tokens.open_key(ec_key.uri(), pin=user_pin).key_id == b"\x0e\xc1"   # uri() round-trips


def test_open_key_errors_are_specific(softhsm, rsa_key, session, user_pin):
    uri = f"pkcs11:token={softhsm.label}"
    with pytest.raises(tokens.TokenObjectNotFound):
        tokens.open_key(uri + ";object=nope", pin=user_pin)
    with pytest.raises(tokens.TokenNotFound):
        tokens.open_key("pkcs11:token=other;object=enc-rsa", pin=user_pin)
    with pytest.raises(tokens.PinRequired):
        tokens.open_key(uri + ";object=enc-rsa")
    with pytest.raises(tokens.TokenError, match="private"):
        tokens.open_key(uri + ";object=enc-rsa;type=cert", pin=user_pin)
    with pytest.raises(tokens.TokenError, match="objet"):
        tokens.open_key(uri + ";objet=enc-rsa", pin=user_pin)
    with pytest.raises(tokens.TokenObjectExists):
        session.generate_keypair("ec-p256", label="enc-rsa", key_id=b"\x99")
    with pytest.raises(tokens.TokenError, match="kind"):
        session.generate_keypair("dsa1024", label="x", key_id=b"\x98")


def test_keys_fail_cleanly_after_the_library_is_reinitialised(tmp_path, rsa_key):
    init_softhsm_token(tmp_path / "second", "second-token", "so-pin-0000", "1234-user")
    with pytest.raises(tokens.TokenSessionClosed):
        rsa_key.sign(MESSAGE, hash_algorithm="sha256")
