"""The contract's OCDS release (docs/publication.md, docs/contracts.md): once a contract is filed
(备案), the tender's release package gets one more release, tag ``contract``, dated at the filing,
with ``contracts[]``: the contract's value, period (from the supplier's stamp, when both had signed,
to the delivery date), ``dateSigned``, status ``active`` and the public verification page of its
signed PDF. ``awardID`` is ``<ocid>-award-<award id>``, the id the award area gives the award in its
own release (agreed between the two areas). Contracts not filed are not published."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select

from bidding.contracts.models import Contract, ContractState
from bidding.documents.models import Document
from bidding.parties.models import Party
from bidding.publication import ocds
from bidding.uow import UnitOfWork

BEIJING = timezone(timedelta(hours=8))
VERIFY_PATH = "/verify?doc={public_id}"


def award_id(ctx: ocds.PublicationContext, award: int) -> str:
    """The OCDS id of award ``award`` of the tender: ``<ocid>-award-<award id>``."""
    return f"{ctx.ocid}-award-{award}"


def contract_releases(uow: UnitOfWork, ctx: ocds.PublicationContext) -> list[ocds.ReleaseEvent]:
    contracts = uow.session.scalars(select(Contract).where(Contract.tender_id == ctx.tender.id,
                                                           Contract.state == ContractState.FILED)
                                    .order_by(Contract.id))
    return [ocds.ReleaseEvent(f"contract-{c.id}", c.filed_at, "contract", ocds.RANK_CONTRACT, _apply(uow, ctx, c))
            for c in contracts]


def _apply(uow: UnitOfWork, ctx: ocds.PublicationContext, contract: Contract) -> ocds.Apply:
    supplier = uow.session.get(Party, contract.supplier_id)
    document = uow.session.get(Document, contract.document_id)
    end = datetime.combine(contract.delivery_date, time(23, 59, 59), tzinfo=BEIJING)
    signed = ocds.rfc3339(contract.signed_at)

    def apply(draft: ocds.ReleaseDraft) -> None:
        draft.party(supplier, "supplier")
        entry: dict[str, Any] = {
            "id": ctx.release_id(f"contract-{contract.id}"), "awardID": award_id(ctx, contract.award_id),
            "title": f"政府采购合同 {contract.number}", "description": contract.subject, "status": "active",
            "value": ocds.amount(contract.amount),
            "period": {"startDate": signed, "endDate": ocds.rfc3339(end)},
            "dateSigned": signed,
            "documents": [{"id": f"contract-{contract.id}-signed", "documentType": "contractSigned",
                           "title": f"政府采购合同 {contract.number}（双方电子签章，平台验签记录）",
                           "description": "签章后的合同文件仅合同双方可下载；验签页公开其签章记录 (the signed PDF is for "
                                          "the two parties; the verification page shows its signatures)",
                           "url": ctx.base_url + VERIFY_PATH.format(public_id=document.public_id),
                           "datePublished": ocds.rfc3339(contract.filed_at), "format": "text/html",
                           "language": ocds.LANGUAGE}]}
        draft.contracts.append(entry)
    return apply


ocds.register_release_source(contract_releases)
