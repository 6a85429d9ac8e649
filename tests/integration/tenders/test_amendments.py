"""Amendments (更正公告) after publication: a stamped PDF each, published by its stamp; the deadline
moves only later (the opening with it, keeping opening ≥ deadline), never earlier; every registered
bidder is told (站内通知 and the notifier's outbox), nobody else; nothing changes until the stamp;
after the deadline no amendment is taken or stamped."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from support.agreements import client_as
from support.stamping import stamp_via_api
from support.tenders import iso, make_extra, upload_amendment

from app.extensions import db
from bidding.notify.models import OutboxMessage
from bidding.parties.models import Notice
from bidding.tenders.listeners import register_times_listener, unregister_times_listener


def _notices(app, party_id: int) -> list[str]:
    with app.app_context():
        return [n.text for n in db.session.scalars(select(Notice).where(Notice.party_id == party_id).order_by(Notice.id))]


def _outbox(app, party_id: int) -> list[str]:
    with app.app_context():
        return [m.subject for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.party_id == party_id))]


def test_moving_the_deadline_later_notifies_every_registered_bidder(steps, clock):
    app = steps.app
    seen = []
    listener = register_times_listener(lambda uow, tender: seen.append((tender.bid_deadline, tender.opening_at)))
    try:
        tender = steps.published(deadline=timedelta(days=20), opening=timedelta(days=20, hours=1))
        tid = tender["id"]
        deadline, opening = (datetime.fromisoformat(tender[k]) for k in ("bid_deadline", "opening_at"))
        assert seen == [(deadline, opening)]                      # publication set the times
        make_extra(app, "agency2")
        for username in ("supplier", "supplier2"):
            assert client_as(app, username).post(f"/api/v1/tenders/{tid}/registration").status_code == 201
        parties = steps.parties

        for new, words in ((deadline - timedelta(hours=1), "投标截止时间只能推迟"), (deadline, "投标截止时间只能推迟")):
            refused = upload_amendment(steps.agency, tid, new_bid_deadline=iso(new))
            assert refused.status_code == 400 and refused.json["error"]["code"] == "tender_times_invalid"
            assert refused.json["error"]["details"]["field"] == "new_bid_deadline" and words in refused.json["error"]["message"]
        refused = upload_amendment(steps.agency, tid, new_opening_at=iso(opening - timedelta(minutes=1)))
        assert "开标时间只能推迟" in refused.json["error"]["message"]
        refused = upload_amendment(steps.agency, tid, new_bid_deadline=iso(deadline + timedelta(days=5)),
                                   new_opening_at=iso(deadline + timedelta(days=4)))
        assert "不得早于投标截止时间" in refused.json["error"]["message"]
        assert client_as(app, "agency2").post(f"/api/v1/tenders/{tid}/amendments").status_code == 422
        other = upload_amendment(client_as(app, "agency2"), tid, new_bid_deadline=iso(deadline + timedelta(days=5)))
        assert other.status_code == 403 and other.json["error"]["code"] == "tender_not_the_agency"

        made = upload_amendment(steps.agency, tid, title="关于延长投标截止时间的更正公告", summary="因技术参数调整，投标截止时间顺延五天。",
                                new_bid_deadline=iso(deadline + timedelta(days=5)))
        assert made.status_code == 201, made.json
        assert made.json["published_at"] is None and made.json["seq"] == 1
        assert datetime.fromisoformat(made.json["new_opening_at"]) == opening + timedelta(days=5)   # moved with it
        unchanged = client_as(app, "supplier").get(f"/api/v1/tenders/{tid}").json
        assert unchanged["bid_deadline"] == tender["bid_deadline"] and unchanged["amendments"] == []   # not yet
        before = len(_notices(app, parties["supplier"]))

        stamped = stamp_via_api(steps.agency, made.json["document"]["public_id"], steps.bound["agency"],
                                steps.agency_signer)
        assert stamped.status_code == 201, stamped.json
        after = client_as(app, "supplier").get(f"/api/v1/tenders/{tid}").json
        assert datetime.fromisoformat(after["bid_deadline"]) == deadline + timedelta(days=5)
        assert datetime.fromisoformat(after["opening_at"]) == opening + timedelta(days=5)
        assert [a["seq"] for a in after["amendments"]] == [1] and after["amendments"][0]["published_at"] is not None
        assert datetime.fromisoformat(after["amendments"][0]["old_bid_deadline"]) == deadline
        assert seen[-1] == (deadline + timedelta(days=5), opening + timedelta(days=5))
        for bidder in ("supplier", "supplier2"):
            notices = _notices(app, parties[bidder])
            assert "推迟至" in notices[-1] and "关于延长投标截止时间的更正公告" in notices[-1]
            assert f"更正公告：{tender['title']}" in _outbox(app, parties[bidder])
        assert len(_notices(app, parties["supplier"])) == before + 1
        assert not any("推迟至" in n for n in _notices(app, parties["agency"]))
        assert "推迟至" in _notices(app, parties["purchaser"])[-1]
        pdf = client_as(app, "supplier").get(f"/api/v1/tenders/{tid}/files/amendments/1")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
        again = stamp_via_api(steps.agency, made.json["document"]["public_id"], steps.bound["agency"], steps.agency_signer)
        assert again.status_code == 409                                         # published once

        # registration stays open until the new deadline
        clock.set(deadline + timedelta(hours=1))
        assert client_as(app, "supplier2").get(f"/api/v1/tenders/{tid}").json["phase"] == "open"
    finally:
        unregister_times_listener(listener)


def test_no_amendment_after_the_deadline(steps, clock):
    tender = steps.published(deadline=timedelta(days=3))
    tid = tender["id"]
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    made = upload_amendment(steps.agency, tid, title="补充说明", summary="补充技术参数表。")
    assert made.status_code == 201
    clock.set(deadline)
    late = upload_amendment(steps.agency, tid, new_bid_deadline=iso(deadline + timedelta(days=3)))
    assert late.status_code == 409 and late.json["error"]["code"] == "tender_phase"
    stamp = steps.agency.post(f"/api/v1/documents/{made.json['document']['public_id']}/stamp-sessions",
                              json={"binding_id": steps.bound["agency"]})
    assert stamp.status_code == 409 and stamp.json["error"]["code"] == "tender_phase"
    assert steps.agency.get(f"/api/v1/tenders/{tid}/amendments").json[0]["published_at"] is None


def test_an_amendment_stamped_after_its_new_deadline_is_no_longer_later(steps, clock):
    """Two amendments prepared on the same deadline: once the first moved it further, the second
    (an earlier new deadline than the current one) can no longer be published."""
    tender = steps.published(deadline=timedelta(days=10))
    tid = tender["id"]
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    first = upload_amendment(steps.agency, tid, new_bid_deadline=iso(deadline + timedelta(days=10))).json
    second = upload_amendment(steps.agency, tid, new_bid_deadline=iso(deadline + timedelta(days=2))).json
    assert stamp_via_api(steps.agency, first["document"]["public_id"], steps.bound["agency"],
                         steps.agency_signer).status_code == 201
    refused = steps.agency.post(f"/api/v1/documents/{second['document']['public_id']}/stamp-sessions",
                                json={"binding_id": steps.bound["agency"]})
    assert refused.status_code == 400 and "投标截止时间只能推迟" in refused.json["error"]["message"]
    page = steps.agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "第 2 号更正公告" in page and "待签章发布" in page


def test_the_amendment_form(steps):
    tender = steps.published(deadline=timedelta(days=10))
    tid = tender["id"]
    import io
    from support.tenders import tender_pdf
    page = steps.agency.post(f"/tenders/{tid}/amendments", data={
        "title": "更正", "summary": "提前截止", "new_bid_deadline": "2026-11-24T10:00", "new_opening_at": "",
        "seal_page": "0", "file": (io.BytesIO(tender_pdf("Amendment", 1)), "a.pdf")}, content_type="multipart/form-data")
    assert page.status_code == 400 and "投标截止时间只能推迟" in page.get_data(as_text=True)
    page = steps.agency.post(f"/tenders/{tid}/amendments", data={
        "title": "更正", "summary": "顺延", "new_bid_deadline": "2026-12-10T10:00", "new_opening_at": "",
        "seal_page": "0", "file": (io.BytesIO(tender_pdf("Amendment", 1)), "a.pdf")}, content_type="multipart/form-data")
    assert page.status_code == 302
    detail = steps.agency.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "待签章：第 1 号更正公告" in detail and "2026-12-10 10:00" in detail
