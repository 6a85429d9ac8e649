"""The bid package's manifest (投标文件清单): tender, bidder, price and every file's size, SHA-256
and SM3, in canonical JSON (sorted keys, UTF-8, no spaces) so that the bidder's signature covers
exactly one encoding.

Packing happens on the bidder's side (``bidtool pack``); the platform only ever holds the envelope
until the opening (DESIGN.md §6). The archive is :mod:`bidding.bids.archive`; the cryptography is
passed in from :mod:`pki` by :mod:`bidding.bids.sealing`.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable

from cryptography.hazmat.primitives import hashes

from bidding.bids.errors import PackageError

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
FILES_DIR = "files/"
FORMAT = "ebid-package/1"
CHUNK = 1 << 20
CURRENCIES = {"CNY", "USD", "EUR", "HKD"}
_TENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")


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
