"""The evaluation's use cases (docs/evaluation.md).

- :func:`set_scheme` (the tender's agency, until the evaluation starts).
- :func:`fill_sheet`, :func:`request_sheet_signature`, :func:`sign_sheet` (a drawn expert who
  confirmed, from the evaluation start, after signing the commitment letter): the sheet is stored as
  RFC 8785 canonical JSON and signed through :func:`bidding.experts.signing.request_signature` /
  :func:`~bidding.experts.signing.confirm_signature` (event certificate, fresh one-time code).
- :func:`compute_summary` (the agency, once every expert signed every sheet): only from sheets whose
  signatures verify over the stored bytes (:class:`SheetTampered` otherwise); every expert then
  signs the summary as a sheet of kind ``summary``.
- :func:`recommended_ranking`: the ranked bids once every expert signed the summary (the award).
- The evaluation report (评标报告) is :mod:`bidding.evaluation.report`.
- :func:`my_sheets`, :func:`sheet_of`, :func:`progress`, :func:`summary_of`: what each may see. An
  expert sees only its own sheets until the summary exists.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bidding.accounts.models import Account, Role
from bidding.bids.models import Bid, BidState
from bidding.documents.models import DocumentSigner
from bidding.errors import NotFound
from bidding.evaluation.errors import (
    CommitmentUnsigned,
    EvaluationNotStarted,
    NotAnEvaluator,
    SchemeInvalid,
    SchemeLocked,
    SchemeMissing,
    SheetInvalid,
    SheetNotDue,
    SheetSigned,
    SheetsIncomplete,
    SheetTampered,
    SheetUnknown,
    SummaryExists,
    SummaryMissing,
    SummaryUnsigned,
)
from bidding.evaluation.models import (
    EvaluationScheme,
    EvaluationSheet,
    EvaluationSummary,
    SheetKind,
)
from bidding.evaluation.scheme import (
    Candidate,
    Scheme,
    money,
    parse_decimal,
    parse_scheme,
    score_bids,
)
from bidding.experts.errors import ExpertSessionRequired
from bidding.experts.models import (
    AssignmentState,
    Expert,
    ExpertAssignment,
    ExpertDraw,
    ExpertSignature,
)
from bidding.experts.services import commitment_letter
from bidding.experts.signing import SigningSupport, confirm_signature, request_signature
from bidding.opening.models import BidOpening
from bidding.parties.models import Party
from bidding.tenders.access import agency_tender, load_tender
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork
from pki.errors import PkiError
from pki.receipts.canonical import canonical_json
from pki.signature import verify

#: the bids the experts evaluate: decrypted at the opening (and, once checked, valid)
EVALUATED_STATES = (BidState.DECRYPTED, BidState.VALID)
MAX_REASON, MAX_OPINION = 500, 5000


@dataclass(frozen=True)
class RankedBid:
    bid_id: int
    bid: str                 # public id
    party_id: int
    party: str
    rank: int
    total: Decimal
    price: Decimal
    currency: str | None


@dataclass(frozen=True)
class Evaluation:
    """A tender being evaluated: its draw, its confirmed experts (draw order), its scheme."""

    tender: Tender
    draw: ExpertDraw
    experts: list[Expert]
    scheme: Scheme
    scheme_row: EvaluationScheme


# -- the scheme (评标办法) ---------------------------------------------------------------------------------
def set_scheme(uow: UnitOfWork, account: Account, tender_id: Any, data: Any) -> EvaluationScheme:
    """Set or replace the tender's scheme; refused once the evaluation has started."""
    with uow:
        tender = agency_tender_for(uow, account, tender_id, for_update=True)
        draw = draw_of(uow, tender.id)
        if draw is not None and draw.evaluation_started_at is not None:
            raise SchemeLocked()
        document = canonical_json(parse_scheme(data).document())
        row = uow.session.scalars(select(EvaluationScheme).where(EvaluationScheme.tender_id == tender.id)).first()
        if row is None:
            row = EvaluationScheme(tender_id=tender.id)
            uow.session.add(row)
        row.document, row.sha256 = document, hashlib.sha256(document).hexdigest()
        row.set_by, row.set_at = account.id, uow.clock.now()
        uow.session.flush()
        uow.audit("evaluation.scheme_set", row, tender_id=tender.id, sha256=row.sha256)
        uow.commit()
        return row


