"""The platform's PDFs, generated with reportlab from plain frozen dataclasses (never ORM objects),
Chinese text in the embedded TrueType font WenQuanYi Zen Hei. One module per kind, each with its
``<Kind>Data`` and ``render_<kind>(data, *, document_id, verify_url) -> RenderedDocument``; the
result carries the PDF bytes and, per signer role (``purchaser``, ``agency``, ``supplier``,
``expert:<n>``), the :class:`SealBox` where its seal goes. Same data, same bytes. See
docs/documents.md.
"""
from bidding.documents.pdf.amounts import format_yuan, to_yuan, yuan_in_capitals
from bidding.documents.pdf.award_confirmation import (
    AwardConfirmationData, RankedCandidate, render_award_confirmation)
from bidding.documents.pdf.award_contract import AwardContractData, render_award_contract
from bidding.documents.pdf.award_notice import AwardNoticeData, render_award_notice
from bidding.documents.pdf.base import PLATFORM_NAME, RenderedDocument, SealBox, Signatory
from bidding.documents.pdf.common import ExpertRef, PartyRef, ProjectRef
from bidding.documents.pdf.contract import ContractData, ContractItem, ContractTerm, render_contract
from bidding.documents.pdf.delegation_agreement import DelegationAgreementData, render_delegation_agreement
from bidding.documents.pdf.errors import FontUnavailable, InvalidAmount, InvalidDocumentData
from bidding.documents.pdf.evaluation_report import (
    DissentingOpinion, EvaluationReportData, QualificationOutcome, RankedBidder, render_evaluation_report)
from bidding.documents.pdf.expert_commitment import ExpertCommitmentData, render_expert_commitment
from bidding.documents.pdf.opening_record import (
    DecryptionResult, OpeningEntry, OpeningRecordData, render_opening_record)
from bidding.documents.pdf.opinion_sheet import OpinionSheetData, render_opinion_sheet
from bidding.documents.pdf.qualification_review import (
    BidderQualification, QualificationCheck, QualificationReviewData, render_qualification_review)
from bidding.documents.pdf.result_notice import ResultNoticeData, render_result_notice
from bidding.documents.pdf.review_opinion import ReviewItem, ReviewOpinionData, render_review_opinion
from bidding.documents.pdf.score_sheet import ScoreItem, ScoreSheetData, render_score_sheet
from bidding.documents.pdf.summary_sheet import SummaryRow, SummarySheetData, render_summary_sheet
from bidding.documents.pdf.supplier_commitment import SupplierCommitmentData, render_supplier_commitment

__all__ = [
    "PLATFORM_NAME", "RenderedDocument", "SealBox", "Signatory", "PartyRef", "ProjectRef", "ExpertRef",
    "FontUnavailable", "InvalidAmount", "InvalidDocumentData", "format_yuan", "to_yuan", "yuan_in_capitals",
    "DelegationAgreementData", "render_delegation_agreement",
    "ReviewItem", "ReviewOpinionData", "render_review_opinion",
    "DecryptionResult", "OpeningEntry", "OpeningRecordData", "render_opening_record",
    "ExpertCommitmentData", "render_expert_commitment",
    "BidderQualification", "QualificationCheck", "QualificationReviewData", "render_qualification_review",
    "ScoreItem", "ScoreSheetData", "render_score_sheet",
    "OpinionSheetData", "render_opinion_sheet",
    "SummaryRow", "SummarySheetData", "render_summary_sheet",
    "DissentingOpinion", "EvaluationReportData", "QualificationOutcome", "RankedBidder", "render_evaluation_report",
    "AwardConfirmationData", "RankedCandidate", "render_award_confirmation",
    "AwardNoticeData", "render_award_notice",
    "ResultNoticeData", "render_result_notice",
    "ContractData", "ContractItem", "ContractTerm", "render_contract",
    "AwardContractData", "render_award_contract",
    "SupplierCommitmentData", "render_supplier_commitment",
]
