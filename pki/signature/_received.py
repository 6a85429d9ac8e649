"""The received bytes of a SignedData's signed parts, sliced straight out of the input buffer.

asn1crypto rebuilds a value's ``.contents`` from its parsed children once any child is touched (reading
``.native`` of an ESSCertIDv2 materialises its DEFAULT hashAlgorithm and marks the tree mutated): the
rebuilt bytes drop unknown trailing elements and normalise BER. What was signed must never come from
there. This module walks the TLVs of the buffer itself (DER or BER, definite or indefinite lengths) and
hands out slices: each SignerInfo's signedAttrs as received, the encapsulated ContentInfo, the eContent
octets, the certificates and unsigned attribute values (timestamp tokens).
"""
from __future__ import annotations

from dataclasses import dataclass

from pki.signature.errors import SignatureFormatError

SEQUENCE, SET, OCTET_STRING, OID = 0x30, 0x31, 0x04, 0x06
CONTEXT_0, CONTEXT_1 = 0xA0, 0xA1
#: id-aa-timeStampToken 1.2.840.113549.1.9.16.2.14, DER contents of the OID
TIME_STAMP_TOKEN_OID = bytes.fromhex("2a864886f70d010910020e")
#: Deeper nesting is refused: CMS with a timestamp token inside stays far below, and the walks here
#: (and the search for an indefinite value's end) recurse once per level.
MAX_DEPTH = 100


@dataclass(frozen=True)
class Tlv:
    """One TLV of ``buf``: ``buf[start:end]`` whole, ``buf[body:body_end]`` its contents."""

    buf: bytes
    tag: int                 # first identifier octet
    start: int
    tag_end: int             # where the length octets begin
    body: int
    body_end: int
    end: int
    indefinite: bool

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    @property
    def encoding(self) -> bytes:
        return self.buf[self.start:self.end]

    @property
    def contents(self) -> bytes:
        return self.buf[self.body:self.body_end]

    @property
    def header(self) -> bytes:
        return self.buf[self.start:self.body]

    @property
    def identifier(self) -> bytes:
        return self.buf[self.start:self.tag_end]

    def children(self) -> list["Tlv"]:
        if not self.constructed:
            raise ValueError("primitive value has no children")
        out, at = [], self.body
        while at < self.body_end:
            child = read_tlv(self.buf, at, self.body_end)
            out.append(child)
            at = child.end
        return out


def read_tlv(buf: bytes, at: int, limit: int | None = None, depth: int = 0) -> Tlv:
    """The TLV at ``buf[at]`` (BER: indefinite lengths allowed for constructed values)."""
    if depth > MAX_DEPTH:
        raise ValueError("nesting too deep")
    limit = len(buf) if limit is None else limit
    start = at
    if at + 2 > limit:
        raise ValueError("truncated TLV")
    tag = buf[at]
    at += 1
    if tag & 0x1F == 0x1F:                       # high tag number form
        while True:
            if at >= limit:
                raise ValueError("truncated tag")
            at += 1
            if not buf[at - 1] & 0x80:
                break
    if at >= limit:
        raise ValueError("truncated length")
    tag_end = at
    first = buf[at]
    at += 1
    if first == 0x80:
        if not tag & 0x20:
            raise ValueError("indefinite length on a primitive value")
        body, pos = at, at
        while True:
            if buf[pos:pos + 2] == b"\x00\x00":
                return Tlv(buf, tag, start, tag_end, body, pos, pos + 2, True)
            pos = read_tlv(buf, pos, limit, depth + 1).end
    if first & 0x80:
        n = first & 0x7F
        if n == 0x7F or at + n > limit:
            raise ValueError("bad length")
        size = int.from_bytes(buf[at:at + n], "big")
        at += n
    else:
        size = first
    if at + size > limit:
        raise ValueError("length beyond the end")
    return Tlv(buf, tag, start, tag_end, at, at + size, at + size, False)