def scheme_of(uow: UnitOfWork, tender_id: int) -> EvaluationScheme | None:
    return uow.session.scalars(select(EvaluationScheme).where(EvaluationScheme.tender_id == tender_id)).first()


def agency_scheme(uow: UnitOfWork, account: Account, tender_id: Any) -> EvaluationScheme | None:
    """The agency's view of its tender's scheme (None: not set)."""
    return scheme_of(uow, agency_tender_for(uow, account, tender_id).id)


# -- the expert's sheets -----------------------------------------------------------------------------------
def fill_sheet(uow: UnitOfWork, expert_id: int | None, tender_id: Any, kind: str, data: Any,
               bid_id: Any = None) -> EvaluationSheet:
    """Fill (or refill, while unsigned) one of the expert's sheets from ``data``:

    - ``qualification``: ``{"results": [{"bid": <bid id>, "passed": bool, "reason": text}]}``, every
      evaluated bid once, a reason on fail;
    - ``score`` (``bid_id`` a qualified bid, after every expert signed the qualification sheet):
      ``{"scores": {<criterion id>: "<0..weight, 2 places>"}}``, every scored criterion;
    - ``opinion``: ``{"text": …}`` (评审意见表, a dissent, before the summary).
    """
    with uow:
        ev = _evaluation_for_expert(uow, expert_id, tender_id)
        expert = next(e for e in ev.experts if e.id == expert_id)
        if summary_row(uow, ev.tender.id) is not None:
            raise SheetNotDue("评标汇总表已生成，评审表不能再填写 (the summary exists: sheets are closed)")
        bids = _bids(uow, ev.tender.id)
        head = {"tender": ev.tender.public_id, "expert": expert.name, "expert_id": expert.id,
                "scheme_sha256": ev.scheme_row.sha256}
        bid = None
        if kind == SheetKind.QUALIFICATION.value:
            subject, body = "qualification", _qualification(data, bids)
        elif kind == SheetKind.SCORE.value:
            bid = _qualified_bid(uow, ev, bids, bid_id)
            subject, body = f"score:{bid.id}", {"bid": bid.public_id, "scores": _scores(data, ev.scheme)}
        elif kind == SheetKind.OPINION.value:
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str) or not 1 <= len(text.strip()) <= MAX_OPINION:
                raise SheetInvalid(f"请填写评审意见（1–{MAX_OPINION} 字） (write the opinion, 1–{MAX_OPINION} "
                                   f"characters)", field="text")
            subject, body = "opinion", {"text": text.strip()}
        else:
            raise SheetInvalid("评审表类型应为 qualification、score 或 opinion (the kind is qualification, score or "
                               "opinion)", field="kind")
        content = canonical_json({"kind": kind, **head, **body})
        sheet = _sheet(uow, ev.tender.id, expert.id, subject)
        if sheet is None:
            sheet = EvaluationSheet(tender_id=ev.tender.id, expert_id=expert.id, kind=SheetKind(kind),
                                    subject=subject, bid_id=bid.id if bid is not None else None)
            uow.session.add(sheet)
        elif sheet.signature_id is not None:
            raise SheetSigned()
        sheet.content, sheet.filled_at = content, uow.clock.now()
        uow.session.flush()
        uow.audit("evaluation.sheet_filled", sheet, tender_id=ev.tender.id, expert_id=expert.id, kind=kind,
                  subject=subject, sha256=hashlib.sha256(content).hexdigest())
        uow.commit()
        return sheet


