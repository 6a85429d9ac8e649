"""``/api/v1``: the contract (政府采购合同) of a notified award, for its purchaser and its winner (and,
once filed, supervisors). Amounts are strings of yuan (``"900000.00"``), dates ``YYYY-MM-DD``.
Stamping the contract's document (with the cross-page seal, which the contract's kind asks for)
goes through ``/api/v1/documents/<id>/stamp-sessions`` (``app/api/documents.py``) with the
``document.public_id`` answered here. The same use cases as the pages (``app/contracts/``)."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from app import context
from app.api.schemas import PartySchema, error_answers
from app.auth.access import roles_required
from app.documents.common import file_store, verify_url
from app.routing import ROW_ID_MAX
from bidding.accounts.models import Role
from bidding.contracts import services
from bidding.contracts.models import ContractAction, ContractState
from bidding.parties.models import Party
from bidding.tenders.models import Tender

blp = Blueprint("api_contracts", __name__, url_prefix="/api/v1",
                description="政府采购合同：起草、拒签、备案、办理记录 (contracts)")
VIEWERS = (Role.PURCHASER_STAFF, Role.SUPPLIER_STAFF, Role.SUPERVISOR)
answers = error_answers(blp, {
    400: "内容有误，details.field 指出字段 (contract_invalid, contract_reason_required)，或缺少安全令牌",
    401: "未登录 (not logged in)",
    403: "角色不符，或不是该合同的一方 (contract_access_denied, contract_only_purchaser, contract_only_supplier)",
    404: "合同或中标结果不存在 (contract_not_found, contract_award_not_found)",
    409: "状态不允许 (contract_state, contract_exists, contract_award_not_notified)",
})


class ContractTermsSchema(ma.Schema):
    payment_terms = fields.String(required=True, validate=ma.validate.Length(1, services.PAYMENT_TERMS_MAX),
                                  metadata={"description": "付款方式"})
    delivery_place = fields.String(required=True, validate=ma.validate.Length(1, services.PLACE_MAX),
                                   metadata={"description": "交付（履行）地点"})
    delivery_date = fields.Date(required=True, metadata={"description": "交付（履行）期限"})


class ContractDraftSchema(ContractTermsSchema):
    award_id = fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, ROW_ID_MAX))


class ContractRefusalSchema(ma.Schema):
    reason = fields.String(required=True, validate=ma.validate.Length(1, services.REASON_MAX))


class ContractDocumentSchema(ma.Schema):
    public_id = fields.String(required=True)
    current_revision = fields.Integer(required=True)
    download_url = fields.String(required=True)
    verify_url = fields.String(required=True)


class ContractSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    state = fields.Enum(ContractState, by_value=True, required=True)
    state_label = fields.String(required=True)
    next_signer = fields.String(allow_none=True, metadata={"description": "purchaser | supplier: whose stamp is due"})
    award_id = fields.Integer(required=True)
    tender_id = fields.Integer(required=True)
    tender_public_id = fields.String(required=True)
    purchaser = fields.Nested(PartySchema, required=True)
    supplier = fields.Nested(PartySchema, required=True)
    subject = fields.String(required=True)
    amount = fields.String(required=True)
    currency = fields.String(required=True)
    payment_terms = fields.String(required=True)
    delivery_place = fields.String(required=True)
    delivery_date = fields.Date(required=True)
    revision = fields.Integer(required=True)
    refusal_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)
    filed_at = fields.DateTime(allow_none=True)
    document = fields.Nested(ContractDocumentSchema, required=True)


class ContractEventSchema(ma.Schema):
    at = fields.DateTime(required=True)
    party_id = fields.Integer(required=True)
    actor = fields.String(required=True, metadata={"description": "who acted (user:<account id>)"})
    action = fields.Enum(ContractAction, by_value=True, required=True)
    action_label = fields.String(required=True)
    revision = fields.Integer(required=True)
    document = fields.String(required=True)
    reason = fields.String(allow_none=True)


class AwardToContractSchema(ma.Schema):
    award_id = fields.Integer(required=True)
    tender_id = fields.Integer(required=True)
    tender_title = fields.String(required=True)
    winner = fields.Nested(PartySchema, required=True)
    price = fields.String(required=True)
    notified_at = fields.DateTime(allow_none=True)


def _contract(uow, contract) -> dict[str, Any]:
    parties = {p.id: p for p in uow.session.scalars(select(Party).where(
        Party.id.in_([contract.purchaser_id, contract.supplier_id])))}
    document = services.document_of(uow, contract)
    return {**{c: getattr(contract, c) for c in (
        "id", "number", "state", "award_id", "tender_id", "subject", "currency", "payment_terms", "delivery_place",
        "delivery_date", "revision", "refusal_reason", "created_at", "sent_at", "signed_at", "filed_at")},
        "state_label": contract.state.label, "next_signer": services.next_signer_role(contract),
        "tender_public_id": uow.session.get(Tender, contract.tender_id).public_id,
        "purchaser": parties[contract.purchaser_id], "supplier": parties[contract.supplier_id],
        "amount": str(contract.amount),
        "document": {"public_id": document.public_id, "current_revision": document.current_seq,
                     "download_url": url_for("documents.download", public_id=document.public_id),
                     "verify_url": verify_url(document.public_id)}}


def _terms(args: dict[str, Any]) -> services.ContractTerms:
    return services.ContractTerms(payment_terms=args["payment_terms"], delivery_place=args["delivery_place"],
                                  delivery_date=args["delivery_date"])


@blp.route("/contracts")
class Contracts(MethodView):
    @roles_required(*VIEWERS)
    @blp.response(200, ContractSchema(many=True))
    @answers(401, 403)
    def get(self) -> Any:
        """The contracts the acting account may see, newest first (a supplier: those sent to it; a
        supervisor: the filed ones)."""
        uow = context.uow()
        return [_contract(uow, c) for c in services.list_contracts(uow, current_user)]

    @roles_required(Role.PURCHASER_STAFF)
    @blp.arguments(ContractDraftSchema)
    @blp.response(201, ContractSchema)
    @answers(400, 401, 403, 404, 409)
    def post(self, args: dict[str, Any]) -> Any:
        """Draft the contract of a notified award: the PDF is generated; the purchaser stamps it next."""
        uow = context.uow()
        contract = services.draft_contract(uow, file_store(), args["award_id"], current_user.party_id, _terms(args),
                                           verify_url=verify_url)
        return _contract(uow, contract)


@blp.route("/contracts/awards")
class AwardsToContract(MethodView):
    @roles_required(Role.PURCHASER_STAFF)
    @blp.response(200, AwardToContractSchema(many=True))
    @answers(401, 403)
    def get(self) -> Any:
        """The acting purchaser's notified awards that have no contract yet."""
        uow = context.uow()
        out = []
        for award in services.awards_to_contract(uow, current_user.party_id):
            tender = uow.session.get(Tender, award.tender_id)
            out.append({"award_id": award.id, "tender_id": tender.id, "tender_title": tender.title,
                        "winner": uow.session.get(Party, award.winner_party_id), "price": str(award.price),
                        "notified_at": award.notified_at})
        return out


