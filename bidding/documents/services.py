"""Use cases of the documents area: keep a generated PDF as revision 1, let its parties read it, and
stamp it (电子签章) in two requests through the signer's local agent:

1. :func:`prepare_stamp`: the party names one of its bound certificates; the platform checks that it
   may stamp (R4 issued for this platform, R6 main key with a seal, R22 seal valid now, a signing
   certificate, the party's turn), draws the seal into a new incremental revision with pyHanko
   (:func:`pki.pdf.prepare_stamp`) and keeps the prepared state (:class:`StampSession`, ten minutes);
   the answer is the digest the token must sign.
2. :func:`complete_stamp`: the detached CMS / GM/T 0010 signature the agent made over that digest is
   embedded with a timestamp of the platform's TSA (B-T) and the validation data (B-LT); the result
   must verify (:func:`pki.pdf.verify_pdf`) before it becomes the document's next revision.

The area a document belongs to (agreements, later contracts and notices) registers its
:class:`KindRules` with :func:`register_kind`: it may refuse a stamp in its own state and moves its
own state on in the same transaction as the stamp. Only the parties of a document see it, and each
only once it has reached them (the first signer at once, the next once those before it stamped).

A signer may also be an evaluation expert (评审专家, R12: no party, no certificate of its own): the
expert signs on the platform's token with its event certificate (:mod:`bidding.experts.signing`),
so no agent and no stamp session are involved; the area that owns the document finds the expert's
turn with :func:`expert_turn` and keeps the signed PDF with :func:`add_expert_revision`. A party
signing after experts waits for them like for any earlier signer.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bidding.certificates.errors import BindingNotFound, BindingOfAnotherParty
from bidding.certificates.models import BindingState, CertificateBinding, CertificatePurpose
from bidding.certificates.services import seal_valid
from bidding.documents import store
from bidding.documents.errors import (
    AlreadyStamped,
    BindingInactive,
    CertificateCannotSign,
    DocumentAccessDenied,
    DocumentNotFound,
    NoSeal,
    NotASigner,
    NotForThisPlatform,
    NotYourTurn,
    PdfCannotBeStamped,
    SealNotValid,
    StampBindingRefused,
    StampSessionCompleted,
    StampSessionExpired,
    StampSessionNotFound,
    StampSessionStale,
    StampSignatureRefused,
    UnknownDocumentKind,
)
from bidding.documents.models import (
    STAMP_SESSION_LIFETIME_MINUTES,
    Document,
    DocumentKind,
    DocumentRevision,
    DocumentSigner,
    StampSession,
)
from bidding.parties.models import Party
from bidding.uow import UnitOfWork
from pki import pdf
from pki.certs import to_asn1
from pki.errors import PkiError
from pki.trust import TrustList

STAMP_LOCATION = "电子招投标平台"
_PUBLIC_ID = re.compile(r"[0-9A-Z][0-9A-Z-]{3,31}")


@dataclass(frozen=True)
class Stamping:
    """What stamping needs from outside the domain: the file store, the trust list and the CRLs at
    hand (for the checks and the B-LT validation data), and how to reach the platform's
    time-stamping authority: ``timestamper()`` gives a URL or an in-process responder
    (:data:`pki.timestamps.TsaSource`); it is called only when a stamp is finished, after every
    check passed, so an unconfigured TSA never hides a refusal."""

    store: Path
    trust: TrustList
    crls: Sequence[bytes] = ()
    timestamper: Callable[[], Any] | None = None


@dataclass(frozen=True)
class SignerSpec:
    """A party (or, with ``expert_id`` and no party, an evaluation expert) that signs a new document,
    in order: ``role`` names its seal box in the template."""

    party_id: int | None
    role: str
    expert_id: int | None = None

    def __post_init__(self) -> None:
        if (self.party_id is None) == (self.expert_id is None):
            raise ValueError("a signer is either a party or an expert")


class KindRules(Protocol):
    """What the area owning a kind of document adds to stamping (see the module docstring). A kind
    whose rules have ``cross_page_seal = True`` (the contract) is stamped with the cross-page seal
    (骑缝章) as well, whichever door the stamp comes through."""

    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        """Raise a :class:`bidding.errors.DomainError` when the area's state forbids this stamp."""

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        """Move the area's own state on (same transaction, before the commit)."""


_rules: dict[DocumentKind, KindRules] = {}


def register_kind(kind: DocumentKind, rules: KindRules) -> None:
    """The stamping rules of ``kind`` (the owning area registers them when it is imported)."""
    _rules[kind] = rules


