"""Documents the platform generates and its parties stamp (电子签章): the delegation agreement today,
the review opinion, opening record, reports, notices and contracts later.

A :class:`Document` has a public id (printed on every page with the verification link, so anyone
holding the PDF can ask ``/verify?doc=<id>`` what the platform recorded), the parties that sign it
in order (:class:`DocumentSigner`, each with the box its seal goes into) and its revisions
(:class:`DocumentRevision`): revision 1 is the generated PDF, each stamp adds one incremental
revision. The files are kept in the file store under their SHA-256 (:mod:`bidding.documents.store`).

A :class:`StampSession` is the prepared state between the two requests of a stamp: the server
prepares the PDF and the digest to sign, the signer's token signs it through the local agent, the
server embeds the signature. It expires after ten minutes, completes once, and only over the
revision it was prepared on.
"""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime

STAMP_SESSION_LIFETIME_MINUTES = 10
_PUBLIC_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"     # no 0/O, 1/I: read aloud or typed from paper


def new_public_id() -> str:
    """A new public document id: 16 characters (80 random bits) in groups of four, e.g.
    ``K7QM-3XZP-9D2W-HT4B``; unguessable, so knowing one tells nothing of the others."""
    chars = "".join(secrets.choice(_PUBLIC_ID_ALPHABET) for _ in range(16))
    return "-".join(chars[i:i + 4] for i in range(0, 16, 4))


class DocumentKind(str, enum.Enum):
    DELEGATION_AGREEMENT = "delegation_agreement"     # 委托协议
    TENDER_DOCUMENTS = "tender_documents"             # 招标文件 (uploaded by the agency, bidding.tenders)
    REVIEW_OPINION = "review_opinion"                 # 采购文件审核意见书 (the purchaser's, bidding.tenders)
    TENDER_AMENDMENT = "tender_amendment"             # 更正公告 (uploaded by the agency, bidding.tenders)
    OPENING_RECORD = "opening_record"                 # 开标记录 (generated after the window, bidding.opening.record)
    EVALUATION_REPORT = "evaluation_report"           # 评标报告 (the experts, then the agency, bidding.evaluation)
    AWARD_CONFIRMATION = "award_confirmation"         # 中标人确认书 (the purchaser's, bidding.award)
    AWARD_NOTICE = "award_notice"                     # 中标通知书 (the agency's, to the winner, bidding.award)
    RESULT_NOTICE = "result_notice"                   # 中标结果通知书 (the agency's, to each other bidder, bidding.award)
    CONTRACT = "contract"                             # 政府采购合同 (the purchaser, then the winner, bidding.contracts)

    @property
    def label(self) -> str:
        return {"delegation_agreement": "委托协议", "tender_documents": "招标文件", "review_opinion": "采购文件审核意见书",
                "tender_amendment": "更正公告", "opening_record": "开标记录",
                "evaluation_report": "评标报告", "award_confirmation": "中标人确认书", "award_notice": "中标通知书",
                "result_notice": "中标结果通知书", "contract": "政府采购合同"}[self.value]


class Document(Base):
    """A generated PDF with its signers and revisions; ``current_seq`` is the latest revision."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[DocumentKind] = mapped_column(
        Enum(DocumentKind, name="document_kind", native_enum=False, length=40,
             values_callable=lambda kinds: [k.value for k in kinds]))
    title: Mapped[str] = mapped_column(String(200))
    created_by_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    current_seq: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.public_id} {self.kind.value} rev={self.current_seq}>"


class DocumentSigner(Base):
    """A party that signs the document in the role ``role`` (the seal box's name in the template,
    e.g. ``purchaser``), at position ``sign_order`` (1 first); ``signed_seq`` is the revision its
    stamp made. The seal goes into the box (page 1-based, 0 = last; x, y, size in PDF points).
    An evaluation expert (评审专家, no party: R12) signs in ``expert_id``'s name instead of a party:
    exactly one of ``party_id`` and ``expert_id`` is set."""

    __tablename__ = "document_signer"
    __table_args__ = (UniqueConstraint("document_id", "role", name="uq_document_signer_document_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    sign_order: Mapped[int] = mapped_column(Integer)
    seal_page: Mapped[int] = mapped_column(Integer)
    seal_x: Mapped[float] = mapped_column(Float)
    seal_y: Mapped[float] = mapped_column(Float)
    seal_size: Mapped[float] = mapped_column(Float)
    signed_seq: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        who = f"party={self.party_id}" if self.expert_id is None else f"expert={self.expert_id}"
        return f"<DocumentSigner {self.document_id} {self.role} {who} signed={self.signed_seq}>"


class DocumentRevision(Base):
    """One revision of the PDF: 1 is the generated file, every stamp adds one (incremental update).
    The file is ``documents/<sha256>`` in the file store."""

    __tablename__ = "document_revision"
    __table_args__ = (UniqueConstraint("document_id", "seq", name="uq_document_revision_document_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signer_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    signer_binding_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_binding.id"))
    signer_expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))       # an expert's signature
    signer_event_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert_event_certificate.id", name="fk_document_revision_signer_event_certificate"))
    field_name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<DocumentRevision {self.document_id}#{self.seq} {self.sha256[:12]}>"


class StampSession(Base):
    """A prepared stamp waiting for the signer's signature (see the module docstring).
    ``prepared_record`` is :meth:`pki.pdf.PreparedStamp.to_record` as JSON; the prepared PDF is the
    file ``stamping/<prepared_sha256>``."""

    __tablename__ = "document_stamp_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    base_seq: Mapped[int] = mapped_column(Integer)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    binding_id: Mapped[int] = mapped_column(ForeignKey("certificate_binding.id"))
    role: Mapped[str] = mapped_column(String(20))
    field_name: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(128))            # hex
    digest_algorithm: Mapped[str] = mapped_column(String(10))   # sha256 | sm3
    prepared_sha256: Mapped[str] = mapped_column(String(64))
    prepared_record: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision_seq: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<StampSession {self.id} doc={self.document_id} base={self.base_seq} done={self.completed_at is not None}>"
