"""The contract's OCDS release (bidding.contracts.publication): nothing while the contract is only
drafted or stamped; once filed, a release tagged ``contract`` with ``contracts[]`` (the award's id as
``<ocid>-award-<award id>``, value, period, dateSigned, status active, the verification page of the
signed PDF), the winner as a ``supplier`` party; the package stays valid for libcoveocds (offline,
pinned schema). The award is the rows shortcut of support.contracts."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from support.bids import bid_ca, keys  # noqa: F401  (fixtures)
from support.contracts import contract_signers, contract_world  # noqa: F401  (fixtures)
from support.evaluation import evaluation_world  # noqa: F401  (fixture)
from support.experts import expert_world  # noqa: F401  (fixture)


def test_a_filed_contract_is_published_and_the_package_validates(contract_world, ocds_problems):  # noqa: F811
    world = contract_world
    public = world.app.test_client()

    def package():
        answer = public.get(f"/tenders/{world.tender_id}/ocds.json")
        assert answer.status_code == 200
        return answer.get_json()

    before = package()
    purchaser, _, contract = world.stamped_by_both()
    assert package()["releases"] == before["releases"]                       # signed, not filed: nothing new
    assert purchaser.post(f"/api/v1/contracts/{contract['id']}/filing").status_code == 200
    published = package()
    problems = ocds_problems(published)
    assert problems == {}, json.dumps(problems, ensure_ascii=False, default=str)[:3000]
    release = published["releases"][-1]
    assert release["tag"] == ["contract"] and len(published["releases"]) == len(before["releases"]) + 1
    ocid = release["ocid"]
    assert release["id"] == f"{ocid}-contract-{contract['id']}"
    [entry] = release["contracts"]
    assert entry["awardID"] == f"{ocid}-award-{world.award_id}"
    assert entry["status"] == "active" and entry["value"] == {"amount": 900000, "currency": "CNY"}
    assert entry["dateSigned"] == entry["period"]["startDate"]
    assert entry["dateSigned"][:19] == contract["signed_at"][:19]
    assert entry["period"]["endDate"] == "2027-03-31T15:59:59Z"               # 23:59:59 Beijing time
    [document] = entry["documents"]
    assert document["documentType"] == "contractSigned"
    assert urlsplit(document["url"]).path == "/verify"
    assert public.get(urlsplit(document["url"]).path + "?" + urlsplit(document["url"]).query).status_code == 200
    [winner] = [p for p in release["parties"] if "supplier" in p["roles"]]
    assert winner["name"] == "测试供应商甲"


def test_the_contract_names_the_award_of_the_award_release(contract_world):  # noqa: F811
    """``awardID`` is the id the award area's release gives the award (``<ocid>-award-<award id>``,
    the format agreed between the two areas)."""
    world = contract_world
    purchaser, _, contract = world.stamped_by_both()
    assert purchaser.post(f"/api/v1/contracts/{contract['id']}/filing").status_code == 200
    release = world.app.test_client().get(f"/tenders/{world.tender_id}/ocds.json").get_json()["releases"][-1]
    [entry] = release["contracts"]
    assert entry["awardID"] in [a["id"] for a in release.get("awards", [])], (entry["awardID"], release.get("awards"))
