"""The public verification page's use cases (验签): anyone may upload a PDF, or a detached CMS /
GM/T 0010 signature with its content, and see every signature in it: who signed (subject, and the
party on this platform the certificate is bound to), the seal image, signing time and timestamp,
the certificate's status at that time, whether the document changed after the signature and
whether the signature covers the whole file. RSA, EC and SM2 alike (:func:`pki.pdf.verify_pdf`,
:func:`pki.signature.verify`). A signed statement of the platform — a bid receipt (投标回执) or an
opening transcript (开标记录 transcript) — is recognised by its content and checked as such too
(:func:`pki.receipts.verify_receipt`, :func:`pki.receipts.verify_transcript`: the receipt
certificate, the timestamp, the canonical JSON, and for a transcript the audit chain and the hall's
own links), as ``bidtool receipt-verify`` and ``transcript-verify`` check them offline. ``?doc=<public id>`` shows what the platform recorded of one of its
documents (:func:`public_record`): revisions and digests, never the content.

Nothing here changes state: no unit of work is committed, nothing is audited (the page is open to
anyone; reading is not an act). Hostile input gets :class:`VerificationInputRefused`, never a crash.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bidding.certificates.models import CertificateBinding
from bidding.documents.errors import VerificationInputRefused, VerificationInputTooLarge
from bidding.documents.models import Document, DocumentRevision
from bidding.documents.services import get_document, revisions_of, signers_of, visible_to
from bidding.experts.models import Expert
from bidding.parties.models import Party
from bidding.uow import UnitOfWork
from pki import pdf
from pki.receipts import verify_receipt, verify_transcript
from pki.receipts.receipt import RECEIPT_TYPE
from pki.receipts.transcript import TRANSCRIPT_TYPE
from pki.certs import fingerprint_sha256, key_algorithm
from pki.errors import PkiError
from pki.signature import verify as verify_signature
from pki.trust import TrustList

log = logging.getLogger(__name__)
MAX_SIGNATURE_BYTES = 1024 * 1024
PDF_MAGIC = b"%PDF-"
ROLE_LABELS = {"purchaser": "采购人", "agency": "代理机构", "supplier": "供应商"}
STATUS_LABELS = {"good": "有效", "valid": "有效", "revoked": "已吊销", "expired": "已过期", "not_yet_valid": "尚未生效",
                 "unknown": "状态未知", "untrusted": "不受信任"}
ALGORITHM_LABELS = {"rsa": "RSA（SHA-256）", "ec": "ECDSA（SHA-256）", "sm2": "SM2（SM3，GM/T 0010）"}
MODIFICATION_LABELS = {"none": "签名后未修改", "seal_slices": "签名后仅有其他方加盖的印章（含骑缝章），属允许的追加",
                       "validation_data": "签名后仅添加了验证数据（允许的追加）", "other": "签名后文件被修改"}


@dataclass(frozen=True)
class SignerParty:
    """The party a signer's certificate is (or was) bound to on this platform."""

    party_id: int
    name: str
    kind: str
    binding_state: str


@dataclass(frozen=True)
class SignatureView:
    """One signature as the page and the API show it (PDF or CMS alike; PDF-only fields None for CMS)."""

    index: int
    ok: bool
    field_name: str | None
    algorithm: str | None
    signer_subject: str | None
    fingerprint_sha256: str | None
    party: SignerParty | None
    seal_png: bytes | None
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    signature_valid: bool
    trusted: bool
    certificate_status: str
    covers_whole_document: bool | None
    modified_after: bool | None
    modification: str | None
    cross_page: bool
    problems: tuple[str, ...]

    @property
    def algorithm_label(self) -> str:
        return ALGORITHM_LABELS.get(self.algorithm or "", self.algorithm or "—")

    @property
    def certificate_status_label(self) -> str:
        return STATUS_LABELS.get(self.certificate_status, self.certificate_status)

    @property
    def modification_label(self) -> str | None:
        return MODIFICATION_LABELS.get(self.modification or "", self.modification)


@dataclass(frozen=True)
class RecordMatch:
    """The uploaded file is exactly one revision the platform keeps."""

    public_id: str
    title: str
    seq: int
    latest: bool