def request_sheet_signature(uow: UnitOfWork, expert_id: int | None, sheet_id: Any, support: SigningSupport) -> Any:
    """Send the expert a one-time code for signing its sheet (:func:`request_signature`)."""
    sheet = _own_unsigned(uow, expert_id, sheet_id)
    title = f"{sheet.kind.label} · {_tender_public_id(uow, sheet.tender_id)}"
    content = sheet.content
    uow.session.rollback()          # the read above ends here; request_signature runs its own transaction
    return request_signature(uow, expert_id, content, title, support)


def sign_sheet(uow: UnitOfWork, expert_id: int | None, sheet_id: Any, request_id: Any, code: str,
               support: SigningSupport) -> EvaluationSheet:
    """Sign the sheet with the code (:func:`confirm_signature`); the sheet is final then."""
    content = _own_unsigned(uow, expert_id, sheet_id).content
    uow.session.rollback()
    signature = confirm_signature(uow, expert_id, request_id, code, content, support)
    with uow:
        sheet = _own_unsigned(uow, expert_id, sheet_id, for_update=True)
        if hashlib.sha256(sheet.content).hexdigest() != signature.document_sha256:
            raise SheetInvalid("签名期间评审表被修改，请重新签名 (the sheet changed while signing: sign again)")
        sheet.signature_id, sheet.signed_at = signature.id, signature.signed_at
        uow.audit("evaluation.sheet_signed", sheet, tender_id=sheet.tender_id, expert_id=sheet.expert_id,
                  kind=sheet.kind.value, signature_id=signature.id, sha256=signature.document_sha256)
        uow.commit()
        return sheet


@dataclass(frozen=True)
class ExpertView:
    tender: Tender
    scheme: dict[str, Any]
    bids: list[dict[str, Any]]                 # the evaluated bids (public id, party)
    qualified: list[str] | None                # bid public ids, once every qualification sheet is signed
    sheets: list[EvaluationSheet]              # the expert's own sheets (all sheets once the summary exists)
    summary: EvaluationSummary | None
    commitment_signed: bool


def my_sheets(uow: UnitOfWork, expert_id: int | None, tender_id: Any) -> ExpertView:
    """What the expert sees of a tender it evaluates: its own sheets; every sheet once the summary exists."""
    ev = _evaluation_for_expert(uow, expert_id, tender_id, require_commitment=False)
    summary = summary_row(uow, ev.tender.id)
    query = select(EvaluationSheet).where(EvaluationSheet.tender_id == ev.tender.id)
    if summary is None:
        query = query.where(EvaluationSheet.expert_id == expert_id)
    sheets = list(uow.session.scalars(query.order_by(EvaluationSheet.expert_id, EvaluationSheet.id)))
    bids = [{"id": b.id, "bid": b.public_id, "party": p.name} for b, _, p in _bids(uow, ev.tender.id)]
    qualified = _qualified_ids(uow, ev)
    return ExpertView(ev.tender, json.loads(ev.scheme_row.document), bids,
                      None if qualified is None else [b["bid"] for b in bids if b["id"] in qualified],
                      sheets, summary, _commitment_signed(uow, ev, expert_id))


def sheet_of(uow: UnitOfWork, expert_id: int | None, sheet_id: Any) -> EvaluationSheet:
    """One sheet: the expert's own; another expert's of the same tender only once the summary exists."""
    sheet = _sheet_by_id(uow, sheet_id)
    if sheet is None:
        raise SheetUnknown()
    ev = _evaluation_for_expert(uow, expert_id, sheet.tender_id, require_commitment=False)
    if sheet.expert_id != expert_id and summary_row(uow, ev.tender.id) is None:
        raise SheetUnknown()
    return sheet


