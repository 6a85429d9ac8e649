"""GM/T 0010 SM2 signatures: GmSSL's vector, the standard flavour checked by the openssl command
line, the GmSSL-compatible flavour compared with sig.pem field by field, tampering, trust."""
from __future__ import annotations

import re

import pytest
from asn1crypto import cms, pem

from pki.certs import load_certificate_file
from pki.keyops import FileKey
from pki.keys import load_private_key
from pki.signature import sign, verify
from pki.signature import load_signed_data


@pytest.fixture(scope="module")
def gm(sm2_vectors):
    class V:
        root = load_certificate_file(sm2_vectors / "ca_cert.pem")
        cert = load_certificate_file(sm2_vectors / "bidder_cert.pem")
        key = FileKey(load_private_key((sm2_vectors / "bidder_key.pem").read_bytes(), b"1234"))
        sig_pem = (sm2_vectors / "sig.pem").read_bytes()
        small = (sm2_vectors / "small.txt").read_bytes()
    return V


def _structure(run_openssl, der: bytes, tmp_path) -> list[str]:
    """openssl asn1parse lines without offsets and without the signature value's bytes."""
    path = tmp_path / "x.der"
    path.write_bytes(der)
    out = run_openssl("asn1parse", "-inform", "DER", "-in", path, "-i").stdout.decode()
    lines = [re.sub(r"^\s*\d+:", "", line) for line in out.splitlines()]
    return [re.sub(r"\[HEX DUMP\]:[0-9A-F]+", "[HEX DUMP]", line) for line in lines]


def test_gmssl_vector_verifies_as_gmssl_flavour(gm, now):
    result = verify(gm.sig_pem, trust_roots=[gm.root], at=now)
    assert result.ok, result.reasons
    assert result.flavour == "gm-gmssl"
    assert result.content == b"hello bid" == gm.small
    assert "示例供应商有限公司" in result.signer_subject
    assert result.digest_algorithm == "sm3" and result.signature_algorithm == "sm2sign_with_sm3"
    assert result.content_type == "gm_data" and result.chain.ok


