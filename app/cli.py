"""Command-line entry points: ``flask audit verify``, ``flask setup-dev`` and the ``devca`` and
``demo`` groups (filled in by later issues).

Run them as ``.venv/bin/flask --app app <command>``.
"""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from bidding.audit import verify_chain

audit_cli = AppGroup("audit", help="审计日志 (the audit log).")
devca_cli = AppGroup("devca", help="开发用 CA (the development CA).")
demo_cli = AppGroup("demo", help="演示数据 (demo data).")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 naming the first broken entry."""
    result = verify_chain(db.session)
    db.session.rollback()
    if result.ok:
        click.echo(f"OK: 审计链完整，共 {result.count} 条 (audit chain intact, {result.count} entries)")
        return
    where = "" if result.first_broken_id is None else f"第 {result.first_broken_id} 条记录："
    click.echo(f"BROKEN: {where}{result.reason} (audit chain broken"
               f"{'' if result.first_broken_id is None else f' at entry {result.first_broken_id}'})",
               err=True)
    sys.exit(1)


@devca_cli.command("init")
def devca_init() -> None:
    """Create the development CA (every trusted profile × algorithm) under DEVCA_DIR, write the
    trust anchors and first CRLs. Idempotent."""
    try:
        from pki.devca import DevCA
    except ImportError as exc:
        click.echo(f"devca: pki.devca 尚未就绪，跳过 (pki.devca not available: {exc})")
        return
    config = current_app.config
    ca = DevCA(config["DEVCA_DIR"], config["TRUST_ANCHORS_DIR"],
               config_dir=config["TRUST_CONFIG_DIR"], clock=current_app.extensions["clock"])
    chains = ca.init()
    click.echo(f"devca: {len(chains)} 条 CA 链就绪 ({len(chains)} CA chains ready in "
               f"{config['DEVCA_DIR']})")


@demo_cli.command("init")
def demo_init() -> None:
    """Create the demo parties, certificates and tokens if they are not there yet (idempotent)."""
    click.echo("demo: 尚无演示数据步骤 (no demo data step yet)")


@click.command("setup-dev")
def setup_dev() -> None:
    """Idempotent developer set-up after ``flask db upgrade``: dev CA, then demo data."""
    ctx = click.get_current_context()
    ctx.invoke(devca_init)
    ctx.invoke(demo_init)
    click.echo("setup-dev: done")


def register(app: Flask) -> None:
    """Add the commands to ``app.cli``."""
    for command in (audit_cli, devca_cli, demo_cli, setup_dev):
        app.cli.add_command(command)
