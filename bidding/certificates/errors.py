"""Refusals of the certificates area. Each has a stable ``code`` and a message in Chinese with the
English in parentheses; certificate refusals carry the validator's reasons in ``details["reasons"]``
(a list of ``{"code", "message"}``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied

if TYPE_CHECKING:   # pragma: no cover
    from bidding.certificates.guard import PendingItem


# -- challenges -------------------------------------------------------------------------------------
class ChallengeRefused(InvalidInput):
    """Base of the refusals of a one-time challenge."""

    code = "challenge_refused"
    message = "验证挑战无效，请重新操作 (the challenge is not valid: please start again)"


class ChallengeUnknown(ChallengeRefused):
    code = "challenge_unknown"
    message = "验证挑战不存在 (no such challenge)"


class ChallengeReplayed(ChallengeRefused):
    code = "challenge_used"
    message = "验证挑战已使用过，不能重复使用 (the challenge was already used: it cannot be used twice)"


class ChallengeWrongSession(ChallengeRefused):
    code = "challenge_wrong_session"
    message = "验证挑战不属于当前会话 (the challenge was issued to another session)"


class ChallengeWrongOrigin(ChallengeRefused):
    code = "challenge_wrong_origin"
    message = "验证挑战不属于当前站点来源 (the challenge was issued for another origin)"


class ChallengeExpired(ChallengeRefused):
    code = "challenge_expired"
    message = "验证挑战已超过 2 分钟有效期，请重新操作 (the challenge is older than 2 minutes: please start again)"


class ChallengeContentMismatch(ChallengeRefused):
    code = "challenge_content_mismatch"
    message = "签名的内容不是所发的验证挑战 (what was signed is not the challenge that was issued)"


# -- the signature and the certificate ------------------------------------------------------------------
def reasons_of(rejections: Sequence[Any]) -> list[dict[str, str]]:
    """``Rejection`` objects (pki.validation) as JSON-friendly dicts."""
    return [{"code": r.code, "message": r.message} for r in rejections]


class CertificateRefused(InvalidInput):
    """Base: the signature or the certificate does not allow the binding. ``message`` is the
    validator's own bilingual reason where there is one."""

    code = "certificate_refused"
    message = "证书不能绑定 (the certificate cannot be bound)"


class SignatureInvalid(CertificateRefused):
    code = "certificate_signature_invalid"
    message = "签名无效：没有证明持有该证书的私钥 (the signature is invalid: possession of the key is not proven)"


class SeveralSigners(CertificateRefused):
    code = "certificate_several_signers"
    message = "一次只能绑定一张证书，签名中只能有一个签名者 (one certificate per binding: the signature must have one signer)"


class CertificateNotForThisPlatform(CertificateRefused):
    """R4 where the CA's profile allows log-in only with certificates issued for this platform."""

    code = "certificate_not_for_this_platform"
    message = "该证书不是为本平台签发的（缺少本平台的证书策略），按该 CA 的规定不能在本平台登录或绑定 " \
              "(the certificate was not issued for this platform; this CA's profile allows no other)"


class CertificateExpired(CertificateRefused):
    code = "certificate_expired"
    message = "证书已过期 (the certificate has expired)"


class CertificateNotYetValid(CertificateRefused):
    code = "certificate_not_yet_valid"
    message = "证书尚未生效 (the certificate is not valid yet)"


class CertificateRevoked(CertificateRefused):
    code = "certificate_revoked"
    message = "证书已被吊销 (the certificate has been revoked)"


class CertificateUntrusted(CertificateRefused):
    code = "certificate_untrusted"
    message = "证书的签发 CA 不在平台信任列表中 (the certificate's CA is not in the platform's trust list)"


class CertificateInvalid(CertificateRefused):
    """Any other reason the validator gives (key usage, unknown revocation status, broken chain)."""

    code = "certificate_invalid"
    message = "证书校验未通过 (the certificate did not pass validation)"


class CertificateIdentityUnreadable(CertificateRefused):
    code = "certificate_identity_unreadable"
    message = "无法从证书中读取主体身份 (the party's identity cannot be read from the certificate)"


