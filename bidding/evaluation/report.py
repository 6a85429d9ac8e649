"""The evaluation report (评标报告): drawn from the summary by
:func:`bidding.documents.pdf.render_evaluation_report`, kept as a platform document
(:class:`~bidding.documents.models.Document` of kind ``evaluation_report``) and signed **inside the
PDF**, one incremental revision per signer:

1. :func:`generate_report` (the agency, once every expert signed the summary): revision 1, with
   the signers every confirmed expert (``expert:1`` …, draw order) and then the agency.
2. :func:`request_report_signature` / :func:`sign_report` (each expert, in any order among
   themselves): a fresh one-time code bound to the SHA-256 of the revision it signs, then a PAdES
   signature with its event certificate on the platform's token
   (:func:`bidding.experts.signing.sign_pdf_with_code`), its name in its box; the signed PDF must
   verify (:func:`pki.pdf.verify_pdf`) before it is kept.
3. The agency stamps last through its local agent like any party document
   (:func:`bidding.documents.services.prepare_stamp` / ``complete_stamp``, with
   :class:`ReportStampRules` registered for the kind). Then the report is final:
   :func:`require_final_report` (the award calls it).

Who reads it: the agency and the tender's experts at any revision; the tender's purchaser once it
is final (:func:`report_pdf`).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Account, Role
from bidding.agreements.rendering import party_ref
from bidding.documents import store
from bidding.documents.errors import StampNotAllowedNow
from bidding.documents.models import (
    Document,
    DocumentKind,
    DocumentRevision,
    DocumentSigner,
    new_public_id,
)
from bidding.documents.pdf import (
    DissentingOpinion,
    EvaluationReportData,
    QualificationOutcome,
    RankedBidder,
    RenderedDocument,
    render_evaluation_report,
)
from bidding.documents.pdf.common import ExpertRef, ProjectRef
from bidding.documents.pdf.name_stamp import name_stamp
from bidding.documents.pdf.text import as_beijing
from bidding.documents.services import (
    STAMP_LOCATION,
    SignerSpec,
    Stamping,
    add_expert_revision,
    create_document,
    current_revision,
    expert_turn,
    register_kind,
    revisions_of,
    signers_of,
)
from bidding.errors import NotFound
from bidding.evaluation.errors import (
    NotAnEvaluator,
    ReportExists,
    ReportMissing,
    ReportNotFinal,
    ReportSignatureRefused,
)
from bidding.evaluation.models import EvaluationSummary
from bidding.evaluation.services import (
    agency_tender_for,
    confirmed_experts,
    draw_of,
    recommended_ranking,
    summary_row,
)
from bidding.experts.errors import ExpertSessionRequired
from bidding.experts.models import (
    AssignmentState,
    Expert,
    ExpertAssignment,
    ExpertCode,
    ExpertDraw,
)
from bidding.experts.signing import (
    SigningSupport,
    request_signature,
    sign_pdf_with_code,
)
from bidding.notify import notify_contact
from bidding.parties.models import Party
from bidding.parties.notices import add_notice
from bidding.tenders.access import load_tender
from bidding.tenders.models import Tender
from bidding.tenders.services import project_of
from bidding.uow import UnitOfWork
from pki import pdf as pdfsign
from pki.errors import PkiError

RECOMMENDED = 3                  # 中标候选人: the first three of the ranking


def report_data(uow: UnitOfWork, summary: EvaluationSummary) -> EvaluationReportData:
    """What the report says, taken from the summary's canonical bytes (not from the sheets again)."""
    document = json.loads(summary.content)
    tender = uow.session.get(Tender, summary.tender_id)
    project = project_of(uow, tender)
    draw = uow.session.scalars(select(ExpertDraw).where(ExpertDraw.tender_id == tender.id)).one()
    experts = [ExpertRef(n, e.name, e.employer_name) for n, e in enumerate(uow.session.scalars(
        select(Expert).join(ExpertAssignment, ExpertAssignment.expert_id == Expert.id)
        .where(ExpertAssignment.draw_id == draw.id, ExpertAssignment.state == AssignmentState.CONFIRMED)
        .order_by(ExpertAssignment.position)), start=1)]
    numbers = {e.name: e.number for e in experts}
    ranking = document["ranking"]
    qualification = [QualificationOutcome(r["party"], True) for r in ranking] + [
        QualificationOutcome(d["party"], False, "；".join(d["reasons"])) for d in document["disqualified"]]
    return EvaluationReportData(
        project=ProjectRef(project.number, project.title),
        purchaser=party_ref(uow, uow.session.get(Party, tender.purchaser_id)),
        agency=party_ref(uow, uow.session.get(Party, tender.agency_id)),
        experts=tuple(experts), method="综合评分法（价格分采用最低评标价法）",
        opened_at=tender.opening_at, evaluated_at=summary.computed_at,
        bids_received=len(ranking) + len(document["disqualified"]), qualification=tuple(qualification),
        ranking=tuple(RankedBidder(r["rank"], r["party"], Decimal(r["price"]), Decimal(r["total"])) for r in ranking),
        recommended=tuple(r["party"] for r in ranking[:RECOMMENDED]), reported_on=summary.computed_at.date(),
        dissent=tuple(DissentingOpinion(numbers[o["expert"]], o["text"]) for o in document["opinions"]
                      if o["expert"] in numbers),
        conclusion=f"评标汇总表 SHA-256：{summary.sha256}。")


