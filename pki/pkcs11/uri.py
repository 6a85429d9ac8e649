"""RFC 7512 ``pkcs11:`` URIs: parse and format.

A URI names a token and optionally one object on it, e.g.
``pkcs11:token=Alice;object=bid-key;id=%01%02;type=private?pin-source=/run/pin``.
Path attributes (``;``-separated) select; query attributes (``&``-separated) say how to get there
(module, PIN). python-pkcs11 has no parser, so this small one follows the RFC's grammar strictly:
an unknown or repeated attribute, a stray character or a broken percent escape is an error rather
than something silently ignored (a typo such as ``objet=`` must not match every object).

URIs are configuration: ``module-path`` loads a shared library and ``pin-source`` reads a file, so
never build one from request data.
"""
from __future__ import annotations

import dataclasses
import re
import string
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from pki.errors import PkiError

SCHEME = "pkcs11:"
OBJECT_TYPES = ("public", "private", "cert", "secret-key", "data")

# Path attribute name -> dataclass field, in the order format() writes them.
_PATH_TEXT = {
    "library-manufacturer": "library_manufacturer",
    "library-description": "library_description",
    "library-version": "library_version",
    "slot-manufacturer": "slot_manufacturer",
    "slot-description": "slot_description",
    "slot-id": "slot_id",
    "manufacturer": "manufacturer",
    "model": "model",
    "serial": "serial",
    "token": "token",
    "object": "object",
    "type": "type",
}
_QUERY_TEXT = {
    "module-name": "module_name",
    "module-path": "module_path",
    "pin-source": "pin_source",
    "pin-value": "pin_value",
}

_UNRESERVED = string.ascii_letters + string.digits + "-._~"
_RES_AVAIL = ":[]@!$'()*+,="
_PCHAR = frozenset(_UNRESERVED + _RES_AVAIL + "&")      # pk11-pchar: path values may hold '&'
_QCHAR = frozenset(_UNRESERVED + _RES_AVAIL + "/?|")    # pk11-qchar: query values may hold '/?|'


class Pkcs11UriError(PkiError):
    """A ``pkcs11:`` URI does not follow RFC 7512."""

    code = "pkcs11_uri_invalid"
    message = "PKCS#11 URI 无效 (the pkcs11: URI does not follow RFC 7512)"
    kind = "input"