def test_gmssl_vector_before_certificate_validity(gm):
    from datetime import datetime, timezone
    result = verify(gm.sig_pem, trust_roots=[gm.root], at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert not result.ok and "not_yet_valid" in result.codes
    assert result.flavour == "gm-gmssl"   # the signature itself is fine


@pytest.mark.parametrize("attrs", [True, False], ids=["signed-attrs", "no-attrs"])
def test_standard_flavour_checked_by_openssl_pkeyutl(gm, now, run_openssl, tmp_path, attrs):
    der = sign(gm.small, key=gm.key, certificate=gm.cert, signing_time=now, signed_attributes=attrs)
    result = verify(der, trust_roots=[gm.root], at=now)
    assert result.ok and result.flavour == "gm-standard"
    info, sd = load_signed_data(der)
    assert info["content_type"].dotted == "1.2.156.10197.6.1.4.2.2"
    si = sd["signer_infos"][0]
    assert sd["version"].native == "v1" and si["version"].native == "v1"
    assert si["sid"].name == "issuer_and_serial_number"
    assert sd["encap_content_info"]["content_type"].dotted == "1.2.156.10197.6.1.4.2.1"
    assert si["digest_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.401"
    assert si["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.501"
    # the signed message: the DER of the signed attributes (SET OF), or the content itself
    message = (b"\x31" + si["signed_attrs"].dump()[1:]) if attrs else gm.small
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(si["signature"].native)
    (tmp_path / "pub.pem").write_bytes(pem.armor("PUBLIC KEY", gm.cert.public_key.dump()))
    proc = run_openssl("pkeyutl", "-verify", "-pubin", "-inkey", tmp_path / "pub.pem", "-rawin", "-digest", "sm3",
                       "-pkeyopt", "distid:1234567812345678", "-in", tmp_path / "msg", "-sigfile", tmp_path / "sig")
    assert b"Signature Verified Successfully" in proc.stdout
    # and the same check fails over another message
    (tmp_path / "msg").write_bytes(message + b"!")
    bad = run_openssl("pkeyutl", "-verify", "-pubin", "-inkey", tmp_path / "pub.pem", "-rawin", "-digest", "sm3",
                      "-pkeyopt", "distid:1234567812345678", "-in", tmp_path / "msg", "-sigfile", tmp_path / "sig",
                      check=False)
    assert bad.returncode != 0


def test_gmssl_compat_matches_sig_pem_structure(gm, now, run_openssl, tmp_path):
    ours = sign(gm.small, key=gm.key, certificate=gm.cert, gmssl_compat=True)
    theirs = pem.unarmor(gm.sig_pem)[2]
    assert _structure(run_openssl, ours, tmp_path) == _structure(run_openssl, theirs, tmp_path)
    assert len(ours) == len(theirs)            # even the 71-byte signature length
    assert ours[:-73] == theirs[:-73]           # identical up to the signature value
    result = verify(ours, trust_roots=[gm.root], at=now)
    assert result.ok and result.flavour == "gm-gmssl"


def test_gmssl_compat_with_signed_attributes_round_trip(sm2_chain, now):
    der = sign(b"with attrs", key=sm2_chain.key, certificate=sm2_chain.leaf, signing_time=now, gmssl_compat=True,
               signed_attributes=True)
    result = verify(der, trust_roots=[sm2_chain.root], at=now)
    assert result.ok and result.flavour == "gm-gmssl" and result.signing_time == now


@pytest.mark.parametrize("detached", [False, True])
def test_own_sm2_chain(sm2_chain, now, run_openssl, attime, tmp_path, detached):
    # the SM2 certificate chain built for the tests is itself valid for openssl (standard Z signatures)
    run_openssl("verify", "-vfyopt", "distid:1234567812345678", "-CAfile", sm2_chain.root_pem, "-attime", attime,
                sm2_chain.leaf_pem)
    der = sign(b"x" * 1000, key=sm2_chain.key, certificate=sm2_chain.leaf, signing_time=now, detached=detached)
    result = verify(der, content=b"x" * 1000 if detached else None, trust_roots=[sm2_chain.root], at=now)
    assert result.ok and result.flavour == "gm-standard" and result.detached is detached
    result = verify(der, content=b"y" * 1000 if detached else None, trust_roots=[sm2_chain.root], at=now)
    assert result.ok is (not detached)


def test_sm2_wrong_trust_root(gm, sm2_chain, rsa_chain, now):
    for roots in ([sm2_chain.root], [rsa_chain.root]):
        result = verify(gm.sig_pem, trust_roots=roots, at=now)
        assert not result.ok and "untrusted_issuer" in result.codes
        assert result.flavour == "gm-gmssl"


def test_sm2_tampering(gm, now):
    der = pem.unarmor(gm.sig_pem)[2]
    at = der.find(b"hello bid")
    bad = bytearray(der)
    bad[at] ^= 0x01
    result = verify(bytes(bad), trust_roots=[gm.root], at=now)
    assert not result.ok and result.codes == ("bad_signature",)
    sig = load_signed_data(der)[1]["signer_infos"][0]["signature"].native
    bad = bytearray(der)
    bad[der.find(sig) + 20] ^= 0x01
    assert verify(bytes(bad), trust_roots=[gm.root], at=now).codes == ("bad_signature",)
    # a standard signature presented with another signer ID is neither flavour
    ours = sign(gm.small, key=gm.key, certificate=gm.cert, signed_attributes=False)
    info = cms.ContentInfo.load(ours)
    assert verify(ours, trust_roots=[gm.root], at=now).ok
    original = info["content"]["signer_infos"][0]["signature"].native
    forged = b""
    while len(forged) != len(original):
        forged = gm.key.sign(gm.small, hash_algorithm="sm3", sm2_signer_id=b"another-id")
    swapped = ours.replace(original, forged)
    assert verify(swapped, trust_roots=[gm.root], at=now).codes == ("bad_signature",)