def render_report(uow: UnitOfWork, summary: EvaluationSummary, *, document_id: str,
                  verify_url: str) -> RenderedDocument:
    """The report PDF (with a seal box per expert and one for the agency)."""
    return render_evaluation_report(report_data(uow, summary), document_id=document_id, verify_url=verify_url)


@dataclass(frozen=True)
class ReportSigner:
    role: str                       # expert:<n> | agency
    label: str                      # 评审专家1 | 代理机构
    name: str
    expert_id: int | None
    party_id: int | None
    signed_seq: int | None
    signed_at: datetime | None


@dataclass(frozen=True)
class ReportView:
    """The report as its readers see it: the document, who signs in which order and who did."""

    tender: Tender
    document: Document
    signers: tuple[ReportSigner, ...]
    generated_sha256: str
    generated_at: datetime

    @property
    def experts_signed(self) -> bool:
        return all(s.signed_seq is not None for s in self.signers if s.expert_id is not None)

    @property
    def final(self) -> bool:
        return all(s.signed_seq is not None for s in self.signers)


# -- generating -------------------------------------------------------------------------------------------
def generate_report(uow: UnitOfWork, file_store: Path, account: Account, tender_id: Any, *,
                    verify_url: Callable[[str], str]) -> Document:
    """Render the report once every expert signed the summary (:class:`SummaryUnsigned` before) and
    keep it as a document the experts, then the agency sign; each expert is told by message."""
    with uow:
        tender = agency_tender_for(uow, account, tender_id, for_update=True)
        recommended_ranking(uow, tender.id)
        summary = summary_row(uow, tender.id)
        if summary.report_document_id is not None:
            raise ReportExists()
        public_id = new_public_id()
        rendered = render_report(uow, summary, document_id=public_id, verify_url=verify_url(public_id))
        experts = confirmed_experts(uow, draw_of(uow, tender.id))
        signers = [SignerSpec(None, f"expert:{n}", expert_id=e.id) for n, e in enumerate(experts, start=1)]
        document = create_document(uow, file_store, public_id=public_id, kind=DocumentKind.EVALUATION_REPORT,
                                   title=f"评标报告 · {tender.title}", creator_party_id=tender.agency_id,
                                   rendered=rendered, signers=[*signers, SignerSpec(tender.agency_id, "agency")])
        now = uow.clock.now()
        summary.report_document_id = document.id
        summary.report_sha256, summary.report_at = hashlib.sha256(rendered.pdf).hexdigest(), now
        for expert in experts:
            notify_contact(uow, recipient=expert.phone or expert.email or f"expert-{expert.id}",
                           subject=f"评标报告待签名：{tender.public_id}",
                           text=f"项目 {tender.public_id}「{tender.title}」的评标报告已生成，请登录评审专家账户核对并签名。")
        uow.audit("evaluation.report_generated", summary, tender_id=tender.id, document=public_id,
                  sha256=summary.report_sha256, signers=len(signers) + 1)
        uow.commit()
        return document


# -- reading ----------------------------------------------------------------------------------------------
def agency_report(uow: UnitOfWork, account: Account, tender_id: Any) -> ReportView:
    """The agency's view of its tender's report (:class:`ReportMissing` before it is generated)."""
    return _view(uow, agency_tender_for(uow, account, tender_id))


