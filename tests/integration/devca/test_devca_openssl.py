"""Chains, CRLs and key files of the development CA, checked by the OpenSSL command line."""
from __future__ import annotations

from datetime import timedelta

import pytest

from support.devca import PASSWORD, T0, crl_moment, days, epoch, institution, openssl, pem_of_crl
from pki.keys import key_matches_certificate, load_private_key

DISTID = "distid:1234567812345678"


@pytest.mark.parametrize("profile, alg", [("netca", "rsa"), ("gdca", "ec"), ("cfca", "rsa"), ("cfca", "ec")])
def test_rsa_and_ec_chains_verify_with_openssl_including_crls(devca, tmp_path, profile, alg):
    at = crl_moment(devca, profile, alg)
    rec = devca.issue(profile, institution(10), algorithm=alg, password=PASSWORD, at=at)
    anchors = devca.anchors_dir / profile
    leaf = devca.path(rec.cert_file)
    crls = pem_of_crl(devca, tmp_path, profile, alg)
    out = openssl("verify", "-attime", epoch(at + timedelta(minutes=1)), "-crl_check_all", "-CRLfile", str(crls),
                  "-CAfile", str(anchors / f"{alg}-root.pem"), "-untrusted", str(anchors / f"{alg}-ca.pem"),
                  str(leaf))
    assert out.stdout.strip().endswith(": OK"), out.stderr


@pytest.mark.parametrize("profile", ["netca", "gdca", "cfca", "bjca", "hbca"])
def test_sm2_chains_verify_with_openssl_distid(devca, profile):
    """OpenSSL 3.0 applies -vfyopt distid only to the certificate being verified (an intermediate
    given with -untrusted is checked without it and fails), so the chain is verified link by link."""
    rec = devca.issue(profile, institution(11), algorithm="sm2", password=PASSWORD, at=days(1))
    anchors = devca.anchors_dir / profile
    root, inter, leaf = anchors / "sm2-root.pem", anchors / "sm2-ca.pem", devca.path(rec.cert_file)
    at = epoch(days(2))
    for trusted, target in ((root, inter), (inter, leaf)):
        out = openssl("verify", "-attime", at, "-partial_chain", "-vfyopt", DISTID, "-CAfile", str(trusted),
                      str(target))
        assert out.stdout.strip().endswith(": OK"), out.stderr
    # without the distinguishing ID the signature does not verify: Z over the default ID is in use
    out = openssl("verify", "-attime", at, "-partial_chain", "-CAfile", str(inter), str(leaf), check=False)
    assert out.returncode != 0


@pytest.mark.parametrize("profile, alg", [("netca", "rsa"), ("gdca", "ec"), ("hbca", "sm2")])
def test_crls_parse_with_openssl_and_list_revoked_certificates(devca, tmp_path, profile, alg):
    rec = devca.issue(profile, institution(12), algorithm=alg, password=PASSWORD, at=days(1))
    devca.revoke(rec.serial, "key_compromise", at=days(3))
    der = tmp_path / "c.crl"
    der.write_bytes(devca.crl(profile, alg))
    text = openssl("crl", "-inform", "DER", "-in", str(der), "-noout", "-text").stdout
    assert f"Serial Number: {rec.serial_hex}" in text
    assert "Key Compromise" in text
    assert "CRL Number" in text
    sig = {"rsa": "sha256WithRSAEncryption", "ec": "ecdsa-with-SHA256", "sm2": "SM2-with-SM3"}[alg]
    assert f"Signature Algorithm: {sig}" in text
    if alg != "sm2":      # OpenSSL checks RSA/EC CRL signatures itself; SM2 CRLs: see test_devca_validation
        issuer = devca.anchors_dir / profile / f"{alg}-ca.pem"
        out = openssl("crl", "-inform", "DER", "-in", str(der), "-noout", "-CAfile", str(issuer))
        assert "verify OK" in out.stdout + out.stderr


def test_generated_keys_open_and_match(devca, tmp_path):
    rsa = devca.issue("bjca", institution(13), algorithm="rsa", password=PASSWORD, at=days(1))
    info = openssl("pkcs12", "-in", str(devca.path(rsa.key_file)), "-passin", f"pass:{PASSWORD.decode()}",
                   "-nokeys", "-info").stdout
    assert info.count("BEGIN CERTIFICATE") == 3                    # leaf, intermediate, root
    sm2 = devca.issue("bjca", institution(13), algorithm="sm2", password=PASSWORD, at=days(1))
    key_pem = devca.path(sm2.key_file).read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = load_private_key(key_pem, PASSWORD)
    assert key_matches_certificate(key, devca.certificate(sm2.serial).public_key)


def test_intermediate_is_a_ca_with_crl_distribution_point(devca):
    chain = devca.chain("netca", "sm2")
    inter = chain.intermediate
    assert inter.ca and inter.max_path_length == 0
    assert inter.key_usage_value.native == {"key_cert_sign", "crl_sign"}
    assert inter.crl_distribution_points[0].url.endswith("/netca-sm2-root.crl")
    assert chain.root.self_signed == "maybe" or chain.root.self_signed == "yes"
    assert T0 == inter.not_valid_before
