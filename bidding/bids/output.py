"""The output folder of an opened bid (解包输出文件夹): staged beside the destination, published
with one rename once every check passed, never written through a link.

- The staging folder is made by :func:`tempfile.mkdtemp` beside the destination (same file system,
  mode 0700, a fresh name): only this process writes into it, through descriptors opened with
  ``O_NOFOLLOW``, and files are created with ``O_EXCL``.
- Publishing renames the staging folder onto the destination: an absent destination or an empty
  folder is replaced in one step. The destination itself must not be a symbolic link (a link
  planted there would send the bid elsewhere), a mount point or the current folder.
- A non-empty destination is refused unless the caller asked to replace it (``bidtool unpack
  --force``). Then the old folder is renamed aside, the new one renamed into place, the entries the
  old folder held besides what opening writes (the user's own notes) are moved into the new one,
  and only then is the old folder removed — links inside it are removed, never followed.
- Folders above the destination that do not exist yet are made only when publishing, after every
  check passed; until then the staging folder sits in the nearest folder above that exists (the
  same file system, since the missing folders will be made inside it). A refused bid creates
  nothing outside the staging folder, which is removed.
- On any failure the staging folder is removed and the destination is left as it was.
"""
from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bidding.bids.errors import OutputRefused

_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class Staging:
    """A fresh folder beside the destination and a descriptor of it (``fd``)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd = os.open(path, _DIRECTORY)
        self.published = False
        self.made: list[Path] = []      # folders above the destination made by publish, outermost first

    def subfolder(self, name: str) -> int:
        """Create ``name`` in the staging folder; a descriptor of it (the caller closes it)."""
        os.mkdir(name, 0o755, dir_fd=self.fd)
        return os.open(name, _DIRECTORY, dir_fd=self.fd)

    def write(self, name: str, data: bytes) -> None:
        fd = os.open(name, _CREATE, 0o644, dir_fd=self.fd)
        with open(fd, "wb") as out:
            out.write(data)


@contextmanager
def staged_output(destination: Path, *, replace: bool) -> Iterator[Staging]:
    """Yield a :class:`Staging` beside ``destination``; :func:`publish` it inside the block. The
    staging folder is removed when the block ends, published or not. Checks the destination first
    too, so that a refusal comes before any work."""
    destination = _absolute(destination)
    check_destination(destination, replace=replace)
    path = Path(tempfile.mkdtemp(dir=_existing_ancestor(destination), prefix=f".{destination.name}.unpack-"))
    staging = None
    try:
        staging = Staging(path)
        yield staging
    finally:
        if staging is not None:
            os.close(staging.fd)
        if staging is None or not staging.published:
            shutil.rmtree(path, ignore_errors=True)
            for folder in reversed(staging.made if staging is not None else []):
                _remove_if_empty(folder)


def _existing_ancestor(destination: Path) -> Path:
    """The folder the destination will be in, or the nearest folder above it that exists."""
    folder = destination.parent
    while not folder.is_dir() and folder != folder.parent:
        if os.path.lexists(folder):
            raise OutputRefused(f"输出文件夹 {destination} 的上级 {folder} 不是文件夹 "
                                f"(the output folder's parent {folder} is not a folder)")
        folder = folder.parent
    return folder


def _make_parents(staging: Staging, destination: Path) -> None:
    """Make the folders above ``destination`` that do not exist yet (remembered in ``staging`` to be
    removed again if publishing fails)."""
    missing = []
    folder = destination.parent
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not folder.is_dir():
                raise OutputRefused(f"输出文件夹 {destination} 的上级 {folder} 不是文件夹 "
                                    f"(the output folder's parent {folder} is not a folder)") from None
            continue
        staging.made.append(folder)


def _remove_if_empty(folder: Path) -> None:
    try:
        os.rmdir(folder)
    except OSError:      # not empty any more (someone else's file), or gone: left as it is
        pass


def check_destination(destination: Path, *, replace: bool) -> bool:
    """Refuse a destination that must not be written to; True if it holds anything."""
    destination = _absolute(destination)
    try:
        st = os.lstat(destination)
    except (FileNotFoundError, NotADirectoryError):   # a folder above is missing, or a file
        return False
    if stat.S_ISLNK(st.st_mode):
        raise OutputRefused(f"输出文件夹 {destination} 是符号链接，拒绝写入 (the output folder {destination} is a "
                            "symbolic link: refused, nothing is written through links)")
    if not stat.S_ISDIR(st.st_mode):
        raise OutputRefused(f"输出 {destination} 不是文件夹 (the output {destination} is not a folder)")
    if os.path.ismount(destination) or os.path.samefile(destination, os.getcwd()):
        raise OutputRefused(f"输出文件夹 {destination} 是当前文件夹或挂载点，请指定子文件夹 "
                            f"(the output folder {destination} is the current folder or a mount point: "
                            "name a sub-folder)")
    with os.scandir(destination) as entries:
        full = any(True for _ in entries)
    if full and not replace:
        raise OutputRefused(f"输出文件夹 {destination} 不是空的，加 --force 才会覆盖 "
                            f"(the output folder {destination} is not empty: add --force to replace its contents)")
    return full


def publish(staging: Staging, destination: Path, *, replace: bool, owned: frozenset[str]) -> None:
    """Rename the staging folder onto ``destination``. With ``replace``, an existing non-empty
    destination is renamed aside first; its entries other than ``owned`` (what opening writes) are
    moved into the new folder, then the old one is removed."""
    destination = _absolute(destination)
    full = check_destination(destination, replace=replace)
    _make_parents(staging, destination)
    if not full:
        os.chmod(staging.fd, 0o777 & ~_umask())
        os.rename(staging.path, destination)      # over nothing, or over an empty folder: one step
        staging.published = True
        return
    os.chmod(staging.fd, stat.S_IMODE(os.lstat(destination).st_mode))
    aside = destination.with_name(f".{destination.name}.old-{secrets.token_hex(8)}")
    os.rename(destination, aside)
    os.rename(staging.path, destination)
    staging.published = True
    with os.scandir(aside) as entries:
        kept = [e.name for e in entries if e.name not in owned]
    for name in kept:                              # the user's own entries: links moved, not followed
        os.rename(aside / name, destination / name)
    shutil.rmtree(aside)


def _absolute(path: Path) -> Path:
    """``path`` made absolute without resolving links (its last component stays what it names)."""
    return Path(os.path.abspath(path))


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask
