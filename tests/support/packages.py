"""Helpers of the bid-package unit tests (imported as ``support.packages``): open an archive the
way :func:`bidding.bids.sealing.open_bid` does, minus the cryptography, and write hostile ones."""
from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import BinaryIO, Iterable

from bidding.bids.archive import extract_files, scan_archive
from bidding.bids.manifest import Manifest


def open_archive(archive: BinaryIO, directory: Path) -> tuple[Manifest, bytes, list[Path]]:
    """Scan, parse and extract into ``directory``/files (no signature check: unit tests only)."""
    scanned = scan_archive(archive)
    manifest = Manifest.parse(scanned.manifest_bytes)
    files = directory / "files"
    files.mkdir(parents=True)
    fd = os.open(files, os.O_RDONLY | os.O_DIRECTORY)
    try:
        extract_files(scanned, manifest, fd)
    finally:
        os.close(fd)
    return manifest, scanned.signature, [files / f.name for f in manifest.files]


def tar_of(members: Iterable[tuple[str, bytes] | tarfile.TarInfo], *, fmt=tarfile.PAX_FORMAT) -> io.BytesIO:
    """A tar archive of ``(name, data)`` members in this order, duplicates and all."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf
