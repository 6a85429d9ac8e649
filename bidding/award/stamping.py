"""The award's rules for stamping its documents (registered with
:func:`bidding.documents.services.register_kind` when :mod:`bidding.award` is imported):

- 中标人确认书: the purchaser stamps the award's current confirmation while the award is proposed;
  the stamp confirms the award and tells the agency to issue the notices;
- 中标通知书: the agency stamps it once the award is confirmed; the stamp notifies the award and
  tells the winner (and the purchaser);
- 中标结果通知书: the agency stamps each once the award notice went out; each stamp tells its bidder.

A confirmation replaced by a new choice cannot be stamped any more.
"""
from __future__ import annotations

from sqlalchemy import select

from bidding.award.errors import AwardConfirmed, AwardNotConfirmed, AwardNoticeFirst
from bidding.award.models import Award, AwardState, ResultNotice
from bidding.documents.errors import StampNotAllowedNow
from bidding.documents.models import (
    Document,
    DocumentKind,
    DocumentRevision,
    DocumentSigner,
)
from bidding.documents.services import register_kind
from bidding.notify import notify
from bidding.parties.models import Party
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork

REPLACED = "该确认书已被采购人重新选择后的新确认书取代，不能再签章 (this confirmation was replaced: it cannot be stamped)"


class ConfirmationRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        award = _award(uow, Award.confirmation_document_id, document)
        if award.state != AwardState.PROPOSED:
            raise AwardConfirmed(tender=award.tender_id, state=award.state.value)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        award = _award(uow, Award.confirmation_document_id, document)
        tender = uow.session.get(Tender, award.tender_id)
        award.state, award.confirmed_at = AwardState.CONFIRMED, uow.clock.now()
        winner = uow.session.get(Party, award.winner_party_id)
        uow.audit("award.confirmed", award, tender=tender.public_id, document=document.public_id, revision=revision.seq,
                  winner=winner.name, rank=award.rank, price=str(award.price))
        notify(uow, party_id=tender.agency_id, subject=f"中标人已确认：{tender.title}"[:200],
               text=f"采购人已签章确认中标人为 {winner.name}（排名第 {award.rank} 名）。请出具并签章中标通知书和中标结果通知书。",
               link=f"/tenders/{tender.id}/award/notices")


class AwardNoticeRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        award = _award(uow, Award.notice_document_id, document)
        if award.state != AwardState.CONFIRMED:
            raise AwardNotConfirmed(tender=award.tender_id, state=award.state.value)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        award = _award(uow, Award.notice_document_id, document)
        tender = uow.session.get(Tender, award.tender_id)
        award.state, award.notified_at = AwardState.NOTIFIED, uow.clock.now()
        winner = uow.session.get(Party, award.winner_party_id)
        uow.audit("award.notified", award, tender=tender.public_id, document=document.public_id, revision=revision.seq,
                  winner_party_id=winner.id)
        notify(uow, party_id=winner.id, subject=f"中标通知书：{tender.title}"[:200],
               text=f"贵单位被确定为“{tender.title}”的中标人，请登录平台查看并下载中标通知书，并在 "
                    f"{award.contract_within_days or 30} 日内与采购人签订合同。",
               link=f"/tenders/{tender.id}/award/my-notice")
        notify(uow, party_id=tender.purchaser_id, subject=f"中标通知书已发出：{tender.title}"[:200],
               text=f"代理机构已签章发出中标通知书，中标人为 {winner.name}。", link=f"/tenders/{tender.id}/award/notices")


class ResultNoticeRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        _, award = _result(uow, document)
        if award.state != AwardState.NOTIFIED:
            raise AwardNoticeFirst(tender=award.tender_id)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        row, award = _result(uow, document)
        tender = uow.session.get(Tender, award.tender_id)
        row.notified_at = uow.clock.now()
        uow.audit("award.result_notice_sent", row, tender=tender.public_id, document=document.public_id,
                  revision=revision.seq, party_id=row.party_id)
        notify(uow, party_id=row.party_id, subject=f"中标结果通知书：{tender.title}"[:200],
               text=f"“{tender.title}”的中标结果已确定，请登录平台查看贵单位的中标结果通知书。",
               link=f"/tenders/{tender.id}/award/my-notice")


def _award(uow: UnitOfWork, column, document: Document) -> Award:
    award = uow.session.scalars(select(Award).where(column == document.id).with_for_update()).first()
    if award is None:
        raise StampNotAllowedNow(REPLACED, document=document.public_id)
    return award


def _result(uow: UnitOfWork, document: Document) -> tuple[ResultNotice, Award]:
    row = uow.session.scalars(select(ResultNotice).where(ResultNotice.document_id == document.id)).one()
    return row, uow.session.get(Award, row.award_id)


register_kind(DocumentKind.AWARD_CONFIRMATION, ConfirmationRules())
register_kind(DocumentKind.AWARD_NOTICE, AwardNoticeRules())
register_kind(DocumentKind.RESULT_NOTICE, ResultNoticeRules())
