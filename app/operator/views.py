"""The outbox page: the messages the notifier delivered or still owes, newest first, with the
delivery's attempts and last error. It calls :func:`bidding.notify.outbox_entries` (operators only)."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from bidding.accounts.models import Role
from bidding.notify import MessageState, outbox_entries


def message_state(value: str | None) -> MessageState | None:
    """``?state=`` as a :class:`MessageState` (empty: every state); anything else is a 400."""
    if not value:
        return None
    try:
        return MessageState(value)
    except ValueError:
        abort(400)


@roles_required(Role.OPERATOR)
def outbox():  # type: ignore[no-untyped-def]
    state = message_state(request.args.get("state"))
    entries = outbox_entries(context.uow(), current_user, state=state)
    return render_template("operator/outbox.html", entries=entries, state=state, states=list(MessageState))
