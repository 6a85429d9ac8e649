"""The evaluation report (评标报告) drawn from the summary, rendered by
:func:`bidding.documents.pdf.render_evaluation_report`.

:func:`generate_report` (the agency, once every expert signed the summary) keeps the PDF with the
summary and gives every expert a ``report`` sheet whose content is the PDF's bytes: each signs it
like any sheet (a detached CMS with its event certificate after a fresh code). A PAdES signature per
expert inside the PDF and the agency's stamp are not built yet (docs/evaluation.md, "Not yet").
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Account
from bidding.agreements.rendering import party_ref
from bidding.documents.models import new_public_id
from bidding.documents.pdf import (
    DissentingOpinion,
    EvaluationReportData,
    QualificationOutcome,
    RankedBidder,
    RenderedDocument,
    render_evaluation_report,
)
from bidding.documents.pdf.common import ExpertRef, ProjectRef
from bidding.evaluation.errors import ReportExists
from bidding.evaluation.models import EvaluationSheet, EvaluationSummary, SheetKind
from bidding.evaluation.services import (
    _agency_tender,
    _confirmed,
    _draw,
    _summary,
    recommended_ranking,
)
from bidding.experts.models import AssignmentState, Expert, ExpertAssignment, ExpertDraw
from bidding.parties.models import Party
from bidding.tenders.models import Tender
from bidding.tenders.services import project_of
from bidding.uow import UnitOfWork

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


def generate_report(uow: UnitOfWork, account: Account, tender_id: Any, *,
                    verify_url: Callable[[str], str]) -> EvaluationSummary:
    """Render the report once every expert signed the summary (:class:`SummaryUnsigned` before), keep
    it with the summary, and give every expert a ``report`` sheet (its bytes) to sign."""
    with uow:
        tender = _agency_tender(uow, account, tender_id, for_update=True)
        recommended_ranking(uow, tender.id)
        summary = _summary(uow, tender.id)
        if summary.report_pdf is not None:
            raise ReportExists()
        public_id = new_public_id()
        pdf = render_report(uow, summary, document_id=public_id, verify_url=verify_url(public_id)).pdf
        now = uow.clock.now()
        summary.report_pdf, summary.report_sha256, summary.report_at = pdf, hashlib.sha256(pdf).hexdigest(), now
        for expert in _confirmed(uow, _draw(uow, tender.id)):
            uow.session.add(EvaluationSheet(tender_id=tender.id, expert_id=expert.id, kind=SheetKind.REPORT,
                                            subject="report", content=pdf, filled_at=now))
        uow.session.flush()
        uow.audit("evaluation.report_generated", summary, tender_id=tender.id, document=public_id,
                  sha256=summary.report_sha256)
        uow.commit()
        return summary
