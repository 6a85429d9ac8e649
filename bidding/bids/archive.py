"""The bid package's tar archive: written as a stream, its exact size known in advance, and
extracted with every name, size and digest checked against the manifest.

Layout (plain POSIX ustar, or pax for long or non-ASCII names; nothing else)::

    manifest.json        canonical JSON (sorted keys, UTF-8, no spaces)
    manifest.sig         detached CMS / GM/T 0010 signature over manifest.json by the bidder
    files/<name>         each file of the bid, exactly as listed in the manifest
"""
from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from bidding.bids.errors import PackageError, PackageIntegrityError
from bidding.bids.manifest import (CHUNK, FILES_DIR, MANIFEST_NAME, SIGNATURE_NAME, Manifest, digest_file,
                                   safe_name)

RECORDSIZE = tarfile.RECORDSIZE
BLOCK = tarfile.BLOCKSIZE


def write_archive(out: BinaryIO, manifest: Manifest, signature: bytes, files: Iterable[Path]) -> None:
    """Write the tar archive (streaming: files are copied in chunks by tarfile)."""
    by_name = {safe_name(Path(p).name): Path(p) for p in files}
    mtime = int(manifest.created_at.timestamp())
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.USTAR_FORMAT if _ascii(by_name) else
                      tarfile.PAX_FORMAT) as tar:
        for name, data in ((MANIFEST_NAME, manifest.canonical()), (SIGNATURE_NAME, signature)):
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


@dataclass
class UnpackedArchive:
    manifest: Manifest
    manifest_bytes: bytes
    signature: bytes
    directory: Path
    files: list[Path]


def extract_archive(archive: BinaryIO, directory: Path) -> UnpackedArchive:
    """Extract and check an archive: regular files only, only the expected names, every size and
    digest as the manifest says. Raises PackageError naming the first mismatch."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest_bytes = signature = None
    written: dict[str, Path] = {}
    try:
        with tarfile.open(fileobj=archive, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    raise PackageError(f"包内含非普通文件 (archive holds a non-regular entry {member.name!r})")
                src = tar.extractfile(member)
                if member.name in (MANIFEST_NAME, SIGNATURE_NAME):
                    data = src.read(1 << 20 + 1)
                    if len(data) > 1 << 20:
                        raise PackageError(f"{member.name} 过大 (too large)")
                    if member.name == MANIFEST_NAME:
                        manifest_bytes = data
                    else:
                        signature = data
                    continue
                if not member.name.startswith(FILES_DIR):
                    raise PackageError(f"包内含意外条目 (unexpected entry {member.name!r})")
                name = safe_name(member.name[len(FILES_DIR):])
                if name in written:
                    raise PackageError(f"文件重复 (duplicate entry {name})")
                target = directory / name
                with open(target, "wb") as fh:
                    while chunk := src.read(CHUNK):
                        fh.write(chunk)
                written[name] = target
    except tarfile.TarError as exc:
        raise PackageError(f"投标文件包已损坏 (archive damaged: {exc})") from exc
    if manifest_bytes is None or signature is None:
        raise PackageError("投标文件包缺少清单或签名 (archive lacks the manifest or its signature)")
    manifest = Manifest.parse(manifest_bytes)
    listed = {f.name for f in manifest.files}
    if listed != set(written):
        missing, extra = sorted(listed - set(written)), sorted(set(written) - listed)
        raise PackageError(f"文件与清单不符 (files differ from the manifest: missing {missing}, extra {extra})")
    for entry in manifest.files:
        size, sha, sm3 = digest_file(written[entry.name])
        if (size, sha, sm3) != (entry.size, entry.sha256, entry.sm3):
            raise PackageIntegrityError(f"文件摘要不符 (digest mismatch for {entry.name})")
    return UnpackedArchive(manifest, manifest_bytes, signature, directory,
                           [written[f.name] for f in manifest.files])


RECORDSIZE = tarfile.RECORDSIZE
BLOCK = tarfile.BLOCKSIZE


def archive_size(manifest: Manifest, signature: bytes) -> int:
    """The exact byte size :func:`write_archive` will produce, so that the envelope can be written
    as DER (definite lengths) while the archive streams through it — no plaintext file on disk."""
    names = [MANIFEST_NAME, SIGNATURE_NAME] + [FILES_DIR + f.name for f in manifest.files]
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
