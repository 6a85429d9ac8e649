"""Bid packages (投标文件包): the files of a bid, a manifest, the bidder's signature over the
manifest, packed as a tar archive and sealed in a digital envelope to the bidder's certificate.

Layout inside the archive (plain POSIX ustar, nothing else)::

    manifest.json        canonical JSON (sorted keys, UTF-8, no spaces)
    manifest.sig         detached CMS / GM/T 0010 signature over manifest.json by the bidder
    files/<name>         each file of the bid, exactly as listed in the manifest

Packing happens on the bidder's side (``bidtool pack``); the platform only ever holds the envelope
until the opening (DESIGN.md §6). This module knows the manifest and the archive; the cryptography
is passed in from :mod:`pki` by the caller.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, Iterable

from cryptography.hazmat.primitives import hashes

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
FILES_DIR = "files/"
FORMAT = "ebid-package/1"
CHUNK = 1 << 20
CURRENCIES = {"CNY", "USD", "EUR", "HKD"}
_TENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


class PackageError(ValueError):
    """A bid package is malformed, incomplete, or does not match its manifest."""


class PackageIntegrityError(PackageError):
    """The package was altered or is not the bidder's: a file digest, the manifest's signature or
    the signer's identity does not check out."""


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str
    sm3: str

    def as_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "sha256": self.sha256, "sm3": self.sm3}


@dataclass(frozen=True)
class Manifest:
    tender_id: str
    bidder_code: str
    price: Decimal
    currency: str
    created_at: datetime
    files: tuple[FileEntry, ...]
    bidder_name: str = ""
    extra: dict = field(default_factory=dict)

    def canonical(self) -> bytes:
        """The exact bytes that are signed: canonical JSON."""
        doc = {
            "format": FORMAT,
            "tender": self.tender_id,
            "bidder": {"credit_code": self.bidder_code, "name": self.bidder_name},
            "price": {"amount": format(self.price, "f"), "currency": self.currency},
            "created_at": _iso(self.created_at),
            "files": [f.as_dict() for f in self.files],
        }
        if self.extra:
            doc["extra"] = self.extra
        return canonical_json(doc)

    @classmethod
    def parse(cls, data: bytes) -> "Manifest":
        try:
            doc = json.loads(data.decode("utf-8"))
            if doc.get("format") != FORMAT:
                raise PackageError(f"未知的投标文件包格式 (unknown package format {doc.get('format')!r})")
            files = tuple(FileEntry(f["name"], int(f["size"]), f["sha256"], f["sm3"]) for f in doc["files"])
            manifest = cls(
                tender_id=doc["tender"], bidder_code=doc["bidder"]["credit_code"],
                bidder_name=doc["bidder"].get("name", ""),
                price=Decimal(doc["price"]["amount"]), currency=doc["price"]["currency"],
                created_at=datetime.fromisoformat(doc["created_at"]), files=files,
                extra=doc.get("extra", {}),
            )
        except PackageError:
            raise
        except (ValueError, KeyError, TypeError, InvalidOperation, UnicodeDecodeError) as exc:
            raise PackageError(f"投标文件清单无法解析 (manifest unreadable: {exc})") from exc
        if manifest.canonical() != data:
            raise PackageError("投标文件清单不是规范格式 (manifest is not in canonical form)")
        return manifest


def canonical_json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise PackageError("时间须带时区 (times must be timezone-aware)")
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def digest_file(path: Path) -> tuple[int, str, str]:
    """Size, SHA-256 and SM3 of a file, read once in chunks."""
    sha, sm3 = hashlib.sha256(), hashes.Hash(hashes.SM3())
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            size += len(chunk)
            sha.update(chunk)
            sm3.update(chunk)
    return size, sha.hexdigest(), sm3.finalize().hex()


def safe_name(name: str) -> str:
    """A file name as it may appear in a package: one path component, no control characters."""
    name = unicodedata.normalize("NFC", name)
    if (not name or name in (".", "..") or "/" in name or "\\" in name or len(name.encode()) > 200
            or any(unicodedata.category(c).startswith("C") for c in name)):
        raise PackageError(f"文件名不可用 (file name not allowed: {name!r})")
    return name


def validate_price(amount: str | Decimal, currency: str) -> tuple[Decimal, str]:
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise PackageError(f"报价不是数字 (price is not a number: {amount!r})") from exc
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:
        raise PackageError(f"报价须为非负数且最多两位小数 (price must be ≥ 0 with at most 2 decimals: {amount})")
    if currency not in CURRENCIES:
        raise PackageError(f"不支持的币种 (unsupported currency {currency!r})")
    return value, currency


def build_manifest(files: Iterable[Path], *, tender_id: str, bidder_code: str, price: str | Decimal,
                   currency: str = "CNY", created_at: datetime, bidder_name: str = "") -> Manifest:
    if not _TENDER_ID.match(tender_id):
        raise PackageError(f"项目编号不可用 (tender id not allowed: {tender_id!r})")
    value, currency = validate_price(price, currency)
    entries, seen = [], set()
    for path in files:
        path = Path(path)
        if not path.is_file():
            raise PackageError(f"找不到文件 (no such file: {path})")
        name = safe_name(path.name)
        if name in seen:
            raise PackageError(f"文件名重复 (duplicate file name: {name})")
        seen.add(name)
        entries.append(FileEntry(name, *digest_file(path)))
    if not entries:
        raise PackageError("投标文件包至少需要一个文件 (a bid package needs at least one file)")
    return Manifest(tender_id, bidder_code, value, currency, created_at, tuple(entries), bidder_name)


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


def atomic_write_path(target: Path) -> Path:
    """A temporary name beside ``target`` (same filesystem, so rename is atomic)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


# -- sealing and opening (the cryptography comes from pki) ---------------------------------------
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


class _Hashing:
    """A read-only file wrapper that hashes what passes through (to catch files changed while
    they are being packed)."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.sha = fh, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.sha.update(data)
        return data