@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed RFC 7512 URI. Text attributes are decoded strings; ``id`` is raw bytes.

    ``None`` means the attribute is absent (matches anything); an empty string is a present,
    empty value. ``vendor`` keeps attributes the RFC does not define as (name, value, in_query).
    """

    token: str | None = None
    manufacturer: str | None = None
    serial: str | None = None
    model: str | None = None
    object: str | None = None
    id: bytes | None = None
    type: str | None = None
    library_manufacturer: str | None = None
    library_description: str | None = None
    library_version: str | None = None
    slot_manufacturer: str | None = None
    slot_description: str | None = None
    slot_id: int | None = None
    pin_value: str | None = field(default=None, repr=False)
    pin_source: str | None = None
    module_path: str | None = None
    module_name: str | None = None
    vendor: tuple[tuple[str, str, bool], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in OBJECT_TYPES:
            raise Pkcs11UriError(f"未知的对象类型 (unknown object type {self.type!r}; "
                                 f"expected one of {', '.join(OBJECT_TYPES)})")
        if self.pin_value is not None and self.pin_source is not None:
            raise Pkcs11UriError("pin-value 与 pin-source 不能同时出现 "
                                 "(pin-value and pin-source must not both be given)")
        if self.slot_id is not None and self.slot_id < 0:
            raise Pkcs11UriError("slot-id 不能为负 (slot-id must not be negative)")
        if self.library_version is not None and not re.fullmatch(r"\d+(\.\d+)?", self.library_version):
            raise Pkcs11UriError(f"library-version 格式错误 (library-version must be "
                                 f"DIGITS[.DIGITS], not {self.library_version!r})")

    def replace(self, **changes: object) -> "Pkcs11Uri":
        """A copy with some attributes changed (``None`` removes one)."""
        return dataclasses.replace(self, **changes)

    def format(self, *, with_pin: bool = False) -> str:
        """The URI as text. The PIN value is left out unless ``with_pin`` (URIs end up in logs)."""
        path: list[str] = []
        for name, attr in _PATH_TEXT.items():
            value = getattr(self, attr)
            if value is not None:
                path.append(f"{name}={_quote(str(value), _PCHAR)}")
            if attr == "object" and self.id is not None:
                path.append(f"id={_quote_all(self.id)}")
        query: list[str] = []
        for name, attr in _QUERY_TEXT.items():
            value = getattr(self, attr)
            if value is None or (attr == "pin_value" and not with_pin):
                continue
            query.append(f"{name}={_quote(value, _QCHAR)}")
        for name, value, in_query in self.vendor:
            (query if in_query else path).append(
                f"{name}={_quote(value, _QCHAR if in_query else _PCHAR)}")
        text = SCHEME + ";".join(path)
        if query:
            text += "?" + "&".join(query)
        return text

    def __str__(self) -> str:
        return self.format()


def parse(uri: str) -> Pkcs11Uri:
    """Parse a ``pkcs11:`` URI (scheme case-insensitive); raise :class:`Pkcs11UriError` if malformed."""
    if not isinstance(uri, str):
        raise Pkcs11UriError(f"URI 必须是字符串 (a URI must be a str, not {type(uri).__name__})")
    if uri[:len(SCHEME)].lower() != SCHEME:
        raise Pkcs11UriError(f"不是 pkcs11: URI (not a pkcs11: URI: {uri[:40]!r})")
    rest = uri[len(SCHEME):]
    if "#" in rest:
        raise Pkcs11UriError("pkcs11: URI 不能带片段 (a pkcs11: URI has no '#fragment')")
    path_text, has_query, query_text = rest.partition("?")
    values: dict[str, object] = {}
    vendor: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for part in _split(path_text, ";", "path"):
        name, value = _attribute(part, _PCHAR, "path")
        _once(name, seen)
        if name == "id":
            values["id"] = _unquote(value)
        elif name == "slot-id":
            if not value.isdigit() or not value.isascii():
                raise Pkcs11UriError(f"slot-id 必须是十进制数 (slot-id must be decimal digits, not {value!r})")
            values["slot_id"] = int(value)
        elif name in _PATH_TEXT:
            values[_PATH_TEXT[name]] = _text(value, name)
        else:
            vendor.append((name, _text(value, name), False))
    if has_query:
        for part in _split(query_text, "&", "query"):
            name, value = _attribute(part, _QCHAR, "query")
            _once(name, seen)
            if name in _QUERY_TEXT:
                values[_QUERY_TEXT[name]] = _text(value, name)
            else:
                vendor.append((name, _text(value, name), True))
    return Pkcs11Uri(vendor=tuple(vendor), **values)  # type: ignore[arg-type]


def _split(text: str, sep: str, where: str) -> list[str]:
    if text == "":
        return []
    parts = text.split(sep)
    if any(p == "" for p in parts):
        raise Pkcs11UriError(f"URI {where} 中有空属性 (empty attribute in the {where}: "
                             f"doubled or trailing {sep!r})")
    return parts


def _attribute(part: str, allowed: frozenset[str], where: str) -> tuple[str, str]:
    name, eq, value = part.partition("=")
    if not eq:
        raise Pkcs11UriError(f"属性缺少 '=' (attribute without '=' in the {where}: {part!r})")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise Pkcs11UriError(f"属性名非法 (invalid attribute name {name!r})")
    for ch in value:
        if ch != "%" and ch not in allowed:
            raise Pkcs11UriError(f"属性 {name} 含未编码字符 (attribute {name!r} contains {ch!r}, "
                                 f"which must be percent-encoded)")
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        raise Pkcs11UriError(f"属性 {name} 的百分号编码不完整 (broken percent escape in {name!r})")
    return name, value


def _once(name: str, seen: set[str]) -> None:
    if name in seen:
        raise Pkcs11UriError(f"属性重复出现 (attribute {name!r} appears more than once)")
    seen.add(name)


def _unquote(value: str) -> bytes:
    return unquote_to_bytes(value)


def _text(value: str, name: str) -> str:
    try:
        return _unquote(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Pkcs11UriError(f"属性 {name} 不是 UTF-8 (attribute {name!r} is not UTF-8 "
                             f"after percent-decoding)") from exc


def _quote(value: str, allowed: frozenset[str]) -> str:
    out = []
    for ch in value:
        if ch in allowed:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out)


def _quote_all(data: bytes) -> str:
    return "".join(f"%{b:02X}" for b in data)


__all__ = ["Pkcs11Uri", "Pkcs11UriError", "parse", "OBJECT_TYPES", "SCHEME"]
