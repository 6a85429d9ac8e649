"""register_party, the use case that the demo set-up (and later the registration pages) call: a
valid organisation is registered with one audit entry; every refusal says why and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import context
from app.extensions import db
from bidding.audit import verify_chain
from bidding.audit.models import AuditEntry
from bidding.parties.errors import InvalidPartyData, PartyAlreadyRegistered
from bidding.parties.models import Party, PartyKind
from bidding.parties.services import register_party

CODE = "91110108551385082Q"       # a valid GB 32100 code (DESIGN.md §3)


def _counts():
    return (db.session.scalar(select(func.count()).select_from(Party)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)))


def test_an_organisation_is_registered_with_one_audit_entry(app, clock):
    with app.test_request_context():
        party = register_party(context.uow(), name=" 示例供应商 ", kind=PartyKind.SUPPLIER,
                               credit_code=CODE.lower())
        assert (party.name, party.credit_code, party.created_at) == ("示例供应商", CODE, clock.now())
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "party.registered" and entry.object_id == str(party.id)
        assert verify_chain(db.session).ok


@pytest.mark.parametrize("name, kind, code, fragment", [
    ("示例供应商", PartyKind.SUPPLIER, "91110108551385082A", "check"),         # wrong check character
    ("示例供应商", PartyKind.SUPPLIER, "9111010855138508", "18"),               # too short
    ("示例代理", PartyKind.AGENCY, None, "credit code"),                        # an organisation needs one
    ("", PartyKind.SUPPLIER, CODE, "name"),
    ("x" * 201, PartyKind.SUPPLIER, CODE, "name"),
])
def test_invalid_data_is_refused_and_changes_nothing(app, name, kind, code, fragment):
    with app.test_request_context():
        before = _counts()
        with pytest.raises(InvalidPartyData) as refused:
            register_party(context.uow(), name=name, kind=kind, credit_code=code)
        assert fragment in refused.value.message
        assert _counts() == before


def test_a_second_party_with_the_same_code_is_refused(app):
    with app.test_request_context():
        register_party(context.uow(), name="甲", kind=PartyKind.SUPPLIER, credit_code=CODE)
        before = _counts()
        with pytest.raises(PartyAlreadyRegistered):
            register_party(context.uow(), name="乙", kind=PartyKind.PURCHASER, credit_code=CODE)
        assert _counts() == before


def test_an_expert_needs_no_credit_code(app):
    with app.test_request_context():
        expert = register_party(context.uow(), name="示例评审专家", kind=PartyKind.EXPERT)
        assert expert.credit_code is None
