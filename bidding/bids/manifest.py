"""The bid package's manifest (投标文件清单): tender, bidder, price and every file's size, SHA-256
and SM3, in canonical JSON (sorted keys, UTF-8, no spaces) so that the bidder's signature covers
exactly one encoding.

Packing happens on the bidder's side (``bidtool pack``); the platform only ever holds the envelope
until the opening (DESIGN.md §6). The archive is :mod:`bidding.bids.archive`; the cryptography is
passed in from :mod:`pki` by :mod:`bidding.bids.sealing`.

One set of limits (below) holds for packing and opening alike: ``pack`` refuses what ``unpack``
would refuse, naming the limit, and :data:`MAX_MANIFEST_BYTES` is derived so that a manifest of
:data:`MAX_FILES` files with the longest names allowed always fits. Opening reads the manifest only
after its signature has been checked (:mod:`bidding.bids.sealing`), and even then parses it with
these limits: a price is a plain decimal of bounded length (no exponent: ``1E+999999999`` would
cost a gigabyte to print), integers are bounded, keys and file names are unique.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
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
_TENDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}")

# -- limits, shared by pack and unpack ------------------------------------------------------------
MAX_FILES = 10_000
"""Files in one package. 10 000 leaves room for a bid of scanned pages, one file a page."""
MAX_NAME_BYTES = 200
"""A file name's length in UTF-8 (file systems allow 255; the rest is left for copies' suffixes)."""
MAX_FILE_SIZE = (1 << 63) - 1
"""A file's size: what tar (pax) and every file system can state; at most 19 digits in JSON."""
MAX_TEXT_CHARS = 200
"""The bidder's name and credit code (or ID number)."""
PRICE_INTEGER_DIGITS = 15
"""Digits before the decimal point: up to 10¹⁵ − 1 (千万亿), far above any tender."""
PRICE_DECIMALS = 2
_PRICE = re.compile(rf"(0|[1-9][0-9]{{0,{PRICE_INTEGER_DIGITS - 1}}})(\.[0-9]{{1,{PRICE_DECIMALS}}})?")

# A file's entry in canonical JSON, at its longest: the fixed keys and digests, a size of 19 digits,
# and the name with every byte escaped to two (only '"' is escaped: control characters and '\' are
# not allowed in names, and non-ASCII text is written as UTF-8).
_ENTRY_FIXED = len(b'{"name":"","sha256":"","size":,"sm3":""},') + 64 + 64 + len(str(MAX_FILE_SIZE))
MAX_ENTRY_BYTES = _ENTRY_FIXED + 2 * MAX_NAME_BYTES
# Everything else: format, tender id (64), bidder code and name (200 characters of up to 4 bytes,
# each possibly escaped), price, currency, creation time; generously rounded up.
_HEADER_BYTES = 4096
MAX_ITEMS = 30
"""The quoted items of the 开标一览表 (delivery time, warranty, …) a manifest may declare beside the price."""
MAX_ITEM_NAME = 40
MAX_ITEM_VALUE = 200
# an item written out: {"name":…,"value":…}, every character escaped at worst (\uXXXX)
_ITEMS_BYTES = MAX_ITEMS * (6 * (MAX_ITEM_NAME + MAX_ITEM_VALUE) + 32)
MAX_MANIFEST_BYTES = _HEADER_BYTES + _ITEMS_BYTES + MAX_FILES * MAX_ENTRY_BYTES
"""manifest.json's size: a manifest of :data:`MAX_FILES` entries with maximal names always fits."""
MAX_SIGNATURE_BYTES = 1 << 20
"""manifest.sig's size: the signature, the signer's chain and a timestamp token."""


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
    items: tuple[tuple[str, str], ...] = ()     # the 开标一览表's other items, read out at the opening (唱标)

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
        if self.items:          # absent, not empty, when there are none: earlier packages stay byte-identical
            doc["items"] = [{"name": name, "value": value} for name, value in self.items]
        return canonical_json(doc)

    @classmethod
    def parse(cls, data: bytes) -> "Manifest":
        """Read a manifest within the limits above; anything else is a :class:`PackageError`.
        Call it only on bytes whose signature has been checked."""
        if len(data) > MAX_MANIFEST_BYTES:
            raise PackageError(f"{MANIFEST_NAME} 过大 (too large: {len(data)} bytes, at most {MAX_MANIFEST_BYTES})")
        try:
            doc = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_int=_bounded_int,
                             parse_float=_no_float, parse_constant=_no_float)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise PackageError(f"未知的投标文件包格式 (unknown package format "
                                   f"{doc.get('format') if isinstance(doc, dict) else None!r})")
            bidder, price = doc["bidder"], doc["price"]
            manifest = cls(
                tender_id=_tender(doc["tender"]), bidder_code=_text(bidder["credit_code"], "credit code"),
                bidder_name=_text(bidder.get("name", ""), "bidder name"),
                price=parse_price(price["amount"]), currency=_currency(price["currency"]),
                created_at=_time(doc["created_at"]), files=_entries(doc["files"]),
                items=_quote_items(doc.get("items", [])),
            )
        except PackageError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise PackageError(f"投标文件清单无法解析 (manifest unreadable: {type(exc).__name__} {exc})") from exc
        if manifest.canonical() != data:
            raise PackageError("投标文件清单不是规范格式 (manifest is not in canonical form)")
        return manifest


