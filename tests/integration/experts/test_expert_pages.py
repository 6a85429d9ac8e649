"""The expert area's pages: the operator's pool (ID numbers masked), the agency's draw page, the
expert's sign-in with a code, confirming an assignment and signing the commitment letter with a
fresh code."""
from __future__ import annotations

from support.experts import SPECIALITY, code_of, id_number


def test_the_operator_keeps_the_pool_on_its_page(expert_world):
    world = expert_world
    operator = world.client("operator")
    page = operator.get("/operator/experts").get_data(as_text=True)
    number = id_number(1)
    assert world.names["e1"] in page and number not in page and number[:3] + "*" * 11 + number[-4:] in page
    added = operator.post("/operator/experts", data={
        "name": "新专家", "id_number": id_number(31), "phone": "13700000031", "specialities": "信息化，财务",
        "region": "佛山", "employer_name": "某大学", "employer_credit_code": code_of("91440101MA5EXP031")},
        follow_redirects=True)
    assert "已将 新专家 加入专家库" in added.get_data(as_text=True)
    twice = operator.post("/operator/experts", data={
        "name": "新专家", "id_number": id_number(31), "phone": "13700000032", "specialities": "信息化",
        "region": "佛山", "employer_name": "某大学", "employer_credit_code": code_of("91440101MA5EXP031")},
        follow_redirects=True)
    assert "已在库中" in twice.get_data(as_text=True)
    bad = operator.post("/operator/experts", data={"name": "坏", "id_number": "123"}, follow_redirects=True)
    assert bad.status_code == 200 and "flash-error" in bad.get_data(as_text=True)
    conflict = operator.post(f"/operator/experts/{world.experts['e1']}/conflicts", data={
        "credit_code": code_of("91440101MA5ACC009"), "party_name": "某公司", "reason": "亲属任职"}, follow_redirects=True)
    assert "已记录回避申报" in conflict.get_data(as_text=True)
    listed = operator.get("/api/v1/experts").json
    mine = next(e for e in listed if e["id"] == world.experts["e1"])
    assert mine["conflicts"][0]["party_name"] == "某公司" and "*" in mine["id_number"]
    off = operator.post(f"/operator/experts/{world.experts['e1']}/active", data={"active": "0"}, follow_redirects=True)
    assert "已停用" in off.get_data(as_text=True)


def test_the_draw_page_the_sign_in_and_the_commitment_signature(expert_world):
    world = expert_world
    world.after_deadline()
    agency = world.client("agency")
    assert "抽取专家" in agency.get(f"/tenders/{world.tender_id}/experts").get_data(as_text=True)
    drawn = agency.post(f"/tenders/{world.tender_id}/experts", data={"speciality": SPECIALITY, "count": "3",
                                                                      "reserves": "2"}, follow_redirects=True)
    text = drawn.get_data(as_text=True)
    assert "名单已加密" in text and 'id="list-sealed"' in text

    key = _a_called_expert(world)
    expert = world.client()
    assert expert.get("/experts/assignments").headers["Location"].endswith("/experts/sign-in")
    asked = expert.post("/experts/sign-in", data={"action": "code", "contact": world.contacts[key]})
    assert 'id="code-entry"' in asked.get_data(as_text=True)
    wrong = expert.post("/experts/sign-in", data={"action": "verify", "contact": world.contacts[key], "code": "12345x"})
    assert "验证码错误" in wrong.get_data(as_text=True)
    signed_in = expert.post("/experts/sign-in", data={"action": "verify", "contact": world.contacts[key],
                                                       "code": world.last_code(key)})
    assert signed_in.headers["Location"].endswith("/experts/assignments")
    page = expert.get("/experts/assignments").get_data(as_text=True)
    assert world.tender in page and "确认参加" in page
    assignment = expert.get("/api/v1/expert-session/assignments").json[0]["id"]
    confirmed = expert.post(f"/experts/assignments/{assignment}/answer", data={"accept": "1"}, follow_redirects=True)
    assert "已确认参加" in confirmed.get_data(as_text=True)

    letter = expert.get(f"/experts/assignments/{assignment}/commitment").get_data(as_text=True)
    assert "评审专家承诺书" in letter and world.names[key] in letter
    requested = expert.post(f"/experts/assignments/{assignment}/commitment", data={"action": "code"})
    form = requested.get_data(as_text=True)
    assert 'id="signature-confirm"' in form
    request_id = form.split('name="request_id" value="')[1].split('"')[0]
    signed = expert.post(f"/experts/assignments/{assignment}/commitment", data={
        "action": "confirm", "request_id": request_id, "code": world.last_code(key)})
    assert 'id="signed"' in signed.get_data(as_text=True)
    assert expert.post("/experts/sign-out").headers["Location"].endswith("/experts/sign-in")
    assert expert.get("/experts/assignments").status_code == 302


def _a_called_expert(world) -> str:
    from sqlalchemy import select

    from app.extensions import db
    from bidding.experts.models import AssignmentState, ExpertAssignment
    with world.app.app_context():
        expert_id = db.session.scalars(select(ExpertAssignment.expert_id).where(
            ExpertAssignment.state == AssignmentState.CALLED).order_by(ExpertAssignment.position).limit(1)).one()
    return world.key_of(expert_id)
