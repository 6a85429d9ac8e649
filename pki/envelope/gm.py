"""GM/T 0010 envelopedData (1.2.156.10197.6.1.4.2.3) for SM2 recipients, as GmSSL writes it:
EnvelopedData version 1, KeyTransRecipientInfo version 1 with issuerAndSerialNumber, SM2-encrypted
SM4 key, EncryptedContentInfo of type data (1.2.156.10197.6.1.4.2.1) with SM4-CBC and the IV as an
OCTET STRING parameter. GmSSL's optional sharedInfo1/2 are never written and ignored on reading."""
from __future__ import annotations

from asn1crypto import cms

from pki.envelope.cms import oid, recipient_infos_der
from pki.envelope.content import ContentAlgorithm
from pki.envelope.der import INTEGER, SEQUENCE, Content, Node, tlv
from pki.oids import GM_DATA, GM_ENVELOPED_DATA

VERSION = 1


def structure(infos: list[cms.RecipientInfo], alg: ContentAlgorithm) -> Node:
    """ContentInfo { gm envelopedData } around the streamed SM4-CBC content."""
    eci = Node(SEQUENCE, [oid(GM_DATA) + alg.identifier(), Content()])
    body = Node(SEQUENCE, [tlv(INTEGER, bytes((VERSION,))) + recipient_infos_der(infos), eci])
    return Node(SEQUENCE, [oid(GM_ENVELOPED_DATA), Node(0xA0, [body])])
