"""The expert draw for a tender (专家抽取) and what follows it until the evaluation starts.

- :func:`draw_experts` (the tender's agency, after the bid deadline, once): avoidance, the seed's
  commitment timestamped by the platform TSA, the draw (:mod:`bidding.experts.draw`), the seed
  revealed and checked at once, the list sealed to the agency's encryption certificates, the
  called experts told.
- :func:`answer_assignment` (the expert): confirm, or decline — the next reserve in order is called.
- :func:`start_list_opening` / :func:`finish_list_opening` (the agency, at the evaluation start,
  after the opening): the agent unwraps the list's content key and re-encrypts it to the platform's
  transport certificate, as in the self-test; the list opens, the evaluation has started.
- :func:`draw_status`, :func:`expert_list`, :func:`public_record`: what each may see. Before the
  evaluation starts nobody reads the names through the platform (:class:`ListSealed`); the seed and
  the snapshot are published only then, because with both anyone could recompute who was drawn.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Account, Role
from bidding.bids.models import Bid, BidState
from bidding.certificates.decryption import AnswerRefused, open_sealed
from bidding.certificates.models import (
    BindingState,
    CertificateBinding,
    CertificatePurpose,
)
from bidding.errors import InvalidInput, NotFound
from bidding.experts import draw as verifiable
from bidding.experts.errors import (
    AgencyEncryptionMissing,
    AssignmentClosed,
    AssignmentUnknown,
    DrawExists,
    DrawNotAllowed,
    DrawUnknown,
    EvaluationNotDue,
    ExpertSessionRequired,
    ListOpeningFailed,
    ListSealed,
    PoolTooSmall,
)
from bidding.experts.models import (
    AssignmentState,
    Expert,
    ExpertAssignment,
    ExpertConflict,
    ExpertDraw,
)
from bidding.notify import notify_contact
from bidding.parties.models import Party
from bidding.tenders.access import agency_tender, load_tender
from bidding.tenders.models import Tender, TenderPhase
from bidding.uow import UnitOfWork
from pki.certs import fingerprint_sha256, load_certificate
from pki.envelope import encrypt_stream, find_recipient_info
from pki.envelope.reader import open_envelope
from pki.errors import PkiError
from pki.keyops import KeyOps
from pki.timestamps import TsaSource, request_token

MAX_COUNT, MAX_RESERVES = 15, 10
#: bids that count for avoidance: every bid not withdrawn or replaced
_BID_STATES = (BidState.SUBMITTED, BidState.DECRYPTED, BidState.VALID, BidState.INVALID, BidState.DECRYPTION_FAILED)
REASONS = {"bidder_employee": "投标人员工 (employee of a bidder)",
           "purchaser_employee": "采购人员工 (employee of the purchaser)",
           "declared_conflict": "本人申报回避 (declared conflict)"}


@dataclass(frozen=True)
class DrawRequest:
    speciality: str
    count: int
    reserves: int


@dataclass(frozen=True)
class DrawStatus:
    """What the agency sees of its draw: no names before the evaluation starts."""

    draw: ExpertDraw
    tender: Tender
    counts: dict[str, int]
    excluded: int
    evaluation_due: bool        # the list may be opened now (after the opening, not opened yet)


@dataclass(frozen=True)
class ListOpening:
    """The agency's step at the evaluation start: the RecipientInfo its agent unwraps."""

    tender_id: int
    version: int
    fingerprint: str
    recipient_info: bytes


