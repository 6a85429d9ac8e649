"""The agreement's PDF from its terms and its two parties (their registration data where the
platform has it): :func:`bidding.documents.pdf.render_delegation_agreement`."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bidding.agreements.models import DelegationAgreement
from bidding.documents.pdf.base import RenderedDocument
from bidding.documents.pdf.common import PartyRef
from bidding.documents.pdf.delegation_agreement import DelegationAgreementData, render_delegation_agreement
from bidding.parties.models import Party, Registration
from bidding.uow import UnitOfWork


def render(uow: UnitOfWork, agreement: DelegationAgreement, purchaser: Party, agency: Party, *, public_id: str,
           verify_url: str, drafted_on: date) -> RenderedDocument:
    data = DelegationAgreementData(
        purchaser=party_ref(uow, purchaser), agency=party_ref(uow, agency), project_name=agreement.project_name,
        scope=agreement.scope, budget=agreement.budget, term_start=agreement.term_start, term_end=agreement.term_end,
        agency_fee_terms=agreement.fee_terms, agency_fee=agreement.fee, drafted_on=drafted_on,
        procurement_method=agreement.procurement_method)
    return render_delegation_agreement(data, document_id=public_id, verify_url=verify_url)


def party_ref(uow: UnitOfWork, party: Party) -> PartyRef:
    """The party as the document names it, with what its registration recorded."""
    registration = uow.session.scalars(select(Registration).where(Registration.party_id == party.id)).first()
    if registration is None:
        return PartyRef(name=party.name, credit_code=party.credit_code or "")
    return PartyRef(name=party.name, credit_code=party.credit_code or "", address=registration.address,
                    representative=registration.legal_representative, contact=registration.contact_name,
                    phone=registration.contact_phone)
