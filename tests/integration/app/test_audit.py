"""The audit log (R19): append, verify, tamper detection, immutability, concurrent writers."""
from __future__ import annotations

import subprocess
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from app.extensions import db
from bidding import audit
from bidding.audit import Actor, canonical_content, canonical_json, verify_chain
from bidding.uow import UnitOfWork
from bidding.errors import AuditError, AuditLogImmutable
from bidding.audit.models import GENESIS_DIGEST, AuditChainHead, AuditEntry
from bidding.parties.models import Party, PartyKind

ALICE = Actor("user:7", "198.51.100.23")


def _append(app, clock, n: int, start: int = 0) -> None:
    with app.app_context():
        for i in range(start, start + n):
            with UnitOfWork(db.session, clock, ALICE) as uow:
                party = Party(name=f"供应商{i}", kind=PartyKind.SUPPLIER, created_at=clock.now())
                uow.session.add(party)
                uow.session.flush()
                uow.audit("party.registered", party, name=party.name, kind=party.kind,
                          at=clock.now(), amount=i * 1.5)
                uow.commit()
            clock.advance(seconds=1, microseconds=7)


def _disable_triggers(conn) -> None:
    """What an attacker with DDL rights would do first; the chain must still catch them."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
    else:
        conn.execute(text("DROP TRIGGER audit_entry_no_update"))
        conn.execute(text("DROP TRIGGER audit_entry_no_delete"))


def _tamper(app, *statements: str) -> None:
    with app.app_context(), db.engine.begin() as conn:
        _disable_triggers(conn)
        for sql in statements:
            conn.execute(text(sql))


def test_append_and_verify(app, clock):
    _append(app, clock, 3)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.id for e in entries] == [1, 2, 3]
        assert entries[0].prev_sha256 == entries[0].prev_sm3 == GENESIS_DIGEST
        for before, after in zip(entries, entries[1:]):
            assert (after.prev_sha256, after.prev_sm3) == (before.sha256, before.sm3)
        first = entries[0]
        assert first.at == datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
        assert (first.operator, first.address, first.action) == ("user:7", "198.51.100.23",
                                                                 "party.registered")
        assert (first.object_type, first.object_id) == ("party", "1")
        assert first.details == ('{"amount":0.0,"at":"2026-11-23T08:00:00.000000Z",'
                                 '"kind":"supplier","name":"供应商0"}')
        assert entries[1].at == datetime(2026, 11, 23, 8, 0, 1, 7, tzinfo=timezone.utc)
        head = db.session.get(AuditChainHead, 1)
        assert (head.entries, head.last_sha256, head.last_sm3) == (3, entries[2].sha256, entries[2].sm3)
        assert verify_chain(db.session) == audit.AuditVerification(True, 3)


def test_digests_match_openssl(app, clock, tmp_path):
    """Independent check: the OpenSSL command line computes the same SHA-256 and SM3."""
    _append(app, clock, 2)
    with app.app_context():
        entry = db.session.get(AuditEntry, 2)
        content = canonical_content({c.key: getattr(entry, c.key)
                                     for c in AuditEntry.__table__.columns})
    assert content.startswith(b'{"action":"party.registered","address":"198.51.100.23","at":')
    assert b" " not in content and "供应商1".encode() in content
    path = tmp_path / "content.json"
    path.write_bytes(content)
    for algorithm, expected in (("sha256", entry.sha256), ("sm3", entry.sm3)):
        out = subprocess.run(["openssl", "dgst", f"-{algorithm}", "-r", str(path)],
                             capture_output=True, text=True, check=True).stdout
        assert out.split()[0] == expected


def test_canonical_json():
    assert canonical_json({"b": 1, "a": ["中", None, True]}) == '{"a":["中",null,true],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_cli_verify_ok(app, clock, runner):
    _append(app, clock, 2)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "2" in result.output


def test_cli_verify_names_an_edited_entry(app, clock, runner):
    _append(app, clock, 4)
    _tamper(app, "UPDATE audit_entry SET details = '{\"name\":\"伪造\"}' WHERE id = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "第 2 条" in result.output and "已被修改" in result.output


def test_edited_digest_is_caught_at_the_next_entry(app, clock):
    _append(app, clock, 3)
    # Recompute entry 2's own digests after editing it: entry 3's back-link still breaks.
    with app.app_context():
        row = db.session.execute(select(AuditEntry.__table__).where(AuditEntry.id == 2)).mappings().one()
        forged = dict(row, operator="user:99")
        sha256, sm3 = audit.digests(canonical_content(forged))
    _tamper(app, f"UPDATE audit_entry SET operator = 'user:99', sha256 = '{sha256}', sm3 = '{sm3}' "
                 "WHERE id = 2")
    with app.app_context():
        result = verify_chain(db.session)
    assert (result.ok, result.first_broken_id) == (False, 3)


@pytest.mark.parametrize("victim, broken_at", [(1, 2), (3, 4), (5, 5)])
def test_cli_verify_detects_a_deleted_entry(app, clock, runner, victim, broken_at):
    _append(app, clock, 5)
    _tamper(app, f"DELETE FROM audit_entry WHERE id = {victim}")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"第 {broken_at} 条" in result.output and "缺失" in result.output


def test_database_refuses_changes(app, clock):
    _append(app, clock, 1)
    with app.app_context():
        for sql in ("UPDATE audit_entry SET operator = 'x'", "DELETE FROM audit_entry"):
            with pytest.raises(DatabaseError, match="cannot be changed or deleted"):
                with db.engine.begin() as conn:
                    conn.execute(text(sql))
        assert verify_chain(db.session).ok


def test_orm_refuses_updates_and_deletes(app, clock):
    _append(app, clock, 1)
    with app.app_context():
        entry = db.session.get(AuditEntry, 1)
        entry.operator = "someone else"
        with pytest.raises(AuditLogImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEntry, 1))
        with pytest.raises(AuditLogImmutable):
            db.session.flush()
        db.session.rollback()
        for statement in (update(AuditEntry).values(operator="x"), delete(AuditEntry),
                          update(AuditEntry.__table__).values(operator="x"),
                          delete(AuditEntry.__table__)):
            with pytest.raises(AuditLogImmutable):
                db.session.execute(statement)
            db.session.rollback()
        assert verify_chain(db.session) == audit.AuditVerification(True, 1)


def test_rolled_back_change_leaves_no_entry(app, clock):
    with app.app_context():
        with pytest.raises(RuntimeError):
            with UnitOfWork(db.session, clock, ALICE) as uow:
                uow.session.add(Party(name="甲", kind=PartyKind.AGENCY, created_at=clock.now()))
                uow.audit("party.registered", object_type="party", object_id=1)
                raise RuntimeError("refused half-way")
        assert db.session.scalar(select(AuditChainHead.entries)) == 0
        assert db.session.scalars(select(AuditEntry)).all() == []
        # A unit of work left without commit() rolls back as well.
        with UnitOfWork(db.session, clock, ALICE) as uow:
            uow.audit("nothing.committed")
        assert verify_chain(db.session) == audit.AuditVerification(True, 0)


def test_record_needs_operator_address_and_aware_time(app, clock):
    from bidding.clock import FrozenClock
    with app.app_context():
        with pytest.raises(ValueError):
            audit.record(db.session, clock, Actor("", "1.2.3.4"), "x")
        with pytest.raises(ValueError):
            audit.record(db.session, clock, ALICE, "")

        class NaiveClock(FrozenClock):
            def now(self):
                return datetime(2026, 1, 1)
        with pytest.raises(ValueError):
            audit.record(db.session, NaiveClock(clock.now()), ALICE, "x")
        db.session.rollback()


def test_concurrent_writers_do_not_fork_the_chain(app, clock):
    """Two threads, two connections, appending at once: one unbroken chain of all entries."""
    per_thread = 15
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    with app.app_context():
        engine = db.engine

    def writer(name: str) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with Session(engine) as session:
                    audit.record(session, clock, Actor(name, "127.0.0.1"), "test.concurrent",
                                 details={"i": i})
                    session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"writer:{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        result = verify_chain(db.session)
        operators = db.session.scalars(select(AuditEntry.operator)).all()
    assert result == audit.AuditVerification(True, 2 * per_thread)
    assert sorted(set(operators)) == ["writer:1", "writer:2"]


def test_missing_chain_head_is_reported(app, clock, runner):
    _append(app, clock, 1)
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain_head"))
    with app.app_context():
        with pytest.raises(AuditError, match="审计链头缺失"):
            audit.record(db.session, clock, ALICE, "x")
        db.session.rollback()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "链头缺失" in result.output
