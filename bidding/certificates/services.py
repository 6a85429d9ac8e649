"""Use cases of the certificates area: binding a certificate to a party by proof of possession,
attaching a seal, listing a party's bindings, and when a seal is valid.

Where the seal comes from: the caller passes it as a :class:`pki.seal.Seal` (kind, owner name and
number, PNG image). The platform does not draw seals: a seal is the CA's artefact, delivered with the
certificate (on the token, read by the local agent, or uploaded by the party; in development the
dev CA keeps it as ``seals/<serial>.png`` beside its index record, which names the kind). The
platform checks the rules on it: R2 one seal per certificate, R3 owned by the certificate's subject,
R4 only on a certificate issued for this platform, R6 the certificate carrying it is the main key
(主锁); a certificate bound without a seal is a sub-key (副锁).

Revocation: the caller passes the CRLs it holds (``crls``; the application: the CRL directory it
serves, or those fetched from the distribution points) and the mode (default ``'require'``: a
certificate whose revocation status is unknown is not bound).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bidding.certificates.challenges import (
    IssuedChallenge,
    new_challenge,
    use_challenge,
)
from bidding.certificates.decryption import OUTCOMES, check_answer, seal_random
from bidding.certificates.errors import (
    BindingNotFound,
    BindingOfAnotherParty,
    CertificateAlreadyBound,
    CertificateExpired,
    CertificateIdentityUnreadable,
    CertificateInvalid,
    CertificateNotForThisPlatform,
    CertificateNotYetValid,
    CertificateOfAnotherParty,
    CertificateRevoked,
    CertificateUntrusted,
    EncryptionProofFailed,
    PartyNotFound,
    SealImageInvalid,
    SealNeedsPlatformCertificate,
    SealOfAnotherSubject,
    SealRefused,
    SecondSealRefused,
    SeveralSigners,
    SignatureInvalid,
    reasons_of,
)
from bidding.certificates.models import (
    BindingState,
    CertificateBinding,
    CertificatePurpose,
    CertificateType,
    Challenge,
    ChallengePurpose,
)
from bidding.parties.models import Party
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256, key_algorithm, load_certificate, to_asn1
from pki.errors import PkiError
from pki.identity import PartyIdentity
from pki.keyops import KeyOps
from pki.seal import (
    SEAL_KINDS,
    CertificateAlreadyHasSeal,
    Seal,
    SealError,
    SealOwnerMismatch,
    check_seal_binding,
)
from pki.signature import verify
from pki.trust import TrustList
from pki.validation import ValidationResult

EXPIRY_WARNING = timedelta(days=30)
SEAL_IMAGE_MAX_BYTES = 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# the validator's reason code → the refusal that names it; the first found wins
_VALIDATION_REFUSALS = (("revoked", CertificateRevoked), ("expired", CertificateExpired),
                        ("not_yet_valid", CertificateNotYetValid), ("untrusted_issuer", CertificateUntrusted),
                        ("policy_missing", CertificateNotForThisPlatform))


@dataclass(frozen=True)
class BindingStatus:
    """A binding as its party sees it: expiry warning from 30 days before (``expires_soon``)."""

    binding: CertificateBinding
    expires_soon: bool
    expired: bool
    days_left: int


# -- binding ------------------------------------------------------------------------------------------
def bind_certificate(uow: UnitOfWork, party_id: int, signature_der: bytes, challenge_id: int,
                     session_key: str | bytes, origin: str, *, trust: TrustList, seal: Seal | None = None,
                     crls: Sequence[bytes] = (), revocation: str = "require",
                     at: datetime | None = None) -> CertificateBinding:
    """Bind the certificate that signed the challenge to the party (证书绑定).

    ``signature_der``: CMS SignedData (RSA/EC) or GM/T 0010 signedData (SM2) over the challenge's
    bytes, detached or attached, made by the one certificate to bind (it comes from the signature).
    ``at``: the moment the certificate is validated at (default: the clock's now). The challenge is
    used in the same transaction; every refusal changes nothing. A certificate issued without the
    platform policy (R4) is bound for log-in only (``may_stamp`` False, the reason recorded).
    """
    with uow:
        party = _party(uow, party_id)
        message = use_challenge(uow, challenge_id, session_key, origin, purpose=ChallengePurpose.BIND)
        now = at or uow.clock.now()
        cert = _proven_certificate(signature_der, message, trust, now, crls, revocation)
        fingerprint = fingerprint_sha256(cert)
        if _active(uow, fingerprint) is not None:
            raise CertificateAlreadyBound(fingerprint=fingerprint)
        login, identity = _validated_for(party, trust, cert, now, "login", crls, revocation)
        stamping = _validate(trust, cert, now, "stamping", crls, revocation)
        if seal is not None:
            _check_seal(seal, identity, may_stamp=stamping.ok, existing=())
        binding = _new_binding(party, cert, fingerprint, login.profile, identity, stamping, seal,
                               uow.clock.now())
        uow.session.add(binding)
        uow.session.flush()
        uow.audit("certificate.bound", binding, party_id=party.id, fingerprint=fingerprint, serial=binding.serial,
                  profile=binding.profile_id, certificate_type=binding.certificate_type.value,
                  may_stamp=binding.may_stamp, stamp_refusal=binding.stamp_refusal, seal_kind=binding.seal_kind,
                  challenge=challenge_id)
        uow.commit()
        return binding


@dataclass(frozen=True)
class EncryptionProof:
    """A started proof of decryption: the challenge (its id names the proof) and what the page hands
    to the local agent's ``/v1/unwrap`` with the platform's transport certificate."""

    challenge: IssuedChallenge
    fingerprint: str
    subject: str
    recipient_info: bytes       # DER RecipientInfo addressed to the certificate


def start_encryption_binding(uow: UnitOfWork, party_id: int, certificate_der: bytes, session_key: str | bytes,
                             origin: str, *, trust: TrustList, crls: Sequence[bytes] = (),
                             revocation: str = "require", at: datetime | None = None) -> EncryptionProof:
    """Start binding an encryption certificate (加密证书绑定), which cannot sign a challenge: it is
    validated as :func:`bind_certificate` validates (trust list, CRLs, identity through the CA profile
    = the party's credit code, R1), for encryption; random bytes are sealed to it and a one-time
    "decrypt" challenge (2 minutes, this session and origin, used once) keeps the envelope, the
    certificate and the SHA-256 of the bytes. Nothing is audited until the proof is finished."""
    with uow:
        party = _party(uow, party_id)
        try:
            cert = load_certificate(bytes(certificate_der))
        except PkiError as exc:
            raise CertificateInvalid(f"{CertificateInvalid.message}：{exc}", reasons=[]) from None
        fingerprint = fingerprint_sha256(cert)
        if _active(uow, fingerprint) is not None:
            raise CertificateAlreadyBound(fingerprint=fingerprint)
        _validated_for(party, trust, cert, at or uow.clock.now(), "encryption", crls, revocation)
        sealed = seal_random(cert)
        issued = new_challenge(uow, ChallengePurpose.DECRYPT, session_key, origin, nonce=sealed.digest,
                               certificate_der=cert.dump(), envelope=sealed.envelope)
        uow.commit()
        return EncryptionProof(issued, fingerprint, cert.subject.human_friendly, sealed.recipient_info)


def finish_encryption_binding(uow: UnitOfWork, party_id: int, proof_id: int, session_key: str | bytes,
                              origin: str, agent_answer: bytes, *, transport_key: KeyOps,
                              transport_certificate: object, trust: TrustList, crls: Sequence[bytes] = (),
                              revocation: str = "require") -> CertificateBinding:
    """Finish the proof ``proof_id`` with the agent's ``/v1/unwrap`` envelope (the content key,
    re-encrypted to the platform's transport certificate) and bind the certificate to the party as an
    encryption certificate (no seal; audited ``certificate.bound``). Refused: a proof unknown, used,
    of another session or origin, or older than 2 minutes (``challenge_*``); a certificate now
    invalid or already bound; an answer that does not decrypt the random bytes
    (``encryption_proof_failed``, audited, and the proof is used up)."""
    with uow:
        party = _party(uow, party_id)
        use_challenge(uow, proof_id, session_key, origin, purpose=ChallengePurpose.DECRYPT)
        challenge = uow.session.get(Challenge, int(proof_id))
        cert = load_certificate(challenge.certificate_der)
        fingerprint = fingerprint_sha256(cert)
        outcome = check_answer(challenge.envelope, challenge.nonce, bytes(agent_answer), transport_key=transport_key,
                               transport_certificate=transport_certificate)
        if outcome != "success":
            uow.audit("certificate.encryption_proof_failed", object_type="certificate", object_id=fingerprint,
                      party_id=party.id, outcome=outcome, challenge=challenge.id)
            uow.commit()
            raise EncryptionProofFailed(f"{EncryptionProofFailed.message}：{OUTCOMES[outcome]}", outcome=outcome)
        if _active(uow, fingerprint) is not None:
            raise CertificateAlreadyBound(fingerprint=fingerprint)
        now = uow.clock.now()
        encryption, identity = _validated_for(party, trust, cert, now, "encryption", crls, revocation)
        binding = _new_binding(party, cert, fingerprint, encryption.profile, identity, None, None, now,
                               purpose=CertificatePurpose.ENCRYPTION)
        uow.session.add(binding)
        uow.session.flush()
        uow.audit("certificate.bound", binding, party_id=party.id, fingerprint=fingerprint, serial=binding.serial,
                  profile=binding.profile_id, certificate_type=binding.certificate_type.value,
                  purpose=binding.purpose.value, proof="decryption", may_stamp=False, seal_kind=None,
                  challenge=challenge.id)
        uow.commit()
        return binding


def attach_seal(uow: UnitOfWork, party_id: int, binding_id: int, seal: Seal, *, trust: TrustList) -> CertificateBinding:
    """Put ``seal`` on a bound certificate that carries none yet (it becomes the main key, R6).
    Refused: a second seal (R2), a seal of another subject (R3), a log-in-only certificate (R4)."""
    with uow:
        binding = _own_binding(uow, party_id, binding_id)
        if binding.state != BindingState.ACTIVE:
            raise BindingNotFound("该证书绑定已失效 (the binding is no longer active)", binding=binding_id)
        if uow.clock.now() > binding.not_after:
            raise CertificateExpired(binding=binding_id)
        identity = _identity(trust, binding.profile_id, to_asn1(binding.certificate_der))
        existing = [Seal(identity.party_name, identity.number, binding.seal_kind or "", binding.seal_image)] \
            if binding.seal_image is not None else []
        _check_seal(seal, identity, may_stamp=binding.may_stamp, existing=existing)
        binding.seal_kind, binding.seal_image, binding.is_main_key = seal.kind, seal.image_png, True
        uow.audit("certificate.seal_attached", binding, party_id=party_id, seal_kind=seal.kind)
        uow.commit()
        return binding


# -- reading ------------------------------------------------------------------------------------------
def list_bindings(uow: UnitOfWork, party_id: int) -> list[BindingStatus]:
    """The party's bindings, newest first, each with its expiry flags by the clock."""
    now = uow.clock.now()
    bindings = uow.session.scalars(select(CertificateBinding).where(CertificateBinding.party_id == party_id)
                                   .order_by(CertificateBinding.bound_at.desc(), CertificateBinding.id.desc()))
    return [_status(b, now) for b in bindings]


def seal_valid(binding: CertificateBinding, at: datetime) -> bool:
    """R22: the seal is valid exactly while its certificate is (not before ≤ at ≤ not after) and the
    binding is active (a revoked or superseded certificate's seal is not)."""
    return (binding.seal_image is not None and binding.may_stamp and binding.state == BindingState.ACTIVE
            and binding.not_before <= at <= binding.not_after)


# -- the steps ----------------------------------------------------------------------------------------
def _party(uow: UnitOfWork, party_id: int) -> Party:
    party = uow.session.get(Party, party_id)
    if party is None:
        raise PartyNotFound(party=party_id)
    return party


def _own_binding(uow: UnitOfWork, party_id: int, binding_id: int) -> CertificateBinding:
    binding = uow.session.get(CertificateBinding, binding_id)
    if binding is None:
        raise BindingNotFound(binding=binding_id)
    if binding.party_id != party_id:
        raise BindingOfAnotherParty(binding=binding_id)
    return binding


def _active(uow: UnitOfWork, fingerprint: str) -> CertificateBinding | None:
    return uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.fingerprint_sha256 == fingerprint, CertificateBinding.state == BindingState.ACTIVE)).first()