@blp.route("/contracts/<int:contract_id>")
class ContractResource(MethodView):
    @roles_required(*VIEWERS)
    @blp.response(200, ContractSchema)
    @answers(401, 403, 404)
    def get(self, contract_id: int) -> Any:
        """One contract the acting account may see."""
        uow = context.uow()
        return _contract(uow, services.get_contract(uow, contract_id, current_user))


@blp.route("/contracts/<int:contract_id>/terms")
class ContractTermsResource(MethodView):
    @roles_required(Role.PURCHASER_STAFF)
    @blp.arguments(ContractTermsSchema)
    @blp.response(200, ContractSchema)
    @answers(400, 401, 403, 404, 409)
    def put(self, args: dict[str, Any], contract_id: int) -> Any:
        """Revise a draft or a refused contract: a new document, a draft again."""
        uow = context.uow()
        contract = services.revise_contract(uow, file_store(), contract_id, current_user.party_id, _terms(args),
                                            verify_url=verify_url)
        return _contract(uow, contract)


@blp.route("/contracts/<int:contract_id>/refusal")
class ContractRefusal(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.arguments(ContractRefusalSchema)
    @blp.response(200, ContractSchema)
    @answers(400, 401, 403, 404, 409)
    def post(self, args: dict[str, Any], contract_id: int) -> Any:
        """The winner refuses the contract with a reason (the purchaser is notified and may revise)."""
        uow = context.uow()
        return _contract(uow, services.refuse_contract(uow, contract_id, current_user.party_id, args["reason"]))


@blp.route("/contracts/<int:contract_id>/filing")
class ContractFiling(MethodView):
    @roles_required(Role.PURCHASER_STAFF)
    @blp.response(200, ContractSchema)
    @answers(400, 401, 403, 404, 409)
    def post(self, contract_id: int) -> Any:
        """File (备案) a contract both parties stamped."""
        uow = context.uow()
        return _contract(uow, services.file_contract(uow, contract_id, current_user.party_id))


@blp.route("/contracts/<int:contract_id>/history")
class ContractHistory(MethodView):
    @roles_required(*VIEWERS)
    @blp.response(200, ContractEventSchema(many=True))
    @answers(401, 403, 404)
    def get(self, contract_id: int) -> Any:
        """Every step of the contract, oldest first, with who acted and when."""
        return [{"at": e.at, "party_id": e.party_id, "actor": e.actor, "action": e.action,
                 "action_label": e.action.label, "revision": e.revision, "document": e.document_public_id,
                 "reason": e.reason}
                for e in services.history(context.uow(), contract_id, current_user)]
