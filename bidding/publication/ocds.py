"""A tender as an OCDS 1.1 release package (Open Contracting Data Standard, docs/publication.md).

One release per published event of the tender, oldest first, each a snapshot of what was public
once that event had happened:

- the tender's publication (tag ``tender``): buyer (采购人), procuring entity (代理机构), planning
  budget, tender period from publication to the bid deadline, the notice and the tender documents;
- each published amendment (更正公告, tag ``tenderAmendment``): the moved tender period, the
  amendment and its notice;
- the published opening (开标记录公布, ``OpeningHall.published_at``, tag ``tenderUpdate``): the
  tenderers (bidder names leave the platform only from here on, R18) and the opening record;
- whatever the award and contract areas add through :func:`register_release_source` (tags
  ``award``, ``contract``, …).

The output depends only on the data and ``base_url``; ``now`` only fills the package's
``publishedDate``. Drafts do not exist publicly (:class:`bidding.tenders.errors.TenderNotFound`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

from sqlalchemy import select

from bidding.opening.hall import opening_bids
from bidding.opening.models import OpeningHall
from bidding.parties.models import Party
from bidding.tenders.access import load_tender
from bidding.tenders.errors import TenderNotFound
from bidding.tenders.models import Project, Tender, TenderAmendment, TenderPhase
from bidding.uow import UnitOfWork

OCDS_VERSION = "1.1"
CURRENCY = "CNY"
LANGUAGE = "zh"
#: org-id.guide's code for the unified social credit code (统一社会信用代码, GB 32100):
#: https://org-id.guide/list/CN-USCI (register: org-id/register lists/cn/cn-usci.json)
IDENTIFIER_SCHEME = "CN-USCI"

#: 采购方式 → OCDS ``procurementMethod`` (closed codelist ``method``); the Chinese name goes to
#: ``procurementMethodDetails``. 邀请招标 invites suppliers that passed a qualification: selective;
#: negotiation, consultation and request for quotations reach suppliers the purchaser or the experts
#: pick: limited; 单一来源 is a single supplier: direct.
PROCUREMENT_METHODS = {"公开招标": "open", "邀请招标": "selective", "竞争性谈判": "limited",
                       "竞争性磋商": "limited", "询价": "limited", "单一来源": "direct"}

#: the tender's phase → OCDS ``tender.status`` (closed codelist ``tenderStatus``). Every published
#: phase is "active" (the process is taking place); the award area's release sets "complete".
TENDER_STATUS = {TenderPhase.OPEN: "active", TenderPhase.CLOSED: "active", TenderPhase.OPENING: "active",
                 TenderPhase.OPENED: "active"}

#: where the public files and pages are (app/tenders, app/api/opening_hall, app/publication);
#: tests/integration/publication checks that the application routes every one of them.
PATHS = {
    "package": "/tenders/{tender}/ocds.json",
    "notice": "/tenders/{tender}",
    "documents": "/tenders/{tender}/documents.pdf",
    "amendment": "/tenders/{tender}/amendments/{seq}.pdf",
    "opening_record": "/api/v1/tenders/{tender}/opening/record.pdf",
    "opening_transcript": "/api/v1/tenders/{tender}/opening/transcript.der",
}

REGISTERED_ONLY = "已报名的供应商登录后下载 (registered suppliers download it after logging in)"

#: the order of events published at the same instant
RANK_TENDER, RANK_AMENDMENT, RANK_OPENING, RANK_AWARD, RANK_CONTRACT = 0, 10, 20, 30, 40


def rfc3339(moment: datetime) -> str:
    """``2026-11-23T08:00:00Z``: UTC, whole seconds (the platform's times are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(value: Decimal | int | str) -> dict[str, Any]:
    """An OCDS Value in yuan: ``{"amount": 1200000, "currency": "CNY"}`` (a JSON number; whole
    yuan as an integer so the bytes do not depend on float formatting)."""
    number = Decimal(str(value))
    return {"amount": int(number) if number == number.to_integral_value() else float(number), "currency": CURRENCY}


@dataclass
class PublicationContext:
    """What every release source needs: the tender, its OCID and the public URLs."""

    tender: Tender
    project: Project
    ocid: str
    base_url: str

    def url(self, name: str, **values: Any) -> str:
        return self.base_url + PATHS[name].format(tender=self.tender.id, **values)

    def release_id(self, key: str) -> str:
        return f"{self.ocid}-{key}"


@dataclass
class ReleaseDraft:
    """The release being built: each event applies what it published, in order, onto a fresh
    draft, so a release is the snapshot after its event. Sources add parties with
    :meth:`party`, which keeps one entry per organisation with all its roles."""

    parties: dict[str, dict[str, Any]] = field(default_factory=dict)
    buyer: dict[str, Any] | None = None
    planning: dict[str, Any] = field(default_factory=dict)
    tender: dict[str, Any] = field(default_factory=dict)
    awards: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)

    def party(self, party: Party, role: str) -> dict[str, str]:
        """Add ``party`` with ``role`` (OCDS ``partyRole``); its OrganizationReference."""
        key = party_id(party)
        entry = self.parties.get(key)
        if entry is None:
            entry = {"id": key, "name": party.name, "roles": []}
            if party.credit_code:
                entry["identifier"] = {"scheme": IDENTIFIER_SCHEME, "id": party.credit_code,
                                       "legalName": party.name}
            self.parties[key] = entry
        if role not in entry["roles"]:
            entry["roles"].append(role)
        return {"id": key, "name": party.name}

    def document(self, document: dict[str, Any]) -> None:
        self.tender.setdefault("documents", []).append(document)

    def release(self, ctx: PublicationContext, event: "ReleaseEvent") -> dict[str, Any]:
        release: dict[str, Any] = {
            "ocid": ctx.ocid, "id": ctx.release_id(event.key), "date": rfc3339(event.date), "tag": [event.tag],
            "initiationType": "tender", "language": LANGUAGE,
            "parties": [dict(p, roles=sorted(p["roles"])) for _, p in sorted(self.parties.items())]}
        if self.buyer is not None:
            release["buyer"] = self.buyer
        if self.planning:
            release["planning"] = self.planning
        release["tender"] = self.tender
        if self.awards:
            release["awards"] = self.awards
        if self.contracts:
            release["contracts"] = self.contracts
        return release


