"""Helpers for the exact-verification tests: walk a signature's DER tree, alter it, sign the altered
signed attributes with the signer's own key, and ask both ``openssl cms -verify`` and
:func:`pki.signature.verify` what they make of it."""
from __future__ import annotations

import copy
import hashlib
import subprocess
from pathlib import Path

from support.dertree import Node, oid, parse
from pki.oids import SM2_DEFAULT_ID
from pki.signature import SignatureFormatError, verify

OID_CONTENT_TYPE = oid("1.2.840.113549.1.9.3")
OID_MESSAGE_DIGEST = oid("1.2.840.113549.1.9.4")
OID_SIGNING_CERTIFICATE_V2 = oid("1.2.840.113549.1.9.16.2.47")
OID_TIME_STAMP_TOKEN = oid("1.2.840.113549.1.9.16.2.14")


class Signature:
    """A ContentInfo with a SignedData as a mutable tree."""

    def __init__(self, der: bytes):
        self.tree = parse(der)

    @property
    def signed_data(self) -> Node:
        return self.tree[1][0]

    @property
    def signer_infos(self) -> Node:
        return self.signed_data.children[-1]

    @property
    def certificates(self) -> Node:
        return next(c for c in self.signed_data.children if c.tag == 0xA0)

    @property
    def econtent(self) -> Node:
        """The eContent OCTET STRING node (attached)."""
        return self.signed_data[2][1][0]

    def signer(self, index: int = 0) -> Node:
        return self.signer_infos[index]

    def der(self) -> bytes:
        return self.tree.encode()

    def copy(self) -> "Signature":
        return copy.deepcopy(self)


def signed_attrs(signer: Node) -> Node:
    assert signer[3].tag == 0xA0, "no signed attributes"
    return signer[3]


def attribute(signer: Node, type_oid: bytes) -> Node:
    return next(a for a in signed_attrs(signer).children if a[0].value == type_oid)


def ess_cert_id(signer: Node) -> Node:
    """The first ESSCertIDv2 of the signing-certificate-v2 attribute."""
    return attribute(signer, OID_SIGNING_CERTIFICATE_V2)[1][0][0][0]


def message_of(signer: Node) -> bytes:
    """The signed attributes as a verifier that takes the received bytes hashes them: tag 0x31 in place
    of [0], every other byte as it stands in the tree."""
    attrs = signed_attrs(signer)
    return Node(0x31, children=attrs.children, indefinite=attrs.indefinite).encode()


def signature_value(signer: Node) -> Node:
    """The SignerInfo's signature OCTET STRING (index 5 with signed attributes, 4 without)."""
    return next(c for c in signer.children[3:] if c.tag == 0x04)


def resign(signer: Node, key, *, message: bytes | None = None, gmssl: bool = False) -> None:
    """Sign ``message`` (default: the signer's signed attributes exactly as they stand) with ``key``
    (:class:`pki.keyops.KeyOps`) and put the value into the SignerInfo."""
    message = message_of(signer) if message is None else message
    if key.algorithm == "sm2":
        value = key.sign(message, hash_algorithm="sm3", sm2_signer_id=None if gmssl else SM2_DEFAULT_ID)
    else:
        value = key.sign(message, hash_algorithm="sha256")
    signature_value(signer).value = value


def corrupt(signer: Node) -> None:
    """Flip a bit in the last byte of the signature value (for ECDSA/SM2 the DER stays DER)."""
    node = signature_value(signer)
    node.value = node.value[:-1] + bytes([node.value[-1] ^ 0x01])


def set_message_digest(signer: Node, content: bytes, name: str = "sha256") -> None:
    attribute(signer, OID_MESSAGE_DIGEST)[1][0].value = hashlib.new(name, content).digest()


def project_verdict(der: bytes, **kwargs) -> str:
    """'ok', 'refused:<codes>' or 'format-error'."""
    try:
        result = verify(der, **kwargs)
    except SignatureFormatError:
        return "format-error"
    return "ok" if result.ok else "refused:" + ",".join(sorted(set(result.codes)))


def openssl_cms_verdict(der: bytes, cafile: Path, tmp: Path, attime: str, *, content: Path | None = None) -> str:
    """'ok' or 'refused' from ``openssl cms -verify -binary -CAfile … -purpose any``."""
    path = tmp / "candidate.der"
    path.write_bytes(der)
    args = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(path), "-CAfile", str(cafile),
            "-purpose", "any", "-attime", attime, "-out", "/dev/null"]
    if content is not None:
        args += ["-content", str(content)]
    proc = subprocess.run(args, capture_output=True, timeout=60)
    return "ok" if proc.returncode == 0 else "refused"


def sort_set(node: Node) -> None:
    """Put a SET OF's elements in DER order (ascending encodings)."""
    node.children.sort(key=lambda child: child.encode())


class PaddedLength(Node):
    """A value whose length octets carry a leading zero octet (valid BER, not DER)."""

    def encode(self) -> bytes:
        body = b"".join(c.encode() for c in self.children) if self.constructed else self.value
        size = len(body).to_bytes(max(1, (len(body).bit_length() + 7) // 8), "big")
        return bytes([self.tag, 0x80 | (len(size) + 1), 0]) + size + body

    @classmethod
    def of(cls, node: Node) -> "PaddedLength":
        return cls(node.tag, node.value, node.children, node.indefinite)
