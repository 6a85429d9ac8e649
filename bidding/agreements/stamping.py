"""The delegation agreement's rules for stamping its document (registered with
:func:`bidding.documents.services.register_kind` when :mod:`bidding.agreements` is imported):
the purchaser stamps a draft, the agency an agreement the purchaser stamped; each stamp moves the
agreement on, records the step and tells the other side."""
from __future__ import annotations

from sqlalchemy import select

from bidding.agreements.errors import AgreementStateConflict
from bidding.agreements.models import AgreementAction, AgreementEvent, AgreementState, DelegationAgreement
from bidding.documents.errors import StampNotAllowedNow
from bidding.documents.models import Document, DocumentKind, DocumentRevision, DocumentSigner
from bidding.documents.services import register_kind
from bidding.parties.models import Party
from bidding.parties.notices import add_notice
from bidding.uow import UnitOfWork

#: the state an agreement must be in for each role's stamp, and the state the stamp leads to
_STEPS = {
    "purchaser": (AgreementState.DRAFT, AgreementState.SIGNED_BY_PURCHASER, AgreementAction.STAMPED_BY_PURCHASER),
    "agency": (AgreementState.SIGNED_BY_PURCHASER, AgreementState.SIGNED_BY_BOTH, AgreementAction.STAMPED_BY_AGENCY),
}


class AgreementStampRules:
    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        agreement = _agreement(uow, document)
        before, _, _ = _STEPS[signer.role]
        if agreement.state != before:
            raise AgreementStateConflict(f"委托协议{agreement.state.label}，不能由{_ROLE_NAMES[signer.role]}签章 (the "
                                         f"agreement is {agreement.state.value}: no {signer.role} stamp now)",
                                         state=agreement.state.value)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        agreement = _agreement(uow, document)
        _, after, action = _STEPS[signer.role]
        now = uow.clock.now()
        agreement.state = after
        if signer.role == "purchaser" and agreement.sent_at is None:
            agreement.sent_at = now
        uow.session.add(AgreementEvent(agreement_id=agreement.id, at=now, party_id=signer.party_id, action=action,
                                       revision=agreement.revision, document_public_id=document.public_id))
        me = uow.session.get(Party, signer.party_id)
        if signer.role == "purchaser":
            add_notice(uow, f"{me.name} 已签章委托协议 {agreement.number}，请查看并签章或拒签。", party_id=agreement.agency_id)
        else:
            add_notice(uow, f"{me.name} 已签章委托协议 {agreement.number}，双方均已签章，可以备案。",
                       party_id=agreement.purchaser_id)
        uow.audit("agreement.stamped", agreement, role=signer.role, state=after.value, revision=revision.seq,
                  document=document.public_id)


_ROLE_NAMES = {"purchaser": "采购人", "agency": "代理机构"}


def _agreement(uow: UnitOfWork, document: Document) -> DelegationAgreement:
    agreement = uow.session.scalars(select(DelegationAgreement).where(
        DelegationAgreement.document_id == document.id)).first()
    if agreement is None:
        raise StampNotAllowedNow("该文件已被修改后的新版本取代，不能再签章 (this document was replaced by a revised "
                                 "version: it cannot be stamped any more)", document=document.public_id)
    return agreement


register_kind(DocumentKind.DELEGATION_AGREEMENT, AgreementStampRules())
