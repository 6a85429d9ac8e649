"""A party's bindings with their expiry warning (from 30 days before), seal validity exactly while
the certificate is valid and the binding active (R22), and the change guard (R10) asking every
registered provider of pending items."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support.bindings import ORIGIN, SESSION, counts, crls_at, file_holder, party, prove
from support.devca import credit_code

from app import context
from bidding.certificates.errors import BindingNotFound, CertificateChangeBlocked
from bidding.certificates.guard import (
    PendingItem,
    change_blocked_by,
    ensure_change_allowed,
    register_pending_provider,
    unregister_pending_provider,
)
from bidding.certificates.models import BindingState
from bidding.certificates.services import bind_certificate, list_bindings, seal_valid
from pki.identity import PartyIdentity


def _bound(ca, trust, clock, seed: int, name: str, *, not_after: datetime, seal_kind="公章"):
    ident = PartyIdentity("institution", name, credit_code=credit_code(seed))
    holder = file_holder(ca, "netca", ident, algorithm="rsa", at=clock.now() - timedelta(days=1),
                         not_before=clock.now() - timedelta(days=1), not_after=not_after, seal_kind=seal_kind)
    supplier = party(name, seed)
    challenge, der = prove(holder, clock)
    binding = bind_certificate(context.uow(), supplier.id, der, challenge, SESSION, ORIGIN, trust=trust,
                               crls=crls_at(ca, clock.now()), seal=holder.seal(ca) if seal_kind else None)
    return supplier, binding


def test_the_expiry_warning_starts_30_days_before(app, clock, ca, trust):
    with app.test_request_context():
        now = clock.now()
        supplier, _ = _bound(ca, trust, clock, 401, "到期公司", not_after=now + timedelta(days=30))
        [status] = list_bindings(context.uow(), supplier.id)
        assert (status.expires_soon, status.expired, status.days_left) == (True, False, 30)
        other, _ = _bound(ca, trust, clock, 402, "未到期公司", not_after=now + timedelta(days=30, seconds=1))
        [status] = list_bindings(context.uow(), other.id)
        assert (status.expires_soon, status.expired) == (False, False)
        clock.advance(days=31)
        [status] = list_bindings(context.uow(), supplier.id)
        assert (status.expires_soon, status.expired, status.days_left) == (False, True, 0)


def test_a_seal_is_valid_exactly_while_its_certificate_is_r22(app, clock, ca, trust):
    with app.test_request_context():
        _, binding = _bound(ca, trust, clock, 403, "印章公司", not_after=clock.now() + timedelta(days=200))
        assert seal_valid(binding, binding.not_before) and seal_valid(binding, binding.not_after)
        assert not seal_valid(binding, binding.not_before - timedelta(seconds=1))
        assert not seal_valid(binding, binding.not_after + timedelta(seconds=1))
        binding.state = BindingState.REVOKED          # what the service desk will do on R8 (not committed)
        assert not seal_valid(binding, binding.not_before + timedelta(days=1))
        context.uow().rollback()
        _, sub_key = _bound(ca, trust, clock, 404, "副锁公司", not_after=clock.now() + timedelta(days=200),
                            seal_kind=None)
        assert not seal_valid(sub_key, clock.now())      # no seal, nothing to be valid


@pytest.fixture
def pending_test_items():
    """A provider of a test kind holding every certificate whose serial is listed in ``held``."""
    held: dict[str, list[PendingItem]] = {}

    def provider(uow, binding):
        return held.get(binding.serial, [])

    register_pending_provider(provider)
    register_pending_provider(provider)           # registering twice is harmless
    try:
        yield held
    finally:
        unregister_pending_provider(provider)


def test_change_blocked_by_lists_the_pending_items_of_every_provider(app, clock, ca, trust, pending_test_items):
    with app.test_request_context():
        _, binding = _bound(ca, trust, clock, 405, "投标中公司", not_after=clock.now() + timedelta(days=200))
        uow = context.uow()
        assert change_blocked_by(uow, binding) == []
        ensure_change_allowed(uow, binding)
        later = PendingItem("test-bid", "B-2", "第二个测试投标", clock.now() + timedelta(days=9),
                            "请在截止前撤回投标，续期后重新加密提交 (withdraw before the deadline, renew, resubmit)")
        sooner = PendingItem("test-bid", "B-1", "第一个测试投标", clock.now() + timedelta(days=2),
                             "请在截止前撤回投标 (withdraw the bid before the deadline)")
        undated = PendingItem("test-tender", "T-1", "测试招标文件", None, "请先完成开标 (finish the opening first)")
        pending_test_items[binding.serial] = [undated, later, sooner]
        assert change_blocked_by(uow, binding) == [sooner, later, undated]
        assert change_blocked_by(uow, binding.fingerprint_sha256.upper()) == [sooner, later, undated]
        before = counts()
        with pytest.raises(CertificateChangeBlocked) as refused:
            ensure_change_allowed(uow, binding)
        error = refused.value
        assert error.code == "certificate_change_blocked" and error.http_status == 409
        for text in ("第一个测试投标", "第二个测试投标", "测试招标文件", "撤回", "B-1", "T-1"):
            assert text in error.message
        assert [item["id"] for item in error.details["items"]] == ["B-1", "B-2", "T-1"]
        assert counts() == before


def test_the_guard_without_the_test_provider_and_for_unknown_certificates(app, clock, ca, trust):
    with app.test_request_context():
        _, binding = _bound(ca, trust, clock, 406, "无事公司", not_after=clock.now() + timedelta(days=200))
        assert change_blocked_by(context.uow(), binding) == []
        with pytest.raises(BindingNotFound):
            change_blocked_by(context.uow(), "00" * 32)