# -- the agency's view, the summary ------------------------------------------------------------------------
def progress(uow: UnitOfWork, account: Account, tender_id: Any) -> dict[str, Any]:
    """Per confirmed expert: how many sheets are filled and signed (no contents); the summary's state."""
    tender = agency_tender_for(uow, account, tender_id)
    draw = draw_of(uow, tender.id)
    started = draw is not None and draw.evaluation_started_at is not None
    experts = confirmed_experts(uow, draw) if started else []
    rows = []
    summary = summary_row(uow, tender.id)
    report_signed, report_final = set(), False
    if summary is not None and summary.report_document_id is not None:
        signers = list(uow.session.scalars(select(DocumentSigner).where(
            DocumentSigner.document_id == summary.report_document_id)))
        report_signed = {s.expert_id for s in signers if s.expert_id is not None and s.signed_seq is not None}
        report_final = all(s.signed_seq is not None for s in signers)
    for expert in experts:
        sheets = list(uow.session.scalars(select(EvaluationSheet).where(
            EvaluationSheet.tender_id == tender.id, EvaluationSheet.expert_id == expert.id)))
        rows.append({"expert": expert.name, "filled": len(sheets),
                     "signed": sum(1 for s in sheets if s.signature_id is not None),
                     "summary_signed": any(s.kind == SheetKind.SUMMARY and s.signature_id is not None for s in sheets),
                     "report_signed": expert.id in report_signed})
    report = summary is not None and summary.report_document_id is not None
    return {"tender_id": tender.id, "scheme_set": scheme_of(uow, tender.id) is not None, "started": started,
            "experts": rows, "summary": summary is not None,
            "summary_signed": bool(rows) and summary is not None and all(r["summary_signed"] for r in rows),
            "report": report, "report_signed": report and bool(rows) and all(r["report_signed"] for r in rows),
            "report_final": report and report_final}


def compute_summary(uow: UnitOfWork, account: Account, tender_id: Any, *, trust_roots: Sequence[Any],
                    intermediates: Sequence[Any] = ()) -> EvaluationSummary:
    """The summary sheet (评标汇总表) from the signed sheets, each verified over its stored bytes
    (:class:`SheetTampered` names the first that does not); every expert gets it to sign."""
    with uow:
        tender = agency_tender_for(uow, account, tender_id, for_update=True)
        ev = _evaluation(uow, tender)
        if summary_row(uow, tender.id) is not None:
            raise SummaryExists()
        sheets = list(uow.session.scalars(select(EvaluationSheet).where(
            EvaluationSheet.tender_id == tender.id, EvaluationSheet.kind != SheetKind.SUMMARY)
            .order_by(EvaluationSheet.id)))
        for sheet in sheets:
            if sheet.signature_id is not None:
                verify_sheet(uow, sheet, trust_roots=trust_roots, intermediates=intermediates)
        signed = [s for s in sheets if s.signature_id is not None]
        bids = _bids(uow, tender.id)
        qualified = _qualified_ids(uow, ev, signed)
        if qualified is None:
            raise SheetsIncomplete(missing="qualification")
        by_subject = {(s.expert_id, s.subject): s for s in signed}
        candidates, disqualified = [], []
        for bid, opening, party in bids:
            if bid.id not in qualified:
                disqualified.append({"bid": bid.public_id, "party": party.name,
                                     "reasons": _fail_reasons(ev, signed, bid.public_id)})
                continue
            scores = []
            for expert in ev.experts:
                sheet = by_subject.get((expert.id, f"score:{bid.id}"))
                if sheet is None and ev.scheme.scored:
                    raise SheetsIncomplete(missing=f"score:{bid.public_id}", expert=expert.name)
                found = json.loads(sheet.content)["scores"] if sheet is not None else {}
                scores.append({k: Decimal(v) for k, v in found.items()})
            candidates.append(Candidate(bid.public_id, _price(opening), bid.received_at, scores))
        ranked = score_bids(ev.scheme, candidates)
        info = {b.public_id: (o, p) for b, o, p in bids}
        document = {
            "kind": "summary", "tender": tender.public_id, "title": tender.title,
            "scheme_sha256": ev.scheme_row.sha256, "scheme": json.loads(ev.scheme_row.document),
            "experts": [e.name for e in ev.experts],
            "lowest_price": str(min(c.price for c in candidates)) if candidates else None,
            "ranking": [{"rank": r.rank, "bid": r.bid, "party": info[r.bid][1].name, "price": str(r.price),
                         "currency": info[r.bid][0].currency, "averages": {k: str(v) for k, v in r.averages.items()},
                         "technical": str(money(r.technical)), "price_score": str(r.price_score),
                         "total": str(money(r.total))} for r in ranked],
            "disqualified": disqualified,
            "opinions": [{"expert": _name(ev, s.expert_id), "text": json.loads(s.content)["text"]}
                         for s in signed if s.kind == SheetKind.OPINION],
            "sheets": [{"id": s.id, "expert": _name(ev, s.expert_id), "kind": s.kind.value, "subject": s.subject,
                        "sha256": hashlib.sha256(s.content).hexdigest()} for s in signed],
        }
        content = canonical_json(document)
        now = uow.clock.now()
        summary = EvaluationSummary(tender_id=tender.id, content=content, sha256=hashlib.sha256(content).hexdigest(),
                                    computed_by=account.id, computed_at=now)
        uow.session.add(summary)
        for expert in ev.experts:
            uow.session.add(EvaluationSheet(tender_id=tender.id, expert_id=expert.id, kind=SheetKind.SUMMARY,
                                            subject="summary", content=content, filled_at=now))
        uow.session.flush()
        uow.audit("evaluation.summary_computed", summary, tender_id=tender.id, sha256=summary.sha256,
                  sheets=len(signed), ranked=len(ranked))
        uow.commit()
        return summary


