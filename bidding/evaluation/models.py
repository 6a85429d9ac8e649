"""The evaluation's tables (docs/evaluation.md).

- :class:`EvaluationScheme`: the tender's scheme (评标办法) as RFC 8785 canonical JSON, set by its
  agency before the evaluation starts.
- :class:`EvaluationSheet`: one sheet of one expert, exactly the canonical bytes the expert signs:
  the qualification review sheet (资格审查表), a score sheet per qualified bid (评分表), an opinion
  sheet (评审意见表) or the expert's copy of the summary (汇总表). ``subject`` names it uniquely per
  expert (``qualification``, ``score:<bid id>``, ``opinion``, ``summary``; ``report`` only in data made
  before the report became a PAdES-signed document); ``signature_id`` is the
  expert's event-certificate signature over ``content`` once made (a sheet is final then).
- :class:`EvaluationSummary`: the summary sheet (评标汇总表) computed from the signed sheets, and
  the link to the evaluation report (评标报告), a :class:`bidding.documents.models.Document` the
  experts sign inside the PDF and the agency stamps (:mod:`bidding.evaluation.report`).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bidding.base import Base, UTCDateTime
from bidding.experts.models import ExpertSignature


class SheetKind(str, enum.Enum):
    QUALIFICATION = "qualification"    # 资格审查表
    SCORE = "score"                    # 评分表
    OPINION = "opinion"                # 评审意见表
    SUMMARY = "summary"                # 评标汇总表（专家签署）
    REPORT = "report"                  # 评标报告 as a detached-CMS sheet: only in data made before the report became a document

    @property
    def label(self) -> str:
        return {"qualification": "资格审查表", "score": "评分表", "opinion": "评审意见表",
                "summary": "评标汇总表", "report": "评标报告"}[self.value]

    @property
    def is_json(self) -> bool:
        """Every sheet is canonical JSON except the report, which is its PDF."""
        return self is not SheetKind.REPORT


class EvaluationScheme(Base):
    __tablename__ = "evaluation_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)           # RFC 8785 canonical JSON
    sha256: Mapped[str] = mapped_column(String(64))
    set_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EvaluationSheet(Base):
    __tablename__ = "evaluation_sheet"
    __table_args__ = (UniqueConstraint("tender_id", "expert_id", "subject", name="uq_evaluation_sheet_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    kind: Mapped[SheetKind] = mapped_column(Enum(SheetKind, name="evaluation_sheet_kind", native_enum=False, length=20,
                                                 values_callable=lambda members: [m.value for m in members]))
    subject: Mapped[str] = mapped_column(String(40))
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"))
    content: Mapped[bytes] = mapped_column(LargeBinary)            # RFC 8785 canonical JSON, what is signed
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("expert_signature.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    signature: Mapped[ExpertSignature | None] = relationship()


class EvaluationSummary(Base):
    __tablename__ = "evaluation_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)            # RFC 8785 canonical JSON
    sha256: Mapped[str] = mapped_column(String(64))
    computed_by: Mapped[int] = mapped_column(ForeignKey("account.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 评标报告: a platform document (bidding.documents) once every expert signed the summary; the
    # SHA-256 of its generated revision (before any signature) and when it was generated
    report_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    report_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
