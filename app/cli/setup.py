"""``flask setup-dev``: the idempotent developer set-up after ``flask db upgrade``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.accounts import ensure_demo_accounts
from app.cli.common import OneLineCommand, refusals, softhsm_dir
from app.cli.demo import run_demo_init
from app.cli.devca import ensure_devca, print_devca
from app.cli.tokens import describe
from app.experts.support import ensure_platform_token


@click.command("setup-dev", cls=OneLineCommand)
@with_appcontext
def setup_dev() -> None:
    """Idempotent developer set-up after ``flask db upgrade``: dev CA and platform certificates,
    then the demo parties and the demo log-in accounts (their staff, an operator, a supervisor);
    prints where everything is, and names any demo token locked by wrong PINs with the command
    that unlocks it (set-up never resets a lock by itself)."""
    with refusals():
        ca, chains, services = ensure_devca()
        print_devca(chains, services)
        token_label, token_created = ensure_platform_token()
        click.echo(f"setup-dev: 平台令牌 {token_label}（专家事件证书密钥）{'已创建 (created)' if token_created else '已存在 (exists)'}"
                   f"，PIN 见 instance/platform_token_pin (platform token for experts' event keys)")
        summary = run_demo_init(ca)
        accounts = ensure_demo_accounts({p.key: p.party_id for p in summary.parties})
        warnings = _other_base_url(services[0].cert_path) + _locked_tokens(summary.parties)
    for line in summary.lines() + accounts.lines():
        click.echo(line)
    for line in warnings:
        click.echo(f"setup-dev: 注意 WARNING {line}")
    click.echo("setup-dev: done")


def _other_base_url(cert_path: Path) -> list[str]:
    """A line if certificates made earlier point their CRLs at another base URL than
    ``PUBLIC_BASE_URL`` (the CA was made for another port: set-up keeps what is still valid)."""
    from pki.certs import load_certificate
    base = current_app.config["PUBLIC_BASE_URL"]
    urls = [point.url for point in load_certificate(cert_path.read_bytes()).crl_distribution_points]
    stale = [url for url in urls if url and not url.startswith(base + "/")]
    if not stale:
        return []
    line = (f"已有证书的 CRL 地址是 {stale[0]}，不在 {base} 下；重新生成请先 make clean-instance "
            f"(certificates made earlier point at {stale[0]}, not under {base}: make clean-instance, then set up again)")
    return [line]


def _locked_tokens(parties: list[Any]) -> list[str]:
    """A line for each demo party whose token is locked (R9: ten wrong PINs)."""
    from devsetup.softhsm import use_softhsm_dir
    from pki import pkcs11 as tokens
    lines = []
    for party in parties:
        if party.token_label:
            use_softhsm_dir(softhsm_dir())
            status = tokens.pin_status(party.token_label)
            if status.locked:
                lines.append(describe(status, party.token_label, party.key))
    return lines