def summary_of(uow: UnitOfWork, account: Account, tender_id: Any) -> EvaluationSummary:
    """The agency's view of the summary sheet (:class:`SummaryMissing` before it exists)."""
    tender = agency_tender_for(uow, account, tender_id)
    summary = summary_row(uow, tender.id)
    if summary is None:
        raise SummaryMissing()
    return summary


def recommended_ranking(uow: UnitOfWork, tender_id: Any) -> list[RankedBid]:
    """The ranked bids of the summary once every expert signed it (the award calls this);
    :class:`SummaryMissing` or :class:`SummaryUnsigned` before."""
    tender = load_tender(uow, tender_id)
    summary = summary_row(uow, tender.id)
    if summary is None:
        raise SummaryMissing()
    draw = draw_of(uow, tender.id)
    unsigned = []
    for expert in confirmed_experts(uow, draw):
        sheet = _sheet(uow, tender.id, expert.id, "summary")
        signature = uow.session.get(ExpertSignature, sheet.signature_id) if sheet and sheet.signature_id else None
        if (signature is None or sheet.content != summary.content
                or signature.document_sha256 != summary.sha256 or signature.expert_id != expert.id):
            unsigned.append(expert.name)
    if unsigned:
        raise SummaryUnsigned(unsigned=len(unsigned))
    document = json.loads(summary.content)
    bids = {b.public_id: (b, p) for b, _, p in _bids(uow, tender.id)}
    return [RankedBid(bids[r["bid"]][0].id, r["bid"], bids[r["bid"]][1].id, r["party"], r["rank"],
                      Decimal(r["total"]), Decimal(r["price"]), r["currency"]) for r in document["ranking"]]


