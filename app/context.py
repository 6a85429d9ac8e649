"""What a view needs from the request to call the domain: the clock, the actor, a unit of work."""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

from bidding.audit import Actor
from bidding.clock import Clock
from bidding.uow import UnitOfWork


def clock() -> Clock:
    """The application's clock (``SystemClock`` unless a test put another one in)."""
    return current_app.extensions["clock"]


def actor() -> Actor:
    """Who is acting, for the audit log: the logged-in user and the client address of the request
    (behind ``EBID_PROXY_HOPS`` proxies, the forwarded address)."""
    if not has_request_context():
        return Actor("cli", "cli")
    if getattr(current_user, "is_authenticated", False):
        operator = f"user:{current_user.id}"
    else:
        operator = "anonymous"
    return Actor(operator, request.remote_addr or "unknown")


def uow() -> UnitOfWork:
    """A unit of work on the request's session."""
    from app.extensions import db
    return UnitOfWork(db.session, clock(), actor())
