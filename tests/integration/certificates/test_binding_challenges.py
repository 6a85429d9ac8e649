"""One-time challenges: canonical bytes, used once, only by the session and origin they were issued
to, within two minutes (exactly two minutes old is still accepted; a microsecond more is not).
Every refusal changes nothing."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.bindings import ORIGIN, SESSION, counts

from app import context
from bidding.certificates.challenges import (
    CHALLENGE_LIFETIME,
    consume_challenge,
    issue_challenge,
)
from bidding.certificates.errors import (
    ChallengeContentMismatch,
    ChallengeExpired,
    ChallengeReplayed,
    ChallengeUnknown,
    ChallengeWrongOrigin,
    ChallengeWrongSession,
)
from bidding.certificates.models import Challenge


def test_the_challenge_is_canonical_json_naming_purpose_origin_and_time(app, clock):
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "login", SESSION, ORIGIN)
        body = json.loads(issued.message)
        assert body == {"type": "ebid-challenge/1", "challenge": str(issued.id), "purpose": "login",
                        "origin": ORIGIN, "issued_at": "2026-11-23T08:00:00.000000Z", "nonce": body["nonce"]}
        assert len(bytes.fromhex(body["nonce"])) == 32
        assert issued.message == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        assert issued.expires_at - issued.issued_at == CHALLENGE_LIFETIME == timedelta(minutes=2)
        row = context.uow().session.get(Challenge, issued.id)
        assert SESSION not in row.session_hash and len(row.session_hash) == 64     # only a hash is kept
        other = issue_challenge(context.uow(), "login", SESSION, ORIGIN)
        assert json.loads(other.message)["nonce"] != body["nonce"]


def test_a_challenge_is_used_once_and_a_replay_is_refused(app, clock):
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", SESSION, ORIGIN)
        assert consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, issued.message) == issued.message
        used = counts()
        with pytest.raises(ChallengeReplayed) as refused:
            consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, issued.message)
        assert refused.value.code == "challenge_used" and "重复" in refused.value.message
        assert counts() == used


@pytest.mark.parametrize("session, origin, error", [
    ("another-session", ORIGIN, ChallengeWrongSession),
    (SESSION, "https://evil.example", ChallengeWrongOrigin),
    (SESSION, "http://ebid.example.gov.cn", ChallengeWrongOrigin),
])
def test_a_challenge_of_another_session_or_origin_is_refused(app, clock, session, origin, error):
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", SESSION, ORIGIN)
        before = counts()
        with pytest.raises(error):
            consume_challenge(context.uow(), issued.id, session, origin, issued.message)
        assert counts() == before
        consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, issued.message)   # still usable by its owner


def test_exactly_two_minutes_old_is_accepted(app, clock):
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", SESSION, ORIGIN)
        clock.advance(minutes=2)
        consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, issued.message)


def test_older_than_two_minutes_is_refused(app, clock):
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", SESSION, ORIGIN)
        clock.advance(minutes=2, microseconds=1)
        before = counts()
        with pytest.raises(ChallengeExpired) as refused:
            consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, issued.message)
        assert "2 分钟" in refused.value.message and "2 minutes" in refused.value.message
        assert counts() == before


def test_unknown_challenges_and_other_bytes_are_refused(app, clock):
    with app.test_request_context():
        issued = issue_challenge(context.uow(), "bind", SESSION, ORIGIN)
        before = counts()
        with pytest.raises(ChallengeUnknown):
            consume_challenge(context.uow(), issued.id + 1000, SESSION, ORIGIN)
        with pytest.raises(ChallengeUnknown):            # a bind challenge cannot be used to log in
            consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, purpose="login")
        with pytest.raises(ChallengeContentMismatch):
            consume_challenge(context.uow(), issued.id, SESSION, ORIGIN, issued.message + b" ")
        assert counts() == before
