"""The bid package's tar archive: written as a stream, its exact size known in advance, and read
back in two passes so that nothing is extracted before the manifest's signature is checked.

Layout (plain POSIX ustar, or pax for long or non-ASCII names; nothing else), in this order::

    manifest.json        canonical JSON (sorted keys, UTF-8, no spaces)
    manifest.sig         detached CMS / GM/T 0010 signature over manifest.json by the bidder
    files/<name>         each file of the bid, exactly as listed in the manifest

Reading (:func:`scan_archive`, headers only) refuses every ambiguity before any content is used:
entries out of this order, any name twice (also two names equal after NFC and case-folding), links,
sparse or other special entries, oversized headers, and data after the archive's end. It returns the
raw manifest and signature (size-limited); :func:`extract_files` runs only once the caller has
checked the signature and parsed the manifest, and checks every size and digest while streaming.
"""
from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from bidding.bids.errors import PackageError, PackageIntegrityError
from bidding.bids.manifest import (CHUNK, FILES_DIR, MANIFEST_NAME, MAX_FILES, MAX_MANIFEST_BYTES,
                                   MAX_SIGNATURE_BYTES, FileDigests, Manifest, collision_key, safe_name)

RECORDSIZE = tarfile.RECORDSIZE
BLOCK = tarfile.BLOCKSIZE
MAX_EXTENDED_HEADER = 64 * 1024        # a pax or GNU long-name header: a name of 200 bytes needs < 1 KiB
_HEAD = (MANIFEST_NAME, "manifest.sig")
_PLAIN_FILE = (tarfile.REGTYPE, tarfile.AREGTYPE)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


# -- writing ------------------------------------------------------------------------------------
def write_archive(out: BinaryIO, manifest: Manifest, signature: bytes, files: Iterable[Path]) -> None:
    """Write the tar archive (streaming: files are copied in chunks by tarfile)."""
    by_name = {safe_name(Path(p).name): Path(p) for p in files}
    mtime = int(manifest.created_at.timestamp())
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.USTAR_FORMAT if _ascii(by_name) else
                      tarfile.PAX_FORMAT) as tar:
        for name, data in zip(_HEAD, (manifest.canonical(), signature)):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            tar.addfile(info, io.BytesIO(data))
        for entry in manifest.files:
            path = by_name[entry.name]
            info = tarfile.TarInfo(FILES_DIR + entry.name)
            info.size, info.mtime, info.mode = entry.size, mtime, 0o644
            with open(path, "rb") as fh:
                tar.addfile(info, fh)


def _ascii(names: Iterable[str]) -> bool:
    return all(n.isascii() and len(n) < 90 for n in names)


