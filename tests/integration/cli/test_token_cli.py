"""`flask token status|unlock <party>` (R9): ten wrong PINs lock the demo supplier's token for good;
`setup-dev` says so and names the command; `flask token unlock supplier` (SO PIN from SECRETS.txt)
makes the PIN in SECRETS.txt open it again, or a new PIN from an environment variable."""
from __future__ import annotations

import os

import pytest
from support.cli import assert_one_line_error, invoke

from devsetup.demo import demo_secrets
from pki import pkcs11 as tokens

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)   # the tokens are the point

LABEL = "demo-supplier"


@pytest.fixture
def demo(cli_app, instance):
    """The demo set up (`flask setup-dev`); this process pointed at its tokens; the secrets."""
    result = invoke(cli_app, "setup-dev")
    assert result.exit_code == 0, result.output + result.stderr
    assert "WARNING" not in result.output
    os.environ["SOFTHSM2_CONF"] = str(instance / "softhsm" / "softhsm2.conf")
    tokens.reinitialize()
    return demo_secrets(instance / "demo")


def _lock_supplier_token() -> None:
    """Ten wrong PINs through pki, as bidtool or the signing agent would send them."""
    for _ in range(9):
        with pytest.raises(tokens.PinIncorrect):
            tokens.open_token(LABEL, pin="000000x")
    with pytest.raises(tokens.TokenLocked):
        tokens.open_token(LABEL, pin="000000x")


def test_unlock_restores_the_pin_from_secrets(cli_app, demo):
    before = invoke(cli_app, "token", "status", "supplier")
    assert before.exit_code == 0 and "未锁定，还可尝试 10 次" in before.output
    _lock_supplier_token()
    with pytest.raises(tokens.TokenLocked):
        tokens.open_token(LABEL, pin=demo["supplier"]["user_pin"])

    status = invoke(cli_app, "token", "status", "supplier")
    assert status.exit_code == 0, status.output + status.stderr
    assert "已锁定" in status.output and "flask token unlock supplier" in status.output

    again = invoke(cli_app, "setup-dev")                 # reports the lock, does not reset it
    assert again.exit_code == 0, again.output + again.stderr
    assert f"WARNING {LABEL}: 已锁定" in again.output and "flask token unlock supplier" in again.output
    assert tokens.pin_status(LABEL).locked

    result = invoke(cli_app, "token", "unlock", "supplier")
    assert result.exit_code == 0, result.output + result.stderr
    assert "已解锁" in result.output and "已锁定 locked, 10" in result.output
    assert tokens.pin_status(LABEL) == tokens.PinStatus(failures=0, remaining=10, locked=False)
    session = tokens.open_token(LABEL, pin=demo["supplier"]["user_pin"])
    key = session.find_key(label="signing-rsa")
    key.sign(b"after unlock", hash_algorithm="sha256")   # the keys are still there
    assert "未锁定，还可尝试 10 次" in invoke(cli_app, "token", "status", "supplier").output


def test_unlock_with_a_new_pin_from_the_environment(cli_app, demo):
    _lock_supplier_token()
    result = invoke(cli_app, "token", "unlock", "supplier", "--new-pin-env", "NEWPIN", env={"NEWPIN": "735902"})
    assert result.exit_code == 0, result.output + result.stderr
    assert "NEWPIN" in result.output and "735902" not in result.output
    tokens.open_token(LABEL, pin="735902")
    with pytest.raises(tokens.PinIncorrect):
        tokens.open_token(LABEL, pin=demo["supplier"]["user_pin"])


def test_refusals_are_one_line(cli_app, demo):
    assert "expert" in assert_one_line_error(invoke(cli_app, "token", "unlock", "expert"))
    assert "NEWPIN" in assert_one_line_error(invoke(cli_app, "token", "unlock", "supplier", "--new-pin-env",
                                                    "NEWPIN", env={"NEWPIN": ""}))
    assert tokens.pin_status(LABEL).failures == 0


def test_without_demo_data(cli_app):
    assert "flask demo init" in assert_one_line_error(invoke(cli_app, "token", "status", "supplier"))