def _validated_for(party: Party, trust: TrustList, cert, at: datetime, purpose: str, crls: Sequence[bytes],
                   revocation: str) -> tuple[ValidationResult, PartyIdentity]:
    """The certificate valid for ``purpose`` (refused with the validator's first reason) and its
    identity read through its CA profile, which must be ``party`` (R1)."""
    result = _validate(trust, cert, at, purpose, crls, revocation)
    if not result.ok:
        raise _refusal(result)
    identity = _identity(trust, result.profile, cert)
    _check_party(identity, party)
    return result, identity


def _proven_certificate(signature_der: bytes, message: bytes, trust: TrustList, at: datetime,
                        crls: Sequence[bytes], revocation: str):
    """The one certificate whose key signed ``message``. Every signer is verified; the chain's own
    reasons are left to :func:`_validate` (which names them one by one)."""
    try:
        result = verify(bytes(signature_der), content=message, trust_roots=trust.roots,
                        intermediates=trust.intermediates, at=at, crls=crls, revocation=revocation)
    except PkiError as exc:
        raise SignatureInvalid(f"{SignatureInvalid.message}：{exc}", reasons=[]) from None
    failures = [reason for signer in result.signers for reason in signer.reasons
                if reason not in (signer.chain.reasons if signer.chain is not None else ())]
    if failures or any(s.signer_certificate is None for s in result.signers):
        text = "；".join(r.message for r in failures)
        raise SignatureInvalid(f"{SignatureInvalid.message}：{text}" if text else None, reasons=reasons_of(failures))
    certificates = {s.signer_certificate.dump(): s.signer_certificate for s in result.signers}
    if len(certificates) != 1:
        raise SeveralSigners(signers=len(certificates))
    return next(iter(certificates.values()))


