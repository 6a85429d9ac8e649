"""DER where OpenSSL requires DER: the small parts of an envelope that asn1crypto parses.

asn1crypto reads leniently: an INTEGER padded with leading zero octets, an element after the last
field of a SEQUENCE, a field given twice all parse, while ``openssl cms -decrypt`` refuses them. An
envelope the platform opens must open in OpenSSL too, so every small structure is checked by
re-encoding a fresh parse of it (``dump(force=True)``) and comparing with the bytes received:
any difference, longer or shorter, is refused and the message names the part.

What OpenSSL accepts beyond DER stays accepted:

- indefinite lengths: the reader hands structures on in the definite form (:func:`der.read_element`);
- SET OF elements in any order (RecipientInfos, the RDNs of a name): OpenSSL does not check the
  order, asn1crypto sorts when it re-encodes, so both sides are compared sorted;
- a field present with its DEFAULT value (RSAES-OAEP parameters written out for SHA-1): DER
  omits it, asn1crypto's re-encoding drops it, so the received side drops it too before comparing
  (:data:`DEFAULT_ENCODINGS`); the GCM icvLen, which OpenSSL always writes and requires, is an
  optional field of :class:`pki.envelope.content.GcmParameters`, so a 12 written out stays.

Stricter than OpenSSL, as before: non-minimal lengths, indefinite lengths inside definite ones and
constructed (segmented) strings inside these structures are refused by the framing or by asn1crypto.
"""
from __future__ import annotations

from typing import Type

from asn1crypto import algos, core

from pki.envelope.errors import MalformedEnvelope, asn1_detail
from pki.errors import ASN1_ERRORS

SET = 0x31

#: The DEFAULT values of the structures checked here (of those the platform can open, only the
#: RSAES-OAEP parameters have any), encoded as asn1crypto drops them from a re-encoding. A repeated
#: one cannot slip through: asn1crypto refuses a second element of the same context tag.
DEFAULT_ENCODINGS = frozenset(spec(**params).dump() for _, spec, params in algos.RSAESOAEPParams._fields
                              if "default" in params)


def require_der(spec: Type[core.Asn1Value], raw: bytes, what: str) -> None:
    """Refuse ``raw`` unless it is the DER of the ``spec`` value it encodes, but for what OpenSSL
    accepts too (SET OF order, DEFAULT values written out). Raises :class:`MalformedEnvelope`
    naming ``what``."""
    raw = bytes(raw)
    try:
        again = spec.load(raw).dump(force=True)
    except (*ASN1_ERRORS, AttributeError) as exc:   # dump(force) parses all; a missing field raises
        raise MalformedEnvelope(asn1_detail(what, exc)) from None
    received = _as_der_orders(raw)
    if again != received:
        raise MalformedEnvelope(f"{what} is not DER-encoded ({_difference(received, again)}; "
                                f"OpenSSL refuses it too)")


def children(raw: bytes) -> list[bytes]:
    """The elements inside the constructed element ``raw`` (a SET OF RecipientInfo), each as
    received: asn1crypto re-encodes a child once ``.native`` has been read, so the bytes to check
    are cut from the input."""
    _, start, end = _tlv(raw, 0)
    out = []
    while start < end:
        child_end = _tlv(raw, start)[2]
        out.append(raw[start:child_end])
        start = child_end
    return out


def _difference(received: bytes, der: bytes) -> str:
    if len(received) == len(der):
        at = next(i for i, (a, b) in enumerate(zip(received, der)) if a != b)
        return f"differs from its DER form at byte {at}"
    more = len(received) - len(der)
    return (f"{abs(more)} byte{'s' if abs(more) != 1 else ''} {'longer' if more > 0 else 'shorter'} than its "
            f"DER form: a padded INTEGER or OBJECT IDENTIFIER, an extra or repeated element")


def _as_der_orders(raw: bytes) -> bytes:
    """``raw`` as DER would order it, nothing else changed: the elements of every SET sorted by
    their encoding, fields written with their DEFAULT value left out. Lengths must already be
    definite and minimal (refused here otherwise); ``raw`` is at most
    :data:`pki.envelope.limits.MAX_DEPTH` deep (the framing checked it)."""
    end = _tlv(raw, 0)[2]
    return _canonical(raw, 0, end) + raw[end:]   # anything after the element stays, to differ


def _canonical(data: bytes, pos: int, end: int) -> bytes:
    """The element at ``pos`` (ending at ``end``) in DER order (see :func:`_as_der_orders`)."""
    tag, start, _ = _tlv(data, pos)
    if not tag & 0x20:
        return data[pos:end]
    children = []
    i = start
    while i < end:
        child_end = _tlv(data, i)[2]
        child = _canonical(data, i, child_end)
        if child not in DEFAULT_ENCODINGS:
            children.append(child)
        i = child_end
    if i != end:
        raise MalformedEnvelope(f"element overruns its container at byte {pos}")
    if tag == SET:
        children.sort()
    body = b"".join(children)
    return bytes((tag,)) + _length(len(body)) + body


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end) of the element at ``pos``; its length definite and minimal."""
    if pos + 2 > len(data):
        raise MalformedEnvelope(f"truncated element at byte {pos}")
    tag, first = data[pos], data[pos + 1]
    if first < 0x80:
        start, length = pos + 2, first
    else:
        n = first & 0x7F
        raw = data[pos + 2:pos + 2 + n]
        if n == 0 or n > 8 or len(raw) < n or raw[0] == 0 or int.from_bytes(raw, "big") < 0x80:
            raise MalformedEnvelope(f"indefinite or non-minimal length at byte {pos}")
        start, length = pos + 2 + n, int.from_bytes(raw, "big")
    if start + length > len(data):
        raise MalformedEnvelope(f"element overruns its container at byte {pos}")
    return tag, start, start + length


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw
