"""bind_certificate: a party proves it holds a certificate's key by signing a one-time challenge;
the certificate is validated (trust list, time, CRLs, policy), its identity read through its CA
profile must be the party's credit code, and seals follow R2, R3, R4 and R6. Every refusal says why
(with the validator's reason) and changes nothing."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.bindings import (
    CA_T0,
    ORIGIN,
    SESSION,
    Holder,
    counts,
    crls_at,
    file_holder,
    party,
    prove,
)
from sqlalchemy import select
from support.devca import credit_code

from app import context
from app.extensions import db
from bidding.audit import verify_chain
from bidding.audit.models import AuditEntry
from bidding.certificates.errors import (
    CertificateAlreadyBound,
    CertificateExpired,
    CertificateInvalid,
    CertificateOfAnotherParty,
    CertificateRevoked,
    CertificateUntrusted,
    ChallengeReplayed,
    SealNeedsPlatformCertificate,
    SealOfAnotherSubject,
    SecondSealRefused,
    SignatureInvalid,
)
from bidding.certificates.models import (
    BindingState,
    CertificatePurpose,
    CertificateType,
)
from bidding.certificates.services import attach_seal, bind_certificate
from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.certs import fingerprint_sha256
from pki.devca import DevCA
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity
from pki.seal import make_seal

PIN, SO_PIN = "bind-pin-2468", "bind-so-1357"


def institution(seed: int, name: str) -> PartyIdentity:
    return PartyIdentity("institution", name, credit_code=credit_code(seed))


def _bind(ca, trust, clock, supplier, holder, **options):
    challenge, der = prove(holder, clock)
    return bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust,
                            crls=crls_at(ca, clock.now()), **options)


def _last_audit():
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def test_an_rsa_token_certificate_binds_as_the_main_key_with_its_seal(app, clock, ca, trust, tmp_path,
                                                                        isolated_tokens):
    """R13: the key is generated on a (SoftHSM2) token and never leaves it; R6: main key with seal."""
    hsm = init_softhsm_token(tmp_path / "hsm", "bind-token", SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    ident = institution(301, "令牌供应商有限公司")
    on_token = issue_to_token(ca, session, "netca", ident, algorithm="rsa", at=clock.now() - timedelta(days=1))
    key = tokens.open_key(on_token.key_uri, pin=PIN)
    holder = Holder(on_token.record, ca.certificate(on_token.serial), key, [ca.chain("netca", "rsa").intermediate])
    with app.test_request_context():
        supplier = party("令牌供应商有限公司", 301)
        binding = _bind(ca, trust, clock, supplier, holder, seal=holder.seal(ca))
        assert (binding.party_id, binding.profile_id, binding.algorithm) == (supplier.id, "netca", "rsa")
        assert binding.certificate_type == CertificateType.INSTITUTION
        assert binding.purpose == CertificatePurpose.SIGNING
        assert binding.is_main_key and binding.seal_kind == "公章" and binding.seal_image.startswith(b"\x89PNG")
        assert binding.may_stamp and binding.stamp_refusal is None and binding.state == BindingState.ACTIVE
        assert binding.fingerprint_sha256 == fingerprint_sha256(holder.cert)
        assert binding.serial == on_token.record.serial_hex and binding.bound_at == clock.now()
        assert binding.identity_number == ident.credit_code
        entry = _last_audit()
        assert entry.action == "certificate.bound" and entry.object_id == str(binding.id)
        assert json.loads(entry.details)["may_stamp"] is True
        assert verify_chain(db.session).ok


def test_an_sm2_file_key_sub_key_binds_without_a_seal_and_a_replay_is_refused(app, clock, ca, trust):
    """R6: a sub-key (副锁) carries no seal; the same signed challenge cannot be sent twice."""
    holder = file_holder(ca, "bjca", institution(302, "国密供应商有限公司"), algorithm="sm2",
                         at=clock.now() - timedelta(days=1), seal_kind=None)
    with app.test_request_context():
        supplier = party("国密供应商有限公司", 302)
        challenge, der = prove(holder, clock, detached=False)         # attached GM/T 0010 signedData
        crls = crls_at(ca, clock.now())
        binding = bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust, crls=crls)
        assert (binding.algorithm, binding.profile_id, binding.is_main_key, binding.seal_image) == ("sm2", "bjca", False,
                                                                                                    None)
        before = counts()
        with pytest.raises(ChallengeReplayed):
            bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust, crls=crls)
        with pytest.raises(CertificateAlreadyBound):      # a fresh challenge: the certificate is bound already
            _bind(ca, trust, clock, supplier, holder)
        assert counts() == before


def test_a_legal_representative_certificate_records_its_type_r1(app, clock, ca, trust):
    ident = PartyIdentity("legal_representative", "张三", credit_code=credit_code(303), organization="法人供应商有限公司")
    holder = file_holder(ca, "netca", ident, algorithm="sm2", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("法人供应商有限公司", 303)
        binding = _bind(ca, trust, clock, supplier, holder)
        assert binding.certificate_type == CertificateType.LEGAL_REPRESENTATIVE
        assert binding.identity_number == credit_code(303)


def _refused(ca, trust, clock, supplier, holder, error, **options):
    challenge, der = prove(holder, clock)
    crls = crls_at(ca, clock.now())
    before = counts()
    with pytest.raises(error) as refused:
        bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust, crls=crls,
                         **options)
    assert counts() == before
    return refused.value


def test_a_certificate_of_another_party_is_refused(app, clock, ca, trust):
    holder = file_holder(ca, "netca", institution(304, "别家公司"), algorithm="rsa", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("本家公司", 305)
        error = _refused(ca, trust, clock, supplier, holder, CertificateOfAnotherParty)
        assert credit_code(304) in error.message and credit_code(305) in error.message
        assert error.code == "certificate_of_another_party"


def test_a_personal_certificate_matches_no_organisation(app, clock, ca, trust):
    person = PartyIdentity("natural_person", "李四", id_number="11010519491231002X")
    holder = file_holder(ca, "netca", person, algorithm="sm2", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("某供应商", 306)
        error = _refused(ca, trust, clock, supplier, holder, CertificateOfAnotherParty)
        assert "个人证书" in error.message


def test_an_expired_certificate_is_refused_with_the_validators_reason(app, clock, ca, trust):
    holder = file_holder(ca, "netca", institution(307, "过期公司"), algorithm="rsa", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("过期公司", 307)
        clock.advance(days=400)                    # the one-year certificate has run out
        error = _refused(ca, trust, clock, supplier, holder, CertificateExpired)
        assert error.code == "certificate_expired"
        assert "过期" in error.message and "expired on 2027-11-22" in error.message
        assert [r["code"] for r in error.details["reasons"]] == ["expired"]


def test_a_revoked_certificate_is_refused_by_the_crl(app, clock, ca, trust):
    holder = file_holder(ca, "bjca", institution(308, "吊销公司"), algorithm="sm2", at=clock.now() - timedelta(days=2))
    ca.revoke(holder.record.serial, "key_compromise", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("吊销公司", 308)
        error = _refused(ca, trust, clock, supplier, holder, CertificateRevoked)
        assert "密钥泄露" in error.message and "revoked on 2026-11-22" in error.message


def test_a_certificate_of_a_ca_outside_the_trust_list_is_refused(app, clock, trust, tmp_path):
    stranger = DevCA(tmp_path / "state", tmp_path / "anchors")       # same profile names, other keys
    stranger.init(["netca"], at=CA_T0)
    holder = file_holder(stranger, "netca", institution(309, "陌生公司"), algorithm="rsa",
                         at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("陌生公司", 309)
        error = _refused(stranger, trust, clock, supplier, holder, CertificateUntrusted)
        assert error.code == "certificate_untrusted" and "信任" in error.message


def test_a_certificate_not_issued_for_this_platform_binds_for_log_in_only_r4(app, clock, ca, trust):
    holder = file_holder(ca, "bjca", institution(310, "外平台公司"), algorithm="rsa", platform=False,
                         at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("外平台公司", 310)
        error = _refused(ca, trust, clock, supplier, holder, SealNeedsPlatformCertificate, seal=holder.seal(ca))
        assert error.code == "seal_needs_platform_certificate"
        binding = _bind(ca, trust, clock, supplier, holder)
        assert binding.may_stamp is False and not binding.is_main_key
        policy = trust.profile("bjca").policy_oid
        assert policy in binding.stamp_refusal
        assert policy in json.loads(_last_audit().details)["stamp_refusal"]


def test_a_signature_over_other_bytes_is_refused(app, clock, ca, trust):
    holder = file_holder(ca, "netca", institution(311, "错签公司"), algorithm="rsa", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("错签公司", 311)
        challenge, der = prove(holder, clock, content=b'{"nonce":"something else"}')
        before = counts()
        with pytest.raises(SignatureInvalid) as refused:
            bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust,
                             crls=crls_at(ca, clock.now()))
        assert refused.value.details["reasons"] and counts() == before
        with pytest.raises(SignatureInvalid):
            bind_certificate(context.uow(), supplier.id, b"not a signature", challenge, SESSION, ORIGIN, trust=trust,
                             crls=crls_at(ca, clock.now()))
        assert counts() == before


def test_a_seal_of_another_subject_is_refused_r3(app, clock, ca, trust):
    holder = file_holder(ca, "netca", institution(312, "总公司"), algorithm="rsa", at=clock.now() - timedelta(days=1))
    branch = make_seal(institution(313, "总公司第一分公司"))
    with app.test_request_context():
        supplier = party("总公司", 312)
        error = _refused(ca, trust, clock, supplier, holder, SealOfAnotherSubject, seal=branch)
        assert error.code == "seal_owner_mismatch" and credit_code(313) in error.message


def test_a_second_seal_on_one_certificate_is_refused_r2(app, clock, ca, trust):
    ident = institution(314, "三章公司")
    holder = file_holder(ca, "netca", ident, algorithm="sm2", at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("三章公司", 314)
        binding = _bind(ca, trust, clock, supplier, holder, seal=holder.seal(ca))
        before = counts()
        with pytest.raises(SecondSealRefused) as refused:
            attach_seal(context.uow(), supplier.id, binding.id, make_seal(ident, "合同专用章"), trust=trust)
        assert "公章" in refused.value.message and "合同专用章" in refused.value.message
        assert counts() == before
        assert db.session.get(type(binding), binding.id).seal_kind == "公章"


def test_a_sub_key_can_take_its_seal_later_and_becomes_the_main_key(app, clock, ca, trust):
    ident = institution(315, "后加章公司")
    holder = file_holder(ca, "netca", ident, algorithm="rsa", at=clock.now() - timedelta(days=1), seal_kind=None)
    with app.test_request_context():
        supplier = party("后加章公司", 315)
        binding = _bind(ca, trust, clock, supplier, holder)
        assert not binding.is_main_key
        binding = attach_seal(context.uow(), supplier.id, binding.id, make_seal(ident, "业务专用章"), trust=trust)
        assert binding.is_main_key and binding.seal_kind == "业务专用章"
        assert _last_audit().action == "certificate.seal_attached"


def test_without_crls_the_revocation_status_is_unknown_and_nothing_is_bound(app, clock, ca, trust):
    """Revocation is required by default: a certificate whose CRL is not at hand is not bound."""
    holder = file_holder(ca, "netca", institution(316, "无 CRL 公司"), algorithm="rsa",
                         at=clock.now() - timedelta(days=1))
    with app.test_request_context():
        supplier = party("无 CRL 公司", 316)
        challenge, der = prove(holder, clock)
        before = counts()
        with pytest.raises(CertificateInvalid) as refused:
            bind_certificate(context.uow(), supplier.id, der, str(challenge), SESSION, ORIGIN, trust=trust, crls=())
        assert refused.value.code == "certificate_invalid"
        assert "revocation_unknown" in [r["code"] for r in refused.value.details["reasons"]]
        assert "吊销状态" in refused.value.message and counts() == before
