"""Reading a CMS / GM/T 0010 SignedData: the parse boundary of :mod:`pki.signature`.

:func:`load_signed_data` parses PEM, DER or BER fully and turns every library error about the bytes
into :class:`~pki.signature.errors.SignatureFormatError`; the helpers read fields of a parsed one.
"""
from __future__ import annotations

from asn1crypto import cms, core, pem, x509

from pki.errors import ASN1_ERRORS
from pki.signature.errors import SignatureFormatError

PEM_LABELS = ("CMS", "PKCS7", "PKCS #7 SIGNED DATA", "SIGNED DATA")
SIGNED_TYPES = ("signed_data", "gm_signed_data")


def load_signed_data(data: bytes) -> tuple[cms.ContentInfo, cms.SignedData]:
    """Parse PEM / DER / BER into (ContentInfo, SignedData), fully, or raise SignatureFormatError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("signature must be bytes")
    data = bytes(data)
    try:
        if pem.detect(data):
            label, _, data = pem.unarmor(data)
            if label not in PEM_LABELS:
                raise SignatureFormatError(f"PEM 类型不是签名数据：{label} (PEM label {label!r} is not a signature)")
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native not in SIGNED_TYPES:
            raise SignatureFormatError(f"不是签名数据，而是 {info['content_type'].native} (not SignedData but "
                                       f"{info['content_type'].native})")
        signed = info["content"]
        if not isinstance(signed, cms.SignedData):
            raise SignatureFormatError("签名数据内容缺失 (SignedData content missing)")
        # A full parse now, so damage is found here and not later. Unsigned attributes are only
        # walked to their types: ``.native`` over a nested timestamp token makes asn1crypto
        # re-encode it level by level (seconds); tokens are parsed on their own when checked.
        for name in ("version", "digest_algorithms", "certificates", "crls"):
            signed[name].native
        signed["encap_content_info"]["content_type"].native
        if len(signed["signer_infos"]) == 0:
            raise SignatureFormatError("签名数据中没有签名者 (the SignedData has no SignerInfo)")
        _no_extra_fields(info, signed, signed["encap_content_info"], *signed["signer_infos"])
        for cert in embedded_certificates(signed):
            if cert["signature_value"].contents[:1] != b"\x00":
                raise SignatureFormatError("证书签名值不是 DER 编码 (a certificate's signature BIT STRING is not DER)")
        for signer_info in signed["signer_infos"]:
            for name, *_ in cms.SignerInfo._fields:
                if name != "unsigned_attrs":
                    signer_info[name].native
            for attr in signer_info["unsigned_attrs"] if present(signer_info["unsigned_attrs"]) else ():
                attr["type"].native
                len(attr["values"])
    except SignatureFormatError:
        raise
    except ASN1_ERRORS as exc:
        raise SignatureFormatError(f"无法解析签名数据 (unreadable signature data: {exc})") from exc
    return info, signed


def _no_extra_fields(*sequences: core.Sequence) -> None:
    """asn1crypto keeps unknown trailing elements of a SEQUENCE silently: refuse them."""
    for seq in sequences:
        if len(seq) > len(seq._fields):
            raise SignatureFormatError(f"{type(seq).__name__} 含有多余的字段 ({type(seq).__name__} has extra "
                                       f"elements)")


def present(value: core.Asn1Value) -> bool:
    """Whether an optional field is there, without ``.native`` (which is slow over nested tokens)."""
    return not isinstance(value, core.Void)


def embedded_certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    """The X.509 certificates carried in a SignedData (other choices are skipped)."""
    certs = signed_data["certificates"]
    if not certs:
        return []
    return [c.chosen for c in certs if c.name == "certificate"]


def encapsulated_content(signed_data: cms.SignedData) -> bytes | None:
    """The eContent octets (chunks of a BER constructed OCTET STRING joined), or None if detached.

    :func:`load_signed_data` leaves the eContent unparsed (it may be large): damage shows here."""
    try:
        value = signed_data["encap_content_info"]["content"]
        if isinstance(value, core.Void) or value is None:
            return None
        if isinstance(value, core.ParsableOctetString):
            return bytes(value)
        if isinstance(value, core.OctetString):
            return value.native
    except ASN1_ERRORS as exc:
        raise SignatureFormatError(f"封装内容无法解析 (unreadable eContent: {exc})") from exc
    raise SignatureFormatError("封装内容不是 OCTET STRING (eContent is not an OCTET STRING)")


__all__ = ["PEM_LABELS", "SIGNED_TYPES", "load_signed_data", "present", "embedded_certificates",
           "encapsulated_content"]