def _validate(trust: TrustList, cert, at: datetime, purpose: str, crls: Sequence[bytes],
              revocation: str) -> ValidationResult:
    try:
        return trust.validate(cert, at, purpose, crls=crls, revocation=revocation)
    except PkiError as exc:         # a certificate the validator cannot even read
        raise CertificateInvalid(f"{CertificateInvalid.message}：{exc}", reasons=[]) from None


def _refusal(result: ValidationResult) -> CertificateInvalid:
    codes = result.codes
    cls = next((c for code, c in _VALIDATION_REFUSALS if code in codes), CertificateInvalid)
    return cls(result.message(), reasons=reasons_of(result.reasons))


def _identity(trust: TrustList, profile_id: str | None, cert) -> PartyIdentity:
    try:
        return trust.profile(profile_id or "").read_identity(cert)
    except PkiError as exc:
        raise CertificateIdentityUnreadable(f"{CertificateIdentityUnreadable.message}：{exc}") from None


def _check_party(identity: PartyIdentity, party: Party) -> None:
    """R1: the identity read through the CA profile must be this party's credit code. A personal
    certificate names an ID number, which no party record holds yet: it matches no party."""
    if identity.kind == "natural_person":
        raise CertificateOfAnotherParty(
            f"个人证书（{identity.name}）以身份证号码标识，不能绑定到以统一社会信用代码登记的主体 {party.name} (a personal "
            f"certificate names an ID number, not the credit code of {party.credit_code or party.name})",
            certificate_type=identity.kind)
    if identity.credit_code != party.credit_code:
        raise CertificateOfAnotherParty(
            f"证书标识的主体（{identity.party_name}，{identity.credit_code}）不是本主体（{party.name}，"
            f"{party.credit_code}） (the certificate names {identity.credit_code}, this party is "
            f"{party.credit_code})", certificate_code=identity.credit_code)


