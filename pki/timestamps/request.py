"""Reading a TimeStampReq (RFC 3161 §2.4.1) strictly, by hand: DER only, every field checked.

A request comes from anyone on the network, so it is read here rather than by asn1crypto, which is
lenient where a TSA must not be: it keeps unknown elements aside and fails later (a REAL where the
nonce belongs raised ``AttributeError`` from ``.native``), and accepts BER lengths, non-minimal
integers and trailing bytes. A TimeStampReq is six fields::

    TimeStampReq ::= SEQUENCE {
       version        INTEGER { v1(1) },
       messageImprint MessageImprint,          -- SEQUENCE { AlgorithmIdentifier, OCTET STRING }
       reqPolicy      TSAPolicyId OPTIONAL,    -- OBJECT IDENTIFIER
       nonce          INTEGER OPTIONAL,
       certReq        BOOLEAN DEFAULT FALSE,
       extensions     [0] IMPLICIT Extensions OPTIONAL }

Anything else is a :class:`RequestRefused` carrying the PKIFailureInfo bit the answer names
(badDataFormat, badAlg, unacceptedPolicy, unacceptedExtension).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from asn1crypto import algos

from pki.errors import PkiError

#: Imprint hash algorithms a request may use, with their digest sizes. SHA-1 and MD5 are refused.
ACCEPTED_HASHES = {"sha256": 32, "sha384": 48, "sha512": 64, "sm3": 32}
#: A nonce is a large random number (openssl writes 64 bits); anything longer is not one.
MAX_NONCE_BYTES = 64

_BOOLEAN, _INTEGER, _OCTET_STRING, _OID, _SEQUENCE = 0x01, 0x02, 0x04, 0x06, 0x30
_EXTENSIONS = 0xA0          # [0] IMPLICIT, constructed


class RequestRefused(PkiError):
    """A TimeStampReq the TSA answers with status *rejection*; ``fail_info`` is asn1crypto's name of
    the PKIFailureInfo bit (``bad_data_format``, ``bad_alg``, ``unaccepted_policy``, …)."""

    code = "timestamp_request_refused"
    message = "时间戳请求被拒绝 (the time-stamp request was refused)"
    kind = "input"

    def __init__(self, fail_info: str, message: str):
        super().__init__(message, fail_info=fail_info)
        self.fail_info = fail_info


@dataclass(frozen=True)
class TimeStampRequest:
    """The fields of a well-formed request. ``message_imprint`` is its DER exactly as sent: the token
    must carry the same value (RFC 3161 §2.4.2)."""

    hash_algorithm: str
    hashed_message: bytes
    message_imprint: bytes
    policy: str | None
    nonce: int | None
    cert_req: bool


def parse_request(data: bytes, accepted_policies: frozenset[str] | set[str]) -> TimeStampRequest:
    """The request in ``data`` (DER, nothing after it), or :class:`RequestRefused`."""
    tag, body, end = _element(data, 0, len(data))
    if tag != _SEQUENCE:
        raise _bad("时间戳请求不是 DER 序列 (the request is not a DER SEQUENCE)")
    if end != len(data):
        raise _bad("时间戳请求后有多余字节 (trailing bytes after the request)")
    fields = _children(body)
    if len(fields) < 2 or fields[0].tag != _INTEGER or fields[1].tag != _SEQUENCE:
        raise _bad("时间戳请求缺少版本或消息摘要 (the request lacks version or messageImprint)")
    if _integer(fields[0].contents) != 1:
        raise _bad("时间戳请求版本应为 1 (TimeStampReq version must be 1)")
    hash_algorithm, hashed_message = _imprint(fields[1].contents)
    optional = _optional_fields(fields[2:])
    policy = _oid(optional[_OID]) if _OID in optional else None
    if policy is not None and policy not in accepted_policies:
        raise RequestRefused("unaccepted_policy", f"不接受的时间戳策略 {policy} (policy not accepted)")
    if _EXTENSIONS in optional:
        raise RequestRefused("unaccepted_extensions", "不支持请求扩展 (request extensions are not supported)")
    return TimeStampRequest(
        hash_algorithm=hash_algorithm, hashed_message=hashed_message,
        message_imprint=fields[1].encoded, policy=policy,
        nonce=_nonce(optional[_INTEGER]) if _INTEGER in optional else None,
        cert_req=_BOOLEAN in optional)


# -- the fields -------------------------------------------------------------------------------------------
def _imprint(body: bytes) -> tuple[str, bytes]:
    parts = _children(body)
    if [part.tag for part in parts] != [_SEQUENCE, _OCTET_STRING]:
        raise _bad("消息摘要结构错误 (messageImprint must be an AlgorithmIdentifier and an OCTET STRING)")
    algorithm = _children(parts[0].contents)
    if not algorithm or algorithm[0].tag != _OID:
        raise _bad("摘要算法标识错误 (the hash AlgorithmIdentifier has no OBJECT IDENTIFIER)")
    oid = _oid(algorithm[0].contents)
    name = algos.DigestAlgorithmId.map(oid)
    if name not in ACCEPTED_HASHES:
        raise RequestRefused("bad_alg", f"不支持的摘要算法 {name} (unsupported hash algorithm {name})")
    if [part.encoded for part in algorithm[1:]] not in ([], [b"\x05\x00"]):
        raise RequestRefused("bad_alg", "摘要算法参数须为空 (the hash algorithm parameters must be absent or NULL)")
    digest = parts[1].contents
    if len(digest) != ACCEPTED_HASHES[name]:
        raise _bad(f"摘要长度与 {name} 不符 (the imprint length does not fit {name})")
    return name, digest


def _optional_fields(fields: list[_Element]) -> dict[int, bytes]:
    """reqPolicy, nonce, certReq, extensions: each at most once, in this order, nothing else."""
    order = [_OID, _INTEGER, _BOOLEAN, _EXTENSIONS]
    found: dict[int, bytes] = {}
    position = 0
    for field in fields:
        if field.tag not in order[position:]:
            raise _bad(f"时间戳请求含有意外的元素 (unexpected element with tag 0x{field.tag:02x} in the request)")
        position = order.index(field.tag) + 1
        found[field.tag] = field.contents
    if _BOOLEAN in found and found[_BOOLEAN] != b"\xff":
        # DER: TRUE is 0xFF, and certReq FALSE is the default, so it is never written
        raise _bad("certReq 须为 DER 编码的 TRUE (certReq must be DER TRUE or absent)")
    if _EXTENSIONS in found:
        extensions = _children(found[_EXTENSIONS])
        if not extensions or any(extension.tag != _SEQUENCE for extension in extensions):
            raise _bad("请求扩展结构错误 (malformed request extensions)")
    return found


def _nonce(body: bytes) -> int:
    if len(body) > MAX_NONCE_BYTES:
        raise _bad("随机数过长 (the nonce is too long)")
    return _integer(body)


# -- DER primitives ---------------------------------------------------------------------------------------
def _element(data: bytes, pos: int, end: int) -> tuple[int, bytes, int]:
    """(tag, contents, end) of the DER element at ``pos``: one-byte tags, minimal definite lengths."""
    if end - pos < 2:
        raise _bad("时间戳请求被截断 (the request is truncated)")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if tag & 0x1F == 0x1F:
        raise _bad("时间戳请求含有多字节标签 (multi-byte tags do not occur in a request)")
    if first == 0x80:
        raise _bad("时间戳请求须为 DER，不能用不定长编码 (indefinite lengths are BER, not DER)")
    length = first
    if first > 0x80:
        size = first & 0x7F
        raw = data[pos:pos + size]
        if size > 4 or len(raw) < size:
            raise _bad("时间戳请求长度字段错误 (bad length octets)")
        length = int.from_bytes(raw, "big")
        if raw[0] == 0 or length < 0x80:
            raise _bad("时间戳请求长度不是最短编码 (non-minimal length: not DER)")
        pos += size
    if end - pos < length:
        raise _bad("时间戳请求被截断 (the request is truncated)")
    return tag, data[pos:pos + length], pos + length


class _Element(NamedTuple):
    tag: int
    contents: bytes
    encoded: bytes


def _children(body: bytes) -> list[_Element]:
    """The elements that exactly fill ``body`` (the contents of a constructed element)."""
    out = []
    pos = 0
    while pos < len(body):
        tag, contents, end = _element(body, pos, len(body))
        out.append(_Element(tag, contents, body[pos:end]))
        pos = end
    return out


def _integer(body: bytes) -> int:
    if not body or (len(body) > 1 and (body[0], body[1] >> 7) in ((0, 0), (0xFF, 1))):
        raise _bad("整数不是最短 DER 编码 (an INTEGER is empty or not minimally encoded)")
    return int.from_bytes(body, "big", signed=True)


def _oid(body: bytes) -> str:
    if not body or body[-1] & 0x80:
        raise _bad("对象标识符编码错误 (malformed OBJECT IDENTIFIER)")
    arcs: list[int] = []
    value = 0
    for i, byte in enumerate(body):
        if byte == 0x80 and (i == 0 or not body[i - 1] & 0x80):
            raise _bad("对象标识符不是最短编码 (non-minimal OBJECT IDENTIFIER arc)")
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _bad(message: str) -> RequestRefused:
    return RequestRefused("bad_data_format", message)


__all__ = ["ACCEPTED_HASHES", "MAX_NONCE_BYTES", "RequestRefused", "TimeStampRequest", "parse_request"]