def canonical_json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# -- parsing helpers: each refuses what canonical() could not have written -------------------------
def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise PackageError("投标文件清单中键重复 (the manifest repeats a key)")
    return doc


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > len(str(MAX_FILE_SIZE)):
        raise PackageError(f"投标文件清单中的整数过长 (integer too long in the manifest: {len(text)} digits)")
    return int(text)


def _no_float(text: str) -> float:
    raise PackageError("投标文件清单中不应有小数或指数 (the manifest holds a float or exponent; "
                       "the price is a string)")


def _string(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise PackageError(f"投标文件清单中的{what}无效 (invalid {what} in the manifest)")
    return value


def _text(value: object, what: str) -> str:
    return _string(value, what, MAX_TEXT_CHARS)


def quote_items(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The declared items, checked: at most :data:`MAX_ITEMS`, each a non-empty name of at most
    :data:`MAX_ITEM_NAME` characters and a non-empty value of at most :data:`MAX_ITEM_VALUE`, no
    control characters, no name twice."""
    items, names = [], set()
    for name, value in pairs:
        name, value = _item_text(name, "item name", MAX_ITEM_NAME), _item_text(value, "item value", MAX_ITEM_VALUE)
        if name in names:
            raise PackageError(f"开标一览表项目重复 (item named twice: {name})")
        names.add(name)
        items.append((name, value))
    if len(items) > MAX_ITEMS:
        raise PackageError(f"开标一览表项目过多 (too many items: at most {MAX_ITEMS})")
    return tuple(items)


def _item_text(value: object, what: str, limit: int) -> str:
    text = _string(value, what, limit)
    if not text.strip() or text != text.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise PackageError(f"投标文件清单中的{what}无效 (invalid {what} in the manifest: empty, padded or with control "
                           "characters)")
    return text


def _quote_items(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise PackageError("投标文件清单中的开标一览表项目无效 (invalid items in the manifest)")
    pairs = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"name", "value"}:
            raise PackageError("投标文件清单中的开标一览表项目无效 (invalid items in the manifest)")
        pairs.append((item["name"], item["value"]))
    return quote_items(pairs)


def _tender(value: object) -> str:
    text = _string(value, "tender id", 64)
    if not _TENDER_ID.fullmatch(text):
        raise PackageError(f"项目编号不可用 (tender id not allowed: {text!r})")
    return text


def _currency(value: object) -> str:
    if value not in CURRENCIES:
        raise PackageError(f"不支持的币种 (unsupported currency {str(value)[:10]!r})")
    return value


def _time(value: object) -> datetime:
    at = datetime.fromisoformat(_string(value, "creation time", 40))
    if at.tzinfo is None:
        raise PackageError("时间须带时区 (times must be timezone-aware)")
    return at


def _entries(value: object) -> tuple[FileEntry, ...]:
    if not isinstance(value, list) or not value:
        raise PackageError("投标文件清单未列出文件 (the manifest lists no files)")
    check_file_count(len(value))
    entries, seen = [], set()
    for item in value:
        if not isinstance(item, dict):
            raise PackageError("投标文件清单中的文件条目无效 (invalid file entry in the manifest)")
        name = _string(item["name"], "file name", MAX_NAME_BYTES)
        if safe_name(name) != name:
            raise PackageError(f"文件名不是规范形式 (file name not in NFC: {name!r})")
        key = collision_key(name)
        if key in seen:
            raise PackageError(f"清单中文件重复 (the manifest lists {name!r} twice, or two names that "
                               "differ only in case or Unicode form)")
        seen.add(key)
        size = item["size"]
        if type(size) is not int or not 0 <= size <= MAX_FILE_SIZE:
            raise PackageError(f"文件大小无效 (invalid size for {name!r})")
        entries.append(FileEntry(name, size, _hex(item["sha256"]), _hex(item["sm3"])))
    return tuple(entries)


def _hex(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise PackageError("投标文件清单中的摘要无效 (invalid digest in the manifest)")
    return value


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise PackageError("时间须带时区 (times must be timezone-aware)")
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


# -- files and names ----------------------------------------------------------------------------
def digest_file(path: Path) -> tuple[int, str, str]:
    """Size, SHA-256 and SM3 of a file, read once in chunks."""
    digests = FileDigests()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digests.update(chunk)
    return digests.result()


class FileDigests:
    """Size, SHA-256 and SM3 of a stream, fed chunk by chunk."""

    def __init__(self) -> None:
        self.size, self._sha, self._sm3 = 0, hashlib.sha256(), hashes.Hash(hashes.SM3())

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._sha.update(chunk)
        self._sm3.update(chunk)

    def result(self) -> tuple[int, str, str]:
        return self.size, self._sha.hexdigest(), self._sm3.finalize().hex()


def safe_name(name: str) -> str:
    """A file name as it may appear in a package: one path component, no control characters, at
    most :data:`MAX_NAME_BYTES` bytes of UTF-8, in Unicode NFC."""
    name = unicodedata.normalize("NFC", name)
    if (not name or name in (".", "..") or "/" in name or "\\" in name
            or any(unicodedata.category(c).startswith("C") for c in name)):
        raise PackageError(f"文件名不可用 (file name not allowed: {name!r})")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise PackageError(f"文件名过长 (file name longer than {MAX_NAME_BYTES} bytes: {name[:40]!r}…)")
    return name


def collision_key(name: str) -> str:
    """What two names must not share in one package: names equal after NFC and case-folding would
    be one file on macOS (APFS, HFS+) and Windows (NTFS), where bidders unpack; so they are refused
    everywhere, at pack time and at opening alike."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def check_file_count(count: int) -> None:
    if count > MAX_FILES:
        raise PackageError(f"文件过多 (too many files: {count}; a bid package holds at most MAX_FILES = {MAX_FILES})")


# -- price --------------------------------------------------------------------------------------
def parse_price(amount: object) -> Decimal:
    """A price as written in a manifest: a plain decimal (no sign, no exponent), at most
    :data:`PRICE_INTEGER_DIGITS` digits before the point and :data:`PRICE_DECIMALS` after."""
    if not isinstance(amount, str) or not _PRICE.fullmatch(amount):
        shown = amount[:30] if isinstance(amount, str) else type(amount).__name__
        raise PackageError(f"报价格式无效 (price must be a plain decimal ≥ 0 with at most {PRICE_INTEGER_DIGITS} "
                           f"digits and {PRICE_DECIMALS} decimals, no exponent: {shown!r})")
    return Decimal(amount)


def validate_price(amount: str | Decimal, currency: str) -> tuple[Decimal, str]:
    if isinstance(amount, Decimal):
        amount = format(amount, "f") if amount.is_finite() else str(amount)
    value = parse_price(str(amount).strip())
    if currency not in CURRENCIES:
        raise PackageError(f"不支持的币种 (unsupported currency {currency!r})")
    return value, currency


def build_manifest(files: Iterable[Path], *, tender_id: str, bidder_code: str, price: str | Decimal,
                   currency: str = "CNY", created_at: datetime, bidder_name: str = "",
                   items: Iterable[tuple[str, str]] = ()) -> Manifest:
    """The manifest of ``files``, refused with the limit named if it would not open again."""
    files = [Path(p) for p in files]
    check_file_count(len(files))
    if not _TENDER_ID.fullmatch(tender_id):
        raise PackageError(f"项目编号不可用 (tender id not allowed: {tender_id!r})")
    _text(bidder_code, "credit code")
    _text(bidder_name, "bidder name")
    value, currency = validate_price(price, currency)
    entries, seen = [], set()
    for path in files:
        if not path.is_file():
            raise PackageError(f"找不到文件 (no such file: {path})")
        name = safe_name(path.name)
        if collision_key(name) in seen:
            raise PackageError(f"文件名重复 (duplicate file name: {name}; names may not differ only in case "
                               "or Unicode form)")
        seen.add(collision_key(name))
        entries.append(FileEntry(name, *digest_file(path)))
    if not entries:
        raise PackageError("投标文件包至少需要一个文件 (a bid package needs at least one file)")
    manifest = Manifest(tender_id, bidder_code, value, currency, created_at, tuple(entries), bidder_name,
                        quote_items(items))
    if len(manifest.canonical()) > MAX_MANIFEST_BYTES:    # cannot happen within the limits above
        raise PackageError(f"{MANIFEST_NAME} 过大 (too large: at most MAX_MANIFEST_BYTES = {MAX_MANIFEST_BYTES})")
    return manifest
