"""What the expert tests share (imported as ``support.experts``): an app on the bid CA of
``support.bids`` (its TSA, a transport certificate for the list's opening, the CFCA EC chain that
issues event certificates) with the platform's SoftHSM token; a published tender with two bids
(rows) and the agency's bound RSA encryption certificate; and a pool made through the operator's
use case, where some experts must be avoided:

- ``e1``…``e6``: speciality 信息化, employers with nothing to do with the tender,
- ``bidder_employee`` (works for the supplier, who bid), ``purchaser_employee``,
- ``conflicted`` (declared a conflict with the second supplier, who bid),
- ``builder``: another speciality.

The clock starts before the bid deadline (``support.bids``): ``world.after_deadline()``,
``world.after_opening()`` move it.
"""
from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bidding.accounts.models import Account
from bidding.bids.models import Bid, BidState
from bidding.experts.pool import ExpertDetails, add_expert, declare_conflict
from pki import envelope
from pki.certs import load_certificate
from pki.identity import credit_code_check_char, id_number_check_char
from support.auth import PARTIES, AuthActions, make_accounts, test_uow
from support.bids import (
    CA_T0,
    DEADLINE,
    OPENING,
    PROFILE,
    WINDOW,
    Holder,
    bid_settings,
    bind_encryption,
    issue,
    open_tender,
    party_identity,
    platform_identity,
)

TOKEN_LABEL, TOKEN_PIN, TOKEN_SO_PIN = "ebid-platform", "platform-pin-2468", "platform-so-1357"
SPECIALITY = "信息化"


def code_of(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def party_code(key: str) -> str:
    return code_of(PARTIES[key][2])


def id_number(seed: int) -> str:
    first17 = f"44010619800101{seed:03d}"
    return first17 + id_number_check_char(first17)


def pool_entries(parties_codes: dict[str, str]) -> dict[str, ExpertDetails]:
    """The pool by key (see the module docstring)."""
    entries = {f"e{i}": ExpertDetails(f"专家{i}", id_number(i), f"1380000{i:04d}", None, [SPECIALITY], "广州",
                                      f"无关单位{i}", code_of(f"91440101MA5EXP{i:03d}")) for i in range(1, 7)}
    entries["bidder_employee"] = ExpertDetails("投标人员工", id_number(21), "13900000021", None, [SPECIALITY], "广州",
                                               "测试供应商甲", parties_codes["supplier"])
    entries["purchaser_employee"] = ExpertDetails("采购人员工", id_number(22), None, "buyer@example.cn", [SPECIALITY],
                                                  "广州", "测试采购单位", parties_codes["purchaser"])
    entries["conflicted"] = ExpertDetails("申报回避者", id_number(23), "13900000023", None, [SPECIALITY, "财务"], "深圳",
                                          "无关单位23", code_of("91440101MA5EXP023"))
    entries["builder"] = ExpertDetails("土建专家", id_number(24), "13900000024", None, ["土建"], "广州", "无关单位24",
                                       code_of("91440101MA5EXP024"))
    return entries


@dataclass
class ExpertWorld:
    app: Any
    clock: Any
    tender_id: int
    tender: str
    parties: dict[str, int]
    accounts: dict[str, int]
    agency_key: Holder
    experts: dict[str, int] = field(default_factory=dict)     # key -> expert id
    contacts: dict[str, str] = field(default_factory=dict)    # key -> phone or e-mail
    names: dict[str, str] = field(default_factory=dict)       # key -> name

    def client(self, username: str | None = None):
        client = self.app.test_client()
        if username is not None:
            assert AuthActions(client).login(username).status_code == 302
        return client

    def after_deadline(self) -> None:
        self.clock.set(DEADLINE + timedelta(minutes=5))

    def after_opening(self) -> None:
        self.clock.set(OPENING + WINDOW + timedelta(minutes=5))

    def key_of(self, expert_id: int) -> str:
        return next(k for k, v in self.experts.items() if v == expert_id)

    # -- the draw
    def draw(self, count: int = 3, reserves: int = 2, client=None):
        client = client or self.client("agency")
        return client.post(f"/api/v1/tenders/{self.tender_id}/expert-draw",
                           json={"speciality": SPECIALITY, "count": count, "reserves": reserves})

    def open_list(self, client=None):
        """The evaluation start through the API, the agent's unwrap done in-process with the agency's key."""
        client = client or self.client("agency")
        started = client.post(f"/api/v1/tenders/{self.tender_id}/expert-list-openings",
                              json={"certificate": b64(self.agency_key.der)})
        if started.status_code != 201:
            return started
        answer = agent_unwrap(started.json, self.agency_key)
        return client.post(f"/api/v1/tenders/{self.tender_id}/expert-list-openings/{started.json['version']}",
                           json={"envelope": b64(answer)})

    # -- the expert
    def last_code(self, key: str) -> str:
        """The code of the newest message to the expert ``key`` in the outbox."""
        from sqlalchemy import select

        from app.extensions import db
        from bidding.notify import OutboxMessage
        with self.app.app_context():
            text = db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.recipient == self.contacts[key])
                                      .order_by(OutboxMessage.id.desc()).limit(1)).first()
        found = re.search(r"验证码是 (\d{6})", text or "")
        assert found, text
        return found.group(1)

    def expert_client(self, key: str):
        """A client signed in as expert ``key`` through the API."""
        client = self.app.test_client()
        assert client.post("/api/v1/expert-session/codes", json={"contact": self.contacts[key]}).status_code == 202
        signed_in = client.post("/api/v1/expert-session", json={"contact": self.contacts[key],
                                                                "code": self.last_code(key)})
        assert signed_in.status_code == 200, signed_in.json
        return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def agent_unwrap(started: dict[str, Any], holder: Holder) -> bytes:
    """What the local agent's /v1/unwrap answers: the content key re-encrypted to the transport certificate."""
    content_key = envelope.unwrap_content_key(base64.b64decode(started["recipient_info"]), holder.key, holder.cert)
    out = io.BytesIO()
    envelope.encrypt_stream(io.BytesIO(content_key), out,
                            recipients=[load_certificate(base64.b64decode(started["transport_certificate"]))])
    return out.getvalue()