class CertificateOfAnotherParty(CertificateRefused):
    code = "certificate_of_another_party"
    message = "证书不属于本主体 (the certificate belongs to another party)"
    http_status = 403


class CertificateAlreadyBound(Conflict):
    code = "certificate_already_bound"
    message = "该证书已绑定 (the certificate is already bound)"


# -- certificate log-in (R20 recovery too) ------------------------------------------------------------
class CertificateNotBound(CertificateRefused):
    code = "certificate_not_bound"
    message = ("该证书尚未绑定到平台上的任何主体，请先用口令登录并在“我的证书”中绑定 (the certificate is not bound to "
               "any party: log in with the password and bind it under 我的证书 first)")
    http_status = 403


class NoAccountForCertificate(PermissionDenied):
    code = "certificate_no_account"
    message = "证书所属主体没有可登录的经办人账户 (the certificate's party has no active staff account)"


class AccountChoiceNeeded(InvalidInput):
    code = "certificate_account_choice"
    message = ("证书所属主体有多个经办人账户，请填写要登录的用户名 (the party has several staff accounts: give the user "
               "name to log in as)")


class AccountNotOfParty(PermissionDenied):
    code = "certificate_account_mismatch"
    message = "该用户名不属于证书所属主体 (this user name does not belong to the certificate's party)"


# -- seals --------------------------------------------------------------------------------------------
class SealRefused(InvalidInput):
    code = "seal_refused"
    message = "印章不能绑定 (the seal cannot be bound)"


class SecondSealRefused(SealRefused):
    """R2: one certificate carries at most one seal."""

    code = "certificate_has_seal"
    message = "该证书已绑定印章，一张证书只能绑定一枚印章 (the certificate already carries a seal: one seal per certificate)"
    http_status = 409


class SealOfAnotherSubject(SealRefused):
    """R3: the seal's owner is the certificate's subject."""

    code = "seal_owner_mismatch"
    message = "印章所有者与证书主体不符 (the seal's owner is not the certificate's subject)"


class SealNeedsPlatformCertificate(SealRefused):
    """R4: only certificates issued for this platform stamp, so only they carry a seal here."""

    code = "seal_needs_platform_certificate"
    message = "非本平台专用证书不能加载印章 (a certificate not issued for this platform carries no seal here)"


class SealImageInvalid(SealRefused):
    code = "seal_image_invalid"
    message = "印章图片须为 PNG 且不超过 1 MB (the seal image must be a PNG of at most 1 MB)"


# -- lookups and the change guard ------------------------------------------------------------------------
class PartyNotFound(NotFound):
    code = "party_not_found"
    message = "主体不存在 (no such party)"


class BindingNotFound(NotFound):
    code = "binding_not_found"
    message = "证书绑定不存在 (no such certificate binding)"


class BindingOfAnotherParty(PermissionDenied):
    code = "binding_of_another_party"
    message = "该证书绑定属于其他主体 (the certificate binding belongs to another party)"


class CertificateChangeBlocked(Conflict):
    """R10: a pending item holds the certificate; the message names each one and what to do."""

    code = "certificate_change_blocked"
    message = "该证书有未完成的事项，暂不能续期、变更或更换 (pending items hold this certificate: it cannot be renewed, changed or replaced now)"

    def __init__(self, items: Sequence[PendingItem], message: str | None = None) -> None:
        self.items = list(items)
        if message is None:
            lines = "；".join(item.describe() for item in self.items)
            message = f"{self.message}：{lines}"
        super().__init__(message, items=[item.to_dict() for item in self.items])


# -- binding an encryption certificate by proof of decryption ------------------------------------------
class EncryptionProofFailed(CertificateRefused):
    """The agent's answer did not prove the key decrypts (``details.outcome`` says which step
    failed: answer_unreadable | content_key_wrong | content_mismatch). The proof is used up."""

    code = "encryption_proof_failed"
    message = "解密验证未通过，证书未绑定 (the proof of decryption failed: the certificate is not bound)"
