"""Every profile writes the identity where its CA does, and reads it back through the trust list."""
from __future__ import annotations

import pytest
from asn1crypto import core

from support.devca import PASSWORD, credit_code, days
from pki.identity import IdentityMissing, PartyIdentity, UnknownCertificateType, read_identity

PROFILES = ["netca", "gdca", "cfca", "bjca", "hbca"]
PEOPLE = [
    PartyIdentity("institution", "示例供应商有限公司", credit_code=credit_code(40)),
    PartyIdentity("legal_representative", "李四", credit_code=credit_code(40), organization="示例供应商有限公司"),
    PartyIdentity("natural_person", "张三", id_number="11010519491231002X"),
]


def _subject(cert):
    return {attr["type"].native: attr["value"].native for rdn in cert.subject.chosen for attr in rdn}


def _extension(cert, oid):
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted == oid:
            return core.UTF8String.load(ext["extn_value"].native).native
    return None


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("who", PEOPLE, ids=lambda p: p.kind)
def test_identity_round_trip_through_each_profile(devca, trust, profile, who):
    alg = trust.profile(profile).chains[-1]
    rec = devca.issue(profile, who, algorithm=alg, password=PASSWORD, seal_kind=None, at=days(1))
    cert = devca.certificate(rec.serial)
    assert trust.profile_for(cert).id == profile
    assert trust.identity(cert) == who


def test_each_profile_puts_the_number_where_its_ca_does(devca, trust):
    who = PEOPLE[0]
    certs = {p: devca.certificate(devca.issue(p, who, algorithm=trust.profile(p).chains[0], password=PASSWORD,
                                              seal_kind=None, at=days(1)).serial) for p in PROFILES}
    arc = trust.profile("cfca").identity.oid.rsplit(".", 2)[0]
    assert _subject(certs["netca"])["serial_number"] == who.credit_code
    assert _subject(certs["netca"])["organizational_unit_name"] == "机构证书"
    assert _subject(certs["gdca"])["organizational_unit_name"] == who.credit_code
    assert _subject(certs["gdca"])["title"] == "机构"
    assert _extension(certs["cfca"], f"{arc}.2.3") == who.credit_code
    assert _subject(certs["cfca"])["organizational_unit_name"] == "Organizational-1"
    assert _subject(certs["bjca"])["serial_number"] == "JG-" + who.credit_code
    assert _extension(certs["hbca"], f"{arc}.2.5") == who.credit_code
    assert _extension(certs["hbca"], f"{arc}.3.5") == "1"


def test_reading_with_the_wrong_profile_fails_clearly(devca, trust):
    cert = devca.certificate(devca.issue("netca", PEOPLE[0], algorithm="rsa", password=PASSWORD,
                                         at=days(1)).serial)
    with pytest.raises(IdentityMissing, match="扩展") as info:
        read_identity(cert, trust.profile("hbca"))
    assert info.value.code == "identity_missing"
    with pytest.raises(UnknownCertificateType, match="机构证书"):
        read_identity(cert, trust.profile("cfca").identity.__class__(
            location="serial_number", type_location="ou",
            type_values={"institution": "A", "legal_representative": "B", "natural_person": "C"}))


def test_invalid_number_in_a_certificate_is_refused(devca, trust):
    """A certificate whose serialNumber carries a code with a wrong check character is not a party."""
    from pki.identity import InvalidCreditCode
    cert = devca.certificate(devca.issue("netca", PEOPLE[0], algorithm="rsa", password=PASSWORD,
                                         at=days(1)).serial)
    rules = trust.profile("netca").identity
    bad = cert.copy()
    tbs = bad["tbs_certificate"]
    from asn1crypto import x509
    tbs["subject"] = x509.Name.build({"country_name": "CN", "organization_name": "示例供应商有限公司",
                                      "organizational_unit_name": "机构证书", "common_name": "示例供应商有限公司",
                                      "serial_number": PEOPLE[0].credit_code[:17] + "0"})
    with pytest.raises(InvalidCreditCode, match="校验位"):
        read_identity(bad, rules)