def verify_sheet(uow: UnitOfWork, sheet: EvaluationSheet, *, trust_roots: Sequence[Any],
                 intermediates: Sequence[Any] = ()) -> None:
    """Check that the sheet's signature is its expert's, over exactly its stored bytes, and verifies
    through the trust list at the signing time; :class:`SheetTampered` otherwise."""
    signature = uow.session.get(ExpertSignature, sheet.signature_id)
    ok = (signature is not None and signature.expert_id == sheet.expert_id
          and signature.document_sha256 == hashlib.sha256(sheet.content).hexdigest())
    if ok:
        try:
            result = verify(signature.signature_der, content=sheet.content, trust_roots=trust_roots,
                            intermediates=intermediates, at=signature.signed_at)
            ok = result.ok and result.signer_certificate is not None and \
                result.signer_certificate.dump() == signature.certificate.certificate_der
        except PkiError:
            ok = False
    if not ok:
        raise SheetTampered(sheet=sheet.id, kind=sheet.kind.value)


# -- shared with bidding.evaluation.report -------------------------------------------------------------------
def agency_tender_for(uow: UnitOfWork, account: Account, tender_id: Any, *, for_update: bool = False) -> Tender:
    """The tender if ``account`` is staff of its agency ("not found" for any other account)."""
    if account.role != Role.AGENCY_STAFF or account.party_id is None:
        raise NotFound("项目不存在 (no such tender)")
    return agency_tender(uow, tender_id, account.party_id, for_update=for_update)


def draw_of(uow: UnitOfWork, tender_id: int) -> ExpertDraw | None:
    """The tender's expert draw (None before the agency drew)."""
    return uow.session.scalars(select(ExpertDraw).where(ExpertDraw.tender_id == tender_id)).first()


def confirmed_experts(uow: UnitOfWork, draw: ExpertDraw | None) -> list[Expert]:
    """The experts who confirmed their assignment, in draw order (专家1, 专家2 … of every document)."""
    if draw is None:
        return []
    return list(uow.session.scalars(select(Expert).join(ExpertAssignment, ExpertAssignment.expert_id == Expert.id)
                                    .where(ExpertAssignment.draw_id == draw.id,
                                           ExpertAssignment.state == AssignmentState.CONFIRMED)
                                    .order_by(ExpertAssignment.position)))


def _evaluation(uow: UnitOfWork, tender: Tender) -> Evaluation:
    draw = draw_of(uow, tender.id)
    if draw is None or draw.evaluation_started_at is None:
        raise EvaluationNotStarted()
    row = scheme_of(uow, tender.id)
    if row is None:
        raise SchemeMissing()
    return Evaluation(tender, draw, confirmed_experts(uow, draw), parse_scheme(json.loads(row.document)), row)


def _evaluation_for_expert(uow: UnitOfWork, expert_id: int | None, tender_id: Any, *,
                           require_commitment: bool = True) -> Evaluation:
    if expert_id is None:
        raise ExpertSessionRequired()
    try:
        tender = load_tender(uow, tender_id)
    except NotFound:
        raise NotAnEvaluator() from None
    draw = draw_of(uow, tender.id)
    if draw is None or expert_id not in {e.id for e in confirmed_experts(uow, draw)}:
        raise NotAnEvaluator()
    ev = _evaluation(uow, tender)
    if require_commitment and not _commitment_signed(uow, ev, expert_id):
        raise CommitmentUnsigned()
    return ev


def _commitment_signed(uow: UnitOfWork, ev: Evaluation, expert_id: int) -> bool:
    assignment = uow.session.scalars(select(ExpertAssignment.id).where(
        ExpertAssignment.draw_id == ev.draw.id, ExpertAssignment.expert_id == expert_id)).first()
    _, text = commitment_letter(uow, expert_id, assignment)
    digest = hashlib.sha256(text).hexdigest()
    return uow.session.scalars(select(ExpertSignature.id).where(
        ExpertSignature.expert_id == expert_id, ExpertSignature.document_sha256 == digest)).first() is not None


