"""The certificate's status as the verification page reports it: at the timestamp's time (B-T), with the
CRLs given or carried in the document (B-LT); revoked, expired, untrusted and unknown each said."""
from __future__ import annotations

from datetime import timedelta

import pytest

from pki.devca import DevCA
from pki.pdf import SealPlacement, StampSpec, TrustAnchors, stamp_with_key, verify_pdf


def stamp(world, party, *, timestamper=True, validation=False) -> bytes:
    return stamp_with_key(world.docs[3], party.key, party.certificate, StampSpec(party.seal_png, SealPlacement()),
                          chain=[party.intermediate], signing_time=world.now,
                          timestamper=world.tsa if timestamper else None,
                          validation=world.validation() if validation else None)


def test_without_revocation_data_the_status_is_unknown(world):
    party = world.party("状态未知单位", "ec", 501)
    bare = stamp(world, party, timestamper=False)
    (report,) = verify_pdf(bare, trust=world.trust).signatures
    assert report.timestamp_time is None and report.trusted and report.intact and report.signature_valid
    assert report.certificate_status == "unknown" and not report.ok()
    assert any("吊销" in p for p in report.problems)
    (report,) = verify_pdf(bare, trust=world.trust, crls=world.crls()).signatures
    assert report.certificate_status == "good" and report.ok()


def test_validation_data_in_the_document_is_enough(world):
    party = world.party("长期验证单位", "sm2", 502)
    (report,) = verify_pdf(stamp(world, party, validation=True), trust=world.trust).signatures   # no CRLs given
    assert report.certificate_status == "good" and report.ok(), report.problems


def test_a_certificate_revoked_before_signing(world):
    party = world.party("已吊销证书单位", "rsa", 503)
    world.ca.revoke(party.serial, "key_compromise", at=world.now - timedelta(hours=1))
    world.ca.publish_crls(at=world.now - timedelta(seconds=30))
    (report,) = verify_pdf(stamp(world, party), trust=world.trust, crls=world.crls()).signatures
    assert report.certificate_status == "revoked" and not report.trusted and not report.ok()
    assert report.intact and report.signature_valid
    assert any("吊销" in p for p in report.problems)


def test_a_revocation_after_the_timestamp_does_not_count(world):
    party = world.party("事后吊销单位", "rsa", 504)
    stamped = stamp(world, party)
    crls_before = world.crls()
    world.ca.revoke(party.serial, "superseded", at=world.now + timedelta(hours=1))
    world.ca.publish_crls(at=world.now + timedelta(hours=2))
    (report,) = verify_pdf(stamped, trust=world.trust, crls=world.crls()).signatures
    assert report.timestamp_time == world.tsa_time
    assert report.certificate_status == "good" and report.ok(), report.problems
    # the clock's moment does not matter when there is a timestamp ...
    (later,) = verify_pdf(stamped, trust=world.trust, crls=world.crls(),
                          at=world.now + timedelta(hours=3)).signatures
    assert later.certificate_status == "good"
    # ... without one, the signature is judged at that moment, after the revocation
    bare = stamp(world, party, timestamper=False)
    (untimed,) = verify_pdf(bare, trust=world.trust, crls=world.crls(), at=world.now + timedelta(hours=3)).signatures
    assert untimed.certificate_status == "revoked" and untimed.timestamp_time is None
    world.ca.publish_crls(at=world.now - timedelta(seconds=10))   # others' tests see current CRLs again
    assert crls_before


def test_an_expired_certificate_at_the_moment_asked(world):
    party = world.party("过期检查单位", "ec", 505)
    later = world.now + timedelta(days=800)
    (timed,) = verify_pdf(stamp(world, party), trust=world.trust, crls=world.crls(), at=later).signatures
    assert timed.certificate_status == "good"                 # judged at its timestamp: a seal made in time
    (report,) = verify_pdf(stamp(world, party, timestamper=False), trust=world.trust, crls=world.crls(),
                           at=later).signatures
    assert report.certificate_status == "expired" and not report.ok()
    assert any("过期" in p for p in report.problems)


def test_an_unknown_ca_is_untrusted(world, tmp_path):
    party = world.party("信任检查单位", "rsa", 506)
    other = DevCA(tmp_path / "state", tmp_path / "anchors")
    other.init(["cfca"], at=world.ca_start)
    (report,) = verify_pdf(stamp(world, party), trust=other.trust_list(), crls=world.crls()).signatures
    assert not report.trusted and report.certificate_status == "unknown" and not report.ok()
    assert report.intact and report.signature_valid
    assert any("信任" in p for p in report.problems)


@pytest.mark.parametrize("algorithm", ["rsa", "ec", "sm2"])
def test_the_report_in_json(world, algorithm):
    party = world.party(f"接口检查单位{algorithm}", algorithm, 510 + ["rsa", "ec", "sm2"].index(algorithm))
    result = verify_pdf(stamp(world, party, validation=True), trust=world.trust).to_dict()
    assert result["ok"] and result["revisions"] == 3
    (seal,) = result["signatures"]
    assert seal["algorithm"] == algorithm and seal["timestamp_time"] == world.tsa_time.isoformat()
    assert seal["seal_png"] and seal["signer_certificate"] and seal["problems"] == []


def test_bare_trust_anchors_instead_of_a_trust_list(world):
    """What ``bidtool verify --ca ROOT`` passes: certificates, no CA profiles."""
    party = world.party("命令行验证单位", "sm2", 520)
    stamped = stamp(world, party, validation=True)
    roots = tuple(chain.root for chain in world.ca.chains())
    assert verify_pdf(stamped, trust=TrustAnchors(roots)).ok()
    others = tuple(chain.root for chain in world.ca.chains() if chain.algorithm != party.algorithm)
    (report,) = verify_pdf(stamped, trust=TrustAnchors(others)).signatures
    assert not report.trusted and report.intact and report.signature_valid
