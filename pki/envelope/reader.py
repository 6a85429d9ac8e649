"""Reading envelopes: DER, BER (indefinite lengths, chunked OCTET STRINGs as ``openssl cms
-stream`` writes) and PEM, framed here and streamed; asn1crypto sees only the small parts."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import BinaryIO, Callable

from asn1crypto import cms, core

from pki.envelope import cms as cms_format
from pki.envelope.content import ContentAlgorithm, ContentDecryptor
from pki.envelope.der import INTEGER, OCTET_STRING, OID, SEQUENCE, SET, Frame, Header, Source, \
    content_chunks, read_header
from pki.envelope.errors import (EnvelopeError, LimitExceeded, MalformedEnvelope, NotAnEnvelope, NotContentInfo,
                                 UnsupportedEnvelope, asn1_detail)
from pki.envelope.limits import MAX_RECIPIENTS
from pki.envelope.pem import PemDecoder, looks_like_pem
from pki.envelope.recipients import RecipientSummary, check_names, require_der_recipient_info, summarize
from pki.envelope import strict
from pki.envelope.strict import require_der
from pki.errors import ASN1_ERRORS
from pki.files import file_descriptor
from pki.oids import GM_DATA, GM_ENVELOPED_DATA

_KINDS = {
    cms_format.AUTH_ENVELOPED_DATA: ("cms", "authEnvelopedData"),
    cms_format.ENVELOPED_DATA: ("cms", "envelopedData"),
    GM_ENVELOPED_DATA: ("gm", "gm-envelopedData"),
}
_VERSIONS = {"authEnvelopedData": (0,), "envelopedData": (0, 2, 3, 4), "gm-envelopedData": (0, 1)}
_INNER = {cms_format.DATA: "data", GM_DATA: "gm-data"}


@dataclass(frozen=True)
class EnvelopeInfo:
    """What an envelope is: for ``bidtool inspect`` and the result of encryption/decryption."""

    format: str                        # 'cms' or 'gm'
    content_type: str                  # 'authEnvelopedData', 'envelopedData', 'gm-envelopedData'
    encapsulated_type: str             # 'data' or 'gm-data'
    cipher: str                        # 'aes-256-gcm', 'aes-256-cbc', 'sm4-cbc', ...
    authenticated: bool                # True for GCM: tampering is detected; CBC has no integrity
    encoding: str                      # 'der', 'ber' or 'pem'
    version: int
    recipients: tuple[RecipientSummary, ...]
    envelope_size: int | None = None   # bytes of DER/BER (decoded, for PEM)
    ciphertext_size: int | None = None
    plaintext_size: int | None = None  # after decryption (GCM: equal to ciphertext_size)


@dataclass
class Parsed:
    """An envelope read up to the start of its encrypted content."""

    src: Source
    frame: Frame
    info: EnvelopeInfo
    recipient_infos: list[cms.RecipientInfo]
    algorithm: ContentAlgorithm
    content: Header


def _int(raw: bytes, what: str) -> int:
    if len(raw) < 3:
        raise MalformedEnvelope(f"empty INTEGER ({what})")
    require_der(core.Integer, raw, what)
    try:
        return core.Integer.load(raw).native
    except ValueError as exc:
        raise MalformedEnvelope(asn1_detail(what, exc)) from None


def _oid(raw: bytes, what: str) -> str:
    require_der(core.ObjectIdentifier, raw, what)
    try:
        return core.ObjectIdentifier.load(raw).dotted
    except ValueError as exc:
        raise MalformedEnvelope(asn1_detail(what, exc)) from None


def open_envelope(stream: BinaryIO) -> Parsed:
    """Read the header of an envelope up to its encrypted content."""
    size = _buffer_size(stream)
    src = Source(stream, size)
    encoding = "der"
    if looks_like_pem(src):
        src = Source(PemDecoder(src, size), size)
        encoding = "pem"
    fr = Frame(src)
    try:
        outer = fr.enter(SEQUENCE, "ContentInfo")
        content_type = _oid(fr.element(OID, "contentType"), "contentType")
    except MalformedEnvelope as exc:
        if encoding == "pem":      # armour labelled CMS/PKCS7 that is damaged: say so, not "something else"
            raise
        raise NotContentInfo(exc.detail) from None
    if outer.length is None and encoding == "der":
        encoding = "ber"
    if content_type not in _KINDS:
        raise NotAnEnvelope(content_type)
    fmt, kind = _KINDS[content_type]
    fr.enter(0xA0, "[0] content")
    fr.enter(SEQUENCE, kind)
    version = _int(fr.element(INTEGER, "version"), f"{kind} version")
    if version not in _VERSIONS[kind]:
        raise MalformedEnvelope(f"{kind} version {version}")
    if fr.peek_tag() == 0xA0:
        fr.element(0xA0, "originatorInfo")     # certificates/CRLs of the originator: not needed
    infos = _recipient_infos(fr.element(SET, "RecipientInfos"), fmt)
    fr.enter(SEQUENCE, "EncryptedContentInfo")
    inner = _oid(fr.element(OID, "contentType"), "encapsulated contentType")
    if inner not in _INNER:
        raise UnsupportedEnvelope(f"encapsulated content type {inner}")
    algorithm = ContentAlgorithm.from_identifier(fr.element(SEQUENCE, "contentEncryptionAlgorithm"))
    if (fmt == "gm") != (algorithm.name == "sm4-cbc") or (kind == "authEnvelopedData") != algorithm.aead:
        raise UnsupportedEnvelope(f"{algorithm.name} in {kind}")
    if fr.at_end():
        raise UnsupportedEnvelope("detached encrypted content")
    content = read_header(src)
    if content.tag not in (0x80, 0xA0):
        raise MalformedEnvelope(f"expected encryptedContent [0] at offset {content.offset}")
    fr._check_inside(content)
    summaries = tuple(s for ri in infos for s in summarize(ri))
    info = EnvelopeInfo(fmt, kind, _INNER[inner], algorithm.name, algorithm.aead, encoding, version, summaries)
    return Parsed(src, fr, info, infos, algorithm, content)


def _buffer_size(stream: BinaryIO, largest: int = 1 << 20) -> int:
    """1 MiB, or less for a small file (allocating 1 MiB costs more than opening a small envelope)."""
    fd = file_descriptor(stream)
    if fd is None:
        return largest
    try:
        return max(4096, min(largest, os.fstat(fd).st_size - stream.tell() + 64))
    except OSError:   # tell() on a pipe
        return largest


def _recipient_infos(raw: bytes, fmt: str) -> list[cms.RecipientInfo]:
    try:
        parsed = cms.RecipientInfos.load(raw)
        if len(parsed) > MAX_RECIPIENTS:
            raise LimitExceeded("接收者过多", "number of RecipientInfos", MAX_RECIPIENTS)
        for ri in parsed:
            check_names(ri)
    except (*ASN1_ERRORS, AttributeError) as exc:
        raise MalformedEnvelope(asn1_detail("RecipientInfos", exc)) from None
    for element in strict.children(raw):     # DER as OpenSSL wants it, before .native re-encodes
        require_der_recipient_info(element)
    try:
        parsed.native
    except (*ASN1_ERRORS, AttributeError) as exc:   # asn1crypto's .native raises AttributeError on some damage
        raise MalformedEnvelope(asn1_detail("RecipientInfos", exc)) from None
    infos = list(parsed)
    for ri in infos:
        summarize(ri)
        _check_version(ri, fmt)
    if not infos:
        raise MalformedEnvelope("no RecipientInfo")
    return infos


def _check_version(ri: cms.RecipientInfo, fmt: str) -> None:
    """RFC 5652 fixes each RecipientInfo's version by its form; GM/T 0010 (GmSSL) writes 1."""
    version = ri.chosen["version"].native if ri.name in ("ktri", "kari", "kekri", "pwri") else None
    if ri.name == "ktri":
        if fmt == "gm":
            expected = ("v0", "v1")
        else:
            expected = ("v0",) if ri.chosen["rid"].name == "issuer_and_serial_number" else ("v2",)
    elif ri.name == "kari":
        expected = ("v3",)
    else:
        return
    if version not in expected:
        raise MalformedEnvelope(f"{ri.name} version {version}")


