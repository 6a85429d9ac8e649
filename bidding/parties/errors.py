"""Refusals of the parties area."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class PartyAlreadyRegistered(Conflict):
    code = "party_already_registered"
    message = "该统一社会信用代码已注册 (a party with this unified social credit code is already registered)"


class InvalidPartyData(InvalidInput):
    code = "party_data_invalid"
    message = "主体信息有误 (the party's data is invalid)"


class RegistrationPending(Conflict):
    code = "registration_pending"
    message = "该统一社会信用代码已有待审核的注册申请 (an application for this credit code is already waiting for review)"


class LicenceRefused(InvalidInput):
    code = "licence_refused"
    message = "营业执照须为 PDF、PNG 或 JPEG 文件 (the business licence must be a PDF, PNG or JPEG file)"


class LicenceTooLarge(InvalidInput):
    code = "licence_too_large"
    message = "营业执照文件过大 (the business licence file is too large)"
    http_status = 413


class RegistrationNotFound(NotFound):
    code = "registration_not_found"
    message = "注册申请不存在 (no such registration)"


class RegistrationAlreadyReviewed(Conflict):
    code = "registration_reviewed"
    message = "该注册申请已审核，不能再次审核 (the application was already reviewed)"


class ReasonRequired(InvalidInput):
    code = "reason_required"
    message = "驳回注册申请须填写理由 (a rejection needs a reason)"


class OperatorsOnly(PermissionDenied):
    code = "operators_only"
    message = "只有平台运营人员可以审核注册申请 (only platform operators review registrations)"


class NoPartyOfAccount(PermissionDenied):
    code = "no_party"
    message = "当前账户不属于任何主体 (this account belongs to no party)"


class InvalidHandler(InvalidInput):
    code = "handler_invalid"
    message = "经办人信息有误 (the certificate handler's data is invalid)"


class CommitmentAlreadySigned(Conflict):
    code = "commitment_signed"
    message = "入驻承诺书已签署 (the commitment letter is already signed)"


class CommitmentSignatureRefused(InvalidInput):
    code = "commitment_signature_refused"
    message = "入驻承诺书的签名无效 (the commitment letter's signature is not valid)"


class CommitmentSignerNotBound(CommitmentSignatureRefused):
    code = "commitment_signer_not_bound"
    message = ("签名证书未绑定到本主体（或绑定已失效），请先绑定证书 "
               "(the signing certificate is not actively bound to this party: bind it first)")


class CommitmentOnlyForSuppliers(PermissionDenied):
    code = "commitment_suppliers_only"
    message = "入驻承诺书由供应商签署 (the commitment letter is signed by suppliers)"


class NoticeNotFound(NotFound):
    """Also the answer for another party's or account's notice: its existence is not told."""

    code = "notice_not_found"
    message = "通知不存在 (no such notice)"
