"""CMS (RFC 5652) outer structures for RSA and EC recipients: AuthEnvelopedData (RFC 5083) with
AES-GCM (RFC 5084), the default, or EnvelopedData with AES-CBC. Built as a :mod:`der` layout so
the content can stream between the headers."""
from __future__ import annotations

from asn1crypto import cms, core

from pki.envelope.content import ContentAlgorithm
from pki.envelope.der import INTEGER, SEQUENCE, Content, Late, Node, tlv

DATA = "1.2.840.113549.1.7.1"
ENVELOPED_DATA = "1.2.840.113549.1.7.3"
AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23"
MAC = Late("mac", 18)          # OCTET STRING of the 16-byte GCM tag


def oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


def enveloped_data_version(infos: list[cms.RecipientInfo]) -> int:
    """RFC 5652 §6.1 (no originatorInfo, no unprotected attributes written here)."""
    if any(ri.name in ("pwri", "ori") for ri in infos):
        return 3
    if any(ri.chosen["version"].native != "v0" for ri in infos):
        return 2
    return 0


def recipient_infos_der(infos: list[cms.RecipientInfo]) -> bytes:
    """DER of the SET OF RecipientInfo, elements sorted by their encoding as DER requires."""
    ordered = sorted(infos, key=lambda ri: ri.dump())
    return cms.RecipientInfos(ordered).dump()


def structure(infos: list[cms.RecipientInfo], alg: ContentAlgorithm) -> Node:
    """ContentInfo { authEnvelopedData | envelopedData } around the streamed content."""
    recipient_infos = recipient_infos_der(infos)
    eci = Node(SEQUENCE, [oid(DATA) + alg.identifier(), Content()])
    if alg.aead:
        body = Node(SEQUENCE, [tlv(INTEGER, b"\x00") + recipient_infos, eci, MAC])
        content_type = AUTH_ENVELOPED_DATA
    else:
        version = enveloped_data_version(infos)
        body = Node(SEQUENCE, [tlv(INTEGER, bytes((version,))) + recipient_infos, eci])
        content_type = ENVELOPED_DATA
    return Node(SEQUENCE, [oid(content_type), Node(0xA0, [body])])


__all__ = ["structure", "recipient_infos_der", "DATA", "ENVELOPED_DATA", "AUTH_ENVELOPED_DATA"]