def finish_envelope(p: Parsed, decryptor: ContentDecryptor | None) -> EnvelopeInfo:
    """Stream the content (through ``decryptor`` if given), read the rest, check every end; for
    GCM verify the tag last. Returns the completed :class:`EnvelopeInfo`."""
    src, fr = p.src, p.frame
    size = 0
    if decryptor is not None:
        decryptor.feed_all(content_chunks(src, p.content))
        size = decryptor.ciphertext_length
    elif p.content.length is not None and not p.content.constructed:
        src.skip(p.content.length)
        size = p.content.length
    else:
        for piece in content_chunks(src, p.content):
            size += len(piece)
    if p.info.format == "gm":
        while not fr.at_end():                 # GmSSL's [1] sharedInfo1, [2] sharedInfo2
            tag = fr.peek_tag()
            if tag not in (0x81, 0xA1, 0x82, 0xA2):
                raise MalformedEnvelope(f"unexpected element after the content at offset {src.pos}")
            fr.element(tag, "sharedInfo")
    fr.leave("EncryptedContentInfo")
    tag = None
    if p.info.content_type == "authEnvelopedData":
        if fr.peek_tag() == 0xA1:
            raise UnsupportedEnvelope("authenticated attributes")
        tag = _octets(fr.element(None, "mac", strings_of=OCTET_STRING), "mac")
        if fr.peek_tag() == 0xA2:
            _attributes(fr.element(0xA2, "unauthAttrs"), "unauthAttrs")
    elif fr.peek_tag() == 0xA1:
        _attributes(fr.element(0xA1, "unprotectedAttrs"), "unprotectedAttrs")
    if not fr.at_end():
        raise MalformedEnvelope(f"unexpected element at offset {src.pos}")
    fr.leave(p.info.content_type)
    fr.leave("[0] content")
    fr.leave("ContentInfo")
    total = src.pos
    if not src.at_eof():
        raise MalformedEnvelope(f"data after the end of the envelope at offset {total}")
    if decryptor is not None:
        decryptor.finish(tag)
        return replace(p.info, envelope_size=total, ciphertext_size=size,
                       plaintext_size=decryptor.plaintext_length)
    return replace(p.info, envelope_size=total, ciphertext_size=size,
                   plaintext_size=size if p.algorithm.aead else None)