def archive_size(manifest: Manifest, signature: bytes) -> int:
    """The exact byte size :func:`write_archive` will produce, so that the envelope can be written
    as DER (definite lengths) while the archive streams through it — no plaintext file on disk."""
    names = [*_HEAD] + [FILES_DIR + f.name for f in manifest.files]
    sizes = [len(manifest.canonical()), len(signature)] + [f.size for f in manifest.files]
    fmt = tarfile.USTAR_FORMAT if _ascii(f.name for f in manifest.files) else tarfile.PAX_FORMAT
    total = 0
    for name, size in zip(names, sizes):
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(manifest.created_at.timestamp()), 0o644
        total += len(info.tobuf(fmt, tarfile.ENCODING, "surrogateescape"))
        total += -(-size // BLOCK) * BLOCK
    total += 2 * BLOCK
    return -(-total // RECORDSIZE) * RECORDSIZE


# -- reading ------------------------------------------------------------------------------------
@dataclass
class ScannedArchive:
    """An archive whose structure checked out; its manifest and signature as raw bytes, not yet
    trusted. ``members`` maps each file name to its tar header, in archive order."""
    tar: tarfile.TarFile
    manifest_bytes: bytes
    signature: bytes
    members: dict[str, tarfile.TarInfo]


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile reads a pax or GNU long-name header whole into memory: refuse large ones first."""

    def _proc_pax(self, tarfile_):
        _bounded(self)
        return super()._proc_pax(tarfile_)

    def _proc_gnulong(self, tarfile_):
        _bounded(self)
        return super()._proc_gnulong(tarfile_)


def _bounded(info: tarfile.TarInfo) -> None:
    if info.size > MAX_EXTENDED_HEADER:
        raise PackageIntegrityError(f"包内扩展头过大 (an extended tar header of {info.size} bytes)")


def scan_archive(archive: BinaryIO) -> ScannedArchive:
    """Check an archive's structure from its headers (``archive`` must be seekable: file contents
    are skipped, not read) and read the raw manifest and signature. Raises
    :class:`PackageIntegrityError` for an archive the packer cannot have written."""
    try:
        tar = tarfile.open(fileobj=archive, mode="r:", tarinfo=_BoundedTarInfo)
        head: dict[str, tarfile.TarInfo] = {}
        members: dict[str, tarfile.TarInfo] = {}
        seen: set[str] = set()
        while (member := tar.next()) is not None:
            name = _check_member(member, head, members)
            key = collision_key(name)
            if key in seen:
                raise PackageIntegrityError(f"包内条目重复 (the archive holds {member.name!r} twice, or two names "
                                            "that differ only in case or Unicode form)")
            seen.add(key)
            if name in _HEAD:
                head[name] = member
            else:
                members[name[len(FILES_DIR):]] = member
            if len(members) > MAX_FILES:
                raise PackageError(f"文件过多 (too many files: a bid package holds at most {MAX_FILES})")
        if len(head) < 2:
            raise PackageError("投标文件包缺少清单或签名 (archive lacks the manifest or its signature)")
        _no_trailing_data(archive, tar.offset)
        manifest_bytes = _read_member(tar, head[MANIFEST_NAME], MAX_MANIFEST_BYTES)
        signature = _read_member(tar, head[_HEAD[1]], MAX_SIGNATURE_BYTES)
    except tarfile.TarError as exc:
        raise PackageIntegrityError(f"投标文件包已损坏 (archive damaged: {exc})") from exc
    return ScannedArchive(tar, manifest_bytes, signature, members)


def _check_member(member: tarfile.TarInfo, head: dict, members: dict) -> str:
    """The member's name once its type, name and place in the archive are as the packer writes."""
    if member.type not in _PLAIN_FILE or member.sparse is not None or any(
            k.startswith("GNU.sparse") for k in member.pax_headers):
        raise PackageIntegrityError(f"包内含非普通文件 (archive holds a non-regular entry {member.name!r})")
    name = member.name
    if len(head) < 2:       # manifest.json, then manifest.sig, before any file
        expected = _HEAD[len(head)]
        if name != expected:
            if name in head:
                raise PackageIntegrityError(f"包内条目重复 (the archive holds {name!r} twice)")
            raise PackageIntegrityError(f"包内条目顺序不符 (expected {expected!r}, found {name!r})")
        return name
    if name in _HEAD:
        raise PackageIntegrityError(f"包内条目重复 (the archive holds {name!r} twice)")
    if not name.startswith(FILES_DIR):
        raise PackageIntegrityError(f"包内含意外条目 (unexpected entry {name!r})")
    try:
        ok = safe_name(name[len(FILES_DIR):]) == name[len(FILES_DIR):]
    except PackageError:
        ok = False
    if not ok:
        raise PackageIntegrityError(f"包内文件名不可用 (file name not allowed in the archive: {name!r})")
    return name


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise PackageError(f"{member.name} 过大 (too large: {member.size} bytes, at most {limit})")
    return tar.extractfile(member).read(limit + 1)


def _no_trailing_data(archive: BinaryIO, end: int) -> None:
    """After the last member only the zero blocks that end an archive may follow: anything else is
    a second archive another tool might read (tar -i), or a header tarfile gave up on."""
    archive.seek(end)
    while chunk := archive.read(CHUNK):
        if chunk.count(0) != len(chunk):
            raise PackageIntegrityError("投标文件包末尾有多余数据 (data after the end of the archive)")


def extract_files(scanned: ScannedArchive, manifest: Manifest, files_dir: int) -> None:
    """Write every file of ``manifest`` into the directory open as ``files_dir`` (a descriptor of a
    folder only this process writes into): new files only (O_EXCL), never through a link
    (O_NOFOLLOW), each size and digest checked while it streams."""
    listed = {f.name: f for f in manifest.files}
    if set(listed) != set(scanned.members):
        missing, extra = sorted(set(listed) - set(scanned.members)), sorted(set(scanned.members) - set(listed))
        raise PackageIntegrityError(f"文件与清单不符 (files differ from the manifest: missing {missing[:5]}, "
                                    f"extra {extra[:5]})")
    for name, member in scanned.members.items():
        entry = listed[name]
        if member.size != entry.size:
            raise PackageIntegrityError(f"文件大小不符 (size mismatch for {name})")
        _extract_one(scanned.tar, member, entry, files_dir)


def _extract_one(tar: tarfile.TarFile, member: tarfile.TarInfo, entry, files_dir: int) -> None:
    src = tar.extractfile(member)
    digests = FileDigests()
    fd = os.open(entry.name, _CREATE, 0o644, dir_fd=files_dir)
    with open(fd, "wb", buffering=0) as out:
        while chunk := src.read(min(CHUNK, entry.size + 1 - digests.size)):
            digests.update(chunk)
            if digests.size > entry.size:
                break
            out.write(chunk)
    if digests.result() != (entry.size, entry.sha256, entry.sm3):
        raise PackageIntegrityError(f"文件摘要不符 (digest mismatch for {entry.name})")
