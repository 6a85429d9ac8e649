"""The evaluation's pages: the agency's scheme form refuses bad input; the expert fills and signs its
qualification sheet through the forms (code, then signature)."""
from __future__ import annotations

import json
import re

from support.evaluation import SCHEME, start_evaluation


def test_the_agency_page_and_the_scheme_form(expert_world):
    agency = expert_world.client("agency")
    url = f"/tenders/{expert_world.tender_id}/evaluation"
    page = agency.get(url)
    assert page.status_code == 200 and "评标办法" in page.get_data(as_text=True)
    bad = agency.post(f"{url}/scheme", data={"scheme": "{not json"}, follow_redirects=True)
    assert "评标办法应为 JSON" in bad.get_data(as_text=True)
    wrong = agency.post(f"{url}/scheme", data={"scheme": json.dumps({**SCHEME, "price_weight": "10"})},
                        follow_redirects=True)
    assert "权重之和应为 100" in wrong.get_data(as_text=True)
    saved = agency.post(f"{url}/scheme", data={"scheme": json.dumps(SCHEME)}, follow_redirects=True)
    assert "评标办法已保存" in saved.get_data(as_text=True)
    assert expert_world.client("supplier").get(url).status_code == 403


def test_an_expert_fills_and_signs_through_the_pages(expert_world):
    world = start_evaluation(expert_world)
    key = world.evaluators[0]
    client = world.clients[key]
    url = f"/experts/evaluations/{world.tender_id}"
    page = client.get(url).get_data(as_text=True)
    assert "资格审查表" in page
    form = {"kind": "qualification", **{f"bid-{b}": "pass" for b in world.bids.values()}}
    form[f"bid-{world.bids['supplier']}"] = "fail"
    refused = client.post(f"{url}/sheets", data=form, follow_redirects=True).get_data(as_text=True)
    assert "不通过须说明理由" in refused
    form[f"reason-{world.bids['supplier']}"] = "营业执照过期"
    filled = client.post(f"{url}/sheets", data=form, follow_redirects=True).get_data(as_text=True)
    assert "评审表已保存" in filled
    sheet_id = int(re.search(r'/experts/sheets/(\d+)/sign', filled).group(1))
    world.tick()
    asked = client.post(f"/experts/sheets/{sheet_id}/sign", data={"action": "code", "tender_id": world.tender_id},
                        follow_redirects=True).get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="(\d+)"', asked).group(1)
    signed = client.post(f"/experts/sheets/{sheet_id}/sign", follow_redirects=True, data={
        "action": "confirm", "tender_id": world.tender_id, "request_id": request_id,
        "code": world.base.last_code(key)}).get_data(as_text=True)
    assert "已用专家事件证书签名" in signed and "已签名" in signed
    # another expert's page shows none of it
    other = world.clients[world.evaluators[1]].get(url).get_data(as_text=True)
    assert "营业执照过期" not in other
