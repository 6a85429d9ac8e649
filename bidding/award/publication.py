"""The award's release in the tender's OCDS package (docs/publication.md, docs/award.md): once the
award notice is stamped (the award *notified*), a release tagged ``award`` adds ``awards[]`` with
the winner as supplier (``id`` ``<ocid>-award-<award id>``, which the contract's
``awardID`` names), the value, the date the notice went out, status ``active`` and the award
notice as its document, the winner's ``supplier`` role, and ``tender.status`` ``complete``.
Registered with :func:`bidding.publication.ocds.register_release_source` on import of
:mod:`bidding.award`."""
from __future__ import annotations

from sqlalchemy import select

from bidding.award.models import Award, AwardState
from bidding.documents.models import Document
from bidding.parties.models import Party
from bidding.publication import ocds
from bidding.uow import UnitOfWork

#: the award notice's download (app/award): the winner, the purchaser and the agency after log-in
NOTICE_PATH = "/tenders/{tender}/award/documents/{document}.pdf"
WHO_DOWNLOADS = ("中标人、采购人和代理机构登录后下载；任何人可凭文件编号在本平台验证签章 (the winner, the purchaser and the "
                 "agency download it after logging in; anyone can verify it by its document id)")


def award_releases(uow: UnitOfWork, ctx: ocds.PublicationContext) -> list[ocds.ReleaseEvent]:
    award = uow.session.scalars(select(Award).where(Award.tender_id == ctx.tender.id,
                                                    Award.state == AwardState.NOTIFIED)).first()
    if award is None or award.notified_at is None:
        return []
    winner = uow.session.get(Party, award.winner_party_id)
    notice = uow.session.get(Document, award.notice_document_id)
    date = ocds.rfc3339(award.notified_at)
    value = ocds.amount(award.price)
    if award.currency:
        value["currency"] = award.currency
    url = ctx.base_url + NOTICE_PATH.format(tender=ctx.tender.id, document=notice.public_id)

    def apply(draft: ocds.ReleaseDraft) -> None:
        draft.tender["status"] = "complete"
        draft.awards.append({
            "id": ctx.release_id(f"award-{award.id}"), "title": f"{ctx.tender.title} 中标结果", "status": "active", "date": date,
            "value": dict(value), "suppliers": [draft.party(winner, "supplier")],
            "documents": [{"id": f"award-notice-{notice.public_id}", "documentType": "awardNotice",
                           "title": "中标通知书", "description": WHO_DOWNLOADS, "url": url, "datePublished": date,
                           "format": "application/pdf", "language": ocds.LANGUAGE}]})
    return [ocds.ReleaseEvent(f"award-{award.id}", award.notified_at, "award", ocds.RANK_AWARD, apply)]


ocds.register_release_source(award_releases)