# -- the draw ---------------------------------------------------------------------------------------
def draw_experts(uow: UnitOfWork, account: Account, tender_id: Any, request: DrawRequest, *,
                 tsa: TsaSource) -> ExpertDraw:
    """Draw ``request.count`` experts of a speciality and ``request.reserves`` reserves for the tender."""
    with uow:
        tender = _agency_tender(uow, account, tender_id, for_update=True)
        now = uow.clock.now()
        if tender.phase(now).rank < TenderPhase.CLOSED.rank:
            raise DrawNotAllowed()
        if _draw_of(uow, tender.id) is not None:
            raise DrawExists()
        speciality = _checked_request(request)
        recipients = _agency_recipients(uow, tender.agency_id)
        eligible, exclusions = _eligible(uow, tender, speciality)
        if len(eligible) < request.count + request.reserves:
            raise PoolTooSmall(eligible=len(eligible), needed=request.count + request.reserves)
        snapshot = verifiable.snapshot_of([{"id": e.id, "region": e.region} for e in eligible])
        seed = verifiable.new_seed()
        committed = verifiable.commitment(seed, tender=tender.public_id, snapshot_sha256=snapshot.sha256)
        token = _timestamp(bytes.fromhex(committed), tsa)
        order = verifiable.verify_draw(snapshot.data, seed, committed, tender=tender.public_id)
        draw = ExpertDraw(tender_id=tender.id, agency_id=tender.agency_id, speciality=speciality,
                          count=request.count, reserves=request.reserves, commitment=committed,
                          timestamp_token=token, snapshot_json=snapshot.data, snapshot_sha256=snapshot.sha256,
                          seed_hex=seed.hex(), exclusions_json=json.dumps(exclusions, ensure_ascii=False),
                          list_envelope=b"", list_version=0, drawn_by=account.id, drawn_at=now)
        uow.session.add(draw)
        uow.session.flush()
        experts = {e.id: e for e in eligible}
        for position, expert_id in enumerate(order[:request.count + request.reserves], start=1):
            called = position <= request.count
            uow.session.add(ExpertAssignment(draw_id=draw.id, expert_id=expert_id, position=position,
                                             state=AssignmentState.CALLED if called else AssignmentState.STANDBY,
                                             called_at=now if called else None))
            if called:
                _tell(uow, experts[expert_id], tender)
        uow.session.flush()
        _seal_list(uow, draw, tender, recipients)
        uow.audit("expert.drawn", draw, tender_id=tender.id, commitment=committed, snapshot_sha256=snapshot.sha256,
                  speciality=speciality, count=request.count, reserves=request.reserves, excluded=len(exclusions))
        uow.commit()
        return draw


def _checked_request(request: DrawRequest) -> str:
    speciality = request.speciality.strip()
    if not speciality or len(speciality) > 30:
        raise InvalidInput("请填写专业（至多 30 字） (give the speciality, at most 30 characters)", field="speciality")
    if not 1 <= request.count <= MAX_COUNT or not 0 <= request.reserves <= MAX_RESERVES:
        raise InvalidInput(f"抽取人数应为 1–{MAX_COUNT}，备选 0–{MAX_RESERVES} (draw 1–{MAX_COUNT} experts and "
                           f"0–{MAX_RESERVES} reserves)", field="count")
    return speciality


def _eligible(uow: UnitOfWork, tender: Tender, speciality: str) -> tuple[list[Expert], list[dict[str, Any]]]:
    """The active experts of the speciality who need not be avoided, by id; and the excluded ones
    with their reasons."""
    bidders = set(uow.session.scalars(
        select(Party.credit_code).join(Bid, Bid.party_id == Party.id)
        .where(Bid.tender_id == tender.id, Bid.state.in_(_BID_STATES))))
    purchaser = uow.session.get(Party, tender.purchaser_id).credit_code
    parties = bidders | {purchaser}
    declared: dict[int, set[str]] = {}
    for conflict in uow.session.scalars(select(ExpertConflict).where(ExpertConflict.credit_code.in_(parties))):
        declared.setdefault(conflict.expert_id, set()).add(conflict.credit_code)
    eligible, excluded = [], []
    for expert in uow.session.scalars(select(Expert).where(Expert.active.is_(True)).order_by(Expert.id)):
        if speciality not in expert.speciality_list:
            continue
        reasons = [reason for reason, applies in (
            ("bidder_employee", expert.employer_credit_code in bidders),
            ("purchaser_employee", expert.employer_credit_code == purchaser),
            ("declared_conflict", expert.id in declared)) if applies]
        if reasons:
            excluded.append({"expert_id": expert.id, "reasons": reasons})
        else:
            eligible.append(expert)
    return eligible, excluded


def _timestamp(digest: bytes, tsa: TsaSource) -> bytes:
    if isinstance(tsa, str):
        return request_token(digest, url=tsa)
    return request_token(digest, responder=tsa)


