"""Protocol v1: versions, limits, request schemas and the JSON form of a certificate.

Requests are JSON objects; every field is checked here (type, encoding, size), unknown or repeated
fields are refused, so a typo never silently means "use the default". Binary values travel in
standard base64, digests in hex.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509

from bidtool.agent.errors import BadRequest, PayloadTooLarge

AGENT_VERSION = "1.0.0"
PROTOCOL_VERSION = 1
PREFIX = "/v1"
#: "unwrap-sign": /v1/unwrap takes ``sign`` and ``context`` and signs the key-release statement (the opening).
CAPABILITIES = ("certificates", "sign", "sign-digest", "unwrap", "unwrap-sign", "pin")

MiB = 1 << 20
#: Most data a page may have signed in one request (decoded); larger documents are hashed by the
#: page and sent as ``digest``.
MAX_SIGN_DATA = 8 * MiB
#: Request bodies are read only up to these sizes (JSON around base64 of MAX_SIGN_DATA for /sign).
MAX_SIGN_BODY = MAX_SIGN_DATA * 4 // 3 + 64 * 1024
MAX_BODY = 256 * 1024
#: A RecipientInfo is a few hundred bytes; a certificate a few KiB.
MAX_DER_FIELD = 64 * 1024

#: digest_algorithm → (digest length, key algorithms that sign with it).
DIGESTS = {"sha256": (32, ("rsa", "ec")), "sm3": (32, ("sm2",))}
PIN_PATTERN = re.compile(r"[\x20-\x7e]{4,64}")


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object from the request body; repeated keys are refused."""
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise BadRequest(f"字段 {key} 重复 (field {key!r} appears twice)")
            out[key] = value
        return out
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=no_duplicates,
                           parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError):      # a BadRequest from the hooks passes through
        raise BadRequest("请求不是有效的 JSON (the body is not valid UTF-8 JSON)") from None
    if not isinstance(value, dict):
        raise BadRequest("请求须为 JSON 对象 (the body must be a JSON object)")
    return value


def _no_constant(name: str) -> Any:
    raise BadRequest(f"JSON 中不允许 {name} ({name} is not allowed)")


class Fields:
    """Typed access to a request's fields; :meth:`done` refuses any field not read."""

    def __init__(self, data: dict[str, Any]):
        self._data = data
        self._read: set[str] = set()

    def text(self, name: str, *, required: bool = True, max_length: int = 256) -> str | None:
        self._read.add(name)
        value = self._data.get(name)
        if value is None:
            if required:
                raise BadRequest(f"缺少字段 {name} (missing field {name!r})")
            return None
        if not isinstance(value, str) or not value or len(value) > max_length:
            raise BadRequest(f"字段 {name} 须为不超过 {max_length} 个字符的非空字符串 "
                             f"(field {name!r} must be a non-empty string of at most {max_length} characters)")
        return value

    def base64(self, name: str, *, required: bool = True, limit: int = MAX_DER_FIELD) -> bytes | None:
        text = self.text(name, required=required, max_length=limit * 4 // 3 + 4)
        if text is None:
            return None
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"字段 {name} 不是有效的 base64 (field {name!r} is not valid base64)") from None
        if len(raw) > limit:
            raise PayloadTooLarge(f"字段 {name} 过大，最多 {limit} 字节 (field {name!r} is larger than {limit} bytes)")
        return raw

    def obj(self, name: str) -> Fields | None:
        """An optional JSON object, read field by field like the request itself (None when absent)."""
        self._read.add(name)
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise BadRequest(f"字段 {name} 须为 JSON 对象 (field {name!r} must be a JSON object)")
        return Fields(value)

    def flag(self, name: str) -> bool:
        """An optional JSON boolean, false when absent."""
        self._read.add(name)
        value = self._data.get(name, False)
        if not isinstance(value, bool):
            raise BadRequest(f"字段 {name} 须为 true 或 false (field {name!r} must be true or false)")
        return value

    def hex(self, name: str, *, required: bool = True) -> bytes | None:
        text = self.text(name, required=required, max_length=128)
        if text is None:
            return None
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise BadRequest(f"字段 {name} 不是十六进制 (field {name!r} is not hex)") from None

    def pin(self, name: str) -> str:
        value = self.text(name, max_length=64)
        assert value is not None
        if not PIN_PATTERN.fullmatch(value):
            raise BadRequest(f"字段 {name} 须为 4 至 64 个可打印 ASCII 字符 "
                             f"(field {name!r} must be 4 to 64 printable ASCII characters)")
        return value

    def has(self, name: str) -> bool:
        return self._data.get(name) is not None

    def done(self) -> None:
        extra = sorted(set(self._data) - self._read)
        if extra:
            raise BadRequest(f"未知字段 {', '.join(extra)} (unknown field{'s' * (len(extra) != 1)} "
                             f"{', '.join(extra)})")


