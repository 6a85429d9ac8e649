"""Writing files so that a crash leaves either the old file or the new one, never half of one.

DESIGN.md §6: accepted data is never lost. Every file the platform keeps (CA state, keys, counters,
envelopes, signatures) is written to a temporary name in the target's directory, flushed, fsynced,
then renamed over the target; on any failure the temporary file is removed and the target is left
as it was.
"""
from __future__ import annotations

import contextlib
import errno
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


@contextmanager
def unnamed_output(path: PathLike, *, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Yield a binary file that has no name until the block ends without an exception; then it
    becomes ``path`` (replacing what was there), the missing folders above ``path`` made only then.

    For output that must not be seen before it is checked (decrypted plaintext whose GCM tag or CBC
    padding is verified at the very end): the file is opened with Linux ``O_TMPFILE`` in the
    nearest folder that exists, so a failure, SIGTERM or even SIGKILL leaves nothing behind: no
    file, no ``.part``, no folder. Where the file system refuses ``O_TMPFILE`` a hidden named temporary
    file is used instead and deleted on failure (only SIGKILL can then leave it). Not fsynced."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    base = _nearest_existing(directory)
    fd, tmp = _open_unnamed(base, path.name, mode)
    created: list[Path] = []
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fchmod(out.fileno(), mode)
            created = _make_folders(directory, base)
            if tmp is None:
                _link_into_place(out.fileno(), directory, path)
        if tmp is not None:
            os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _nearest_existing(directory: Path) -> Path:
    while not directory.is_dir():
        if directory.exists() or directory.parent == directory:   # a file in the way: mkdir will say so
            return directory
        directory = directory.parent
    return directory


def _open_unnamed(directory: Path, name: str, mode: int) -> tuple[int, str | None]:
    """An ``O_TMPFILE`` descriptor in ``directory`` (no name), or a named temporary file's."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is not None:
        try:
            return os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, mode & 0o600), None
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
    return tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")


def _make_folders(directory: Path, base: Path) -> list[Path]:
    """Make the folders between ``base`` (exists) and ``directory``; return those made, outermost first."""
    missing = []
    while directory != base and not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    made = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except BaseException:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return made


def _link_into_place(fd: int, directory: Path, path: Path) -> None:
    """Give the ``O_TMPFILE`` file ``fd`` the name ``path``, atomically replacing a file there.
    (A folder descriptor makes Python call ``linkat`` with ``AT_SYMLINK_FOLLOW``; plain ``link``
    would try to link the /proc symlink itself.)"""
    source = f"/proc/self/fd/{fd}"
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            os.link(source, path.name, dst_dir_fd=dir_fd, follow_symlinks=True)
            return
        except FileExistsError:
            pass
        tmp = f".{path.name}.{os.urandom(6).hex()}.link"
        os.link(source, tmp, dst_dir_fd=dir_fd, follow_symlinks=True)
        try:
            os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
    finally:
        os.close(dir_fd)


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
