"""Issuing for outside keys, renewal (R7), lost-key replacement (R8), subject change (R5), seals, state."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from support.devca import PASSWORD, T0, days, institution
from pki.certs import validity
from pki.devca import (AlgorithmNotOffered, AlreadyRevoked, CertificateExpired, DevCA, DevCaError,
                       SubjectChangeRefused)
from pki.identity import PartyIdentity, read_identity
from pki.sm2 import Sm2PrivateKey
from pki.trust import RenewalNeedsDocuments, RenewalNotOpen


def test_issue_for_an_outside_public_key(devca, trust):
    """A key generated elsewhere (e.g. on a PKCS#11 token) is certified from its SPKI alone."""
    key = ec.generate_private_key(ec.SECP256R1())
    rec = devca.issue("gdca", institution(50), public_key=key.public_key(), at=days(1))
    assert rec.algorithm == "ec" and rec.key_file is None
    cert = devca.certificate(rec.serial)
    from cryptography.hazmat.primitives import serialization
    assert cert.public_key.dump() == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    sm2 = Sm2PrivateKey.generate()
    rec2 = devca.issue("gdca", institution(50), public_key=sm2.public_key.to_spki().dump(), at=days(1))
    assert devca.certificate(rec2.serial).public_key.dump() == sm2.public_key.to_spki().dump()
    assert trust.validate(devca.certificate(rec2.serial), days(2), "stamping").ok


def test_refusals_at_issue(devca):
    with pytest.raises(AlgorithmNotOffered, match="RSA"):
        devca.issue("gdca", institution(51), algorithm="rsa", password=PASSWORD, at=days(1))
    with pytest.raises(DevCaError, match="口令"):
        devca.issue("gdca", institution(51), at=days(1))
    with pytest.raises(DevCaError, match="服务期"):
        devca.issue("gdca", institution(51), password=PASSWORD, years=3, at=days(1))
    with pytest.raises(DevCaError, match="签名证书"):
        devca.issue("gdca", institution(51), password=PASSWORD, purpose="encryption", seal_kind="公章", at=days(1))


def test_seal_image_per_signing_certificate(devca):
    rec = devca.issue("netca", institution(52), algorithm="sm2", password=PASSWORD, seal_kind="合同专用章", at=days(1))
    assert rec.seal_kind == "合同专用章"
    assert devca.path(rec.seal_file).read_bytes().startswith(b"\x89PNG")
    auto = devca.issue("netca", institution(52), algorithm="sm2", password=PASSWORD, at=days(1))
    assert auto.seal_kind == "公章"
    person = devca.issue("netca", PartyIdentity("natural_person", "张三", id_number="11010519491231002X"),
                         algorithm="sm2", password=PASSWORD, at=days(1))
    assert person.seal_kind is None and person.seal_file is None
    enc = devca.issue("netca", institution(52), algorithm="sm2", password=PASSWORD, purpose="encryption",
                      at=days(1))
    assert enc.seal_kind is None


def test_renewal_window_and_extension_r7(devca, trust):
    rec = devca.issue("bjca", institution(53), algorithm="sm2", password=PASSWORD, years=1, at=days(1))
    old_end = validity(devca.certificate(rec.serial))[1]
    with pytest.raises(RenewalNotOpen):
        devca.renew(rec.serial, password=PASSWORD, at=days(200))           # ~166 days left
    at = days(300)                                                          # 66 days left
    new = devca.renew(rec.serial, years=2, password=PASSWORD, at=at)
    cert = devca.certificate(new.serial)
    assert validity(cert) == (at, old_end.replace(year=old_end.year + 2))
    assert cert.subject == devca.certificate(rec.serial).subject
    assert cert.public_key.dump() != devca.certificate(rec.serial).public_key.dump()
    assert new.replaces == rec.serial and new.replacement == "renewal"
    assert devca.record(rec.serial).replaced_by == new.serial
    assert devca.record(rec.serial).status == "valid"                      # it simply expires
    assert trust.validate(cert, at, "stamping").ok
    assert new.seal_kind == rec.seal_kind


def test_expired_renewal_counts_from_the_renewal_day_and_has_a_limit(devca):
    rec = devca.issue("bjca", institution(54), algorithm="rsa", password=PASSWORD, years=1, at=days(1))
    at = days(1 + 365 + 100)
    new = devca.renew(rec.serial, years=1, password=PASSWORD, at=at)
    assert validity(devca.certificate(new.serial)) == (at, at.replace(year=at.year + 1))
    with pytest.raises(RenewalNeedsDocuments, match="365"):
        devca.renew(rec.serial, password=PASSWORD, at=days(1 + 365 + 366))


def test_lost_key_replacement_r8(devca, trust):
    rec = devca.issue("cfca", institution(55), algorithm="ec", password=PASSWORD, years=2, at=days(1))
    old_cert = devca.certificate(rec.serial)
    new = devca.replace_lost_key(rec.serial, password=PASSWORD, at=days(100))
    new_cert = devca.certificate(new.serial)
    assert validity(new_cert)[1] == validity(old_cert)[1]                  # the validity period stays
    assert new_cert.public_key.dump() != old_cert.public_key.dump()
    assert new.replacement == "lost_key"
    old = devca.record(rec.serial)
    assert (old.status, old.revocation_reason, old.replaced_by) == ("revoked", "key_compromise", new.serial)
    assert trust.validate(old_cert, days(101), "login", crls=devca.crls()).codes == ("revoked",)
    assert trust.validate(new_cert, days(101), "login", crls=devca.crls()).ok
    with pytest.raises(AlreadyRevoked):
        devca.replace_lost_key(rec.serial, password=PASSWORD, at=days(102))


def test_subject_change_r5(devca, trust):
    rec = devca.issue("hbca", institution(56, "旧名称有限公司"), algorithm="sm2", password=PASSWORD, at=days(1))
    renamed = institution(56, "新名称有限公司")
    new = devca.change_subject(rec.serial, renamed, password=PASSWORD, at=days(10))
    new_cert = devca.certificate(new.serial)
    assert read_identity(new_cert, trust.profile("hbca")) == renamed
    assert devca.record(rec.serial).revocation_reason == "superseded"
    assert validity(new_cert)[1] == validity(devca.certificate(rec.serial))[1]
    with pytest.raises(SubjectChangeRefused, match="统一社会信用代码"):
        devca.change_subject(new.serial, institution(57, "新名称有限公司"), password=PASSWORD, at=days(11))
    expired = devca.issue("hbca", institution(58), algorithm="sm2", password=PASSWORD, at=days(1))
    with pytest.raises(CertificateExpired):
        devca.change_subject(expired.serial, institution(58, "别名有限公司"), password=PASSWORD, at=days(400))


def test_state_survives_a_new_instance_and_is_valid_json(devca):
    rec = devca.issue("netca", institution(59), algorithm="rsa", password=PASSWORD, at=days(1))
    again = DevCA(devca.state_dir, devca.anchors_dir)
    assert again.record(rec.serial) == rec
    state = json.loads((devca.state_dir / "index.json").read_text(encoding="utf-8"))
    assert str(rec.serial) in state["certificates"]
    assert not list(devca.state_dir.rglob("*.tmp"))                        # no half-written files
    assert oct((devca.state_dir / "ca" / "netca-rsa" / "root.key").stat().st_mode & 0o777) == "0o600"
    serials = [r.serial for r in again.records()]
    assert len(serials) == len(set(serials))


def test_init_is_idempotent_and_clock_is_used(devca, tmp_path):
    from bidding.clock import FrozenClock
    before = devca.chain("netca", "sm2").root.dump()
    devca.init(["netca"], at=days(5))
    assert devca.chain("netca", "sm2").root.dump() == before
    ca = DevCA(tmp_path / "s", tmp_path / "a", clock=FrozenClock(T0))
    ca.init(["hbca"])
    rec = ca.issue("hbca", institution(60), algorithm="sm2", password=PASSWORD)
    assert validity(ca.certificate(rec.serial))[0] == T0