def rules_for(kind: DocumentKind) -> KindRules:
    try:
        return _rules[kind]
    except KeyError:
        raise UnknownDocumentKind(kind=kind.value) from None


# -- creating and reading ---------------------------------------------------------------------------------
def create_document(uow: UnitOfWork, file_store: Path, *, public_id: str, kind: DocumentKind, title: str,
                    creator_party_id: int, rendered: Any, signers: Sequence[SignerSpec]) -> Document:
    """Keep ``rendered`` (:class:`bidding.documents.pdf.RenderedDocument`, made with ``public_id``
    printed on it) as revision 1, with its signers in order, each seal box taken from the template.
    Runs inside the caller's transaction (no commit, no audit entry of its own: the caller's use
    case records the change); the file is written first, so a committed revision always has it."""
    sha256 = store.put(file_store, store.REVISIONS, rendered.pdf)
    now = uow.clock.now()
    document = Document(public_id=public_id, kind=kind, title=title[:200], created_by_party_id=creator_party_id,
                        created_at=now, current_seq=1)
    uow.session.add(document)
    uow.session.flush()
    for order, spec in enumerate(signers, start=1):
        box = rendered.seal_boxes[spec.role]
        uow.session.add(DocumentSigner(document_id=document.id, party_id=spec.party_id, expert_id=spec.expert_id,
                                       role=spec.role, sign_order=order, seal_page=box.page, seal_x=box.x, seal_y=box.y,
                                       seal_size=box.size))
    uow.session.add(DocumentRevision(document_id=document.id, seq=1, sha256=sha256, size=len(rendered.pdf),
                                     created_at=now))
    uow.session.flush()
    return document


@dataclass(frozen=True)
class _UploadedPdf:
    """An uploaded PDF in the shape :func:`create_document` takes (``pdf``, ``seal_boxes``)."""

    pdf: bytes
    seal_boxes: Mapping[str, Any]


def create_document_from_pdf(uow: UnitOfWork, file_store: Path, *, public_id: str, kind: DocumentKind, title: str,
                             creator_party_id: int, pdf: bytes, seal_boxes: Mapping[str, Any],
                             signers: Sequence[SignerSpec]) -> Document:
    """Keep a PDF a party made itself and uploaded (招标文件, 更正公告) as revision 1, like
    :func:`create_document`; the file has no template, so the caller chooses each signer's seal box
    (``seal_boxes``: role → :class:`bidding.documents.pdf.SealBox`, checked to fit on its page). The
    bytes must have been checked by the caller (a readable PDF within the size limits)."""
    return create_document(uow, file_store, public_id=public_id, kind=kind, title=title,
                           creator_party_id=creator_party_id, rendered=_UploadedPdf(pdf, dict(seal_boxes)),
                           signers=signers)


def get_document(uow: UnitOfWork, public_id: str) -> Document:
    """The document with this public id (case and surrounding blanks do not matter)."""
    key = str(public_id or "").strip().upper()
    document = None
    if _PUBLIC_ID.fullmatch(key):
        document = uow.session.scalars(select(Document).where(Document.public_id == key)).first()
    if document is None:
        raise DocumentNotFound(document=public_id)
    return document


def signers_of(uow: UnitOfWork, document: Document) -> list[DocumentSigner]:
    return list(uow.session.scalars(select(DocumentSigner).where(DocumentSigner.document_id == document.id)
                                    .order_by(DocumentSigner.sign_order)))


def revisions_of(uow: UnitOfWork, document: Document) -> list[DocumentRevision]:
    return list(uow.session.scalars(select(DocumentRevision).where(DocumentRevision.document_id == document.id)
                                    .order_by(DocumentRevision.seq)))


def visible_to(uow: UnitOfWork, document: Document, party_id: int | None) -> bool:
    """A signer sees the document once it has reached it: every signer before it has stamped."""
    if party_id is None:
        return False
    signers = signers_of(uow, document)
    for signer in signers:
        if signer.party_id == party_id:
            return all(s.signed_seq is not None for s in signers if s.sign_order < signer.sign_order)
    return False


def readable_document(uow: UnitOfWork, public_id: str, party_id: int | None) -> Document:
    """The document, if ``party_id`` may see it (:class:`DocumentAccessDenied` otherwise)."""
    document = get_document(uow, public_id)
    if not visible_to(uow, document, party_id):
        raise DocumentAccessDenied(document=document.public_id)
    return document


