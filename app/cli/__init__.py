"""Command-line entry points, one module per command group: ``flask accounts`` (accounts.py),
``flask audit`` (audit.py),
``flask devca`` (devca.py), ``flask demo`` (demo.py), ``flask scheduler`` (scheduler.py),
``flask setup-dev`` (setup.py) and ``flask token`` (tokens.py); what they share is in common.py.

Run them as ``.venv/bin/flask --app app <command>``. Bad input ends with one line on stderr and an
exit code ≠ 0 (1: refused, 2: wrong usage), never a traceback. Passwords and PINs are read from
environment variables the user names (``--pass-env VAR``, ``--pin-env VAR``), never from the
command line, where every user of the machine could read them.
"""
from __future__ import annotations

from flask import Flask

from app.cli.accounts import accounts_cli
from app.cli.audit import audit_cli
from app.cli.demo import demo_cli
from app.cli.devca import devca_cli
from app.cli.scheduler import scheduler_command
from app.cli.setup import setup_dev
from app.cli.tokens import token_cli


def register(app: Flask) -> None:
    """Add every command group to ``app.cli``."""
    for command in (accounts_cli, audit_cli, devca_cli, demo_cli, token_cli, setup_dev, scheduler_command):
        app.cli.add_command(command)
