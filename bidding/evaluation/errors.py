"""The refusals of the evaluation (codes and bilingual messages, docs/evaluation.md)."""
from __future__ import annotations

from bidding.errors import Conflict, InvalidInput, NotFound


class SchemeInvalid(InvalidInput):
    code = "scheme_invalid"
    message = "评标办法不合要求 (the evaluation scheme is not valid)"


class SchemeMissing(Conflict):
    code = "scheme_missing"
    message = "代理机构尚未设定评标办法 (the agency has not set the evaluation scheme)"


class SchemeLocked(Conflict):
    code = "scheme_locked"
    message = "评审已开始，评标办法不能再修改 (the evaluation has started: the scheme cannot change)"


class EvaluationNotStarted(Conflict):
    code = "evaluation_not_started"
    message = "评审尚未开始（专家名单尚未解密） (the evaluation has not started: the expert list is still sealed)"


class NotAnEvaluator(NotFound):
    code = "evaluation_unknown"
    message = "您不是该项目的评审专家 (you are not an evaluator of this tender)"


class CommitmentUnsigned(Conflict):
    code = "commitment_unsigned"
    message = "请先签署评审专家承诺书 (sign the expert commitment letter first)"


class SheetInvalid(InvalidInput):
    code = "sheet_invalid"
    message = "评审表填写有误 (the sheet is not filled in correctly)"


class SheetUnknown(NotFound):
    code = "sheet_unknown"
    message = "评审表不存在 (no such sheet)"


class SheetSigned(Conflict):
    code = "sheet_signed"
    message = "该评审表已签名，不能修改 (the sheet is signed and cannot change)"


class SheetNotDue(Conflict):
    code = "sheet_not_due"
    message = "现在还不能填写该评审表 (this sheet cannot be filled in yet)"


class SheetsIncomplete(Conflict):
    code = "sheets_incomplete"
    message = "尚有专家未签署全部评审表 (not every expert has signed every sheet)"


class SheetTampered(Conflict):
    code = "sheet_tampered"
    message = "评审表签名核验失败：签名后内容被改动 (a sheet's signature does not verify: it changed after signing)"


class SummaryExists(Conflict):
    code = "summary_exists"
    message = "评标汇总表已生成 (the summary sheet already exists)"


class SummaryMissing(Conflict):
    code = "summary_missing"
    message = "评标汇总表尚未生成 (the summary sheet does not exist yet)"


class SummaryUnsigned(Conflict):
    code = "summary_unsigned"
    message = "评标汇总表尚未由全部专家签名 (not every expert has signed the summary sheet)"


class ReportExists(Conflict):
    code = "report_exists"
    message = "评标报告已生成 (the evaluation report already exists)"


class ReportMissing(Conflict):
    code = "report_missing"
    message = "评标报告尚未生成 (the evaluation report does not exist yet)"


class ReportNotFinal(Conflict):
    """The report is final once every expert signed it inside the PDF and the agency stamped it."""

    code = "report_not_final"
    message = "评标报告尚未完成签署：须全部评审专家签名并由代理机构签章 (the evaluation report is not final: every expert must sign and the agency must stamp it)"


class ReportSignatureRefused(Conflict):
    code = "report_signature_refused"
    message = "评标报告签名后未通过验证，未予接受 (the signed report does not verify: the signature was not kept)"