def _agency_recipients(uow: UnitOfWork, agency_id: int) -> list[Any]:
    bindings = uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.party_id == agency_id, CertificateBinding.purpose == CertificatePurpose.ENCRYPTION,
        CertificateBinding.state == BindingState.ACTIVE).order_by(CertificateBinding.id))
    certificates = [load_certificate(b.certificate_der) for b in bindings]
    if not certificates:
        raise AgencyEncryptionMissing()
    return certificates


def _seal_list(uow: UnitOfWork, draw: ExpertDraw, tender: Tender, recipients: Sequence[Any]) -> None:
    """Write the drawn list (every assignment in order, with names and contacts) as an envelope to
    the agency's encryption certificates; the plaintext is never stored."""
    draw.list_version += 1
    rows = uow.session.execute(select(ExpertAssignment, Expert).join(Expert, Expert.id == ExpertAssignment.expert_id)
                               .where(ExpertAssignment.draw_id == draw.id).order_by(ExpertAssignment.position))
    document = {"tender": tender.public_id, "version": draw.list_version, "speciality": draw.speciality,
                "experts": [{"position": a.position, "expert_id": e.id, "name": e.name, "phone": e.phone,
                             "email": e.email, "employer": e.employer_name, "state": a.state.value}
                            for a, e in rows]}
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(json.dumps(document, ensure_ascii=False).encode("utf-8")), out, recipients=recipients)
    draw.list_envelope = out.getvalue()


def _tell(uow: UnitOfWork, expert: Expert, tender: Tender) -> None:
    notify_contact(uow, recipient=expert.phone or expert.email or f"expert-{expert.id}",
                   subject="评审专家抽取通知 (you were drawn as an evaluation expert)",
                   text=f"您被抽取为项目「{tender.title}」({tender.public_id}) 的评审专家，请用验证码登录平台确认是否参加 "
                        f"(sign in with a one-time code to confirm or decline): /experts/assignments")


# -- the expert's answer ------------------------------------------------------------------------------
def answer_assignment(uow: UnitOfWork, expert_id: int | None, assignment_id: Any, *,
                      accept: bool) -> tuple[ExpertAssignment, Tender]:
    """The expert confirms or declines; a decline calls the next reserve in draw order."""
    if expert_id is None:
        raise ExpertSessionRequired()
    with uow:
        assignment = _own_assignment(uow, expert_id, assignment_id)
        draw = uow.session.get(ExpertDraw, assignment.draw_id, with_for_update=True)
        if assignment.state != AssignmentState.CALLED or not draw.sealed:
            raise AssignmentClosed()
        now = uow.clock.now()
        assignment.state = AssignmentState.CONFIRMED if accept else AssignmentState.DECLINED
        assignment.answered_at = now
        tender = uow.session.get(Tender, draw.tender_id)
        reserve = None
        if not accept:
            reserve = uow.session.scalars(select(ExpertAssignment).where(
                ExpertAssignment.draw_id == draw.id, ExpertAssignment.state == AssignmentState.STANDBY)
                .order_by(ExpertAssignment.position).limit(1)).first()
            if reserve is not None:
                reserve.state, reserve.called_at = AssignmentState.CALLED, now
                _tell(uow, uow.session.get(Expert, reserve.expert_id), tender)
        uow.session.flush()
        _seal_list(uow, draw, tender, _agency_recipients(uow, draw.agency_id))
        uow.audit("expert.confirmed" if accept else "expert.declined", assignment, draw_id=draw.id,
                  reserve_called=reserve.position if reserve is not None else None)
        uow.commit()
        return assignment, tender


def my_assignments(uow: UnitOfWork, expert_id: int | None) -> list[tuple[ExpertAssignment, Tender]]:
    """The expert's own assignments (called, answered), newest first; reserves not yet called are not shown."""
    if expert_id is None:
        raise ExpertSessionRequired()
    rows = uow.session.execute(
        select(ExpertAssignment, Tender).join(ExpertDraw, ExpertDraw.id == ExpertAssignment.draw_id)
        .join(Tender, Tender.id == ExpertDraw.tender_id)
        .where(ExpertAssignment.expert_id == expert_id, ExpertAssignment.state != AssignmentState.STANDBY)
        .order_by(ExpertAssignment.id.desc()))
    return [(a, t) for a, t in rows]