def add_bid(app, tender_id: int, party_id: int, account_id: int, state: BidState = BidState.SUBMITTED) -> None:
    from app.extensions import db
    with app.app_context():
        digest = hashlib.sha256(f"{tender_id}-{party_id}-{state}".encode()).hexdigest()
        db.session.add(Bid(public_id=f"B-T{party_id:04d}{state.value[:4].upper()}", tender_id=tender_id,
                           party_id=party_id, submitted_by=account_id, state=state, size=1, sha256=digest, sm3=digest,
                           envelope_format="cms", content_type="authEnvelopedData", cipher="aes-256-gcm",
                           received_at=DEADLINE - timedelta(hours=1)))
        db.session.commit()


@pytest.fixture
def expert_world(make_app, db_url, clock, bid_ca, tmp_path, isolated_tokens) -> ExpertWorld:
    from app.extensions import db
    from devsetup.softhsm import init_softhsm_token
    bid_ca.ensure_service_certificate("transport", Path(bid_ca.state_dir) / "platform", platform_identity(),
                                      profile=PROFILE, algorithm="rsa", at=CA_T0)
    init_softhsm_token(tmp_path / "hsm", TOKEN_LABEL, TOKEN_SO_PIN, TOKEN_PIN)
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, PLATFORM_TOKEN_LABEL=TOKEN_LABEL,
                   PLATFORM_TOKEN_PIN=TOKEN_PIN, **bid_settings(bid_ca))
    accounts = make_accounts(app)
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    tender_id = open_tender(app, parties)
    agency_key = issue(bid_ca, party_identity("agency"), algorithm="rsa")
    bind_encryption(app, parties["agency"], agency_key)
    add_bid(app, tender_id, parties["supplier"], accounts["supplier"])
    add_bid(app, tender_id, parties["supplier2"], accounts["supplier2"])
    with app.app_context():
        from bidding.tenders.models import Tender
        public_id = db.session.get(Tender, tender_id).public_id
    world = ExpertWorld(app, clock, tender_id, public_id, parties, accounts, agency_key)
    codes = {key: party_code(key) for key in ("supplier", "supplier2", "purchaser")}
    with app.app_context():
        operator = db.session.get(Account, accounts["operator"])
        for key, details in pool_entries(codes).items():
            expert = add_expert(test_uow(app), operator, details)
            world.experts[key], world.names[key] = expert.id, expert.name
            world.contacts[key] = expert.phone or expert.email
        declare_conflict(test_uow(app), operator, world.experts["conflicted"], credit_code=codes["supplier2"],
                         party_name="测试供应商乙", reason="曾在该单位任职")
    return world
