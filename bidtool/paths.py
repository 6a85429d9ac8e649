"""The files a bidtool command names: inputs must exist and be readable (a missing or unreadable
input is the user's mistake, exit 1), and nothing that exists is overwritten without ``--force``
(a bidder once decrypted ``plan.env`` onto the ``plan.pdf`` it came from)."""
from __future__ import annotations

import errno
from pathlib import Path

from bidtool.errors import EXIT_IO, ToolError

_NOT_FOUND = {errno.ENOENT, errno.ENOTDIR}
_DENIED = {errno.EACCES, errno.EPERM}


def read_input(path: str | Path) -> bytes:
    """The bytes of the input file ``path``."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _input_error(path, exc) from exc


def input_file(path: str | Path) -> Path:
    """``path`` as a :class:`Path`, once it is known to be a readable file."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise _input_error(path, exc) from exc
    return Path(path)


def _input_error(path: str | Path, exc: OSError) -> ToolError:
    if exc.errno in _NOT_FOUND:
        return ToolError(f"找不到文件 {path} (no such file: {path})")
    if exc.errno == errno.EISDIR:
        return ToolError(f"{path} 是文件夹，不是文件 ({path} is a folder, not a file)")
    if exc.errno in _DENIED:
        return ToolError(f"无权读取 {path} (permission denied: cannot read {path})")
    return ToolError(f"无法读取 {path} (cannot read {path}: {exc.strerror})", EXIT_IO)


def output_file(path: str | Path, *, force: bool) -> Path:
    """``path`` as a :class:`Path`, refused if something is there and ``force`` is off."""
    out = Path(path)
    if out.is_dir():
        raise ToolError(f"输出 {path} 是文件夹 (the output {path} is a folder)")
    if (out.exists() or out.is_symlink()) and not force:
        raise ToolError(f"输出文件 {path} 已存在，加 --force 才会覆盖 "
                        f"(the output {path} already exists: add --force to overwrite it)")
    return out
