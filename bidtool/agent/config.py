"""The agent's configuration: a TOML file (``--config``) and command-line options, checked before
the agent listens.

    port = 8765                                   # 127.0.0.1 only; there is no option to bind elsewhere
    origins = ["https://ebid.example.gov.cn"]     # the platform's origins, exactly
    allow_no_origin = false                       # command-line clients on this machine
    state_dir = "~/.local/state/ebid-agent"       # wrong-password counters of key files
    pkcs11 = ["pkcs11:token=Supplier%20Key"]      # tokens (no PIN in the URI)
    chain = ["chain-netca-rsa.pem"]               # CA certificates to put into signatures
    [[key]]                                       # key files: encrypted PKCS#8 or PKCS#12
    file = "signing-sm2.key.pem"
    cert = "signing-sm2.pem"

Relative paths in the file are relative to the file's folder. Options add to the file's lists;
``--port`` and ``--state-dir`` replace its values.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bidtool.errors import ToolError

DEFAULT_PORT = 8765
_DEFAULT_PORTS = {"http": 80, "https": 443}
_KNOWN = {"port", "origins", "allow_no_origin", "state_dir", "pkcs11", "chain", "key"}


@dataclass(frozen=True)
class KeyFileEntry:
    key: Path
    cert: Path


@dataclass(frozen=True)
class AgentConfig:
    port: int = DEFAULT_PORT
    origins: tuple[str, ...] = ()
    allow_no_origin: bool = False
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    tokens: tuple[str, ...] = ()
    key_files: tuple[KeyFileEntry, ...] = ()
    chain: tuple[Path, ...] = ()


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "ebid-agent"


def normalise_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` as a browser sends it (lowercase, default port left out), or None
    if ``origin`` is no http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")


def load(args: Any) -> AgentConfig:
    """The configuration from ``--config`` (if given) and the other options of ``bidtool agent``."""
    file: dict[str, Any] = {}
    base = Path.cwd()
    if args.config:
        path = Path(args.config)
        try:
            file = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ToolError(f"无法读取配置文件 {path} (cannot read the configuration {path}: {exc.strerror})") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ToolError(f"配置文件 {path} 无效 (invalid TOML in {path}: {exc})") from exc
        base = path.resolve().parent
        unknown = sorted(set(file) - _KNOWN)
        if unknown:
            raise ToolError(f"配置文件含未知项 {', '.join(unknown)} (unknown setting(s) in {path}: {', '.join(unknown)})")

    port = args.port if args.port is not None else _typed(file, "port", int, DEFAULT_PORT)
    if not 0 <= port <= 65535:
        raise ToolError(f"端口 {port} 无效 (invalid port {port})")
    origins = []
    for origin in [*_strings(file, "origins"), *(args.origin or ())]:
        normal = normalise_origin(origin)
        if normal is None:
            raise ToolError(f"来源 {origin} 无效，应如 https://ebid.example.gov.cn "
                            f"(invalid origin {origin!r}: use scheme://host[:port])")
        origins.append(normal)
    allow_no_origin = bool(args.allow_no_origin) or _typed(file, "allow_no_origin", bool, False)
    if not origins and not allow_no_origin:
        raise ToolError("至少需要一个 --origin (at least one --origin is needed: the platform's address)")
    state_dir = Path(args.state_dir).expanduser() if args.state_dir else (
        _path(base, _typed(file, "state_dir", str, "")) if "state_dir" in file else default_state_dir())

    tokens = [*_strings(file, "pkcs11"), *(args.pkcs11 or ())]
    keys = [KeyFileEntry(_path(base, _typed(k, "file", str, "")), _path(base, _typed(k, "cert", str, "")))
            for k in _tables(file, "key")]
    arg_keys, arg_certs = list(args.key or ()), list(args.cert or ())
    if len(arg_keys) != len(arg_certs):
        raise ToolError("--key 与 --cert 须成对给出 (give --key and --cert in pairs, one --cert after each --key)")
    keys += [KeyFileEntry(Path(k), Path(c)) for k, c in zip(arg_keys, arg_certs, strict=True)]
    if not tokens and not keys:
        raise ToolError("没有可用的密钥：请给出 --pkcs11 或 --key/--cert (no keys: give --pkcs11 or --key with --cert)")
    chain = [_path(base, c) for c in _strings(file, "chain")] + [Path(c) for c in args.chain or ()]
    return AgentConfig(port=port, origins=tuple(dict.fromkeys(origins)), allow_no_origin=allow_no_origin,
                       state_dir=state_dir, tokens=tuple(tokens), key_files=tuple(keys), chain=tuple(chain))


def _typed(table: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = table.get(name, default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ToolError(f"配置项 {name} 类型不对 (setting {name!r} must be {kind.__name__})")
    if kind is str and name in ("file", "cert", "state_dir") and not value:
        raise ToolError(f"配置项 {name} 不能为空 (setting {name!r} must not be empty)")
    return value


def _strings(table: dict[str, Any], name: str) -> list[str]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ToolError(f"配置项 {name} 须为字符串列表 (setting {name!r} must be a list of strings)")
    return value


def _tables(table: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ToolError(f"配置项 {name} 须为 [[{name}]] 表 (setting {name!r} must be [[{name}]] tables)")
    for entry in value:
        unknown = sorted(set(entry) - {"file", "cert"})
        if unknown:
            raise ToolError(f"[[{name}]] 含未知项 {', '.join(unknown)} (unknown setting(s) in [[{name}]]: "
                            f"{', '.join(unknown)})")
    return value


def _path(base: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path
