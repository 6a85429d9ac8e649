"""The phase comes from the tender's times and the clock on every request, exactly at the bounds:
OPEN strictly before the deadline, CLOSED from the deadline's instant until the opening, OPENING
from the opening until the window's end, OPENED from then on; nothing flips a flag. Registration
(报名) one millisecond before the deadline is accepted, at its instant refused. Who may download what,
role by role."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from support.agreements import client_as
from support.tenders import make_extra, upload_amendment

from bidding.tenders.models import Tender, TenderPhase

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
MS, US = timedelta(milliseconds=1), timedelta(microseconds=1)


def _tender(**times) -> Tender:
    tender = Tender(published_at=T0 - timedelta(days=1), decryption_window_seconds=1800, **times)
    return tender


@pytest.mark.parametrize("at, phase", [
    (T0 - MS, TenderPhase.OPEN), (T0 - US, TenderPhase.OPEN), (T0, TenderPhase.CLOSED),
    (T0 + timedelta(hours=1) - US, TenderPhase.CLOSED), (T0 + timedelta(hours=1), TenderPhase.OPENING),
    (T0 + timedelta(hours=1, minutes=30) - US, TenderPhase.OPENING), (T0 + timedelta(hours=1, minutes=30), TenderPhase.OPENED),
    (T0 + timedelta(days=400), TenderPhase.OPENED),
])
def test_phase_at_each_bound(at, phase):
    tender = _tender(bid_deadline=T0, opening_at=T0 + timedelta(hours=1))
    assert tender.phase(at) == phase
    assert tender.window_end == T0 + timedelta(hours=1, minutes=30)


def test_opening_at_the_deadline_skips_closed_and_a_draft_is_a_draft():
    tender = _tender(bid_deadline=T0, opening_at=T0)
    assert [tender.phase(T0 - US), tender.phase(T0)] == [TenderPhase.OPEN, TenderPhase.OPENING]
    tender.decryption_window = timedelta(minutes=10)
    assert tender.decryption_window_seconds == 600 and tender.phase(T0 + timedelta(minutes=10)) == TenderPhase.OPENED
    draft = Tender(decryption_window_seconds=1800, bid_deadline=T0, opening_at=T0)
    assert draft.phase(T0 + timedelta(days=9)) == TenderPhase.DRAFT and draft.window_end == T0 + timedelta(minutes=30)
    assert Tender(decryption_window_seconds=1800).window_end is None


def test_phases_and_registration_by_the_clock(steps, clock):
    app = steps.app
    tender = steps.published(deadline=timedelta(days=10), opening=timedelta(days=10, hours=2), window=45)
    tid = tender["id"]
    deadline = datetime.fromisoformat(tender["bid_deadline"])
    opening = datetime.fromisoformat(tender["opening_at"])
    window_end = datetime.fromisoformat(tender["window_end"])
    assert window_end == opening + timedelta(minutes=45)
    make_extra(app, "agency2")
    public = app.test_client()

    def phase() -> str:
        return public.get(f"/api/v1/tenders/{tid}").json["phase"]

    supplier, supplier2 = client_as(app, "supplier"), client_as(app, "supplier2")
    for username in ("agency", "purchaser", "operator", "supervisor", "agency2"):
        assert client_as(app, username).post(f"/api/v1/tenders/{tid}/registration").status_code == 403
    assert public.post(f"/api/v1/tenders/{tid}/registration").status_code == 401

    clock.set(deadline - MS)
    assert phase() == "open"
    registered = supplier.post(f"/api/v1/tenders/{tid}/registration")
    assert registered.status_code == 201, registered.json
    assert datetime.fromisoformat(registered.json["registered_at"]) == deadline - MS

    clock.set(deadline)                           # the deadline's own instant: too late
    assert phase() == "closed"
    late = supplier2.post(f"/api/v1/tenders/{tid}/registration")
    assert late.status_code == 409 and late.json["error"]["code"] == "tender_phase"
    assert "投标截止时间" in late.json["error"]["message"] and "已过" in late.json["error"]["message"]
    assert supplier2.post(f"/tenders/{tid}/registration").status_code == 409          # the page refuses alike
    assert supplier2.get(f"/api/v1/tenders/{tid}/registration").json["error"]["code"] == "tender_not_registered"
    assert "不能再报名" in supplier2.get(f"/tenders/{tid}").get_data(as_text=True)

    for at, expected in ((opening - US, "closed"), (opening, "opening"), (window_end - US, "opening"),
                         (window_end, "opened")):
        clock.set(at)
        assert phase() == expected, at
    listed = {t["id"]: t["phase"] for t in public.get("/api/v1/tenders").json}
    assert listed == {tid: "opened"}
    # downloads stay open to the registered bidder after the deadline
    assert supplier.get(f"/api/v1/tenders/{tid}/files/documents").status_code == 200


def test_who_may_download_what(steps, clock):
    app = steps.app
    tender = steps.published()
    tid = tender["id"]
    make_extra(app, "agency2")
    make_extra(app, "purchaser2")
    supplier = client_as(app, "supplier")
    assert supplier.post(f"/api/v1/tenders/{tid}/registration").status_code == 201
    assert upload_amendment(steps.agency, tid, title="补充说明").status_code == 201     # not stamped: unpublished

    documents = f"/api/v1/tenders/{tid}/files/documents"
    review = f"/api/v1/tenders/{tid}/files/review-opinion"
    amendment = f"/api/v1/tenders/{tid}/files/amendments/1"
    pages = (f"/tenders/{tid}/documents.pdf", f"/tenders/{tid}/review.pdf", f"/tenders/{tid}/amendments/1.pdf")
    expected = {  # user → (招标文件, 审核意见书, unpublished 更正公告)
        "agency": (200, 200, 200), "purchaser": (200, 200, 200),
        "supplier": (200, 403, 404),                               # registered bidder
        "supplier2": (403, 403, 403),                              # not registered
        "agency2": (403, 403, 403), "purchaser2": (403, 403, 403),  # other parties of the same kinds
        "operator": (403, 403, 403), "supervisor": (403, 403, 403),
    }
    for username, codes in expected.items():
        client = client_as(app, username)
        got = tuple(client.get(path).status_code for path in (documents, review, amendment))
        assert got == codes, username
        got_pages = tuple(client.get(path).status_code for path in pages)
        assert got_pages == codes, username
    anonymous = app.test_client()
    assert [anonymous.get(p).status_code for p in (documents, review, amendment)] == [401, 401, 401]
    assert all(anonymous.get(p).status_code == 302 for p in pages)                # to the log-in page
    refusal = client_as(app, "supplier2").get(documents).json["error"]
    assert refusal["code"] == "tender_file_denied" and "已报名的供应商" in refusal["message"]
    body = client_as(app, "supplier").get(documents)
    assert body.mimetype == "application/pdf" and body.headers["Cache-Control"] == "private, no-store"
    # the public notice shows the tender but no file
    notice = anonymous.get(f"/api/v1/tenders/{tid}").json
    assert notice["documents"] is None and notice["review"] is None and notice["amendments"] == []
    assert notice["registered_count"] is None
    assert steps.agency.get(f"/api/v1/tenders/{tid}").json["registered_count"] == 1
    page = anonymous.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "供应商请登录后报名" in page and "documents.pdf" not in page