def _own_assignment(uow: UnitOfWork, expert_id: int, assignment_id: Any) -> ExpertAssignment:
    try:
        key = int(assignment_id)
    except (TypeError, ValueError):
        raise AssignmentUnknown() from None
    assignment = uow.session.get(ExpertAssignment, key, with_for_update=True) if 0 < key < 2**31 else None
    if assignment is None or assignment.expert_id != expert_id or assignment.state == AssignmentState.STANDBY:
        raise AssignmentUnknown()
    return assignment


# -- the evaluation start: the list opens -------------------------------------------------------------
def start_list_opening(uow: UnitOfWork, account: Account, tender_id: Any, certificate_der: bytes) -> ListOpening:
    """The RecipientInfo of the list's envelope for one of the agency's encryption certificates."""
    tender = _agency_tender(uow, account, tender_id)
    draw = _existing_draw(uow, tender.id)
    _evaluation_due(uow, tender, draw)
    try:
        certificate = load_certificate(certificate_der)
        info = find_recipient_info(open_envelope(io.BytesIO(draw.list_envelope)).recipient_infos, certificate)
    except PkiError:
        raise InvalidInput("专家名单未加密给该证书 (the expert list is not sealed to this certificate)") from None
    return ListOpening(tender.id, draw.list_version, fingerprint_sha256(certificate), info.dump())


def finish_list_opening(uow: UnitOfWork, account: Account, tender_id: Any, answer: bytes, *, version: int,
                        transport_key: KeyOps, transport_certificate: object) -> list[dict[str, Any]]:
    """Open the list with the agent's answer: the evaluation has started; the drawn experts (as
    :func:`expert_list`) are returned."""
    with uow:
        tender = _agency_tender(uow, account, tender_id)
        draw = _existing_draw(uow, tender.id, for_update=True)
        _evaluation_due(uow, tender, draw)
        if version != draw.list_version:
            raise InvalidInput("专家名单已更新，请重新开始 (the list changed since: start again)")
        try:
            plain = open_sealed(draw.list_envelope, answer, transport_key=transport_key,
                                transport_certificate=transport_certificate)
        except AnswerRefused:
            raise ListOpeningFailed() from None
        document = json.loads(plain)
        if document.get("tender") != tender.public_id or document.get("version") != draw.list_version:
            raise ListOpeningFailed()
        draw.evaluation_started_at = uow.clock.now()
        uow.audit("expert.list_opened", draw, tender_id=tender.id, version=draw.list_version,
                  list_sha256=hashlib.sha256(plain).hexdigest())
        uow.commit()
        return _listed(uow, draw)


def _evaluation_due(uow: UnitOfWork, tender: Tender, draw: ExpertDraw) -> None:
    if not draw.sealed:
        raise InvalidInput("评审已开始，专家名单已解密 (the evaluation has started: the list is open)")
    if tender.phase(uow.clock.now()) != TenderPhase.OPENED:
        raise EvaluationNotDue()


# -- what each may see --------------------------------------------------------------------------------
def draw_status(uow: UnitOfWork, account: Account, tender_id: Any) -> DrawStatus | None:
    """The agency's view of its tender's draw (None: not drawn yet): counts, never names before the start."""
    tender = _agency_tender(uow, account, tender_id)
    draw = _draw_of(uow, tender.id)
    if draw is None:
        return None
    counts = {state.value: 0 for state in AssignmentState}
    for state in uow.session.scalars(select(ExpertAssignment.state).where(ExpertAssignment.draw_id == draw.id)):
        counts[state.value] += 1
    due = draw.sealed and tender.phase(uow.clock.now()) == TenderPhase.OPENED
    return DrawStatus(draw, tender, counts, len(json.loads(draw.exclusions_json)), due)


def expert_list(uow: UnitOfWork, account: Account, tender_id: Any) -> list[dict[str, Any]]:
    """The drawn experts with names (the agency, from the evaluation start; :class:`ListSealed` before)."""
    tender = _agency_tender(uow, account, tender_id)
    draw = _existing_draw(uow, tender.id)
    if draw.sealed:
        raise ListSealed()
    return _listed(uow, draw)