def read_revision(uow: UnitOfWork, file_store: Path, public_id: str, party_id: int | None,
                  seq: int | None = None) -> tuple[Document, DocumentRevision, bytes]:
    """A revision's PDF (default the current one) for one of the document's parties."""
    document = readable_document(uow, public_id, party_id)
    wanted = document.current_seq if seq is None else seq
    revision = uow.session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == document.id, DocumentRevision.seq == wanted)).first()
    if revision is None:
        raise DocumentNotFound(f"文件 {document.public_id} 没有第 {wanted} 版 (the document has no revision {wanted})",
                               document=document.public_id, revision=wanted)
    return document, revision, store.get(file_store, store.REVISIONS, revision.sha256)


# -- stamping -------------------------------------------------------------------------------------------------
def prepare_stamp(uow: UnitOfWork, stamping: Stamping, public_id: str, party_id: int, binding_id: int,
                  role: str | None = None) -> StampSession:
    """Prepare the party's stamp with the seal of binding ``binding_id`` on the document's current
    revision; the session carries the digest (hex) and its algorithm for the agent to sign."""
    with uow:
        document = get_document(uow, public_id)
        signer = _turn(uow, document, party_id, role)
        rules_for(document.kind).check_stamp(uow, document, signer)
        now = uow.clock.now()
        binding, _ = _stamping_binding(uow, party_id, binding_id, now, stamping)
        party = uow.session.get(Party, party_id)
        current = _revision(uow, document, document.current_seq)
        source = store.get(stamping.store, store.REVISIONS, current.sha256)
        spec = pdf.StampSpec(seal_png=binding.seal_image,
                             placement=pdf.SealPlacement(page=signer.seal_page, x=signer.seal_x, y=signer.seal_y,
                                                         size=signer.seal_size),
                             field_name=f"seal-{signer.role}", reason=f"{document.kind.label}签章",
                             location=STAMP_LOCATION, signer_name=party.name if party else None,
                             cross_page=bool(getattr(rules_for(document.kind), "cross_page_seal", False)))
        try:
            prepared = pdf.prepare_stamp(source, to_asn1(binding.certificate_der), spec, signing_time=now)
        except pdf.PdfError as exc:
            raise PdfCannotBeStamped(f"{PdfCannotBeStamped.message}：{exc.message}", reason=exc.code) from None
        prepared_sha256 = store.put(stamping.store, store.PREPARED, prepared.prepared_pdf)
        session = StampSession(
            document_id=document.id, base_seq=document.current_seq, party_id=party_id, binding_id=binding.id,
            role=signer.role, field_name=prepared.field_name, digest=prepared.digest.hex(),
            digest_algorithm=prepared.digest_algorithm, prepared_sha256=prepared_sha256,
            prepared_record=json.dumps(prepared.to_record(), sort_keys=True), created_at=now,
            expires_at=now + timedelta(minutes=STAMP_SESSION_LIFETIME_MINUTES))
        uow.session.add(session)
        uow.session.flush()
        uow.audit("document.stamp_prepared", session, document=document.public_id, party_id=party_id,
                  binding_id=binding.id, role=signer.role, base_revision=document.current_seq,
                  digest=session.digest, digest_algorithm=session.digest_algorithm)
        uow.commit()
        return session


def complete_stamp(uow: UnitOfWork, stamping: Stamping, session_id: int, party_id: int,
                   signature_der: bytes) -> DocumentRevision:
    """Embed the agent's signature over the prepared digest and keep the result as the document's
    next revision, once the whole PDF verifies. Refused: another party's or an unknown session, a
    completed or expired one, a document that moved on since, a signature that does not fit."""
    with uow:
        session = uow.session.get(StampSession, session_id, with_for_update=True)
        if session is None or session.party_id != party_id:
            raise StampSessionNotFound(session=session_id)
        if session.completed_at is not None:
            raise StampSessionCompleted(session=session_id, revision=session.revision_seq)
        now = uow.clock.now()
        if now >= session.expires_at:
            raise StampSessionExpired(session=session_id, expired_at=session.expires_at.isoformat())
        document = uow.session.get(Document, session.document_id, with_for_update=True)
        if document.current_seq != session.base_seq:
            raise StampSessionStale(session=session_id, prepared_on=session.base_seq, current=document.current_seq)
        signer = _turn(uow, document, party_id, session.role)
        rules_for(document.kind).check_stamp(uow, document, signer)
        binding, chain = _stamping_binding(uow, party_id, session.binding_id, now, stamping)
        signed = _finish(stamping, session, chain, bytes(signature_der), now)
        sha256 = store.put(stamping.store, store.REVISIONS, signed)
        revision = DocumentRevision(document_id=document.id, seq=document.current_seq + 1, sha256=sha256,
                                    size=len(signed), signer_party_id=party_id, signer_binding_id=binding.id,
                                    field_name=session.field_name, created_at=now)
        uow.session.add(revision)
        document.current_seq = revision.seq
        signer.signed_seq = revision.seq
        session.completed_at, session.revision_seq = now, revision.seq
        try:
            uow.session.flush()
        except IntegrityError:      # another stamp made this revision number first (a race on SQLite)
            raise StampSessionStale(session=session_id) from None
        rules_for(document.kind).stamped(uow, document, signer, revision)
        uow.audit("document.stamped", revision, document=document.public_id, party_id=party_id, role=signer.role,
                  binding_id=binding.id, fingerprint=binding.fingerprint_sha256, revision=revision.seq,
                  sha256=sha256, session=session.id)
        uow.commit()
    store.discard(stamping.store, store.PREPARED, session.prepared_sha256)
    return revision


