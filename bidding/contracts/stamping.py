"""The contract's rules for stamping its document (registered with
:func:`bidding.documents.services.register_kind` when :mod:`bidding.contracts` is imported): the
purchaser stamps a draft, the winner a contract the purchaser stamped; both stamps carry the
cross-page seal (骑缝章, ``cross_page_seal``), whichever door the stamp comes through. Each stamp
moves the contract on, records the step and tells the party who acts next."""
from __future__ import annotations

from sqlalchemy import select

from bidding.contracts.errors import ContractStateConflict
from bidding.contracts.models import Contract, ContractAction, ContractState
from bidding.contracts.services import record_event
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
from bidding.uow import UnitOfWork

#: the state a contract must be in for each role's stamp, the state the stamp leads to, the step
_STEPS = {
    "purchaser": (ContractState.DRAFT, ContractState.SIGNED_BY_PURCHASER, ContractAction.STAMPED_BY_PURCHASER),
    "supplier": (ContractState.SIGNED_BY_PURCHASER, ContractState.SIGNED_BY_BOTH, ContractAction.STAMPED_BY_SUPPLIER),
}
_ROLE_NAMES = {"purchaser": "采购人", "supplier": "供应商"}


class ContractStampRules:
    cross_page_seal = True

    def check_stamp(self, uow: UnitOfWork, document: Document, signer: DocumentSigner) -> None:
        contract = _contract(uow, document)
        before, _, _ = _STEPS[signer.role]
        if contract.state != before:
            raise ContractStateConflict(f"合同{contract.state.label}，不能由{_ROLE_NAMES[signer.role]}签章 (the contract "
                                        f"is {contract.state.value}: no {signer.role} stamp now)",
                                        state=contract.state.value)

    def stamped(self, uow: UnitOfWork, document: Document, signer: DocumentSigner,
                revision: DocumentRevision) -> None:
        contract = _contract(uow, document)
        _, after, action = _STEPS[signer.role]
        now = uow.clock.now()
        contract.state = after
        me = uow.session.get(Party, signer.party_id)
        if signer.role == "purchaser":
            contract.sent_at = contract.sent_at or now
            notify(uow, party_id=contract.supplier_id, subject=f"合同待签章：{contract.number}",
                   text=f"{me.name} 已签章合同 {contract.number}（含骑缝章），请核对后用本单位数字证书签章，或说明理由拒签。",
                   link=f"/contracts/{contract.id}")
        else:
            contract.signed_at = now
            notify(uow, party_id=contract.purchaser_id, subject=f"合同待备案：{contract.number}",
                   text=f"{me.name} 已签章合同 {contract.number}（含骑缝章），双方均已签章，请备案。",
                   link=f"/contracts/{contract.id}")
        record_event(uow, contract, signer.party_id, action, document)
        uow.audit("contract.stamped", contract, role=signer.role, state=after.value, revision=revision.seq,
                  document=document.public_id, cross_page=True)


def _contract(uow: UnitOfWork, document: Document) -> Contract:
    contract = uow.session.scalars(select(Contract).where(Contract.document_id == document.id)).first()
    if contract is None:
        raise StampNotAllowedNow("该合同文件已被修改后的新版本取代，不能再签章 (this contract document was replaced by a "
                                 "revised version: it cannot be stamped any more)", document=document.public_id)
    return contract


register_kind(DocumentKind.CONTRACT, ContractStampRules())
