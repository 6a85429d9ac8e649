"""The award's rules and doors (docs/award.md): choosing the second-ranked bidder needs a reason,
which the confirmation then states; until it is stamped the purchaser may choose again and the old
confirmation can no longer be stamped; another purchaser cannot confirm; the pages show each party
its part (and a bidder only its own notice); the OCDS package carries the award and validates."""
from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from support.auth import AuthActions, test_uow

from bidding.accounts.models import Role
from bidding.accounts.services import create_account
from bidding.parties.models import PartyKind
from bidding.parties.services import register_party
from pki.identity import credit_code_check_char

PUBLICATION = Path(__file__).resolve().parents[1] / "publication" / "conftest.py"


def _ocds_problems(package: dict) -> dict:
    """libcoveocds's findings on ``package`` as tests/integration/publication checks them (offline,
    on the pinned OCDS 1.1.5 schema)."""
    spec = importlib.util.spec_from_file_location("publication_ocds_helpers", PUBLICATION)
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig
    config = LibCoveOCDSConfig({"standard_zip": helpers.standard_zip(), "context": "api"})
    with helpers.no_network():
        report = ocds_json_output("", json_data=package, lib_cove_ocds_config=config, record_pkg=False)
    found = {"validation_errors": report.get("validation_errors") or [],
             "additional_closed_codelist_values": report.get("additional_closed_codelist_values") or {},
             "additional_fields": report.get("all_additional_fields") or report.get("additional_fields") or {}}
    return {k: v for k, v in found.items() if v}


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _other_purchaser(world):
    """A second purchaser party with a staff account ``purchaser3``."""
    code17 = "11440100ACC000009"
    with world.app.app_context():
        party = register_party(test_uow(world.app), name="另一采购单位", kind=PartyKind.PURCHASER,
                               credit_code=code17 + credit_code_check_char(code17))
        create_account(test_uow(world.app), username="purchaser3", role=Role.PURCHASER_STAFF,
                       password="correct-horse-battery", display_name="另一采购人", party_id=party.id)
    client = world.app.test_client()
    assert AuthActions(client).login("purchaser3").status_code == 302
    return client


def test_second_rank_needs_a_reason_and_choices_until_stamped(award_world, tmp_path):
    world = award_world
    other = _other_purchaser(world)
    refused = other.post(world.url(), json={"bid_id": world.ev.bids["supplier2"]})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "award_only_purchaser"
    assert other.get(world.url()).status_code == 403
    assert other.get(f"/tenders/{world.tender_id}/award").status_code == 403

    for reason in ("", " ", "放"):
        bad = world.confirm("purchaser", "supplier", reason)
        assert bad.status_code == 400 and bad.json["error"]["code"] == "award_reason_required", (reason, bad.json)
    assert world.client("purchaser").post(world.url(), json={"bid_id": 999999}).json["error"]["code"] == \
        "award_not_in_ranking"
    assert world.state()["award"] is None                                   # nothing was recorded

    reason = "排名第一的中标候选人书面声明放弃中标"
    second = world.confirm("purchaser", "supplier", reason)
    assert second.status_code == 201, second.json
    assert second.json["award"]["rank"] == 2 and second.json["award"]["reason"] == reason
    first_document = second.json["award"]["confirmation"]["public_id"]
    pdf = world.client("purchaser").get(world.url(f"/documents/{first_document}")).data
    text = "".join(_pdf_text(pdf, tmp_path).split())          # pdftotext wraps lines and drops some blanks
    assert reason in text and "测试供应商甲" in text and "第2名" in text and "900,000.00" in text

    # a new choice before the stamp replaces the confirmation; the old one cannot be stamped
    again = world.confirm("purchaser", "supplier2")
    assert again.status_code == 201 and again.json["award"]["rank"] == 1 and again.json["award"]["reason"] is None
    current = again.json["award"]["confirmation"]["public_id"]
    assert current != first_document
    stale = world.stamp("purchaser", first_document)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "document_stamp_not_allowed", stale.json
    assert world.stamp("purchaser", current).status_code == 201
    assert world.state()["award"]["state"] == "confirmed"
    bad_days = world.make_notices(contract_within_days=0)
    assert bad_days.status_code == 422
    assert world.make_notices().status_code == 201


