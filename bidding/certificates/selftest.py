"""The encryption/decryption self-test (加解密测试, R11): after renewing, and before bidding, a
party checks that its token really opens what the platform encrypts to its certificate.

1. :func:`start_self_test`: the certificate (from the local agent's list) is validated for
   encryption; 32 random bytes are sealed in an envelope to it (``pki.envelope``, exactly as a bid
   is). The caller keeps the :class:`PendingSelfTest` (the web layer: in the server-signed session)
   and hands the RecipientInfo and the platform's transport certificate to the page.
2. The page has the agent unwrap the content key with the token and re-encrypt it to the transport
   certificate (agent protocol ``/v1/unwrap``, as at the opening).
3. :func:`finish_self_test`: the answer is opened with the transport key (a :class:`KeyOps` the
   caller passes in), the content key decrypts the envelope of step 1, and the plaintext is compared
   with the random bytes (kept only as their SHA-256). The outcome is returned and audited
   (``certificate.self_test``); a failure says which step failed.

The random value is never stored or sent in clear; the pending test expires after 5 minutes and is
used once (the caller forgets it when it is finished).
"""
from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from bidding.certificates.decryption import (
    MAX_ANSWER_BYTES,
    OUTCOMES,
    RANDOM_BYTES,
    check_answer,
    seal_random,
)
from bidding.certificates.errors import CertificateInvalid
from bidding.certificates.services import _refusal, _validate
from bidding.errors import DomainError, InvalidInput, NotFound
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256, load_certificate
from pki.errors import PkiError
from pki.keyops import KeyOps
from pki.trust import TrustList

__all__ = ["MAX_ANSWER_BYTES", "RANDOM_BYTES", "PendingSelfTest", "SelfTestExpired", "SelfTestResult",
           "SelfTestUnavailable", "SelfTestUnknown", "StartedSelfTest", "finish_self_test", "start_self_test"]

SELF_TEST_LIFETIME = timedelta(minutes=5)


class SelfTestUnknown(NotFound):
    code = "self_test_unknown"
    message = "没有这个加解密测试：它不属于本会话，或已完成 (no such self-test in this session, or it is finished)"


class SelfTestExpired(InvalidInput):
    code = "self_test_expired"
    message = "加解密测试已超时（5 分钟），请重新开始 (the self-test expired after 5 minutes: start again)"


class SelfTestUnavailable(DomainError):
    code = "self_test_unavailable"
    message = "平台的传输加密证书未配置，暂时无法进行加解密测试 (the platform's transport certificate is not configured)"
    http_status = 503


@dataclass(frozen=True)
class PendingSelfTest:
    """What the platform keeps between the two steps (no secret: the random value only as SHA-256)."""

    id: str
    fingerprint: str
    subject: str
    digest: str             # SHA-256 of the random bytes, hex
    envelope: bytes         # DER envelope of the random bytes, to the tested certificate
    expires_at: datetime

    def to_dict(self) -> dict:
        data = asdict(self)
        data["envelope"] = base64.b64encode(self.envelope).decode("ascii")
        data["expires_at"] = self.expires_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PendingSelfTest:
        return cls(id=data["id"], fingerprint=data["fingerprint"], subject=data["subject"], digest=data["digest"],
                   envelope=base64.b64decode(data["envelope"]), expires_at=datetime.fromisoformat(data["expires_at"]))


@dataclass(frozen=True)
class StartedSelfTest:
    pending: PendingSelfTest
    recipient_info: bytes   # DER RecipientInfo addressed to the tested certificate


@dataclass(frozen=True)
class SelfTestResult:
    """The outcome: ``ok`` and a code and a message saying which step failed."""

    ok: bool
    outcome: str            # success | answer_unreadable | content_key_wrong | content_mismatch
    message: str
    fingerprint: str
    subject: str


_OUTCOMES = OUTCOMES


def start_self_test(uow: UnitOfWork, certificate_der: bytes, *, trust: TrustList, crls: Sequence[bytes] = (),
                    revocation: str = "require") -> StartedSelfTest:
    """Validate the certificate for encryption (expired, revoked, untrusted: refused with that
    reason) and seal 32 random bytes to it."""
    now = uow.clock.now()
    try:
        cert = load_certificate(certificate_der)
    except PkiError as exc:
        raise CertificateInvalid(f"{CertificateInvalid.message}：{exc}", reasons=[]) from None
    result = _validate(trust, cert, now, "encryption", crls, revocation)
    if not result.ok:
        raise _refusal(result)
    sealed = seal_random(cert)
    pending = PendingSelfTest(id=secrets.token_urlsafe(12), fingerprint=fingerprint_sha256(cert),
                              subject=cert.subject.human_friendly, digest=sealed.digest,
                              envelope=sealed.envelope, expires_at=now + SELF_TEST_LIFETIME)
    return StartedSelfTest(pending, sealed.recipient_info)


def finish_self_test(uow: UnitOfWork, pending: PendingSelfTest, answer: bytes, *, transport_key: KeyOps,
                     transport_certificate: object) -> SelfTestResult:
    """Open the agent's ``answer`` (an envelope to the transport certificate holding the content
    key), decrypt the test envelope with it, compare; audit and return the outcome."""
    with uow:
        if uow.clock.now() > pending.expires_at:
            raise SelfTestExpired(id=pending.id)
        outcome = _outcome(pending, answer, transport_key, transport_certificate)
        result = SelfTestResult(outcome == "success", outcome, _OUTCOMES[outcome], pending.fingerprint, pending.subject)
        uow.audit("certificate.self_test", object_type="certificate", object_id=pending.fingerprint,
                  outcome=outcome, subject=pending.subject, test=pending.id)
        uow.commit()
        return result


def _outcome(pending: PendingSelfTest, answer: bytes, key: KeyOps, certificate: object) -> str:
    return check_answer(pending.envelope, pending.digest, answer, transport_key=key, transport_certificate=certificate)
