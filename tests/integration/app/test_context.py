"""A view's state change goes through the unit of work: change and audit entry commit together,
with the operator and the client's network address from the request."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, jsonify
from sqlalchemy import select

from app import context
from app.extensions import db
from bidding.audit import verify_chain
from bidding.errors import Conflict
from bidding.audit.models import AuditEntry
from bidding.parties.models import Party, PartyKind


def _register_routes(app) -> None:
    bp = Blueprint("t_ctx", __name__)

    @bp.route("/t/parties/<name>", methods=["POST"])
    def register(name: str):
        with context.uow() as uow:
            if uow.session.scalar(select(Party).where(Party.name == name)):
                raise Conflict("该主体已存在 (the party exists)")
            party = Party(name=name, kind=PartyKind.SUPPLIER, created_at=uow.clock.now())
            uow.session.add(party)
            uow.session.flush()
            uow.audit("party.registered", party, name=name)
            uow.commit()
            return jsonify(id=party.id), 201

    app.register_blueprint(bp)


def test_view_change_is_audited_with_request_address(app, clock):
    _register_routes(app)
    client = app.test_client()
    response = client.post("/t/parties/甲公司", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 201
    again = client.post("/t/parties/甲公司", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert again.status_code == 409 and "该主体已存在" in again.get_data(as_text=True)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry)).all()
        assert len(entries) == 1     # the refused request changed nothing, audit included
        entry = entries[0]
        assert (entry.operator, entry.address, entry.action) == ("anonymous", "203.0.113.9",
                                                                 "party.registered")
        assert entry.at == datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc) == clock.now()
        assert verify_chain(db.session).ok


def test_forwarded_address_only_behind_configured_proxies(db_url, make_app):
    for hops, expected in ((0, "10.0.0.1"), (1, "198.51.100.77")):
        app = make_app(db_url, PROXY_HOPS=hops)
        _register_routes(app)
        app.test_client().post(f"/t/parties/p{hops}", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                               headers={"X-Forwarded-For": "198.51.100.77"})
        with app.app_context():
            entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert entry.address == expected