# -- requests -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignRequest:
    certificate: str
    pin: str
    data: bytes | None
    digest: bytes | None
    digest_algorithm: str | None
    #: PAdES (a PDF's byte-range digest): no signing-time signed attribute (ETSI EN 319 142-1).
    pades: bool = False

    @classmethod
    def parse(cls, data: dict[str, Any]) -> "SignRequest":
        f = Fields(data)
        cert, pin = f.text("certificate", max_length=64), f.pin("pin")
        content = f.base64("data", required=False, limit=MAX_SIGN_DATA)
        digest = f.hex("digest", required=False)
        algorithm = f.text("digest_algorithm", required=False, max_length=16)
        pades = f.flag("pades")
        f.done()
        if (content is None) == (digest is None):
            raise BadRequest("须给出 data 或 digest 之一 (give exactly one of data and digest)")
        if content is not None and algorithm is not None:
            raise BadRequest("digest_algorithm 只与 digest 一起使用 (digest_algorithm goes with digest only)")
        if content is not None and pades:
            raise BadRequest("pades 只与 digest 一起使用 (pades goes with digest only)")
        if digest is not None:
            if algorithm not in DIGESTS:
                raise BadRequest(f"digest_algorithm 须为 {' 或 '.join(DIGESTS)} "
                                 f"(digest_algorithm must be one of {', '.join(DIGESTS)})")
            if len(digest) != DIGESTS[algorithm][0]:
                raise BadRequest(f"{algorithm} 摘要须为 {DIGESTS[algorithm][0]} 字节 "
                                 f"(a {algorithm} digest has {DIGESTS[algorithm][0]} bytes)")
        return cls(cert, pin, content, digest, algorithm, pades)  # type: ignore[arg-type]


#: The longest one-time context of a key-release statement (bidding.opening.statement.MAX_CONTEXT).
MAX_CONTEXT = 512


@dataclass(frozen=True)
class SignWith:
    """``/v1/unwrap``'s ``sign``: the signing certificate (and its PIN, default the unwrap PIN)."""

    certificate: str
    pin: str | None


@dataclass(frozen=True)
class UnwrapRequest:
    certificate: str
    pin: str
    recipient_info: bytes
    transport_certificate: bytes
    #: the opening: sign the key-release statement with this certificate, over ``context``
    sign: SignWith | None = None
    context: str | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> "UnwrapRequest":
        f = Fields(data)
        cert, pin = f.text("certificate", max_length=64), f.pin("pin")
        recipient_info, transport = f.base64("recipient_info"), f.base64("transport_certificate")
        sign_fields = f.obj("sign")
        context = f.text("context", required=False, max_length=MAX_CONTEXT)
        f.done()
        sign = None
        if sign_fields is not None:
            sign = SignWith(sign_fields.text("certificate", max_length=64),  # type: ignore[arg-type]
                            sign_fields.pin("pin") if sign_fields.has("pin") else None)
            sign_fields.done()
            if context is None:
                raise BadRequest("sign 须与 context 一起给出 (sign needs the context of the opening)")
        elif context is not None:
            raise BadRequest("context 只与 sign 一起使用 (context goes with sign only)")
        if context is not None and not re.fullmatch(r"[\x21-\x7e]+", context):
            raise BadRequest("context 须为可打印 ASCII 字符 (context must be printable ASCII without spaces)")
        return cls(cert, pin, recipient_info, transport, sign, context)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PinRequest:
    token: str | None
    certificate: str | None
    old_pin: str
    new_pin: str

    @classmethod
    def parse(cls, data: dict[str, Any]) -> "PinRequest":
        f = Fields(data)
        req = cls(f.text("token", required=False), f.text("certificate", required=False, max_length=64),
                  f.pin("old_pin"), f.pin("new_pin"))
        f.done()
        if (req.token is None) == (req.certificate is None):
            raise BadRequest("须给出 token 或 certificate 之一 (give exactly one of token and certificate)")
        if req.old_pin == req.new_pin:
            raise BadRequest("新 PIN 码须与旧 PIN 码不同 (the new PIN must differ from the old one)")
        return req


# -- answers --------------------------------------------------------------------------------------
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def certificate_id(cert: x509.Certificate) -> str:
    """The id a page names a certificate by: SHA-256 of its DER, lowercase hex."""
    return hashlib.sha256(cert.dump()).hexdigest()


def _rfc_name(bit: str) -> str:
    first, *rest = bit.split("_")
    return first + "".join(w.capitalize() for w in rest)


def key_usage(cert: x509.Certificate) -> list[str] | None:
    """keyUsage bits as RFC 5280 names them (``digitalSignature``), None without the extension."""
    usage = cert.key_usage_value
    return None if usage is None else [_rfc_name(b) for b in sorted(usage.native)]


def describe_certificate(cert: x509.Certificate) -> dict[str, Any]:
    """Everything a page shows or checks about a certificate, and the certificate itself."""
    from pki.certs import key_algorithm, key_description
    validity = cert["tbs_certificate"]["validity"]
    eku = cert.extended_key_usage_value
    return {
        "id": certificate_id(cert),
        "subject": cert.subject.human_friendly,
        "issuer": cert.issuer.human_friendly,
        "serial": format(cert.serial_number, "X"),
        "not_before": validity["not_before"].native.isoformat(),
        "not_after": validity["not_after"].native.isoformat(),
        "key_algorithm": key_algorithm(cert),
        "key": key_description(cert),
        "key_usage": key_usage(cert),
        "extended_key_usage": None if eku is None else list(eku.native),
        "certificate": b64(cert.dump()),
    }
