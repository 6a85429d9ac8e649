"""``flask token status <party>`` and ``flask token unlock <party>``: the PIN state of a demo
party's token, and the SO-PIN unlock after ten wrong PINs (R9).

SoftHSM2 never locks a PIN, so the platform counts wrong PINs itself (:class:`pki.pkcs11.PinCounter`);
a locked token stays locked until someone with the SO PIN unlocks it. Both commands go through the
same :mod:`pki.pkcs11` functions (:func:`~pki.pkcs11.pin_status`, :func:`~pki.pkcs11.unlock_with_so_pin`)
that the service desk (解锁申请) will call; here the SO PIN and the user PIN come from the demo's
``SECRETS.txt``, and a new PIN only from an environment variable (``--new-pin-env VAR``).
"""
from __future__ import annotations

from typing import Any

import click

from app.cli.common import (
    OneLineGroup,
    demo_dir,
    refusals,
    secret_from_env,
    softhsm_dir,
)

token_cli = OneLineGroup("token", help="演示主体的令牌：PIN 状态、以 SO PIN 解锁 (demo tokens: PIN status, SO-PIN unlock).")


def demo_token(party: str) -> dict[str, str]:
    """The SECRETS.txt entry (``token``, ``user_pin``, ``so_pin``) of demo party ``party``, with
    this process pointed at the demo's SoftHSM directory."""
    from devsetup.demo import demo_secrets
    from devsetup.softhsm import use_softhsm_dir
    known = demo_secrets(demo_dir())
    if not known:
        raise click.ClickException(f"尚无演示数据，请运行 flask demo init (no demo data in {demo_dir()}: run "
                                   f"flask demo init)")
    with_token = sorted(key for key, values in known.items() if "token" in values)
    mine = known.get(party)
    if mine is None or "token" not in mine or "so_pin" not in mine:
        raise click.ClickException(f"演示主体 {party!r} 没有令牌 (demo party {party!r} has no token; parties "
                                   f"with a token: {', '.join(with_token) or '—'})")
    use_softhsm_dir(softhsm_dir())
    return mine


def describe(status: Any, label: str, party: str) -> str:
    """One line: how many wrong PINs, how many left, or locked and which command unlocks it."""
    if status.locked:
        return (f"{label}: 已锁定，PIN 连续错误 {status.failures} 次；解锁：flask token unlock {party} "
                f"(locked after {status.failures} wrong PINs; unlock with `flask token unlock {party}`)")
    return (f"{label}: 未锁定，还可尝试 {status.remaining} 次 (not locked: {status.failures} wrong PINs so far, "
            f"{status.remaining} left)")


@token_cli.command("status")
@click.argument("party")
def token_status(party: str) -> None:
    """Wrong PINs so far, tries left, or locked, for the token of demo PARTY (supplier, agency,
    purchaser)."""
    from pki import pkcs11 as tokens
    with refusals():
        label = demo_token(party)["token"]
        status = tokens.pin_status(label)
    click.echo(describe(status, label, party))


@token_cli.command("unlock")
@click.argument("party")
@click.option("--new-pin-env", metavar="VAR",
              help="环境变量名，其值为新的用户 PIN；缺省恢复为 SECRETS.txt 中的 PIN (env variable holding a new "
                   "user PIN; default: the user PIN in SECRETS.txt).")
def token_unlock(party: str, new_pin_env: str | None) -> None:
    """Unlock the token of demo PARTY with its SO PIN (from SECRETS.txt): set the user PIN (back to
    the one in SECRETS.txt, or the one in --new-pin-env VAR) and clear the wrong-PIN count."""
    from pki import pkcs11 as tokens
    with refusals():
        mine = demo_token(party)
        new_pin = secret_from_env(new_pin_env, "新 PIN") if new_pin_env else mine["user_pin"]
        before = tokens.pin_status(mine["token"])
        tokens.unlock_with_so_pin(mine["token"], mine["so_pin"], new_pin)  # type: ignore[arg-type]
    was = f"已锁定 locked, {before.failures}" if before.locked else f"{before.failures}"
    click.echo(f"{mine['token']}: 已解锁，错误次数清零 (unlocked; wrong PINs were: {was})")
    if new_pin_env:
        click.echo(f"{mine['token']}: 用户 PIN 已改为 {new_pin_env} 中的值；SECRETS.txt 中的 user_pin 不再适用 "
                   f"(the user PIN is now the one in {new_pin_env}; SECRETS.txt's user_pin no longer opens it)")
    else:
        click.echo(f"{mine['token']}: 用户 PIN 为 SECRETS.txt 中的 {party}.user_pin (the user PIN is {party}.user_pin "
                   f"in SECRETS.txt)")