def _check_seal(seal: Seal, identity: PartyIdentity, *, may_stamp: bool, existing: Sequence[Seal]) -> None:
    image = seal.image_png or b""
    if not image.startswith(PNG_SIGNATURE) or len(image) > SEAL_IMAGE_MAX_BYTES:
        raise SealImageInvalid()
    if seal.kind not in SEAL_KINDS:
        raise SealRefused(f"未知的印章类型 {seal.kind}，可选：{'、'.join(SEAL_KINDS)} (unknown seal kind {seal.kind})")
    if existing:
        have = existing[0].kind
        raise SecondSealRefused(f"该证书已绑定印章（{have}），一张证书只能绑定一枚印章；需要{seal.kind}请另行申请证书 "
                                f"(the certificate already carries a seal, {have}: one seal per certificate, apply "
                                f"for another certificate for the {seal.kind})")
    if not may_stamp:
        raise SealNeedsPlatformCertificate()
    try:
        check_seal_binding(seal, identity, seals_on_certificate=existing, main_key=True)
    except CertificateAlreadyHasSeal as exc:    # pragma: no cover - caught above, kept for the rule's sake
        raise SecondSealRefused(exc.message) from None
    except SealOwnerMismatch as exc:
        raise SealOfAnotherSubject(exc.message) from None
    except SealError as exc:
        raise SealRefused(exc.message) from None


