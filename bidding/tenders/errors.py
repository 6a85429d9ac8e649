"""Refusals of the tenders area (采购项目、招标、报名、更正公告)."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class ProjectNotFound(NotFound):
    code = "project_not_found"
    message = "采购项目不存在 (no such procurement project)"


class TenderNotFound(NotFound):
    """No such tender, or one the account may not see (a draft of another party: not confirmed)."""

    code = "tender_not_found"
    message = "招标项目不存在或尚未发布 (no such tender, or it is not published)"


class OnlyAgencies(PermissionDenied):
    code = "tender_only_agencies"
    message = "只有代理机构可以创建和办理采购项目 (only an agency creates and runs procurement projects)"


class NotTheAgency(PermissionDenied):
    code = "tender_not_the_agency"
    message = "只有该项目的代理机构可以办理此事项 (only the tender's agency may do this)"


class NotThePurchaser(PermissionDenied):
    code = "tender_not_the_purchaser"
    message = "只有该项目的采购人可以审核采购文件 (only the tender's purchaser reviews its documents)"


class OnlySuppliers(PermissionDenied):
    code = "tender_only_suppliers"
    message = "只有供应商可以报名 (only a supplier registers for a tender)"


class ProjectInvalid(InvalidInput):
    """A field of the project is missing or wrong; ``details["field"]`` names it."""

    code = "project_invalid"
    message = "采购项目内容有误 (the project's data are invalid)"


class TenderTimesInvalid(InvalidInput):
    """A bid deadline, opening time or decryption window that cannot be; ``details["field"]``."""

    code = "tender_times_invalid"
    message = "投标截止时间、开标时间或解密时限有误 (invalid tender times)"


class TenderPdfRefused(InvalidInput):
    """The uploaded file is not a PDF the platform can stamp; ``details["field"]`` names the upload."""

    code = "tender_pdf_refused"
    message = "请上传 PDF 文件（按文件内容判断，不按扩展名） (upload a PDF: judged by its bytes, not its name)"


class TenderPdfTooLarge(TenderPdfRefused):
    code = "tender_pdf_too_large"
    message = "文件过大 (the file is too large)"
    http_status = 413


class AmendmentInvalid(InvalidInput):
    code = "amendment_invalid"
    message = "更正公告内容有误 (the amendment is invalid)"


class ReviewInvalid(InvalidInput):
    code = "review_invalid"
    message = "审核意见内容有误 (the review opinion is invalid)"


class TenderPhaseConflict(Conflict):
    """The tender's phase (from its times and the clock) does not allow this now."""

    code = "tender_phase"
    message = "招标项目当前阶段不允许此操作 (the tender's phase does not allow this now)"


class DocumentsNotReady(Conflict):
    """Publication needs the stamped tender documents and the purchaser's stamped review opinion
    agreeing to publish exactly those documents; the message says what is missing."""

    code = "tender_documents_not_ready"
    message = "招标文件或审核意见书尚未完成签章，不能发布 (the documents are not stamped yet: cannot publish)"


class AlreadyRegistered(Conflict):
    code = "tender_already_registered"
    message = "本单位已报名该项目 (your party has already registered for this tender)"


class NotRegistered(PermissionDenied):
    code = "tender_not_registered"
    message = "本单位未报名该项目，不能下载采购文件或投标 (your party has not registered for this tender)"


class TenderFileDenied(PermissionDenied):
    code = "tender_file_denied"
    message = ("只有已报名的供应商、代理机构和采购人可以下载该文件 (only registered bidders, the agency and the purchaser "
               "may download this file)")


class TenderFileNotFound(NotFound):
    code = "tender_file_not_found"
    message = "该文件不存在或尚未发布 (no such file, or it is not published)"