def party_report(uow: UnitOfWork, account: Account, tender_id: Any) -> ReportView:
    """The report for the tender's agency (any revision) or its purchaser (once final: before,
    :class:`ReportNotFinal`); anyone else: not found."""
    tender = load_tender(uow, tender_id)
    if account.role == Role.AGENCY_STAFF and account.party_id == tender.agency_id:
        return _view(uow, tender)
    if account.role == Role.PURCHASER_STAFF and account.party_id == tender.purchaser_id:
        view = _view(uow, tender)
        if not view.final:
            raise ReportNotFinal()
        return view
    raise NotFound("项目不存在 (no such tender)")


def expert_report(uow: UnitOfWork, expert_id: int | None, tender_id: Any) -> ReportView:
    """The report for one of the tender's confirmed experts (:class:`NotAnEvaluator` otherwise)."""
    if expert_id is None:
        raise ExpertSessionRequired()
    try:
        tender = load_tender(uow, tender_id)
    except NotFound:
        raise NotAnEvaluator() from None
    if expert_id not in {e.id for e in confirmed_experts(uow, draw_of(uow, tender.id))}:
        raise NotAnEvaluator()
    return _view(uow, tender)


def report_pdf(uow: UnitOfWork, file_store: Path, view: ReportView, seq: int | None = None) -> tuple[DocumentRevision, bytes]:
    """A revision of the report (default: the current one) for a reader :func:`party_report` or
    :func:`expert_report` admitted."""
    wanted = view.document.current_seq if seq is None else seq
    revision = next((r for r in revisions_of(uow, view.document) if r.seq == wanted), None)
    if revision is None:
        raise ReportMissing(f"评标报告没有第 {wanted} 版 (the report has no revision {wanted})", revision=wanted)
    return revision, store.get(file_store, store.REVISIONS, revision.sha256)


def require_final_report(uow: UnitOfWork, tender_id: Any) -> Document:
    """The tender's evaluation report if it is final: every expert signed it and the agency stamped
    it; :class:`ReportMissing` / :class:`ReportNotFinal` (409, Chinese message) otherwise. The award
    calls this before the winner is confirmed."""
    view = _view(uow, load_tender(uow, tender_id))
    if not view.final:
        waiting = [s.label for s in view.signers if s.signed_seq is None]
        raise ReportNotFinal(f"评标报告尚未完成签署，尚待：{'、'.join(waiting)} (the evaluation report is not final: "
                             f"{len(waiting)} signature(s) missing)", waiting=waiting)
    return view.document


# -- the experts sign -------------------------------------------------------------------------------------
def request_report_signature(uow: UnitOfWork, file_store: Path, expert_id: int | None, tender_id: Any,
                             support: SigningSupport) -> ExpertCode:
    """Send the expert a one-time code bound to the SHA-256 of the report's current revision (what
    it will sign); refused when it is not its turn or it signed already."""
    view = expert_report(uow, expert_id, tender_id)
    expert_turn(uow, view.document, expert_id)
    _, pdf = current_revision(uow, file_store, view.document)
    title = f"评标报告 · {view.tender.public_id} · 第 {view.document.current_seq} 版"
    uow.session.rollback()          # the reads end here; request_signature runs its own transaction
    return request_signature(uow, expert_id, pdf, title, support)


