"""Reading a CMS / GM/T 0010 SignedData: the parse boundary of :mod:`pki.signature`.

:func:`read_signed_data` parses PEM, DER or BER fully, turns every library error about the bytes into
:class:`~pki.signature.errors.SignatureFormatError`, and keeps beside the parsed form the signed parts
*as received* (:mod:`pki.signature._received`): what a signature covers is always taken from those
bytes, never from asn1crypto's re-encoding. :func:`load_signed_data` is the parsed form alone; the
helpers read fields of a parsed one.

The outer ContentInfo / SignedData may be BER (``openssl cms -sign -stream`` writes indefinite
lengths, as RFC 5652 allows). Certificates carried inside must be DER: a certificate's signature is
checked over its tbsCertificate, and a BER certificate would be judged on asn1crypto's DER re-encoding
of it, which is not what its issuer signed.
"""
from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, cms, core, pem, x509

from pki.errors import ASN1_ERRORS
from pki.signature._received import MAX_DEPTH, ReceivedSignedData, received_signed_data
from pki.signature._strict import ber_problem, der_problem, framing_problem, reencoding_problem
from pki.signature.errors import SignatureFormatError

PEM_LABELS = ("CMS", "PKCS7", "PKCS #7 SIGNED DATA", "SIGNED DATA")
SIGNED_TYPES = ("signed_data", "gm_signed_data")


@dataclass(frozen=True)
class SignedDataReading:
    """A SignedData parsed (``signed_data``) and as received (``received``: the bytes signatures cover)."""

    content_info: cms.ContentInfo
    signed_data: cms.SignedData
    received: ReceivedSignedData


def load_signed_data(data: bytes) -> tuple[cms.ContentInfo, cms.SignedData]:
    """Parse PEM / DER / BER into (ContentInfo, SignedData), fully, or raise SignatureFormatError."""
    reading = read_signed_data(data)
    return reading.content_info, reading.signed_data


def read_signed_data(data: bytes) -> SignedDataReading:
    """Parse PEM / DER / BER fully and slice its signed parts as received, or raise SignatureFormatError."""
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
        _parse_fully(signed, "version", "digest_algorithms", "certificates", "crls")
        signed["encap_content_info"]["content_type"].native
        if len(signed["signer_infos"]) == 0:
            raise SignatureFormatError("签名数据中没有签名者 (the SignedData has no SignerInfo)")
        for cert in embedded_certificates(signed):
            if cert["signature_value"].contents[:1] != b"\x00":
                raise SignatureFormatError("证书签名值不是 DER 编码 (a certificate's signature BIT STRING is not DER)")
        for signer_info in signed["signer_infos"]:
            _parse_fully(signer_info, *(name for name, *_ in cms.SignerInfo._fields if name != "unsigned_attrs"))
            for attr in signer_info["unsigned_attrs"] if present(signer_info["unsigned_attrs"]) else ():
                attr["type"].native
                len(attr["values"])
        received = received_signed_data(data)
        _matches(received, signed)
        _valid_ber(data, received)
        _no_extra_elements(info, skip=_CHECKED_ON_THEIR_OWN)
        _no_hidden_elements(received)
    except SignatureFormatError:
        raise
    except RecursionError as exc:          # asn1crypto recurses once per nesting level
        raise SignatureFormatError("签名数据嵌套过深 (the SignedData is nested too deeply)") from exc
    except ASN1_ERRORS as exc:
        raise SignatureFormatError(f"无法解析签名数据 (unreadable signature data: {exc})") from exc
    return SignedDataReading(info, signed, received)


def _parse_fully(value: core.Sequence, *names: str) -> None:
    """``.native`` of the fields ``names``: every level parsed. asn1crypto fails on some types it
    half-knows with AttributeError (REAL has no ``native``): a format error like any other."""
    try:
        for name in names:
            value[name].native
    except AttributeError as exc:
        raise SignatureFormatError(f"无法解析签名数据 (unreadable signature data: {exc})") from exc


def _matches(received: ReceivedSignedData, signed: cms.SignedData) -> None:
    """The slices are the parsed values' bytes (same counts), and every certificate is DER."""
    if len(received.signer_infos) != len(signed["signer_infos"]) or len(received.certificates) != len(
            embedded_certificates(signed)):
        raise SignatureFormatError("签名数据的结构与解析结果不一致 (the SignedData's bytes and its parsed form "
                                   "disagree)")
    for number, raw in enumerate(received.certificates, 1):
        problem = der_problem(raw) or reencoding_problem(x509.Certificate, raw)
        if problem:
            raise SignatureFormatError(f"签名中的第 {number} 张证书不是 DER 编码：{problem} (certificate {number} in "
                                       f"the signature is not DER: {problem})")
        cert = x509.Certificate.load(raw)
        if cert["signature_algorithm"].dump() != cert["tbs_certificate"]["signature"].dump():
            # RFC 5280 §4.1.1.2; OpenSSL refuses such a certificate ("certificate signature failure")
            raise SignatureFormatError(f"签名中的第 {number} 张证书的两处签名算法不一致 (certificate {number} in the "
                                       f"signature names two different signature algorithms)")


