"""Validation of the GmSSL-made SM2 chain (an independent implementation), with reasons for refusal."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from pki.certs import load_certificate
from pki.validation import SM2_SIGNATURE_VALIDATOR, validate_certificate

AT = datetime(2027, 1, 1, tzinfo=timezone.utc)       # after the vectors' notBefore 2026-11-23 08:17 UTC


@pytest.fixture(scope="module")
def vec(sm2_vectors):
    return (load_certificate((sm2_vectors / "ca_cert.pem").read_bytes()),
            load_certificate((sm2_vectors / "bidder_cert.pem").read_bytes()))


def test_gmssl_sm2_chain_validates(vec):
    root, leaf = vec
    result = validate_certificate(leaf, at=AT, trust_roots=[root], key_usage={"digital_signature"})
    assert result.ok, result.reasons
    assert [c.subject for c in result.chain] == [leaf.subject, root.subject]
    assert result.checked_at == AT
    assert [w.code for w in result.warnings] == ["revocation_unknown"]     # soft-fail, no CRL at hand
    assert "Test SM2 Root CA" in result.warnings[0].message


def test_tampered_sm2_certificate_is_a_bad_signature_not_a_crash(vec):
    root, leaf = vec
    der = bytearray(leaf.dump())
    at = der.find("示例".encode())                      # inside the subject, so the path still builds
    der[at + 2] ^= 0x01
    result = validate_certificate(bytes(der), at=AT, trust_roots=[root])
    assert not result.ok
    assert result.codes == ("bad_signature",)
    assert "篡改" in result.reasons[0].message and "tampered" in result.reasons[0].message


def test_sm2_certificate_claiming_another_algorithm_is_a_bad_signature(vec, caplog):
    """An SM2 issuer key with the signature OID changed to ecdsa-with-SHA256: refused as a bad
    signature, with no library error (UnsupportedAlgorithm: curve not supported) logged on the way."""
    from asn1crypto import x509
    root, leaf = vec
    forged = x509.Certificate.load(leaf.dump())
    forged = x509.Certificate({"tbs_certificate": forged["tbs_certificate"],
                               "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                               "signature_value": forged["signature_value"]})
    result = validate_certificate(forged.dump(), at=AT, trust_roots=[root])
    assert result.codes == ("bad_signature",)
    assert "UnsupportedAlgorithm" not in caplog.text


@pytest.mark.parametrize("moment, code, text", [
    (datetime(2029, 1, 1, tzinfo=timezone.utc), "expired", "2028-11-22"),
    (datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc), "not_yet_valid", "2026-11-23 08:17"),
])
def test_validity_window(vec, moment, code, text):
    root, leaf = vec
    result = validate_certificate(leaf, at=moment, trust_roots=[root])
    assert result.codes == (code,)
    assert text in result.reasons[0].message


def test_another_root_is_untrusted(vec, sm2_vectors):
    from pki.devca.x509build import build_certificate, extension, key_identifier
    from pki.sm2 import Sm2PrivateKey
    from asn1crypto import x509
    key = Sm2PrivateKey.generate()
    spki = key.public_key.to_spki()
    name = x509.Name.build({"common_name": "Test SM2 Root CA", "organization_name": "Other", "country_name": "CN"})
    other = build_certificate(1, name, name, spki, AT.replace(year=2026), AT.replace(year=2030),
                              [extension("basic_constraints", {"ca": True}, critical=True),
                               extension("key_identifier", key_identifier(spki))], key)
    result = validate_certificate(vec[1], at=AT, trust_roots=[other])
    assert result.codes == ("untrusted_issuer",)
    assert "受信任" in result.reasons[0].message


def test_usage_and_policy_are_reported_together(vec):
    root, leaf = vec                                   # keyUsage: digitalSignature + keyEncipherment
    result = validate_certificate(leaf, at=AT, trust_roots=[root], key_usage={"non_repudiation"},
                                  required_policy="1.2.156.1")
    assert result.codes == ("key_usage_missing", "policy_missing")
    assert "不可否认" in result.reasons[0].message
    assert "专key专用" in result.reasons[1].message


def test_require_without_crls_is_unknown_status(vec):
    root, leaf = vec
    result = validate_certificate(leaf, at=AT, trust_roots=[root], revocation="require")
    assert result.codes == ("revocation_unknown",)
    assert validate_certificate(leaf, at=AT, trust_roots=[root], revocation="off").ok


def test_works_inside_a_running_event_loop(vec):
    root, leaf = vec

    async def inside():
        return validate_certificate(leaf, at=AT, trust_roots=[root])

    assert asyncio.run(inside()).ok


def test_sm2_validator_defers_other_algorithms_and_rejects_bad_sm2(vec):
    from cryptography.exceptions import InvalidSignature
    root, leaf = vec
    tbs = leaf["tbs_certificate"].dump()
    SM2_SIGNATURE_VALIDATOR.validate_signature(leaf["signature_value"].native, tbs, root.public_key,
                                               leaf["signature_algorithm"])
    with pytest.raises(InvalidSignature):
        SM2_SIGNATURE_VALIDATOR.validate_signature(leaf["signature_value"].native, tbs + b"x", root.public_key,
                                                   leaf["signature_algorithm"])


def test_bad_arguments_are_programming_errors(vec):
    root, leaf = vec
    with pytest.raises(ValueError, match="revocation"):
        validate_certificate(leaf, at=AT, trust_roots=[root], revocation="maybe")
    with pytest.raises(ValueError, match="timezone"):
        validate_certificate(leaf, at=datetime(2027, 1, 1), trust_roots=[root])