def _bids(uow: UnitOfWork, tender_id: int) -> list[tuple[Bid, BidOpening, Party]]:
    rows = uow.session.execute(
        select(Bid, BidOpening, Party).join(BidOpening, BidOpening.bid_id == Bid.id)
        .join(Party, Party.id == Bid.party_id)
        .where(Bid.tender_id == tender_id, Bid.state.in_(EVALUATED_STATES)).order_by(Bid.public_id))
    return [(b, o, p) for b, o, p in rows]


def _price(opening: BidOpening) -> Decimal:
    try:
        price = Decimal(str(opening.price).replace(",", "").strip())
    except InvalidOperation:
        price = Decimal("NaN")
    if not price.is_finite() or price <= 0:
        raise SheetNotDue(f"投标报价无法识别：{opening.price!r} (a bid's price cannot be read)")
    return price


def _qualification(data: Any, bids: list[tuple[Bid, BidOpening, Party]]) -> dict[str, Any]:
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise SheetInvalid("资格审查表应列出每个投标 (the qualification sheet lists every bid)", field="results")
    by_id = {b.id: b for b, _, _ in bids}
    out: dict[int, dict[str, Any]] = {}
    for item in results:
        key = item.get("bid") if isinstance(item, dict) else None
        bid = by_id.get(key) if isinstance(key, int) and not isinstance(key, bool) else None
        if bid is None or bid.id in out or not isinstance(item.get("passed"), bool):
            raise SheetInvalid("资格审查结果应对每个已解密投标给出一次通过与否 (give pass or fail once for each "
                               "decrypted bid)", field="results")
        reason = item.get("reason") or ""
        if not isinstance(reason, str) or len(reason) > MAX_REASON or (not item["passed"] and not reason.strip()):
            raise SheetInvalid(f"不通过须说明理由（至多 {MAX_REASON} 字） (a fail needs a reason, at most "
                               f"{MAX_REASON} characters)", field="reason", bid=bid.public_id)
        out[bid.id] = {"bid": bid.public_id, "passed": item["passed"], "reason": reason.strip()}
    if set(out) != set(by_id):
        raise SheetInvalid("资格审查表应包含全部已解密投标 (the sheet must cover every decrypted bid)", field="results")
    return {"results": sorted(out.values(), key=lambda r: r["bid"])}


def _scores(data: Any, scheme: Scheme) -> dict[str, str]:
    scores = data.get("scores") if isinstance(data, dict) else None
    if not isinstance(scores, dict) or set(scores) != {c.id for c in scheme.scored}:
        raise SheetInvalid("评分表应对每个评分因素打分 (score every scored criterion)", field="scores")
    out = {}
    for criterion in scheme.scored:
        try:
            value = parse_decimal(scores[criterion.id], field=criterion.id)
        except SchemeInvalid:
            value = None
        if value is None or value > criterion.weight:
            raise SheetInvalid(f"「{criterion.name}」得分应在 0–{money(criterion.weight)} 之间 (the score of "
                               f"{criterion.id} must be within 0..{money(criterion.weight)})", field=criterion.id)
        out[criterion.id] = str(money(value))
    return out


def _qualified_ids(uow: UnitOfWork, ev: Evaluation, signed: list[EvaluationSheet] | None = None) -> set[int] | None:
    """The bids passed by more than half of the experts, once every expert signed its qualification
    sheet (None before)."""
    if signed is None:
        signed = list(uow.session.scalars(select(EvaluationSheet).where(
            EvaluationSheet.tender_id == ev.tender.id, EvaluationSheet.signature_id.is_not(None))))
    sheets = {s.expert_id: s for s in signed if s.kind == SheetKind.QUALIFICATION}
    if not ev.experts or any(e.id not in sheets for e in ev.experts):
        return None
    passes: dict[str, int] = {}
    for sheet in sheets.values():
        for result in json.loads(sheet.content)["results"]:
            passes[result["bid"]] = passes.get(result["bid"], 0) + (1 if result["passed"] else 0)
    return {b.id for b, _, _ in _bids(uow, ev.tender.id) if passes.get(b.public_id, 0) * 2 > len(ev.experts)}