#: what an event does to a draft
Apply = Callable[[ReleaseDraft], None]


@dataclass(frozen=True)
class ReleaseEvent:
    """One published event: its release id is ``<ocid>-<key>``; ``apply`` adds what it published
    to a draft (it must build new dicts each time: drafts are rebuilt per release)."""

    key: str
    date: datetime
    tag: str                 # OCDS releaseTag: tender, tenderAmendment, tenderUpdate, award, contract, …
    rank: int
    apply: Apply


#: (uow, context) → the events a later area published for the tender
ReleaseSource = Callable[[UnitOfWork, PublicationContext], Iterable[ReleaseEvent]]
_SOURCES: list[ReleaseSource] = []


def register_release_source(source: ReleaseSource) -> ReleaseSource:
    """Let an area (award, contract) add its published events to every tender's package; idempotent."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def unregister_release_source(source: ReleaseSource) -> None:
    """Undo :func:`register_release_source` (tests)."""
    if source in _SOURCES:
        _SOURCES.remove(source)


def party_id(party: Party) -> str:
    """``CN-USCI-<credit code>`` (org-id.guide style), else the platform's own ``ebid-party-<id>``."""
    return f"{IDENTIFIER_SCHEME}-{party.credit_code}" if party.credit_code else f"ebid-party-{party.id}"


def ocid_for(prefix: str, tender: Tender) -> str:
    """The tender's Open Contracting ID: the publisher's prefix and the tender's public id."""
    return f"{prefix}{tender.public_id}"


def release_package(uow: UnitOfWork, tender_id: Any, *, base_url: str, now: datetime,
                    ocid_prefix: str = "ocds-ebid01-", publisher: str = "电子招投标平台") -> dict[str, Any]:
    """The OCDS 1.1 release package of a published tender (a draft: :class:`TenderNotFound`)."""
    tender = load_tender(uow, tender_id)
    if tender.published_at is None:
        raise TenderNotFound(tender=tender.id)
    base_url = base_url.rstrip("/")
    project = uow.session.get(Project, tender.project_id)
    ctx = PublicationContext(tender, project, ocid_for(ocid_prefix, tender), base_url)
    events = list(tender_events(uow, ctx))
    for source in _SOURCES:
        events.extend(source(uow, ctx))
    events.sort(key=lambda e: (e.date, e.rank, e.key))
    releases = []
    for index, event in enumerate(events):
        draft = ReleaseDraft()
        for earlier in events[:index + 1]:
            earlier.apply(draft)
        releases.append(draft.release(ctx, event))
    return {"uri": ctx.url("package"), "version": OCDS_VERSION, "publishedDate": rfc3339(now),
            "publisher": {"name": publisher, "uri": base_url}, "releases": releases}