def test_pages_and_the_ocds_award(award_world):
    world = award_world
    tid = world.tender_id
    purchaser, agency = world.client("purchaser"), world.client("agency")
    page = purchaser.get(f"/tenders/{tid}/award")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="ranking"' in body and "测试供应商乙" in body and 'id="confirm-form"' in body
    tender_page = purchaser.get(f"/tenders/{tid}").get_data(as_text=True)
    assert f"/tenders/{tid}/award" in tender_page

    # the page form: a lower rank without a reason is refused on the page, with the reason it is accepted
    refused = purchaser.post(f"/tenders/{tid}/award", data={"bid_id": world.ev.bids["supplier"], "reason": ""})
    assert refused.status_code == 400 and "须说明理由" in refused.get_data(as_text=True)
    done = purchaser.post(f"/tenders/{tid}/award", data={"bid_id": world.ev.bids["supplier2"], "reason": ""})
    assert done.status_code == 302
    page = purchaser.get(f"/tenders/{tid}/award").get_data(as_text=True)
    assert 'id="stamp-panel"' in page and "已选择中标人，待采购人签章确认" in page
    confirmation = world.state()["award"]["confirmation"]["public_id"]
    assert world.stamp("purchaser", confirmation).status_code == 201

    notices = agency.get(f"/tenders/{tid}/award/notices").get_data(as_text=True)
    assert 'id="notices-form"' in notices
    assert agency.get(f"/tenders/{tid}/award").status_code == 403               # the purchaser's page
    made = agency.post(f"/tenders/{tid}/award/notices", data={"contract_within_days": "25", "performance_period": "",
                                                              "notes": ""})
    assert made.status_code == 302
    notices = agency.get(f"/tenders/{tid}/award/notices").get_data(as_text=True)
    assert 'id="stamp-panel"' in notices and "签章发出：中标通知书" in notices
    assert notices.count('class="notice-row"') == 2
    state = world.state("agency")
    assert world.stamp("agency", state["award"]["notice"]["public_id"]).status_code == 201
    assert world.stamp("agency", state["award"]["results"][0]["document"]["public_id"]).status_code == 201
    assert 'id="all-sent"' in agency.get(f"/tenders/{tid}/award/notices").get_data(as_text=True)
    assert 'id="stamp-panel"' not in purchaser.get(f"/tenders/{tid}/award/notices").get_data(as_text=True)

    won = world.client("supplier2").get(f"/tenders/{tid}/award/my-notice")
    assert won.status_code == 200 and 'id="won"' in won.get_data(as_text=True)
    lost = world.client("supplier").get(f"/tenders/{tid}/award/my-notice").get_data(as_text=True)
    assert 'id="not-won"' in lost and "第 2 名" in lost
    bidder_page = world.client("supplier").get(f"/tenders/{tid}").get_data(as_text=True)
    assert f"/tenders/{tid}/award/my-notice" in bidder_page

    # OCDS: the award release, valid, its document a route of the platform
    package = world.app.test_client().get(f"/tenders/{tid}/ocds.json").get_json()
    assert _ocds_problems(package) == {}, json.dumps(_ocds_problems(package), ensure_ascii=False, default=str)[:3000]
    last = package["releases"][-1]
    assert last["tag"] == ["award"] and last["tender"]["status"] == "complete"
    [award] = last["awards"]
    assert award["status"] == "active" and award["value"] == {"amount": 1000000, "currency": "CNY"}
    with world.app.app_context():
        from bidding.award.services import award_of
        row_id = award_of(test_uow(world.app), tid).id
    assert award["id"] == last["id"] == f"{last['ocid']}-award-{row_id}"     # what a contract's awardID names
    assert award["suppliers"][0]["name"] == "测试供应商乙"
    [document] = award["documents"]
    assert document["documentType"] == "awardNotice" and document["url"].endswith(
        f"/award/documents/{state['award']['notice']['public_id']}.pdf")
    adapter = world.app.url_map.bind("localhost")
    assert adapter.match(urlsplit(document["url"]).path)[0] == "award.document_pdf"
    [supplier] = [p for p in last["parties"] if "supplier" in p["roles"]]
    assert supplier["name"] == "测试供应商乙"
    assert all("awards" not in r for r in package["releases"][:-1])