def stamp_session(uow: UnitOfWork, session_id: int, party_id: int) -> StampSession:
    """The party's own stamp session (another party's is "not found")."""
    session = uow.session.get(StampSession, session_id)
    if session is None or session.party_id != party_id:
        raise StampSessionNotFound(session=session_id)
    return session


def prepare_stamp_on(uow: UnitOfWork, stamping: Stamping, document_id: int, party_id: int,
                     binding_id: int) -> StampSession:
    """:func:`prepare_stamp` on the document an area holds by row id (an agreement's, a contract's
    current document): the area has checked the party may see its record."""
    document = uow.session.get(Document, document_id)
    return prepare_stamp(uow, stamping, document.public_id, party_id, binding_id)


def complete_stamp_on(uow: UnitOfWork, stamping: Stamping, document_id: int, session_id: int, party_id: int,
                      signature_der: bytes) -> DocumentRevision:
    """:func:`complete_stamp` of a session prepared on that very document (an older document of the
    same record, e.g. before a revision, is refused as stale)."""
    session = stamp_session(uow, session_id, party_id)
    if session.document_id != document_id:
        raise StampSessionStale(session=session_id)
    return complete_stamp(uow, stamping, session_id, party_id, signature_der)


# -- expert signers ------------------------------------------------------------------------------------------
def expert_turn(uow: UnitOfWork, document: Document, expert_id: int) -> DocumentSigner:
    """The expert's signer row, if it may sign now: not signed yet, and every *party* listed before
    it has stamped (experts sign in any order among themselves; a party after them waits for all)."""
    signers = signers_of(uow, document)
    signer = next((s for s in signers if s.expert_id is not None and s.expert_id == expert_id), None)
    if signer is None:
        raise NotASigner(document=document.public_id)
    if signer.signed_seq is not None:
        raise AlreadyStamped("您已在该文件上签名 (you have already signed this document)", document=document.public_id)
    waiting = [s for s in signers if s.sign_order < signer.sign_order and s.signed_seq is None
               and s.expert_id is None]
    if waiting:
        raise NotYourTurn(document=document.public_id, waiting_for=[s.role for s in waiting])
    return signer


def add_expert_revision(uow: UnitOfWork, file_store: Path, document: Document, signer: DocumentSigner,
                        signed_pdf: bytes, *, certificate_id: int, field_name: str) -> DocumentRevision:
    """Keep ``signed_pdf`` (the current revision plus the expert's signature, already verified by
    the caller) as the document's next revision, signed by ``signer``'s expert; inside the caller's
    transaction (its use case writes the audit entry). The file is written first."""
    sha256 = store.put(file_store, store.REVISIONS, signed_pdf)
    revision = DocumentRevision(document_id=document.id, seq=document.current_seq + 1, sha256=sha256,
                                size=len(signed_pdf), signer_expert_id=signer.expert_id,
                                signer_event_certificate_id=certificate_id, field_name=field_name,
                                created_at=uow.clock.now())
    uow.session.add(revision)
    document.current_seq = revision.seq
    signer.signed_seq = revision.seq
    try:
        uow.session.flush()
    except IntegrityError:      # another signature made this revision number first
        raise StampSessionStale("文件已有新的签名版本，请重新签名 (the document has a newer revision: sign again)",
                                document=document.public_id) from None
    return revision


