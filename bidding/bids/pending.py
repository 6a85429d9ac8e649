"""R10 for bids: a certificate cannot be renewed, changed or replaced while a bid encrypted to it is
pending, since the renewed certificate's key could no longer open it at the opening.

:func:`pending_bids` is registered with the change guard (:mod:`bidding.certificates.guard`): every
bid that names the certificate as a recipient, is still submitted (not withdrawn, replaced or
decrypted) and whose tender's decryption window is not over is a :class:`PendingItem` naming the
tender and what to do. The upload side takes the same row lock on the binding as the service desk
(:func:`bidding.certificates.desk.lock_bindings`), so the two cannot both succeed.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from bidding.bids.models import Bid, BidRecipient, BidState
from bidding.certificates.guard import PendingItem, register_pending_provider
from bidding.certificates.models import CertificateBinding
from bidding.tenders.models import Tender, TenderPhase
from bidding.uow import UnitOfWork

BEFORE_DEADLINE = ("请在投标截止时间前撤回该投标，再续期（或变更、更换）证书，续期后完成加解密测试，用新证书重新加密并提交投标 "
                   "(withdraw the bid before the deadline, renew the certificate, run the self-test, then seal and "
                   "submit the bid again)")
AFTER_DEADLINE = ("投标已截止，该投标须在开标时用此证书解密；请待开标解密时限结束后再办理 (the deadline has passed: the bid "
                  "must be decrypted with this certificate at the opening; wait until the decryption window is over)")


@register_pending_provider
def pending_bids(uow: UnitOfWork, binding: CertificateBinding) -> list[PendingItem]:
    """The pending bids encrypted to ``binding``'s certificate (by binding or by fingerprint)."""
    now = uow.clock.now()
    rows = uow.session.execute(
        select(Bid, Tender).join(BidRecipient, BidRecipient.bid_id == Bid.id).join(Tender, Tender.id == Bid.tender_id)
        .where(or_(BidRecipient.binding_id == binding.id,
                   BidRecipient.fingerprint_sha256 == binding.fingerprint_sha256),
               Bid.state == BidState.SUBMITTED)
        .order_by(Bid.id)).all()
    items, seen = [], set()
    for bid, tender in rows:
        if bid.id in seen:
            continue
        seen.add(bid.id)
        phase = tender.phase(now)
        if phase is TenderPhase.OPENED:          # the window is over: nothing left to decrypt with it
            continue
        before = phase is TenderPhase.OPEN
        items.append(PendingItem(kind="bid", id=bid.public_id, title=f"{tender.title}（{tender.public_id}）的投标",
                                 deadline=tender.bid_deadline if before else tender.window_end,
                                 advice=BEFORE_DEADLINE if before else AFTER_DEADLINE))
    return items


__all__ = ["pending_bids", "BEFORE_DEADLINE", "AFTER_DEADLINE"]
