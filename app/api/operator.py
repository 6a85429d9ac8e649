"""``/api/v1/operator/outbox``: the notifier's outbox for operators, the JSON twin of
``/operator/outbox``, calling the same :func:`bidding.notify.outbox_entries`."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema
from app.auth.access import roles_required
from bidding.accounts.models import Role
from bidding.notify import MessageState, outbox_entries

blp = Blueprint("api_operator", __name__, url_prefix="/api/v1", description="平台运营：发件箱 (operators: the outbox)")


class OutboxQuerySchema(ma.Schema):
    state = fields.Enum(MessageState, by_value=True, load_default=None)
    limit = fields.Integer(load_default=200, validate=ma.validate.Range(1, 1000))


class OutboxMessageSchema(ma.Schema):
    id = fields.Integer(required=True)
    recipient = fields.String(required=True)
    party_id = fields.Integer(allow_none=True)
    account_id = fields.Integer(allow_none=True)
    subject = fields.String(required=True)
    text = fields.String(required=True)
    link = fields.String(allow_none=True, metadata={"description": "站内路径 (a path on the platform)"})
    state = fields.Enum(MessageState, by_value=True, required=True)
    created_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(allow_none=True)
    channel = fields.String(allow_none=True, metadata={"description": "the notifier that delivered it"})
    reference = fields.String(allow_none=True, metadata={"description": "what the notifier answered"})
    attempts = fields.Integer(required=True, metadata={"description": "delivery attempts so far"})
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True, metadata={"description": "the next try of a failed delivery"})


@blp.route("/operator/outbox")
class Outbox(MethodView):
    @roles_required(Role.OPERATOR)
    @blp.arguments(OutboxQuerySchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="仅平台运营人员 (operators only)")
    def get(self, args: dict[str, Any]) -> Any:
        """The newest messages of the outbox (``?state=queued|delivered``, ``?limit=``, at most 1000)."""
        return outbox_entries(context.uow(), current_user, state=args["state"], limit=args["limit"])
