"""SoftHSM2 token directories for development and tests (never for production tokens).

Each directory has its own ``softhsm2.conf`` (token files in ``<dir>/tokens``). SoftHSM reads
``SOFTHSM2_CONF`` once per ``C_Initialize``, so pointing this process at a directory changes the
environment and reinitialises :mod:`pki.pkcs11` (which closes every open session). That is why this
lives here, outside ``pki/``: only development set-up and tests may change a process's token
configuration.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pki import pkcs11 as tokens
from pki.pkcs11 import Pkcs11Uri, TokenError


@dataclass(frozen=True)
class SoftHsmToken:
    """A SoftHSM token in a development token directory."""

    label: str
    serial: str
    token_dir: Path
    conf_path: Path
    module: str

    def uri(self, **attributes: Any) -> Pkcs11Uri:
        """A URI for this token (plus e.g. ``object=``, ``id=``)."""
        return Pkcs11Uri(token=self.label, serial=self.serial, **attributes)


def softhsm_conf(token_dir: str | os.PathLike[str]) -> Path:
    """Write ``token_dir/softhsm2.conf`` (token files in ``token_dir/tokens``) if missing; its path."""
    token_dir = Path(token_dir).resolve()
    conf = token_dir / "softhsm2.conf"
    (token_dir / "tokens").mkdir(parents=True, exist_ok=True)
    if not conf.is_file():
        conf.write_text(f"directories.tokendir = {token_dir / 'tokens'}\nobjectstore.backend = file\n"
                        f"log.level = ERROR\nslots.removable = false\n", encoding="utf-8")
    return conf


def use_softhsm_dir(token_dir: str | os.PathLike[str], *, module: str | None = None) -> Path:
    """Point this process's SoftHSM (``SOFTHSM2_CONF``) at ``token_dir``; reinitialise the library
    if it was reading another configuration (open sessions are then invalidated)."""
    conf = softhsm_conf(token_dir)
    if os.environ.get("SOFTHSM2_CONF") != str(conf):
        os.environ["SOFTHSM2_CONF"] = str(conf)
        tokens.reinitialize(module)
    return conf


def init_softhsm_token(token_dir: str | os.PathLike[str], label: str, so_pin: str, user_pin: str,
                       *, module: str | None = None) -> SoftHsmToken:
    """Create a token under ``token_dir`` and point this process at it. The PINs appear on
    ``softhsm2-util``'s command line: development and tests only."""
    _softhsm_util(token_dir, "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", user_pin)
    conf = softhsm_conf(token_dir)
    os.environ["SOFTHSM2_CONF"] = str(conf)
    tokens.reinitialize(module)
    return SoftHsmToken(label=label, serial=softhsm_tokens(token_dir)[label],
                        token_dir=Path(token_dir).resolve(), conf_path=conf,
                        module=os.path.abspath(module or tokens.settings().module))


def softhsm_tokens(token_dir: str | os.PathLike[str]) -> dict[str, str]:
    """Label → serial of every initialised token in ``token_dir`` (``softhsm2-util --show-slots``)."""
    out = _softhsm_util(token_dir, "--show-slots")
    found: dict[str, str] = {}
    serial = ""
    for line in out.splitlines():
        m = re.match(r"\s*(Serial number|Label):\s*(.*?)\s*$", line)
        if not m:
            continue
        if m.group(1) == "Serial number":
            serial = m.group(2)
        elif m.group(2) and serial:
            found[m.group(2)] = serial
    return found


def ensure_softhsm_token(token_dir: str | os.PathLike[str], label: str, so_pin: str,
                         user_pin: str) -> tuple[SoftHsmToken, bool]:
    """The token ``label`` in ``token_dir``, created if missing; (token, created). The PINs of an
    existing token are not changed."""
    existing = softhsm_tokens(token_dir)
    if label in existing:
        conf = use_softhsm_dir(token_dir)
        return SoftHsmToken(label=label, serial=existing[label], token_dir=Path(token_dir).resolve(),
                            conf_path=conf, module=os.path.abspath(tokens.settings().module)), False
    return init_softhsm_token(token_dir, label, so_pin, user_pin), True


def delete_softhsm_token(token_dir: str | os.PathLike[str], label: str) -> bool:
    """Delete the token ``label`` from ``token_dir`` if it is there; True if deleted."""
    if label not in softhsm_tokens(token_dir):
        return False
    tokens.close_sessions()
    _softhsm_util(token_dir, "--delete-token", "--token", label)
    if os.environ.get("SOFTHSM2_CONF") == str(softhsm_conf(token_dir)):
        tokens.reinitialize()
    return True


def _softhsm_util(token_dir: str | os.PathLike[str], *args: str) -> str:
    env = dict(os.environ, SOFTHSM2_CONF=str(softhsm_conf(token_dir)))
    try:
        result = subprocess.run(["softhsm2-util", *args], env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise TokenError("找不到 softhsm2-util，请安装 softhsm2 (softhsm2-util not found: apt-get install "
                         "softhsm2)") from None
    if result.returncode != 0:
        raise TokenError(f"softhsm2-util {args[0]} 失败 (softhsm2-util {args[0]} failed: "
                         f"{(result.stderr or result.stdout).strip()})")
    return result.stdout
