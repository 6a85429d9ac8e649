"""``flask accounts create`` / ``flask accounts list``, and the demo accounts of ``flask setup-dev``.

Passwords come from an environment variable the user names (``--password-env VAR``), never from
the command line. The demo accounts' passwords are random and kept in ``instance/demo/SECRETS.txt``
(``<username>.login_password = …``) beside the demo PINs.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import select

from app.cli.common import OneLineGroup, demo_dir, refusals, secret_from_env
from bidding.accounts.models import Account, Role

accounts_cli = OneLineGroup("accounts", help="登录账户 (log-in accounts).")

#: The demo accounts: user name, role, display name, and the demo party key it works for.
DEMO_ACCOUNTS: tuple[tuple[str, Role, str, str | None], ...] = (
    ("supplier", Role.SUPPLIER_STAFF, "供应商经办人（演示）", "supplier"),
    ("agency", Role.AGENCY_STAFF, "代理机构经办人（演示）", "agency"),
    ("purchaser", Role.PURCHASER_STAFF, "采购人经办人（演示）", "purchaser"),
    ("operator", Role.OPERATOR, "平台运营（演示）", None),
    ("supervisor", Role.SUPERVISOR, "监管人员（演示）", None),
)
PASSWORD_KEY = "login_password"


@accounts_cli.command("create")
@click.option("--username", required=True, help="3–64 characters: a-z 0-9 . _ -")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--party-id", type=int, help="the party of a staff account (supplier_staff, agency_staff, purchaser_staff)")
@click.option("--display-name", help="the name shown on the pages (default: the user name)")
@click.option("--password-env", required=True, metavar="VAR", help="environment variable holding the password")
def accounts_create(username: str, role: str, party_id: int | None, display_name: str | None,
                    password_env: str) -> None:
    """Create a log-in account (e.g. the first operator)."""
    from app import context
    from bidding.accounts.services import create_account
    password = secret_from_env(password_env, "口令 (password)")
    with refusals():
        account = create_account(context.uow(), username=username, role=Role(role), password=password or "",
                                 display_name=display_name, party_id=party_id)
        click.echo(f"accounts: 已创建 created #{account.id} {account.username} ({account.role.value}"
                   f"{f', party #{account.party_id}' if account.party_id else ''})")


@accounts_cli.command("list")
def accounts_list() -> None:
    """Print every account: id, user name, role, party, locked or inactive."""
    from app.extensions import db
    with refusals():
        for a in db.session.scalars(select(Account).order_by(Account.id)):
            state = "" if a.active else " inactive"
            if a.locked_until:
                state += f" locked-until {a.locked_until:%Y-%m-%d %H:%M}Z"
            party = f" party #{a.party_id}" if a.party_id else ""
            click.echo(f"#{a.id} {a.username} {a.role.value}{party}{state}")


@dataclass
class DemoAccounts:
    created: list[str]
    secrets_file: Path

    def lines(self) -> list[str]:
        made = ", ".join(self.created) or "—"
        return [f"演示账户 (demo accounts) supplier, agency, purchaser, operator, supervisor；新建 created: {made}；"
                f"口令见 {self.secrets_file}: <用户名>.{PASSWORD_KEY}"]


def ensure_demo_accounts(party_ids: dict[str, int]) -> DemoAccounts:
    """The demo accounts, created through ``create_account`` if missing (idempotent), bound to the
    demo parties (``party_ids``: demo party key → party id); their random passwords are added to
    SECRETS.txt before the accounts are made, so a password is never lost."""
    from app import context
    from app.extensions import db
    from bidding.accounts.services import create_account
    path = demo_dir() / "SECRETS.txt"
    missing = [spec for spec in DEMO_ACCOUNTS
               if db.session.scalars(select(Account.id).where(Account.username == spec[0])).first() is None]
    known = _add_passwords(path, [spec[0] for spec in missing])
    for username, role, display_name, party_key in missing:
        create_account(context.uow(), username=username, role=role, display_name=display_name,
                       password=known[username], party_id=party_ids[party_key] if party_key else None)
    return DemoAccounts([spec[0] for spec in missing], path)


_LINE = re.compile(r"^([a-z_]+)\.([a-z_]+) = (.*)$")


def _add_passwords(path: Path, usernames: list[str]) -> dict[str, str]:
    """The log-in passwords of ``usernames`` from SECRETS.txt, appending a random one for each
    user name that has none (the file stays 0600; other lines are kept as they are)."""
    from pki.files import write_atomic
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    known = {m.group(1): m.group(3) for m in map(_LINE.match, text.splitlines())
             if m and m.group(2) == PASSWORD_KEY}
    new = [f"{name}.{PASSWORD_KEY} = {secrets.token_urlsafe(12)}" for name in usernames if name not in known]
    if new:
        if text and not text.endswith("\n"):
            text += "\n"
        write_atomic(path, (text + "\n".join(new) + "\n").encode("utf-8"), mode=0o600)
        return _add_passwords(path, [])
    return known