@dataclass(frozen=True)
class ReceivedSignerInfo:
    """The bytes of one SignerInfo as received."""

    encoding: bytes
    signed_attrs: Tlv | None          # the [0] IMPLICIT SET OF element, header included
    unsigned_attrs: Tlv | None
    fields: tuple[Tlv, ...] = ()      # the other fields: version, sid, digest and signature algorithms, signature

    @property
    def signed_attrs_message(self) -> bytes | None:
        """What the signature covers (RFC 5652 §5.4): the received signedAttrs with the SET tag 0x31
        in place of [0] IMPLICIT — every other byte exactly as received."""
        if self.signed_attrs is None:
            return None
        return bytes([SET]) + self.signed_attrs.encoding[1:]

    def unsigned_values(self, oid_contents: bytes) -> list[bytes]:
        """The received encodings of the values of unsigned attribute ``oid_contents`` (OID contents)."""
        if self.unsigned_attrs is None:
            return []
        for attr in self.unsigned_attrs.children():
            parts = attr.children()
            if parts and parts[0].tag == OID and parts[0].contents == oid_contents and len(parts) > 1:
                return [v.encoding for v in parts[1].children()]
        return []


@dataclass(frozen=True)
class ReceivedSignedData:
    """The signed parts of a SignedData, as received."""

    encap_content_info: bytes                  # the EncapsulatedContentInfo TLV
    econtent: bytes | None                     # the eContent octets (BER chunks joined), None if detached
    certificates: tuple[bytes, ...]            # every Certificate (SEQUENCE choice) in [0] certificates
    signer_infos: tuple[ReceivedSignerInfo, ...]
    digest_algorithms: tuple[bytes, ...] = ()  # each AlgorithmIdentifier of digestAlgorithms


def received_signed_data(der: bytes) -> ReceivedSignedData:
    """Slice a ContentInfo holding a (GM/T 0010) SignedData; :class:`SignatureFormatError` if the
    TLVs do not have its shape."""
    try:
        return _slice(der)
    except (ValueError, IndexError) as exc:
        raise SignatureFormatError(f"签名数据的结构无法切分 (the SignedData's structure cannot be read: {exc})") from exc


def _slice(der: bytes) -> ReceivedSignedData:
    info = read_tlv(der, 0)
    if info.end != len(der):
        raise ValueError("bytes after the ContentInfo")
    info_parts = _expect(info, SEQUENCE).children()
    explicit = _expect(info_parts[1], CONTEXT_0).children()
    if len(explicit) != 1:
        raise ValueError("[0] content holds more than one value")
    parts = _expect(explicit[0], SEQUENCE).children()
    encap = _expect(parts[2], SEQUENCE)
    certificates: tuple[bytes, ...] = ()
    rest = parts[3:]
    if rest and rest[0].tag == CONTEXT_0:
        certificates = tuple(c.encoding for c in rest[0].children() if c.tag == SEQUENCE)
        rest = rest[1:]
    if rest and rest[0].tag == CONTEXT_1:
        rest = rest[1:]
    if len(rest) != 1:
        raise ValueError("signerInfos missing or followed by more elements")
    signers = tuple(_signer(si) for si in _expect(rest[0], SET).children())
    digest_algorithms = tuple(a.encoding for a in _expect(parts[1], SET).children())
    return ReceivedSignedData(encap.encoding, _econtent(encap), certificates, signers, digest_algorithms)


def _signer(si: Tlv) -> ReceivedSignerInfo:
    parts = _expect(si, SEQUENCE).children()
    signed = parts[3] if len(parts) > 3 and parts[3].tag == CONTEXT_0 else None
    unsigned = parts[-1] if parts[-1].tag == CONTEXT_1 else None
    others = tuple(p for p in parts if p is not signed and p is not unsigned)
    return ReceivedSignerInfo(si.encoding, signed, unsigned, others)


def _econtent(encap: Tlv) -> bytes | None:
    parts = encap.children()
    if len(parts) < 2:
        return None
    inner = _expect(parts[1], CONTEXT_0).children()
    if len(inner) != 1:
        raise ValueError("[0] eContent holds more than one value")
    return _octets(inner[0])


def _octets(value: Tlv) -> bytes:
    """An OCTET STRING's octets; a constructed (BER) one's chunks joined."""
    if value.tag == OCTET_STRING:
        return value.contents
    if value.tag == OCTET_STRING | 0x20:
        return b"".join(_octets(chunk) for chunk in value.children())
    raise ValueError("eContent is not an OCTET STRING")


def _expect(tlv: Tlv, tag: int) -> Tlv:
    if tlv.tag != tag:
        raise ValueError(f"tag 0x{tlv.tag:02x} where 0x{tag:02x} belongs")
    return tlv


__all__ = ["MAX_DEPTH", "Tlv", "read_tlv", "ReceivedSignerInfo", "ReceivedSignedData", "received_signed_data",
           "TIME_STAMP_TOKEN_OID"]