def _new_binding(party: Party, cert, fingerprint: str, profile_id: str, identity: PartyIdentity,
                 stamping: ValidationResult | None, seal: Seal | None, now: datetime, *,
                 purpose: CertificatePurpose | None = None) -> CertificateBinding:
    """``stamping`` None: an encryption certificate, which never stamps."""
    cert = to_asn1(cert)
    usage = set(cert.key_usage_value.native) if cert.key_usage_value is not None else set()
    signing = bool(usage & {"digital_signature", "non_repudiation"})
    if purpose is None:
        purpose = CertificatePurpose.SIGNING if signing else CertificatePurpose.ENCRYPTION
    may_stamp = stamping is not None and stamping.ok
    refusal = None if may_stamp else ("加密证书不用于签章 (an encryption certificate does not stamp)"
                                      if stamping is None else stamping.message())
    tbs = cert["tbs_certificate"]["validity"]
    return CertificateBinding(
        party_id=party.id, certificate_der=cert.dump(), fingerprint_sha256=fingerprint,
        subject=cert.subject.human_friendly[:500], issuer=cert.issuer.human_friendly[:500],
        serial=format(cert.serial_number, "X"), not_before=tbs["not_before"].native,
        not_after=tbs["not_after"].native, profile_id=profile_id, algorithm=key_algorithm(cert),
        certificate_type=CertificateType(identity.kind), identity_number=identity.number,
        purpose=purpose, is_main_key=seal is not None, seal_kind=seal.kind if seal else None,
        seal_image=seal.image_png if seal else None, may_stamp=may_stamp, stamp_refusal=refusal, state=BindingState.ACTIVE, bound_at=now)


def _status(binding: CertificateBinding, now: datetime) -> BindingStatus:
    left = binding.not_after - now
    expired = left < timedelta(0)
    return BindingStatus(binding, expires_soon=not expired and left <= EXPIRY_WARNING, expired=expired,
                         days_left=max(left.days, 0))
