"""R11 when a tender's times move: an amendment that moves the opening later may move the end of
the decryption window past the expiry of the certificate a submitted bid was encrypted to. Such a
bid could not be decrypted at the opening (R15 would count it revoked), and R10 forbids renewing its
certificate while it is pending, so the bidder is told at once, while it can still act: withdraw the
bid before the deadline, renew, run the self-test and submit a newly sealed bid.

Upload already refuses an envelope none of whose certificates lasts to the window's end
(``CertificateExpiresBeforeOpening``); this listener covers the bids accepted before the times moved.
"""
from __future__ import annotations

from sqlalchemy import func, select

from bidding.bids.models import Bid, BidRecipient, BidState
from bidding.notify import notify
from bidding.tenders.listeners import register_times_listener
from bidding.tenders.models import Tender
from bidding.tenders.times import beijing
from bidding.uow import UnitOfWork


@register_times_listener
def warn_bids_expiring_before_window_end(uow: UnitOfWork, tender: Tender) -> list[Bid]:
    """Notify the bidder of every submitted bid of ``tender`` whose recipient certificates all expire
    before the decryption window now ends; returns those bids."""
    end = tender.window_end
    if end is None:
        return []
    rows = uow.session.execute(
        select(Bid, func.max(BidRecipient.not_after)).join(BidRecipient, BidRecipient.bid_id == Bid.id)
        .where(Bid.tender_id == tender.id, Bid.state == BidState.SUBMITTED)
        .group_by(Bid.id).order_by(Bid.id)).all()
    warned = []
    for bid, last_expiry in rows:
        if last_expiry >= end:
            continue
        notify(uow, party_id=bid.party_id, subject=f"投标加密证书将在解密截止前到期：{tender.title}"[:200],
               text=(f"开标时间已改为 {beijing(tender.opening_at)}，解密截止 {beijing(end)}；您的投标 {bid.public_id} 所用加密证书"
                     f"于 {beijing(last_expiry)} 到期，届时将无法解密。请在投标截止时间 {beijing(tender.bid_deadline)} 前撤回该投标，"
                     "续期证书并完成加解密测试后，用新证书重新加密提交 (the opening moved: the certificate your bid is "
                     "encrypted to expires before the decryption window ends; withdraw the bid before the deadline, "
                     "renew, run the self-test and submit it again)"),
               link=f"/tenders/{tender.id}/bid")
        warned.append(bid)
    return warned


__all__ = ["warn_bids_expiring_before_window_end"]
