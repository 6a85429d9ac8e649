"""R10 on the agency's and the purchaser's side: a certificate that stamped a tender's documents
(招标文件, 审核意见书, 更正公告) cannot be renewed, changed or replaced at the service desk from the
tender's publication until its opening is over (its decryption window closed); the refusal names the
tender and says until when. A draft holds nothing; publication then refuses documents stamped with a
certificate renewed meanwhile, until they are stamped again. One microsecond before the window's end: refused; at it: renewed.
A development CA of its own (the renewal adds certificates to it), certificates with 60 days left
(inside the R7 renewal window)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from support.agreements import client_as
from support.auth import make_accounts, test_uow
from support.stamping import CLOCK_T, app_settings, bind, issue_signer, make_ca, party_identity
from support.tenders import TenderSteps

from app.extensions import db
from bidding.accounts.models import Account
from bidding.certificates.guard import change_blocked_by
from bidding.certificates.models import BindingState, CertificateBinding


@pytest.fixture(scope="module")
def r10_ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("r10-ca"))


@pytest.fixture
def r10(make_app, db_url, clock, r10_ca) -> TenderSteps:
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False, DEVCA_TOKEN_SECRETS={}, **app_settings(r10_ca))
    accounts = make_accounts(app)
    with app.app_context():
        parties = {name: db.session.get(Account, account_id).party_id for name, account_id in accounts.items()}
    validity = {"not_before": CLOCK_T - timedelta(days=1), "not_after": CLOCK_T + timedelta(days=60)}
    agency = issue_signer(r10_ca, party_identity("agency"), algorithm="ec", **validity)
    purchaser = issue_signer(r10_ca, party_identity("purchaser"), algorithm="rsa", **validity)
    bound = {"agency": bind(app, parties["agency"], agency, r10_ca),
             "purchaser": bind(app, parties["purchaser"], purchaser, r10_ca)}
    return TenderSteps(app, parties, bound, purchaser, agency, clock)


def _renew(client, binding_id: int):
    return client.post(f"/api/v1/certificates/{binding_id}/service-requests", json={"kind": "renewal", "years": 1})


def _held(app, binding_id: int) -> list:
    with app.app_context():
        return change_blocked_by(test_uow(app), db.session.get(CertificateBinding, binding_id))


def test_renewal_is_refused_until_the_opening_is_over(r10, clock):
    app, steps = r10.app, r10
    agency, purchaser = client_as(app, "agency"), client_as(app, "purchaser")
    assert _held(app, steps.bound["agency"]) == []

    tender = steps.ready()                                   # stamped, not published: a draft holds nothing
    assert _held(app, steps.bound["agency"]) == [] and _held(app, steps.bound["purchaser"]) == []

    published = steps.publish(tender["id"], deadline=timedelta(days=10), opening=timedelta(days=10, hours=1))
    assert published.status_code == 200, published.json
    window_end = datetime.fromisoformat(published.json["window_end"])

    [item] = _held(app, steps.bound["agency"])
    assert (item.kind, item.id, item.title, item.deadline) == ("tender", tender["public_id"], tender["title"], window_end)
    assert [i.id for i in _held(app, steps.bound["purchaser"])] == [tender["public_id"]]   # the review opinion
    refused = _renew(agency, steps.bound["agency"])
    assert refused.status_code == 409, refused.json
    error = refused.json["error"]
    assert error["code"] == "certificate_change_blocked"
    assert tender["title"] in error["message"] and tender["public_id"] in error["message"]
    assert "开标结束" in error["message"] and "2026-12-03 17:30（北京时间）" in error["message"]
    assert error["details"]["items"] == [{"kind": "tender", "id": tender["public_id"], "title": tender["title"],
                                          "deadline": window_end.isoformat(), "advice": error["details"]["items"][0]["advice"]}]
    change = agency.post(f"/api/v1/certificates/{steps.bound['agency']}/service-requests",
                         json={"kind": "change_subject", "name": "测试代理机构（更名）"})
    assert change.status_code == 409 and change.json["error"]["code"] == "certificate_change_blocked"
    replace = agency.post(f"/api/v1/certificates/{steps.bound['agency']}/service-requests", json={"kind": "replace_key"})
    assert replace.status_code == 409 and replace.json["error"]["code"] == "certificate_change_blocked"
    assert _renew(purchaser, steps.bound["purchaser"]).json["error"]["code"] == "certificate_change_blocked"

    clock.set(window_end - timedelta(microseconds=1))          # the window's last moment: still held
    assert _renew(agency, steps.bound["agency"]).status_code == 409

    clock.set(window_end)                                      # the opening is over
    assert _held(app, steps.bound["agency"]) == []
    done = _renew(agency, steps.bound["agency"])
    assert done.status_code == 201, done.json
    assert done.json["state"] == "done"
    with app.app_context():
        old = db.session.get(CertificateBinding, steps.bound["agency"])
        assert old.state == BindingState.SUPERSEDED
        assert db.session.scalars(select(CertificateBinding).where(
            CertificateBinding.superseded_by_id.is_(None), CertificateBinding.party_id == old.party_id,
            CertificateBinding.state == BindingState.ACTIVE)).first() is not None
    assert _renew(purchaser, steps.bound["purchaser"]).status_code == 201


def test_a_draft_stamped_with_a_renewed_certificate_is_stamped_again_before_publication(r10):
    app, steps = r10.app, r10
    tender = steps.ready()
    renewed = _renew(client_as(app, "agency"), steps.bound["agency"])
    assert renewed.status_code == 201, renewed.json                   # the draft did not hold it
    refused = steps.publish(tender["id"])
    assert refused.status_code == 409, refused.json
    assert "招标文件的签章证书已续期、变更或吊销" in refused.json["error"]["message"]
    assert _held(app, steps.bound["purchaser"]) == []                  # nothing was published
