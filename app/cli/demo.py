"""``flask demo init`` and ``flask demo show``: the demo parties, their tokens and certificates."""
from __future__ import annotations

from typing import Any

import click

from app.cli.common import OneLineGroup, demo_dir, refusals, softhsm_dir
from app.cli.devca import ensure_devca

demo_cli = OneLineGroup("demo", help="演示数据：演示主体、证书与令牌 (demo data).")


def run_demo_init(ca: Any = None) -> Any:
    """The demo parties, tokens and certificates (making the CA first if ``ca`` is not given);
    returns the :class:`devsetup.demo.DemoSummary`."""
    from app import context
    from devsetup.demo import init_demo
    if ca is None:
        ca, _, _ = ensure_devca()
    return init_demo(context.uow(), ca, demo_dir(), softhsm_dir())


@demo_cli.command("init")
def demo_init() -> None:
    """Create the demo parties (supplier, agency, purchaser, expert), their SoftHSM2 tokens and
    certificates under instance/demo and instance/softhsm, if not there yet (idempotent)."""
    with refusals():
        summary = run_demo_init()
    made = ", ".join(summary.created_parties) or "—"
    issued = ", ".join(summary.issued_for) or "—"
    click.echo(f"demo: 新建主体 created parties: {made}; 新签证书 new certificates for: {issued}")


@demo_cli.command("show")
def demo_show() -> None:
    """Print the demo parties, their certificates, tokens and key URIs."""
    from devsetup.demo import load_demo
    parties = load_demo(demo_dir())
    if not parties:
        raise click.ClickException("尚无演示数据，请运行 flask demo init (no demo data: run flask demo init)")
    for p in parties:
        click.echo(f"[{p.kind}] #{p.party_id} {p.name} {p.credit_code or ''} {p.token_label or ''}".rstrip())
        for c in p.certificates:
            click.echo(f"    {c.name:<16} {c.serial:X}  {c.key_uri or c.key_file}")
    click.echo(f"README: {demo_dir()}/<party>/README.txt; PIN/口令: {demo_dir() / 'SECRETS.txt'}")


from app.cli.scenario import demo_scenario  # noqa: E402  (the scenario is its own module)

demo_cli.add_command(demo_scenario)
