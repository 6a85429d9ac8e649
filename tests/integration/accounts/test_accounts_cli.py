"""``flask accounts create`` / ``list`` and the demo accounts that ``flask setup-dev`` makes."""
from __future__ import annotations

import stat

from sqlalchemy import select

from app.cli.accounts import ensure_demo_accounts
from app.extensions import db
from bidding.accounts.models import Account, Role
from bidding.accounts.services import authenticate_password
from support.auth import make_party, test_uow


def test_create_an_operator(runner, app, monkeypatch):
    monkeypatch.setenv("OP_PASSWORD", "operator-password-1")
    result = runner.invoke(args=["accounts", "create", "--username", "root.op", "--role", "operator",
                                 "--password-env", "OP_PASSWORD"])
    assert result.exit_code == 0, result.output
    assert "root.op" in result.output
    with app.app_context():
        account = authenticate_password(test_uow(app), "root.op", "operator-password-1")
        assert account.role is Role.OPERATOR and account.party_id is None
    listed = runner.invoke(args=["accounts", "list"])
    assert listed.exit_code == 0 and "root.op operator" in listed.output


def test_create_a_supplier_staff_account(runner, app, monkeypatch):
    supplier = make_party(app, "supplier")
    monkeypatch.setenv("PW", "staff-password-1")
    result = runner.invoke(args=["accounts", "create", "--username", "staff", "--role", "supplier_staff",
                                 "--party-id", str(supplier), "--password-env", "PW", "--display-name", "张三"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.username == "staff"))
        assert (account.party_id, account.display_name) == (supplier, "张三")


def test_refusals_are_one_line(runner, app, monkeypatch):
    monkeypatch.setenv("PW", "staff-password-1")
    cases = [
        (["--username", "staff", "--role", "supplier_staff", "--password-env", "PW"], "needs its supplier party"),
        (["--username", "op", "--role", "operator", "--password-env", "PW"], "3–64"),
        (["--username", "oper", "--role", "operator", "--password-env", "UNSET_VAR"], "UNSET_VAR"),
        (["--username", "oper", "--role", "king", "--password-env", "PW"], "king"),
    ]
    for args, expected in cases:
        result = runner.invoke(args=["accounts", "create", *args])
        assert result.exit_code != 0, args
        assert expected in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "Traceback" not in result.output
    monkeypatch.setenv("SHORT", "short")
    weak = runner.invoke(args=["accounts", "create", "--username", "oper", "--role", "operator",
                               "--password-env", "SHORT"])
    assert weak.exit_code == 1 and "至少 10 个字符" in weak.output


def test_demo_accounts_are_made_once_with_passwords_in_secrets(app):
    parties = {key: make_party(app, key) for key in ("supplier", "agency", "purchaser")}
    with app.app_context():
        secrets_file = ensure_demo_accounts(parties).secrets_file
    secrets_file.write_text(secrets_file.read_text() + "supplier.user_pin = 123456\n")   # demo init's lines stay
    with app.app_context():
        again = ensure_demo_accounts(parties)
        assert again.created == []
        lines = dict(line.split(" = ") for line in secrets_file.read_text().splitlines() if " = " in line)
        assert lines["supplier.user_pin"] == "123456"
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
        for username, role in (("supplier", Role.SUPPLIER_STAFF), ("agency", Role.AGENCY_STAFF),
                               ("purchaser", Role.PURCHASER_STAFF), ("operator", Role.OPERATOR),
                               ("supervisor", Role.SUPERVISOR)):
            account = authenticate_password(test_uow(app), username, lines[f"{username}.login_password"])
            assert account.role is role
        assert db.session.get(Account, 1).party_id == parties["supplier"]
        assert len(db.session.scalars(select(Account)).all()) == 5
