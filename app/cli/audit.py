"""``flask audit verify``: recompute the audit hash chain (R19)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from bidding.audit import verify_chain

audit_cli = AppGroup("audit", help="审计日志 (the audit log).")


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
