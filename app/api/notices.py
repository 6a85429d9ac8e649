"""``/api/v1/notices``: the acting account's notices (站内通知: its own and its party's), and marking
one or all of them read. The same service functions as the party page (``bidding.parties.notices``);
another party's notice is "not found"."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from app import context
from app.api.parties import NoticeSchema
from app.api.schemas import ErrorSchema
from app.auth.access import roles_required
from app.parties.common import STAFF
from bidding.parties.notices import mark_all_notices_read, mark_notice_read, notices_for_account, unread_count

blp = Blueprint("api_notices", __name__, url_prefix="/api/v1", description="站内通知 (notices)")


class NoticesSchema(ma.Schema):
    unread = fields.Integer(required=True, metadata={"description": "未读通知数 (unread notices)"})
    notices = fields.List(fields.Nested(NoticeSchema), required=True, metadata={"description": "newest first"})


class MarkedSchema(ma.Schema):
    marked = fields.Integer(required=True, metadata={"description": "本次标为已读的通知数"})


@blp.route("/notices")
class Notices(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, NoticesSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    def get(self) -> dict[str, Any]:
        """The notices of the account and of its party, with the number of unread ones."""
        notices = notices_for_account(context.uow(), current_user)
        return {"unread": unread_count(notices), "notices": notices}


@blp.route("/notices/<int:notice_id>/read")
class NoticeRead(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, NoticeSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    @blp.alt_response(404, schema=ErrorSchema, description="通知不存在，或不属于本账户及本单位 (notice_not_found)")
    def post(self, notice_id: int) -> Any:
        """Mark one notice of the account or its party read (already read: unchanged)."""
        return mark_notice_read(context.uow(), current_user, notice_id)


@blp.route("/notices/read")
class NoticesRead(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, MarkedSchema)
    @blp.alt_response(401, schema=ErrorSchema, description="未登录 (not logged in)")
    @blp.alt_response(403, schema=ErrorSchema, description="非经办人账户 (not a staff account)")
    def post(self) -> dict[str, int]:
        """Mark every unread notice of the account and its party read."""
        return {"marked": mark_all_notices_read(context.uow(), current_user)}