@dataclass(frozen=True)
class StatementView:
    """A platform statement found inside a CMS file: what it says and whether it holds as one."""

    kind: str                                   # 'receipt' | 'transcript'
    title: str
    ok: bool
    facts: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class VerificationResult:
    kind: str                          # 'pdf' | 'cms'
    ok: bool
    sha256: str
    size: int
    signatures: tuple[SignatureView, ...]
    revisions: int | None
    record: RecordMatch | None
    flavour: str | None = None         # CMS: 'cms' | 'gm-standard' | 'gm-gmssl'
    statement: StatementView | None = None

    @property
    def summary(self) -> str:
        if not self.signatures:
            return "文件中没有电子签名 (no signature found)"
        if self.ok:
            return f"全部 {len(self.signatures)} 个签名均有效 (every signature is valid)"
        bad = sum(1 for s in self.signatures if not s.ok)
        return f"{len(self.signatures)} 个签名中有 {bad} 个未通过验证 ({bad} of {len(self.signatures)} signatures fail)"


@dataclass(frozen=True)
class RevisionRecord:
    seq: int
    sha256: str
    size: int
    created_at: datetime
    signer: str | None
    role: str | None


@dataclass(frozen=True)
class DocumentRecord:
    """What the platform recorded of a document (``?doc=``): no content."""

    public_id: str
    kind: str
    title: str
    created_at: datetime
    signers: tuple[tuple[str, str, bool], ...]       # (role label, party name, stamped)
    revisions: tuple[RevisionRecord, ...]
    may_download: bool


def looks_like_pdf(data: bytes) -> bool:
    """PDF readers accept the header anywhere in the first kilobyte."""
    return PDF_MAGIC in data[:1024]


def verify_upload(uow: UnitOfWork, data: bytes, *, trust: TrustList, crls: Sequence[bytes] = (),
                  content: bytes | None = None) -> VerificationResult:
    """A PDF (by its bytes, not its name) or a CMS / GM/T 0010 signature with ``content`` for a
    detached one."""
    if not data:
        raise VerificationInputRefused("请选择要验证的文件 (choose a file to verify)")
    if content is None and looks_like_pdf(data):
        return verify_pdf_file(uow, data, trust=trust, crls=crls)
    return verify_cms_file(uow, data, content, trust=trust, crls=crls)


def verify_pdf_file(uow: UnitOfWork, data: bytes, *, trust: TrustList, crls: Sequence[bytes] = ()) -> VerificationResult:
    if len(data) > pdf.MAX_PDF_BYTES:
        raise VerificationInputTooLarge(f"PDF 文件不得超过 {pdf.MAX_PDF_BYTES // (1024 * 1024)} MiB (a PDF may have at "
                                        f"most {pdf.MAX_PDF_BYTES} bytes)", max_bytes=pdf.MAX_PDF_BYTES)
    try:
        report = pdf.verify_pdf(data, trust=trust, crls=crls, at=uow.clock.now())
    except pdf.PdfTooLarge as exc:
        raise VerificationInputTooLarge(exc.message, max_bytes=pdf.MAX_PDF_BYTES) from None
    except PkiError as exc:
        raise VerificationInputRefused(f"无法读取该 PDF 文件：{exc.message} (the PDF cannot be read)") from None
    except Exception:       # noqa: BLE001 - hostile input must never become a 500; the trace goes to the log
        log.warning("unreadable PDF upload", exc_info=True)
        raise VerificationInputRefused("无法读取该 PDF 文件，文件可能已损坏 (the PDF cannot be read: it may be damaged)") from None
    views = tuple(_pdf_view(uow, i, s) for i, s in enumerate(report.signatures))
    return VerificationResult(kind="pdf", ok=bool(views) and report.ok(), sha256=hashlib.sha256(data).hexdigest(),
                              size=len(data), signatures=views, revisions=report.revisions,
                              record=_record_match(uow, data))


