"""What the agreement, document and verification tests share: clients logged in as a party's staff, valid terms, a draft."""
from __future__ import annotations

from support.auth import AuthActions

TERMS = {"project_name": "2027 年度办公设备采购", "scope": "台式计算机 200 台、打印机 30 台的采购及三年维保",
         "procurement_method": "公开招标", "budget": "1200000.00", "term_start": "2026-11-20",
         "term_end": "2027-11-30", "fee": "15000.00", "fee_terms": "由中标人在领取中标通知书时支付"}


def client_as(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def draft(app, parties, **changes) -> tuple[object, dict]:
    """A purchaser client and the answer of a new draft (201)."""
    client = client_as(app, "purchaser")
    answer = client.post("/api/v1/agreements", json={**TERMS, "agency_id": parties["agency"], **changes})
    assert answer.status_code == 201, answer.json
    return client, answer.json


def stamped_agreement(app, parties, bound, purchaser_signer, agency_signer) -> tuple[str, bytes]:
    """An agreement stamped by the purchaser and the agency: its document's public id and final PDF."""
    from support.stamping import stamp_via_api
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    assert stamp_via_api(purchaser, public_id, bound["purchaser"], purchaser_signer).status_code == 201
    agency = client_as(app, "agency")
    assert stamp_via_api(agency, public_id, bound["agency"], agency_signer).status_code == 201
    answer = agency.get(f"/documents/{public_id}.pdf")
    assert answer.status_code == 200
    return public_id, answer.data
