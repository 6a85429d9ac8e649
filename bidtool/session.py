"""The bidder's platform session on disk (``bidtool login`` writes it, the online commands read it).

A session file holds the platform's address, the session cookie and its CSRF token: whoever reads
it acts as the bidder until the session ends (``bidtool logout``, a password change, the platform's
session lifetime). So it is created with mode 0600, replaced atomically, and never printed. The
default place is ``$XDG_CONFIG_HOME/bidtool/session.json`` (``~/.config/bidtool/session.json``);
``--session FILE`` or ``$BIDTOOL_SESSION`` name another. Unfinished uploads are remembered beside it
(``uploads/``), so running ``bidtool submit`` again with the same file resumes the same upload.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bidtool.errors import ToolError


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "bidtool"


def session_path(option: str | None) -> Path:
    """The session file ``--session`` names, else ``$BIDTOOL_SESSION``, else the default."""
    chosen = option or os.environ.get("BIDTOOL_SESSION")
    return Path(chosen) if chosen else config_dir() / "session.json"


@dataclass
class PlatformSession:
    """What a log-in leaves: the platform, the cookies (name, value, domain, path) and the CSRF token."""

    platform: str
    cookies: list[dict[str, str]] = field(default_factory=list)
    csrf_token: str | None = None
    username: str | None = None
    party: str | None = None
    certificate: str | None = None


def uploads_dir(path: Path) -> Path:
    """Where the unfinished uploads of the session file ``path`` are remembered."""
    return path.with_name(path.stem + "-uploads")


def load(path: Path) -> PlatformSession:
    """The session in ``path``; a missing or unreadable file asks for ``bidtool login``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return PlatformSession(**{k: data.get(k) for k in PlatformSession.__dataclass_fields__ if k in data})
    except FileNotFoundError:
        raise ToolError(f"尚未登录，请先运行 bidtool login (not logged in: no session file {path}; run bidtool "
                        f"login first)") from None
    except (OSError, ValueError, TypeError) as exc:
        raise ToolError(f"会话文件 {path} 无法读取，请重新登录 (the session file {path} is unreadable: "
                        f"{type(exc).__name__}; run bidtool login again)") from None


def save(path: Path, session: PlatformSession) -> None:
    """Write ``session`` to ``path`` with mode 0600 (atomically: a reader never sees half a file)."""
    write_private(path, json.dumps(asdict(session), ensure_ascii=False, indent=1).encode("utf-8"))


def remove(path: Path) -> bool:
    """Delete the session file; whether there was one."""
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


def write_private(path: Path, data: bytes) -> None:
    """``data`` into ``path`` readable by the owner only (folders created 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    """A small JSON state file, or None when it is missing or damaged (it is then made anew)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