def _listed(uow: UnitOfWork, draw: ExpertDraw) -> list[dict[str, Any]]:
    rows = uow.session.execute(select(ExpertAssignment, Expert).join(Expert, Expert.id == ExpertAssignment.expert_id)
                               .where(ExpertAssignment.draw_id == draw.id).order_by(ExpertAssignment.position))
    return [{"position": a.position, "name": e.name, "employer": e.employer_name, "phone": e.phone,
             "state": a.state.value, "state_label": a.state.label} for a, e in rows]


def public_record(uow: UnitOfWork, tender_id: Any) -> dict[str, Any]:
    """The draw's public record (docs/experts.md): commitment, timestamp token, snapshot digest; from
    the evaluation start also the seed, the snapshot and the exclusions, so anyone can recompute it."""
    tender = load_tender(uow, tender_id)
    draw = _draw_of(uow, tender.id) if tender.published_at is not None else None
    if draw is None:
        raise DrawUnknown()
    return record_of(draw)


def record_of(draw: ExpertDraw) -> dict[str, Any]:
    """The public record of ``draw`` (see :func:`public_record`)."""
    tender = draw.tender
    record: dict[str, Any] = {
        "tender": tender.public_id, "speciality": draw.speciality, "count": draw.count, "reserves": draw.reserves,
        "drawn_at": draw.drawn_at.isoformat(), "commitment": draw.commitment,
        "timestamp_token": base64.b64encode(draw.timestamp_token).decode("ascii"),
        "snapshot_sha256": draw.snapshot_sha256, "excluded": len(json.loads(draw.exclusions_json)),
        "evaluation_started_at": None, "seed": None, "snapshot": None, "exclusions": None}
    if not draw.sealed:
        record.update(evaluation_started_at=draw.evaluation_started_at.isoformat(), seed=draw.seed_hex,
                      snapshot=draw.snapshot_json.decode("utf-8"), exclusions=json.loads(draw.exclusions_json))
    return record


def _agency_tender(uow: UnitOfWork, account: Account, tender_id: Any, *, for_update: bool = False) -> Tender:
    if account.role != Role.AGENCY_STAFF or account.party_id is None:
        raise NotFound("项目不存在 (no such tender)")
    return agency_tender(uow, tender_id, account.party_id, for_update=for_update)


def _draw_of(uow: UnitOfWork, tender_id: int, *, for_update: bool = False) -> ExpertDraw | None:
    query = select(ExpertDraw).where(ExpertDraw.tender_id == tender_id)
    return uow.session.scalars(query.with_for_update() if for_update else query).first()


def _existing_draw(uow: UnitOfWork, tender_id: int, *, for_update: bool = False) -> ExpertDraw:
    draw = _draw_of(uow, tender_id, for_update=for_update)
    if draw is None:
        raise DrawUnknown()
    return draw


__all__ = [
    "REASONS",
    "DrawRequest",
    "DrawStatus",
    "ListOpening",
    "answer_assignment",
    "commitment_letter",
    "draw_experts",
    "draw_status",
    "expert_list",
    "finish_list_opening",
    "my_assignments",
    "public_record",
    "record_of",
    "start_list_opening",
]


# -- the expert's commitment letter (评审专家承诺书), signed with the event certificate --------------------
def commitment_letter(uow: UnitOfWork, expert_id: int | None, assignment_id: Any) -> tuple[str, bytes]:
    """The title and exact text (UTF-8) of the commitment letter for a confirmed assignment."""
    if expert_id is None:
        raise ExpertSessionRequired()
    assignment = _own_assignment(uow, expert_id, assignment_id)
    if assignment.state != AssignmentState.CONFIRMED:
        raise AssignmentClosed("确认参加后才能签署评审专家承诺书 (confirm the assignment before signing the commitment)")
    tender = uow.session.get(ExpertDraw, assignment.draw_id).tender
    expert = uow.session.get(Expert, expert_id)
    title = f"评审专家承诺书 · {tender.public_id}"
    text = (f"{title}\n\n本人 {expert.name}（身份证号 {expert.masked_id_number}）受邀参加项目「{tender.title}」"
            f"（{tender.public_id}）的评审，承诺：与各投标人及采购人无利害关系；独立、客观、公正地评审；"
            f"对评审情况保密；不收受任何财物。\n")
    return title, text.encode("utf-8")
