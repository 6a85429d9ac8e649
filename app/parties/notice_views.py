"""Marking the party's notices (站内通知) read: one, or every unread one. Both are POSTs from the
party page (CSRF token in the form, as every form of the platform); which notices an account may
mark is decided by ``bidding.parties.notices`` (its own and its party's, nothing else)."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.parties.common import STAFF
from bidding.parties.notices import mark_all_notices_read, mark_notice_read


@roles_required(*STAFF)
def read_notice(notice_id: int):  # type: ignore[no-untyped-def]
    mark_notice_read(context.uow(), current_user, notice_id)
    return redirect(url_for("parties.party", _anchor="notices"))


@roles_required(*STAFF)
def read_all_notices():  # type: ignore[no-untyped-def]
    marked = mark_all_notices_read(context.uow(), current_user)
    flash(f"已将 {marked} 条通知标为已读 ({marked} notices marked read)", "success")
    return redirect(url_for("parties.party", _anchor="notices"))