# -- the tender's own events -----------------------------------------------------------------------------
def tender_events(uow: UnitOfWork, ctx: PublicationContext) -> list[ReleaseEvent]:
    """Publication, each published amendment, the published opening."""
    tender, project = ctx.tender, ctx.project
    session = uow.session
    purchaser, agency = session.get(Party, tender.purchaser_id), session.get(Party, tender.agency_id)
    amendments = list(session.scalars(
        select(TenderAmendment).where(TenderAmendment.tender_id == tender.id,
                                      TenderAmendment.published_at.is_not(None)).order_by(TenderAmendment.seq)))
    deadlines = _deadlines(tender, amendments)
    published_at = tender.published_at

    def publication(draft: ReleaseDraft) -> None:
        draft.buyer = draft.party(purchaser, "buyer")
        procuring = draft.party(agency, "procuringEntity")
        draft.planning = {"budget": {"description": "采购预算", "amount": amount(project.budget)}}
        draft.tender = {
            "id": tender.public_id, "title": tender.title, "status": _status(tender, published_at),
            "procuringEntity": procuring, "value": amount(project.budget),
            "procurementMethod": PROCUREMENT_METHODS.get(project.method, "open"),
            "procurementMethodDetails": project.method,
            "submissionMethod": ["electronicSubmission"],
            "submissionMethodDetails": "投标文件须加密后通过本平台在线递交 (bids are encrypted and submitted online)",
            "tenderPeriod": {"startDate": rfc3339(published_at), "endDate": rfc3339(deadlines[0])},
        }
        if project.description:
            draft.tender["description"] = project.description
        draft.document({"id": "tender-notice", "documentType": "tenderNotice", "title": f"{tender.title} 招标公告",
                        "url": ctx.url("notice"), "datePublished": rfc3339(published_at), "format": "text/html",
                        "language": LANGUAGE})
        if tender.documents_document_id is not None:
            draft.document({"id": "bidding-documents", "documentType": "biddingDocuments",
                            "title": f"{tender.title} 招标文件",
                            "description": REGISTERED_ONLY,
                            "url": ctx.url("documents"), "datePublished": rfc3339(published_at),
                            "format": "application/pdf", "language": LANGUAGE})

    events = [ReleaseEvent("tender", published_at, "tender", RANK_TENDER, publication)]
    for number, amendment in enumerate(amendments, start=1):
        events.append(ReleaseEvent(f"amendment-{amendment.seq}", amendment.published_at, "tenderAmendment",
                                   RANK_AMENDMENT, _amendment(ctx, amendment, deadlines[number])))
    hall = session.scalars(select(OpeningHall).where(OpeningHall.tender_id == tender.id)).first()
    if hall is not None and hall.published_at is not None:
        parties = list(dict.fromkeys(b.party for b in opening_bids(uow, tender)))
        events.append(ReleaseEvent("opening", hall.published_at, "tenderUpdate", RANK_OPENING,
                                   _opening(ctx, hall, parties)))
    return events


def _amendment(ctx: PublicationContext, amendment: TenderAmendment, deadline: datetime) -> Apply:
    date = rfc3339(amendment.published_at)

    def apply(draft: ReleaseDraft) -> None:
        draft.tender["status"] = _status(ctx.tender, amendment.published_at)
        draft.tender["tenderPeriod"] = {**draft.tender["tenderPeriod"], "endDate": rfc3339(deadline)}
        draft.tender.setdefault("amendments", []).append({
            "id": str(amendment.seq), "date": date, "rationale": amendment.title, "description": amendment.summary,
            "releaseID": ctx.release_id(f"amendment-{amendment.seq}")})
        draft.document({"id": f"amendment-{amendment.seq}", "documentType": "tenderNotice",
                        "title": f"更正公告（第 {amendment.seq} 次）：{amendment.title}",
                        "description": REGISTERED_ONLY,
                        "url": ctx.url("amendment", seq=amendment.seq), "datePublished": date,
                        "format": "application/pdf", "language": LANGUAGE})
    return apply


def _opening(ctx: PublicationContext, hall: OpeningHall, bidders: list[Party]) -> Apply:
    date = rfc3339(hall.published_at)

    def apply(draft: ReleaseDraft) -> None:
        draft.tender["status"] = _status(ctx.tender, hall.published_at)
        draft.tender["tenderers"] = [draft.party(party, "tenderer") for party in bidders]
        draft.tender["numberOfTenderers"] = len(bidders)
        if hall.record_document_id is not None:
            draft.document({"id": "opening-record", "documentType": "bidders", "title": "开标记录表",
                            "url": ctx.url("opening_record"), "datePublished": date, "format": "application/pdf",
                            "language": LANGUAGE})
        if hall.transcript_der is not None:
            draft.document({"id": "opening-transcript", "title": "开标过程记录（平台签名，可离线验证）",
                            "url": ctx.url("opening_transcript"), "datePublished": date,
                            "format": "application/pkcs7-mime", "language": LANGUAGE})
    return apply


def _deadlines(tender: Tender, amendments: list[TenderAmendment]) -> list[datetime]:
    """The bid deadline after publication (index 0) and after each amendment (index k): walked
    back from the current one through each amendment's ``old_bid_deadline``."""
    deadline = tender.bid_deadline
    history = [deadline]
    for amendment in reversed(amendments):
        if amendment.new_bid_deadline is not None and amendment.old_bid_deadline is not None:
            deadline = amendment.old_bid_deadline
        history.append(deadline)
    history.reverse()
    return history


def _status(tender: Tender, at: datetime) -> str:
    return TENDER_STATUS.get(tender.phase(at), "active")