#: Parts not walked by :func:`_no_extra_elements`: the eContent (octets), certificates (checked as DER
#: by :func:`_matches`), signed attributes (checked as DER per signer, so that one signer's refusal
#: does not hide the others') and unsigned attribute values (a timestamp token is read on its own
#: when it is checked; OpenSSL keeps other values as unparsed ANY).
_CHECKED_ON_THEIR_OWN = {(cms.EncapsulatedContentInfo, "content"), (cms.SignedData, "certificates"),
                         (cms.SignerInfo, "signed_attrs"), (cms.CMSAttribute, "values")}


def _no_extra_elements(value: core.Asn1Value, *, skip: set[tuple[type, str]], depth: int = 0) -> None:
    """asn1crypto keeps unknown trailing elements of a SEQUENCE silently (and re-encodes without them):
    refuse them at every level, as OpenSSL's decoder does."""
    if depth > MAX_DEPTH:
        raise SignatureFormatError("签名数据嵌套过深 (the SignedData is nested too deeply)")
    if isinstance(value, core.Sequence):
        if value.children is None:
            value._parse_children()
        if len(value.children) > len(value._fields):
            raise SignatureFormatError(f"{type(value).__name__} 含有多余的字段 ({type(value).__name__} has extra "
                                       f"elements)")
        children = [value[name] for name, *_ in value._fields
                    if not any(isinstance(value, cls) and name == field for cls, field in skip)]
    elif isinstance(value, core.SequenceOf):
        children = list(value)
    elif isinstance(value, core.Choice):
        children = [value.chosen]
    else:
        return
    for child in children:
        _no_extra_elements(child, skip=skip, depth=depth + 1)


#: The SignerInfo fields besides the attributes, in order, and their types.
_SIGNER_FIELDS = (core.Integer, cms.SignerIdentifier, algos.DigestAlgorithm, algos.SignedDigestAlgorithm,
                  core.OctetString)


def _no_hidden_elements(received: ReceivedSignedData) -> None:
    """What decides how a signature is checked — algorithms and their parameters, the signer
    identifier — holds nothing asn1crypto would skip (an explicit tag with two values inside, say):
    re-encoded it must equal the received bytes up to BER lengths."""
    pieces = [(algos.DigestAlgorithm, raw) for raw in received.digest_algorithms]
    for signer in received.signer_infos:
        if len(signer.fields) != len(_SIGNER_FIELDS):
            raise SignatureFormatError("SignerInfo 的字段数目不对 (a SignerInfo has the wrong number of fields)")
        pieces += [(spec, tlv.encoding) for spec, tlv in zip(_SIGNER_FIELDS, signer.fields)]
    for spec, raw in pieces:
        problem = framing_problem(spec, raw)
        if problem:
            raise SignatureFormatError(f"签名数据含有无法解释的内容：{problem} (the SignedData holds what its "
                                       f"schema does not: {problem})")


def _valid_ber(data: bytes, received: ReceivedSignedData) -> None:
    """BER's own rules over the framing. Signed attributes are judged as DER per signer; unsigned
    attribute values are not looked into (OpenSSL keeps them as unparsed ANY; a timestamp token is
    read on its own when checked), their types and framing are."""
    skip = set()
    try:
        for signer in received.signer_infos:
            if signer.signed_attrs is not None:
                skip.add(signer.signed_attrs.start)
            for attr in signer.unsigned_attrs.children() if signer.unsigned_attrs is not None else ():
                skip.update(part.start for part in attr.children()[1:2])
    except (ValueError, IndexError) as exc:
        raise SignatureFormatError(f"签名数据不是有效的 BER 编码：{exc} (the SignedData is not valid BER: {exc})") from exc
    problem = ber_problem(data, skip=skip)
    if problem:
        raise SignatureFormatError(f"签名数据不是有效的 BER 编码：{problem} (the SignedData is not valid BER: "
                                   f"{problem})")


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


__all__ = ["PEM_LABELS", "SIGNED_TYPES", "SignedDataReading", "read_signed_data", "load_signed_data", "present", "embedded_certificates",
           "encapsulated_content"]
