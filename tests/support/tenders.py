"""What the tender tests share: PDFs an agency would upload (made with reportlab), a second agency
and a second purchaser with staff accounts, a filed delegation agreement made through the API
(drafted, stamped by both sides through the agent's digest signer, filed), and a tender taken step
by step through the JSON API: project, 招标文件 uploaded and stamped, review opinion written and
stamped, published."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from support.agreements import TERMS, client_as
from support.auth import PASSWORD, create_test_account, test_uow
from support.stamping import stamp_via_api

from bidding.accounts.models import Role
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from pki.identity import credit_code_check_char

PROJECT = {"title": "2027 年度办公设备采购项目", "budget": "1200000.00", "method": "公开招标",
           "description": "台式计算机 200 台、激光打印机 30 台，含三年上门维保。",
           "lots": [{"name": "台式计算机", "budget": "1000000.00"}, {"name": "激光打印机", "budget": "200000.00"}]}
REVIEW = {"opinion": "经审核，采购需求明确，资格条件和评分标准合法合规，同意发布。", "conclusion": "同意发布"}
#: extra parties: user name → (role, kind, name, first 17 characters of the credit code)
EXTRA = {"agency2": (Role.AGENCY_STAFF, PartyKind.AGENCY, "另一家代理机构", "91440101MA5ACC011"),
         "purchaser2": (Role.PURCHASER_STAFF, PartyKind.PURCHASER, "另一家采购单位", "11440100ACC000012")}


def tender_pdf(title: str = "Tender documents", pages: int = 3, *, marker: str = "") -> bytes:
    """A plain A4 PDF as an agency's own software would make it (no signature, not encrypted)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    for number in range(1, pages + 1):
        page.setFont("Helvetica", 14)
        page.drawString(72, 770, f"{title} - page {number} of {pages} {marker}")
        page.setFont("Helvetica", 10)
        for line in range(30):
            page.drawString(72, 730 - 18 * line, f"Section {number}.{line + 1}: requirements, qualifications, scoring.")
        page.showPage()
    page.save()
    return out.getvalue()


def make_extra(app, username: str) -> int:
    """One of :data:`EXTRA`'s parties with its staff account (password support.auth.PASSWORD); its party id."""
    role, kind, name, code17 = EXTRA[username]
    with app.app_context():
        party = register_party(test_uow(app), name=name, kind=kind, credit_code=code17 + credit_code_check_char(code17))
        party_id = party.id
    create_test_account(app, username=username, role=role, password=PASSWORD, display_name=f"{name}经办人",
                        party_id=party_id)
    return party_id


def filed_agreement(app, purchaser_id: int, agency_id: int, purchaser_user: str, agency_user: str,
                    purchaser_binding: int, agency_binding: int, purchaser_signer, agency_signer) -> int:
    """A delegation agreement between the two, stamped by both and filed, through the API; its id."""
    purchaser = client_as(app, purchaser_user)
    answer = purchaser.post("/api/v1/agreements", json={**TERMS, "agency_id": agency_id})
    assert answer.status_code == 201, answer.json
    agreement = answer.json
    public_id = agreement["document"]["public_id"]
    assert stamp_via_api(purchaser, public_id, purchaser_binding, purchaser_signer).status_code == 201
    agency = client_as(app, agency_user)
    assert stamp_via_api(agency, public_id, agency_binding, agency_signer).status_code == 201
    assert agency.post(f"/api/v1/agreements/{agreement['id']}/filing").status_code == 200
    return agreement["id"]


def recorded_agreement(app, purchaser_id: int, agency_id: int, *, state: str = "filed") -> int:
    """A delegation agreement written straight into the database in ``state`` (default filed, in force
    from ten days before the app's clock for a year): a shortcut for the tests whose subject is not
    the agreement (:func:`filed_agreement` makes one through the stamps and the API)."""
    from decimal import Decimal

    from app.extensions import db
    from bidding.agreements.models import AgreementState, DelegationAgreement
    with app.app_context():
        now = app.extensions["clock"].now()
        today = now.astimezone(timezone(timedelta(hours=8))).date()
        agreement = DelegationAgreement(
            purchaser_id=purchaser_id, agency_id=agency_id, project_name=TERMS["project_name"], scope=TERMS["scope"],
            procurement_method="公开招标", budget=Decimal("1200000.00"), fee=None, fee_terms="", revision=1,
            term_start=today - timedelta(days=10), term_end=today + timedelta(days=365), state=AgreementState(state), created_at=now,
            sent_at=now, filed_at=now if state == "filed" else None)
        db.session.add(agreement)
        db.session.commit()
        return agreement.id