def _attributes(raw: bytes, what: str) -> None:
    """Attributes are not used, but OpenSSL parses them (SET OF Attribute, each value an ANY) and
    refuses them unless DER: checked as a plain SET OF (the [1]/[2] tag was checked by the frame)."""
    require_der(cms.CMSAttributes, b"\x31" + raw[1:], what)


def _octets(raw: bytes, what: str) -> bytes:
    require_der(core.OctetString, raw, what)
    try:
        return core.OctetString.load(raw).native
    except ValueError as exc:
        raise MalformedEnvelope(asn1_detail("OCTET STRING", exc)) from None


def decrypt_parsed(p: Parsed, content_key: bytes, write: Callable[[memoryview], object],
                   progress: Callable[[int], None] | None = None) -> EnvelopeInfo:
    """Decrypt a parsed envelope's content with ``content_key`` into ``write``."""
    if len(content_key) != p.algorithm.key_length:
        raise EnvelopeError(f"内容加密密钥长度不对 (content key of {len(content_key)} bytes, "
                            f"{p.algorithm.name} needs {p.algorithm.key_length})")
    decryptor = ContentDecryptor(p.algorithm, content_key, write, progress)
    try:
        info = finish_envelope(p, decryptor)
        decryptor.close()
        return info
    finally:
        decryptor.abort()