def verify_cms_file(uow: UnitOfWork, signature: bytes, content: bytes | None, *, trust: TrustList,
                    crls: Sequence[bytes] = ()) -> VerificationResult:
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise VerificationInputTooLarge(f"签名文件不得超过 {MAX_SIGNATURE_BYTES // 1024} KiB (a signature file may have "
                                        f"at most {MAX_SIGNATURE_BYTES} bytes)", max_bytes=MAX_SIGNATURE_BYTES)
    try:
        result = verify_signature(signature, content=content, trust_roots=trust.roots, at=uow.clock.now(),
                                  intermediates=trust.intermediates, crls=crls, revocation="soft-fail")
    except PkiError as exc:
        raise VerificationInputRefused(f"{VerificationInputRefused.message}：{exc.message}") from None
    except Exception:       # noqa: BLE001 - as above
        log.warning("unreadable signature upload", exc_info=True)
        raise VerificationInputRefused() from None
    if result.detached and content is None:
        raise VerificationInputRefused("这是分离式签名（不含原文）：请同时上传签名的原文文件 (a detached signature: upload the "
                                       "signed content too)")
    views = []
    for signer in result.signers:
        cert = signer.signer_certificate
        fingerprint = fingerprint_sha256(cert) if cert is not None else None
        chain_ok = signer.chain is not None and signer.chain.ok
        problems = tuple(r.message for r in signer.reasons)
        codes = set(signer.codes)
        views.append(SignatureView(
            index=signer.index, ok=signer.ok, field_name=None,
            algorithm=_cms_algorithm(cert, signer.digest_algorithm), signer_subject=signer.signer_subject,
            fingerprint_sha256=fingerprint, party=_party_of(uow, fingerprint), seal_png=None,
            signing_time=signer.signing_time,
            timestamp_time=signer.timestamp.gen_time if signer.timestamp is not None and signer.timestamp.ok else None,
            intact="content_mismatch" not in codes and "digest_mismatch" not in codes,
            signature_valid=not codes & {"bad_signature", "digest_mismatch", "content_mismatch"},
            trusted=chain_ok or not codes & {"untrusted_issuer", "untrusted"},
            certificate_status=_cms_status(signer), covers_whole_document=None, modified_after=None,
            modification=None, cross_page=False, problems=problems))
    statement = None if result.detached else _statement_view(uow, signature, result.content, trust=trust, crls=crls)
    return VerificationResult(kind="cms", ok=result.ok and bool(views) and (statement is None or statement.ok),
                              sha256=hashlib.sha256(signature).hexdigest(), size=len(signature),
                              signatures=tuple(views), revisions=None, record=None, flavour=result.flavour,
                              statement=statement)


def _statement_view(uow: UnitOfWork, der: bytes, content: bytes | None, *, trust: TrustList,
                    crls: Sequence[bytes]) -> StatementView | None:
    """The receipt or transcript check of an attached signature whose content names that type."""
    kind = _statement_type(content)
    if kind is None:
        return None
    options = {"trust_roots": trust.roots, "intermediates": trust.intermediates, "tsa_roots": trust.roots,
               "crls": crls}
    try:
        if kind == RECEIPT_TYPE:
            receipt = verify_receipt(der, **options)
            f = receipt.fields
            facts = () if f is None else (
                ("项目", f.tender), ("投标", f.bid), ("投标人", f.bidder), ("事项", {"submitted": "递交", "withdrawn": "撤回"}
                                                                     .get(f.action, f.action)),
                ("投标文件", f"{f.size:,} 字节"), ("SHA-256", f.sha256), ("SM3", f.sm3),
                ("最后一个字节到达", f.received_at.isoformat()))
            return StatementView("receipt", "投标回执 (bid receipt)", receipt.ok, facts,
                                 tuple(r.message for r in receipt.reasons))
        transcript = verify_transcript(der, **options)
        facts = (("项目", transcript.tender or "—"), ("事件数", str(transcript.count)),
                 ("首个事件", transcript.first_at.isoformat() if transcript.first_at else "—"),
                 ("最后事件", transcript.last_at.isoformat() if transcript.last_at else "—"),
                 ("开标大厅链", "完整，首尾相接 (hall events linked)" if transcript.hall_linked else "未链接 (not linked)"),
                 ("审计链末项", f"#{transcript.head.id} {transcript.head.sha256}" if transcript.head else "—"))
        return StatementView("transcript", "开标过程记录 (opening transcript)", transcript.ok, facts,
                             tuple(r.message for r in transcript.reasons))
    except PkiError as exc:
        return StatementView("receipt" if kind == RECEIPT_TYPE else "transcript", kind, False, (), (exc.message,))


def _statement_type(content: bytes | None) -> str | None:
    """``bid-receipt`` or ``opening-transcript`` when the content is a JSON object of that type."""
    if not content or not content.startswith(b"{") or len(content) > MAX_SIGNATURE_BYTES:
        return None
    try:
        value = json.loads(content)
    except ValueError:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    return kind if kind in (RECEIPT_TYPE, TRANSCRIPT_TYPE) else None


