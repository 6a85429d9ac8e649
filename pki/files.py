"""Writing files so that a crash leaves either the old file or the new one, never half of one.

DESIGN.md §6: accepted data is never lost. Every file the platform keeps (CA state, keys, counters,
envelopes, signatures) is written to a temporary name in the target's directory, flushed, fsynced,
then renamed over the target; on any failure the temporary file is removed and the target is left
as it was.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Union

PathLike = Union[str, "os.PathLike[str]"]


@contextmanager
def atomic_output(path: PathLike, *, mode: int = 0o644, durable: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` when the block ends without an exception.

    ``durable=False`` skips the fsyncs: for large outputs on a client's machine (bidtool), where
    the cost of forcing gigabytes to disk outweighs surviving a power cut mid-write."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            if durable:
                os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_directory(directory)


def write_atomic(path: PathLike, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    with atomic_output(path, mode=mode) as out:
        out.write(data)


def file_descriptor(stream: object) -> int | None:
    """The OS file descriptor behind ``stream``, or None: an in-memory stream, a wrapper without
    one, a closed file."""
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return None
    try:
        return fileno()
    except (OSError, ValueError):   # io.UnsupportedOperation is both; a closed file raises ValueError
        return None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