def sign_report(uow: UnitOfWork, stamping: Stamping, expert_id: int | None, tender_id: Any, request_id: Any,
                code: str, support: SigningSupport) -> DocumentRevision:
    """Sign the report inside the PDF with the code: a new revision with the expert's PAdES
    signature (B-LT, timestamped), its name in its box; kept only once the whole PDF verifies."""
    with uow:
        view = expert_report(uow, expert_id, tender_id)
        document = uow.session.get(Document, view.document.id, with_for_update=True)
        signer = expert_turn(uow, document, expert_id)
        expert = uow.session.get(Expert, expert_id)
        _, current = current_revision(uow, stamping.store, document)
        now = uow.clock.now()
        field_name = f"sig-{signer.role.replace(':', '-')}"

        def spec(certificate) -> pdfsign.StampSpec:
            return pdfsign.StampSpec(
                seal_png=name_stamp(expert.name, note=f"{as_beijing(now):%Y-%m-%d %H:%M} 北京时间"),
                placement=pdfsign.SealPlacement(page=signer.seal_page, x=signer.seal_x, y=signer.seal_y,
                                                size=signer.seal_size),
                field_name=field_name, reason="评标报告评审专家签名", location=STAMP_LOCATION, signer_name=expert.name)

        signed, certificate = sign_pdf_with_code(uow, expert_id, request_id, code, current, support, spec=spec,
                                                 trust=stamping.trust, crls=stamping.crls)
        _check_signed(signed, certificate.certificate_der, stamping, now)
        revision = add_expert_revision(uow, stamping.store, document, signer, signed, certificate_id=certificate.id,
                                       field_name=field_name)
        uow.audit("evaluation.report_signed", revision, tender_id=view.tender.id, document=document.public_id,
                  expert_id=expert_id, role=signer.role, revision=revision.seq, sha256=revision.sha256,
                  certificate_serial=certificate.serial)
        if all(s.signed_seq is not None for s in signers_of(uow, document) if s.expert_id is not None):
            add_notice(uow, f"项目 {view.tender.public_id} 的评标报告已由全部评审专家签名，请代理机构签章。",
                       party_id=view.tender.agency_id)
        uow.commit()
        return revision


# -- the agency's stamp -----------------------------------------------------------------------------------
class ReportStampRules:
    """The agency stamps the report last (the documents area makes it wait for every expert); its
    stamp makes the report final and tells the purchaser."""

    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        if signer.role != "agency" or _summary_of_document(uow, document) is None:
            raise StampNotAllowedNow(document=document.public_id)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        summary = _summary_of_document(uow, document)
        tender = uow.session.get(Tender, summary.tender_id)
        add_notice(uow, f"项目 {tender.public_id}「{tender.title}」的评标报告已由评审专家签名、代理机构签章，可以查看。",
                   party_id=tender.purchaser_id)
        uow.audit("evaluation.report_final", summary, tender_id=tender.id, document=document.public_id,
                  revision=revision.seq, sha256=revision.sha256)


register_kind(DocumentKind.EVALUATION_REPORT, ReportStampRules())


# -- the steps --------------------------------------------------------------------------------------------
def _view(uow: UnitOfWork, tender: Tender) -> ReportView:
    summary = summary_row(uow, tender.id)
    if summary is None or summary.report_document_id is None:
        raise ReportMissing()
    document = uow.session.get(Document, summary.report_document_id)
    signers = signers_of(uow, document)
    revisions = {r.seq: r for r in revisions_of(uow, document)}
    experts = {e.id: e for e in uow.session.scalars(select(Expert).where(
        Expert.id.in_([s.expert_id for s in signers if s.expert_id is not None])))}
    agency = uow.session.get(Party, tender.agency_id)
    rows = tuple(ReportSigner(
        s.role, f"评审专家{s.role.split(':')[1]}" if s.expert_id is not None else "代理机构",
        experts[s.expert_id].name if s.expert_id is not None else agency.name, s.expert_id, s.party_id, s.signed_seq,
        revisions[s.signed_seq].created_at if s.signed_seq in revisions else None) for s in signers)
    return ReportView(tender, document, rows, summary.report_sha256, summary.report_at)


def _summary_of_document(uow: UnitOfWork, document: Document) -> EvaluationSummary | None:
    return uow.session.scalars(select(EvaluationSummary).where(
        EvaluationSummary.report_document_id == document.id)).first()


def _check_signed(signed: bytes, certificate_der: bytes, stamping: Stamping, now: datetime) -> None:
    """Every signature of the signed PDF verifies, and the last is the event certificate's."""
    try:
        report = pdfsign.verify_pdf(signed, trust=stamping.trust, crls=stamping.crls, at=now)
    except PkiError as exc:
        raise ReportSignatureRefused(problems=[exc.message]) from None
    problems = [p for s in report.signatures for p in s.problems]
    if not report.ok() or not report.signatures or report.signatures[-1].signer_certificate_der != certificate_der:
        raise ReportSignatureRefused(f"{ReportSignatureRefused.message}：{'；'.join(problems)}", problems=problems)


__all__ = [
    "RECOMMENDED",
    "ReportSigner",
    "ReportStampRules",
    "ReportView",
    "agency_report",
    "expert_report",
    "generate_report",
    "party_report",
    "render_report",
    "report_data",
    "report_pdf",
    "request_report_signature",
    "require_final_report",
    "sign_report",
]