def _qualified_bid(uow: UnitOfWork, ev: Evaluation, bids: list[tuple[Bid, BidOpening, Party]], bid_id: Any) -> Bid:
    qualified = _qualified_ids(uow, ev)
    if qualified is None:
        raise SheetNotDue("全部专家签署资格审查表后才能评分 (scoring starts once every expert signed the "
                          "qualification sheet)")
    bid = next((b for b, _, _ in bids if str(b.id) == str(bid_id)), None)
    if bid is None or bid.id not in qualified:
        raise SheetInvalid("只能对通过资格审查的投标评分 (only qualified bids are scored)", field="bid_id")
    return bid


def _fail_reasons(ev: Evaluation, signed: list[EvaluationSheet], bid: str) -> list[str]:
    reasons = []
    for sheet in signed:
        if sheet.kind == SheetKind.QUALIFICATION:
            for result in json.loads(sheet.content)["results"]:
                if result["bid"] == bid and not result["passed"]:
                    reasons.append(f"{_name(ev, sheet.expert_id)}：{result['reason']}")
    return reasons


def _name(ev: Evaluation, expert_id: int) -> str:
    return next((e.name for e in ev.experts if e.id == expert_id), str(expert_id))


def summary_row(uow: UnitOfWork, tender_id: int) -> EvaluationSummary | None:
    """The tender's summary sheet (None before it is computed)."""
    return uow.session.scalars(select(EvaluationSummary).where(EvaluationSummary.tender_id == tender_id)).first()


def _sheet(uow: UnitOfWork, tender_id: int, expert_id: int, subject: str) -> EvaluationSheet | None:
    return uow.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.tender_id == tender_id, EvaluationSheet.expert_id == expert_id,
        EvaluationSheet.subject == subject)).first()


def _sheet_by_id(uow: UnitOfWork, sheet_id: Any, *, for_update: bool = False) -> EvaluationSheet | None:
    try:
        key = int(sheet_id)
    except (TypeError, ValueError):
        return None
    return uow.session.get(EvaluationSheet, key, with_for_update=for_update) if 0 < key < 2**31 else None


def _own_unsigned(uow: UnitOfWork, expert_id: int | None, sheet_id: Any, *, for_update: bool = False) -> EvaluationSheet:
    if expert_id is None:
        raise ExpertSessionRequired()
    sheet = _sheet_by_id(uow, sheet_id, for_update=for_update)
    if sheet is None or sheet.expert_id != expert_id:
        raise SheetUnknown()
    if sheet.signature_id is not None:
        raise SheetSigned()
    if sheet.kind == SheetKind.REPORT:          # made before the report became a PAdES-signed document
        raise SheetNotDue("评标报告现于 PDF 内签名，请在评标报告页面签名 (the report is signed inside the PDF, on "
                          "the report's page)")
    if sheet.kind != SheetKind.SUMMARY:
        _evaluation_for_expert(uow, expert_id, sheet.tender_id)   # still an evaluator, commitment signed
        if summary_row(uow, sheet.tender_id) is not None:
            raise SheetNotDue("评标汇总表已生成，评审表不能再签署 (the summary exists: sheets are closed)")
    return sheet


def _tender_public_id(uow: UnitOfWork, tender_id: int) -> str:
    return uow.session.get(Tender, tender_id).public_id


__all__ = [
    "EVALUATED_STATES",
    "ExpertView",
    "RankedBid",
    "agency_scheme",
    "agency_tender_for",
    "compute_summary",
    "confirmed_experts",
    "draw_of",
    "fill_sheet",
    "my_sheets",
    "progress",
    "recommended_ranking",
    "request_sheet_signature",
    "set_scheme",
    "sheet_of",
    "sign_sheet",
    "summary_of",
    "summary_row",
    "verify_sheet",
]
