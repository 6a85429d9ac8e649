"""Refusals of the documents area: who may read a document, and every reason a stamp (电子签章) is
refused, from the binding (R4, R6, R22) to the prepared signature (expired, completed, stale)."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = "文件不存在 (no such document)"


class DocumentAccessDenied(PermissionDenied):
    code = "document_access_denied"
    message = "您无权查看该文件：只有文件的签署方在轮到其签署后才能查看 (only the document's parties may see it, once it has reached them)"


class DocumentFileDamaged(Conflict):
    """The stored file is missing or its bytes no longer have the recorded digest (the platform's
    fault, never the user's): nothing is signed over a file the platform cannot vouch for."""

    code = "document_file_damaged"
    message = "平台存储中的文件缺失或已损坏，请联系平台运营方 (the stored file is missing or damaged: contact the operator)"


class UnknownDocumentKind(Conflict):
    code = "document_kind_unknown"
    message = "平台不知道如何签署此类文件 (the platform has no stamping rules for this kind of document)"


# -- who stamps ---------------------------------------------------------------------------------------
class NotASigner(PermissionDenied):
    code = "document_not_a_signer"
    message = "您不是该文件的签署方 (you are not a party that signs this document)"


class NotYourTurn(Conflict):
    code = "document_not_your_turn"
    message = "尚未轮到您签章 (it is not your turn to stamp this document)"


class AlreadyStamped(Conflict):
    code = "document_already_stamped"
    message = "您已在该文件上签章 (you have already stamped this document)"


class StampNotAllowedNow(Conflict):
    """The document's own area does not allow a stamp in its current state (e.g. a refused agreement)."""

    code = "document_stamp_not_allowed"
    message = "该文件当前状态不允许签章 (the document cannot be stamped in its current state)"


# -- with which certificate -----------------------------------------------------------------------------
class StampBindingRefused(InvalidInput):
    """Base of the refusals of the certificate chosen to stamp."""

    code = "stamp_binding_refused"
    message = "该证书不能用于签章 (this certificate cannot stamp)"


class BindingInactive(StampBindingRefused):
    code = "stamp_binding_inactive"
    message = "该证书绑定已失效（已被续期、变更、更换或吊销），不能签章 (the binding is no longer active: it cannot stamp)"
    http_status = 409


class NoSeal(StampBindingRefused):
    """R6: only the main key (主锁) carries a seal; a sub-key (副锁) makes and decrypts bid files only."""

    code = "stamp_no_seal"
    message = ("该证书为副锁，未加载印章，不能签章；请使用加载了印章的主锁证书 (R6: a sub-key carries no seal and "
               "cannot stamp: use the main key with the seal)")


class NotForThisPlatform(StampBindingRefused):
    """R4: only certificates issued for this platform (专key专用) stamp."""

    code = "stamp_not_platform_certificate"
    message = ("该证书不是本平台专用证书，只能用于登录，不能签章 (R4: the certificate was not issued for this "
               "platform: it can log in but not stamp)")


class SealNotValid(StampBindingRefused):
    """R22: a seal is valid exactly as long as its certificate."""

    code = "stamp_seal_not_valid"
    message = "印章随证书失效：证书不在有效期内，印章不能使用 (R22: the certificate is not valid now, so neither is its seal)"


class CertificateCannotSign(StampBindingRefused):
    code = "stamp_certificate_cannot_sign"
    message = ("该证书的密钥用法不允许签名（加密证书），不能签章 (the certificate's key usage does not allow "
               "signing: it is an encryption certificate)")


class PdfCannotBeStamped(InvalidInput):
    """pki.pdf refused to prepare the stamp (the PDF or the placement); its reason is appended."""

    code = "stamp_prepare_refused"
    message = "无法在该文件上准备签章 (the stamp cannot be prepared on this document)"
    http_status = 422


# -- the prepared signature between the two requests ---------------------------------------------------
class StampSessionNotFound(NotFound):
    code = "stamp_session_not_found"
    message = "签章会话不存在 (no such stamping session)"


class StampSessionCompleted(Conflict):
    code = "stamp_session_completed"
    message = "该签章已完成，不能重复提交 (this stamp was already completed: it cannot be completed twice)"


class StampSessionExpired(Conflict):
    code = "stamp_session_expired"
    message = "签章准备已超过 10 分钟有效期，请重新签章 (the prepared stamp is older than 10 minutes: start again)"


class StampSessionStale(Conflict):
    code = "stamp_session_stale"
    message = ("准备签章之后文件已有新的版本，请重新签章 (the document has a newer revision than the one prepared: "
               "start again)")


class StampSignatureRefused(InvalidInput):
    """The signature sent back does not fit the prepared stamp, or the stamped PDF does not verify."""

    code = "stamp_signature_refused"
    message = "签名与准备签章的文件摘要或证书不符，未予接受 (the signature does not match the prepared digest or certificate)"
    http_status = 422


# -- the public verification page (验签) ------------------------------------------------------------------
class VerificationInputRefused(InvalidInput):
    """What was uploaded to the verification page is not a PDF or a signature the verifier can read."""

    code = "verify_input_unreadable"
    message = ("无法识别上传的文件：请上传 PDF 文件，或 CMS / GM/T 0010 签名文件（DER 或 PEM）及其原文 (the upload is "
               "neither a readable PDF nor a CMS / GM/T 0010 signature)")


class VerificationInputTooLarge(InvalidInput):
    code = "verify_input_too_large"
    message = "上传的文件过大 (the upload is too large)"
    http_status = 413
