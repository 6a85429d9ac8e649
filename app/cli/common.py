"""What every command group shares: one-line errors (click's usage block and Python tracebacks never
reach the user), :func:`refusals` (domain and file errors → one line, exit 1), secrets from the
environment, the directory settings, and opening a demo token.

Bad input ends with one line on stderr and an exit code ≠ 0 (1: refused, 2: wrong usage). Passwords
and PINs are read from environment variables the user names (``--pass-env VAR``, ``--pin-env VAR``),
never from the command line, where every user of the machine could read them.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

# ---------------------------------------------------------------------------- one-line errors

class UsageLine(click.ClickException):
    """Wrong usage, shown as one line (click would print the usage block first)."""

    exit_code = 2


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class OneLineCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise UsageLine(one_line(exc.format_message())) from None


class OneLineGroup(AppGroup):
    command_class = OneLineCommand

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise UsageLine(one_line(exc.format_message())) from None


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the refusals of the domain (``DomainError``) and of ``pki`` (``PkiError``; some are
    still ``ValueError``) and file errors into one line and exit code 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from bidding.errors import DomainError
    from pki.errors import PkiError
    try:
        yield
    except click.ClickException:
        raise
    except DomainError as exc:
        raise click.ClickException(one_line(exc.message)) from None
    except PkiError as exc:
        raise click.ClickException(one_line(str(exc) or exc.message)) from None
    except SQLAlchemyError as exc:
        raise click.ClickException(one_line(
            f"数据库操作失败，是否已运行 flask db upgrade？ (database error, has `flask db upgrade` run? "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")) from None
    except OSError as exc:
        raise click.ClickException(one_line(str(exc) or type(exc).__name__)) from None


# ------------------------------------------------------------------------ settings, secrets

def _dir_setting(name: str, default: Path) -> Path:
    return Path(current_app.config.get(name) or default)


def tsa_dir() -> Path:
    """Where ``/tsa`` finds its certificate and key (``TSA_DIR``, default ``<DEVCA_DIR>/tsa``)."""
    return _dir_setting("TSA_DIR", Path(current_app.config["DEVCA_DIR"]) / "tsa")


def platform_cert_dir() -> Path:
    """The platform's signing certificate (``PLATFORM_CERT_DIR``, default ``<DEVCA_DIR>/platform``)."""
    return _dir_setting("PLATFORM_CERT_DIR", Path(current_app.config["DEVCA_DIR"]) / "platform")


def demo_dir() -> Path:
    return _dir_setting("DEMO_DIR", Path(current_app.instance_path) / "demo")


def softhsm_dir() -> Path:
    """The SoftHSM2 token directory of the demo (``SOFTHSM_DIR``, default ``instance/softhsm``)."""
    return _dir_setting("SOFTHSM_DIR", Path(current_app.instance_path) / "softhsm")


def secret_from_env(variable: str | None, what: str) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise click.ClickException(f"环境变量 {variable} 未设置或为空，无法读取{what} (environment variable "
                                   f"{variable} is not set or empty)")
    return value


def open_token(label: str, pin_env: str | None) -> Any:
    """The logged-in session of token ``label``. SoftHSM reads ``SOFTHSM2_CONF`` if set, else the
    demo token directory (``SOFTHSM_DIR``)."""
    from devsetup.softhsm import use_softhsm_dir
    from pki import pkcs11 as tokens
    if not pin_env:
        raise click.ClickException("使用令牌需要 --pin-env 指定存放 PIN 的环境变量 (--token needs --pin-env VAR "
                                   "naming the environment variable holding the PIN)")
    pin = secret_from_env(pin_env, " PIN")
    if not os.environ.get("SOFTHSM2_CONF") and "softhsm" in os.path.basename(tokens.settings().module):
        use_softhsm_dir(softhsm_dir())
    return tokens.open_token(label, pin=pin)