def current_revision(uow: UnitOfWork, file_store: Path, document: Document) -> tuple[DocumentRevision, bytes]:
    """The document's current revision and its bytes (checked against the recorded digest)."""
    revision = _revision(uow, document, document.current_seq)
    return revision, store.get(file_store, store.REVISIONS, revision.sha256)


# -- the steps ------------------------------------------------------------------------------------------------
def _turn(uow: UnitOfWork, document: Document, party_id: int, role: str | None) -> DocumentSigner:
    """The party's signer row, if it is its turn: not signed yet, every signer before it has."""
    signers = signers_of(uow, document)
    mine = [s for s in signers if s.party_id == party_id and (role is None or s.role == role)]
    if not mine:
        raise NotASigner(document=document.public_id)
    signer = next((s for s in mine if s.signed_seq is None), None)
    if signer is None:
        raise AlreadyStamped(document=document.public_id)
    waiting = [s for s in signers if s.sign_order < signer.sign_order and s.signed_seq is None]
    if waiting:
        raise NotYourTurn(f"尚未轮到您签章：须先由其他签署方签章 (it is not your turn: {len(waiting)} party(ies) sign "
                          f"before you)", document=document.public_id, waiting_for=[s.role for s in waiting])
    return signer


def _stamping_binding(uow: UnitOfWork, party_id: int, binding_id: int, now: datetime,
                      stamping: Stamping) -> tuple[CertificateBinding, tuple]:
    """The party's binding if it may stamp now, checked rule by rule so the refusal names the rule,
    and the certificates above it (for the B-LT validation data)."""
    binding = uow.session.get(CertificateBinding, binding_id)
    if binding is None:
        raise BindingNotFound(binding=binding_id)
    if binding.party_id != party_id:
        raise BindingOfAnotherParty(binding=binding_id)
    if binding.state != BindingState.ACTIVE:
        raise BindingInactive(binding=binding_id, state=binding.state.value)
    if not binding.may_stamp:
        reason = f"：{binding.stamp_refusal}" if binding.stamp_refusal else ""
        raise NotForThisPlatform(f"{NotForThisPlatform.message}{reason}", binding=binding_id)
    if binding.seal_image is None or not binding.is_main_key:
        raise NoSeal(binding=binding_id)
    if binding.purpose != CertificatePurpose.SIGNING:
        raise CertificateCannotSign(binding=binding_id)
    if not seal_valid(binding, now):
        raise SealNotValid(binding=binding_id, not_before=binding.not_before.isoformat(),
                           not_after=binding.not_after.isoformat())
    try:
        result = stamping.trust.validate(binding.certificate_der, now, "stamping", crls=stamping.crls,
                                         revocation="require")
    except PkiError as exc:
        raise StampBindingRefused(f"{StampBindingRefused.message}：{exc.message}", binding=binding_id) from None
    if not result.ok:
        raise StampBindingRefused(f"{StampBindingRefused.message}：{result.message()}", binding=binding_id,
                                  reasons=[{"code": r.code, "message": r.message} for r in result.reasons])
    return binding, tuple(result.chain[1:])


def _finish(stamping: Stamping, session: StampSession, chain: tuple, signature_der: bytes, now: datetime) -> bytes:
    """The signed PDF: the signature embedded with the TSA's token and the validation data, verified."""
    prepared_pdf = store.get(stamping.store, store.PREPARED, session.prepared_sha256)
    prepared = pdf.PreparedStamp.from_record(json.loads(session.prepared_record), prepared_pdf)
    try:
        signed = pdf.finish_stamp(prepared, signature_der,
                                  timestamper=stamping.timestamper() if stamping.timestamper else None,
                                  validation=pdf.ValidationData(certificates=chain,
                                                                crls=tuple(stamping.crls)))
    except pdf.PdfError as exc:
        if exc.kind == "unavailable":
            raise
        raise StampSignatureRefused(f"{StampSignatureRefused.message}：{exc.message}", reason=exc.code) from None
    report = pdf.verify_pdf(signed, trust=stamping.trust, crls=stamping.crls, at=now)
    if not report.ok():
        problems = [p for s in report.signatures for p in s.problems]
        raise StampSignatureRefused(f"签章后的文件未通过验证，未予接受 (the stamped PDF does not verify)：{'；'.join(problems)}",
                                    problems=problems)
    return signed


def _revision(uow: UnitOfWork, document: Document, seq: int) -> DocumentRevision:
    revision = uow.session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == document.id, DocumentRevision.seq == seq)).first()
    if revision is None:     # pragma: no cover - current_seq always names a kept revision
        raise DocumentNotFound(document=document.public_id, revision=seq)
    return revision