def public_record(uow: UnitOfWork, public_id: str, party_id: int | None) -> DocumentRecord:
    """What the platform keeps of document ``public_id``; ``may_download`` for its parties."""
    document = get_document(uow, public_id)
    signers = signers_of(uow, document)
    names = {p.id: p.name for p in uow.session.scalars(select(Party).where(Party.id.in_(
        [s.party_id for s in signers if s.party_id is not None])))}
    experts = {e.id: e.name for e in uow.session.scalars(select(Expert).where(Expert.id.in_(
        [s.expert_id for s in signers if s.expert_id is not None])))}
    roles = {s.party_id: s.role for s in signers if s.party_id is not None}
    expert_roles = {s.expert_id: s.role for s in signers if s.expert_id is not None}

    def signer_of(r: DocumentRevision) -> tuple[str | None, str | None]:
        if r.signer_expert_id is not None:
            return experts.get(r.signer_expert_id), role_label(expert_roles.get(r.signer_expert_id, ""))
        if r.signer_party_id is not None:
            return names.get(r.signer_party_id), ROLE_LABELS.get(roles.get(r.signer_party_id, ""), None)
        return None, None
    revisions = tuple(RevisionRecord(r.seq, r.sha256, r.size, r.created_at, *signer_of(r))
                      for r in revisions_of(uow, document))
    return DocumentRecord(
        public_id=document.public_id, kind=document.kind.label, title=document.title, created_at=document.created_at,
        signers=tuple((role_label(s.role), experts.get(s.expert_id, "") if s.expert_id is not None
                       else names.get(s.party_id, ""), s.signed_seq is not None) for s in signers),
        revisions=revisions, may_download=party_id is not None and visible_to(uow, document, party_id))


def role_label(role: str) -> str:
    """采购人, 代理机构, 供应商, 评审专家<n> (``expert:<n>``)."""
    if role.startswith("expert:"):
        return f"评审专家{role.split(':', 1)[1]}"
    return ROLE_LABELS.get(role, role)


# -- the steps ---------------------------------------------------------------------------------------------
def _pdf_view(uow: UnitOfWork, index: int, s) -> SignatureView:
    return SignatureView(
        index=index, ok=_report_ok(s), field_name=s.field_name, algorithm=s.algorithm, signer_subject=s.signer_subject,
        fingerprint_sha256=s.fingerprint_sha256, party=_party_of(uow, s.fingerprint_sha256), seal_png=s.seal_png,
        signing_time=s.signing_time, timestamp_time=s.timestamp_time, intact=s.intact,
        signature_valid=s.signature_valid, trusted=s.trusted, certificate_status=s.certificate_status,
        covers_whole_document=s.covers_whole_document, modified_after=s.modified_after, modification=s.modification,
        cross_page=s.cross_page, problems=tuple(s.problems))


def _report_ok(s) -> bool:
    ok = getattr(s, "ok", None)
    if ok is not None:
        return bool(ok() if callable(ok) else ok)
    return bool(s.intact and s.signature_valid and s.trusted and not s.problems)


def _party_of(uow: UnitOfWork, fingerprint: str | None) -> SignerParty | None:
    if not fingerprint:
        return None
    binding = uow.session.scalars(select(CertificateBinding).where(CertificateBinding.fingerprint_sha256 == fingerprint)
                                  .order_by(CertificateBinding.bound_at.desc(), CertificateBinding.id.desc())).first()
    if binding is None:
        return None
    party = uow.session.get(Party, binding.party_id)
    return SignerParty(party.id, party.name, party.kind.label, binding.state.value) if party else None


def _record_match(uow: UnitOfWork, data: bytes) -> RecordMatch | None:
    digest = hashlib.sha256(data).hexdigest()
    revision = uow.session.scalars(select(DocumentRevision).where(DocumentRevision.sha256 == digest)).first()
    if revision is None:
        return None
    document = uow.session.get(Document, revision.document_id)
    return RecordMatch(document.public_id, document.title, revision.seq, revision.seq == document.current_seq)


def _cms_algorithm(cert, digest_algorithm: str | None) -> str | None:
    if cert is None:
        return None
    name = {"rsa": "RSA", "ec": "ECDSA", "sm2": "SM2"}.get(key_algorithm(cert), key_algorithm(cert).upper())
    return f"{name} / {(digest_algorithm or '').upper()}".rstrip(" /")


def _cms_status(signer) -> str:
    if signer.chain is None:
        return "unknown"
    if signer.chain.ok:
        return "good"
    codes = set(signer.chain.codes)
    for code in ("revoked", "expired", "not_yet_valid"):
        if code in codes:
            return code
    if "untrusted_issuer" in codes:
        return "untrusted"
    return "unknown"
