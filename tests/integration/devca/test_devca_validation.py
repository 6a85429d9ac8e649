"""Certificates of the development CA through the trust list: accepted, and refused with the reason."""
from __future__ import annotations

import http.server
import threading
from functools import partial

import pytest

from support.devca import PASSWORD, T0, days, institution
from pki.devca import DevCA
from pki.validation import validate_certificate


@pytest.mark.parametrize("profile, alg", [("netca", "rsa"), ("gdca", "ec"), ("hbca", "sm2"), ("cfca", "sm2")])
def test_platform_certificate_is_accepted_for_stamping_with_crls_required(devca, trust, profile, alg):
    rec = devca.issue(profile, institution(20), algorithm=alg, password=PASSWORD, at=days(1))
    result = trust.validate(devca.certificate(rec.serial), days(2), "stamping", crls=devca.crls(),
                            revocation="require")
    assert result.ok, result.reasons
    assert result.profile == profile
    assert len(result.chain) == 3 and result.chain[0].serial_number == rec.serial


@pytest.mark.parametrize("alg", ["rsa", "sm2"])
def test_revoked_certificate_is_refused_with_date_and_reason(devca, trust, alg):
    rec = devca.issue("netca", institution(21), algorithm=alg, password=PASSWORD, at=days(1))
    devca.revoke(rec.serial, "key_compromise", at=days(3))
    result = trust.validate(devca.certificate(rec.serial), days(4), "login", crls=devca.crls())
    assert result.codes == ("revoked",)
    message = result.reasons[0].message
    assert "2027-01-04" in message and "密钥泄露" in message and "key compromise" in message
    # before the revocation it was fine (the CRL says since when)
    assert trust.validate(devca.certificate(rec.serial), days(2), "login", crls=devca.crls()).ok


def test_expired_certificate_is_refused(devca, trust):
    rec = devca.issue("gdca", institution(22), algorithm="ec", password=PASSWORD, at=days(1))
    result = trust.validate(devca.certificate(rec.serial), days(400), "login")
    assert result.codes == ("expired",)
    assert "2028-01-02" in result.reasons[0].message


def test_other_platform_certificate_logs_in_but_cannot_stamp_r4(devca, trust):
    rec = devca.issue("bjca", institution(23), algorithm="sm2", password=PASSWORD, platform=False, at=days(1))
    cert = devca.certificate(rec.serial)
    assert trust.validate(cert, days(2), "login").ok
    result = trust.validate(cert, days(2), "stamping")
    assert result.codes == ("policy_missing",)
    assert trust.profile("bjca").policy_oid in result.reasons[0].message
    # another profile's platform OID does not count either
    other = devca.issue("bjca", institution(23), algorithm="rsa", password=PASSWORD, platform=False,
                        extra_policies=[trust.profile("netca").policy_oid], at=days(1))
    assert trust.validate(devca.certificate(other.serial), days(2), "stamping").codes == ("policy_missing",)


def test_certificate_of_an_unknown_ca_is_untrusted(tmp_path, trust):
    stranger = DevCA(tmp_path / "state", tmp_path / "anchors")      # same profiles, other keys
    stranger.init(["cfca"], at=T0)
    rec = stranger.issue("cfca", institution(24), algorithm="ec", password=PASSWORD, at=days(1))
    result = trust.validate(stranger.certificate(rec.serial), days(2), "login")
    assert result.codes == ("untrusted_issuer",)
    assert result.profile is None           # same names, other keys: not the trusted CFCA


def test_stranger_with_different_names_is_untrusted(devca, tmp_path):
    stranger = DevCA(tmp_path / "state", tmp_path / "anchors")
    stranger.init(["gdca"], at=T0)
    rec = stranger.issue("gdca", institution(25), algorithm="sm2", password=PASSWORD, at=days(1))
    result = validate_certificate(stranger.certificate(rec.serial), at=days(2),
                                  trust_roots=[devca.chain("netca", "sm2").root],
                                  intermediates=[devca.chain("netca", "sm2").intermediate])
    assert result.codes == ("untrusted_issuer",)


def test_require_mode_without_crls_is_unknown_and_soft_fail_warns(devca, trust):
    rec = devca.issue("hbca", institution(26), algorithm="ec", password=PASSWORD, at=days(1))
    cert = devca.certificate(rec.serial)
    assert trust.validate(cert, days(2), "login", revocation="require").codes == ("revocation_unknown",)
    unchecked = trust.validate(cert, days(2), "login", revocation="soft-fail")
    assert unchecked.ok and len(unchecked.warnings) == 2        # leaf and intermediate: no CRL at hand
    assert {w.code for w in unchecked.warnings} == {"revocation_unknown"}
    assert trust.validate(cert, days(2), "login", crls=devca.crls()).warnings == ()
    # CRLs are valid for 7 days: a stale CRL makes the status unknown in either mode
    for mode in ("soft-fail", "require"):
        stale = trust.validate(cert, days(30), "login", crls=[devca.crl("hbca", "ec"), devca.crl("hbca", "ec", root=True)],
                               revocation=mode)
        assert stale.codes == ("revocation_unknown",), mode


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_encryption_purpose_needs_an_encryption_certificate(devca, trust, alg):
    profile = {"rsa": "cfca", "ec": "cfca", "sm2": "cfca"}[alg]
    enc = devca.issue(profile, institution(27), algorithm=alg, password=PASSWORD, purpose="encryption", at=days(1))
    sig = devca.issue(profile, institution(27), algorithm=alg, password=PASSWORD, purpose="signing", at=days(1))
    assert trust.validate(devca.certificate(enc.serial), days(2), "encryption").ok
    assert trust.validate(devca.certificate(sig.serial), days(2), "encryption").codes == ("key_usage_missing",)
    assert trust.validate(devca.certificate(enc.serial), days(2), "stamping").codes == ("key_usage_missing",)


def test_tampered_devca_sm2_certificate_is_a_bad_signature(devca, trust):
    rec = devca.issue("netca", institution(28), algorithm="sm2", password=PASSWORD, at=days(1))
    der = bytearray(devca.certificate(rec.serial).dump())
    at = der.find("示例".encode())
    der[at + 1] ^= 0x01
    result = trust.validate(bytes(der), days(2), "login")
    assert result.codes == ("bad_signature",)


def test_crls_fetched_from_the_distribution_point(devca, tmp_path):
    """fetch_crls=True follows the certificate's CRL distribution point over HTTP."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(devca.state_dir / "crl"))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        online = DevCA(devca.state_dir, devca.anchors_dir,
                       crl_base_url=f"http://127.0.0.1:{server.server_address[1]}")
        rec = online.issue("netca", institution(29), algorithm="sm2", password=PASSWORD, at=days(1))
        online.revoke(rec.serial, "cessation_of_operation", at=days(2))
        chain = devca.chain("netca", "sm2")
        result = validate_certificate(online.certificate(rec.serial), at=days(3), trust_roots=[chain.root],
                                      intermediates=[chain.intermediate], fetch_crls=True)
        assert result.codes == ("revoked",)
        assert "停止使用" in result.reasons[0].message
    finally:
        server.shutdown()
        server.server_close()