def create_project(client, purchaser_id: int, **changes):
    return client.post("/api/v1/projects", json={**PROJECT, "purchaser_id": purchaser_id, **changes})


def upload(client, tender_id: int, data: bytes | None = None, *, name: str = "zhaobiao.pdf", seal_page: int | None = None):
    form = {"file": (io.BytesIO(tender_pdf() if data is None else data), name)}
    if seal_page is not None:
        form["seal_page"] = str(seal_page)
    return client.post(f"/api/v1/tenders/{tender_id}/documents", data=form, content_type="multipart/form-data")


def upload_amendment(client, tender_id: int, data: bytes | None = None, **fields):
    form = {"title": "第一次更正", "summary": "延长投标截止时间，补充技术参数。", **fields,
            "file": (io.BytesIO(tender_pdf("Amendment", 1) if data is None else data), "gengzheng.pdf")}
    return client.post(f"/api/v1/tenders/{tender_id}/amendments", data=form, content_type="multipart/form-data")


def iso(moment: datetime) -> str:
    return moment.isoformat()


class TenderSteps:
    """The steps of a tender through the API for the test parties of support.stamping's ``world``
    (purchaser RSA, agency EC main keys bound as ``bound``)."""

    def __init__(self, app, parties, bound, purchaser_signer, agency_signer, clock):
        self.app, self.parties, self.bound, self.clock = app, parties, bound, clock
        self.purchaser_signer, self.agency_signer = purchaser_signer, agency_signer
        self.agency, self.purchaser = client_as(app, "agency"), client_as(app, "purchaser")

    def agreement(self, *, stamped: bool = False) -> int:
        """A filed agreement between the test purchaser and agency (through the stamps when ``stamped``)."""
        if not stamped:
            return recorded_agreement(self.app, self.parties["purchaser"], self.parties["agency"])
        return filed_agreement(self.app, self.parties["purchaser"], self.parties["agency"], "purchaser", "agency",
                               self.bound["purchaser"], self.bound["agency"], self.purchaser_signer, self.agency_signer)

    def project(self, **changes) -> dict:
        answer = create_project(self.agency, self.parties["purchaser"], **changes)
        assert answer.status_code == 201, answer.json
        return answer.json

    def documents(self, tender_id: int, **kwargs) -> dict:
        answer = upload(self.agency, tender_id, **kwargs)
        assert answer.status_code == 201, answer.json
        return answer.json

    def stamp_documents(self, tender: dict):
        return stamp_via_api(self.agency, tender["documents"]["public_id"], self.bound["agency"], self.agency_signer)

    def review(self, tender_id: int, **changes) -> dict:
        answer = self.purchaser.post(f"/api/v1/tenders/{tender_id}/review-opinion", json={**REVIEW, **changes})
        assert answer.status_code == 201, answer.json
        return answer.json

    def stamp_review(self, tender: dict):
        return stamp_via_api(self.purchaser, tender["review"]["public_id"], self.bound["purchaser"],
                             self.purchaser_signer)

    def ready(self) -> dict:
        """A filed agreement, a project, its 招标文件 stamped and the review stamped: ready to publish."""
        self.agreement()
        tender = self.project()
        tender = self.documents(tender["id"])
        assert self.stamp_documents(tender).status_code == 201
        tender = self.review(tender["id"])
        assert self.stamp_review(tender).status_code == 201
        return self.agency.get(f"/api/v1/tenders/{tender['id']}").json

    def publish(self, tender_id: int, deadline: timedelta = timedelta(days=20), opening: timedelta | None = None,
                window: int | None = None):
        now = self.clock.now()
        body = {"bid_deadline": iso(now + deadline), "opening_at": iso(now + (opening or deadline))}
        if window is not None:
            body["decryption_window_minutes"] = window
        return self.agency.post(f"/api/v1/tenders/{tender_id}/publication", json=body)

    def published(self, **kwargs) -> dict:
        tender = self.ready()
        answer = self.publish(tender["id"], **kwargs)
        assert answer.status_code == 200, answer.json
        return answer.json
