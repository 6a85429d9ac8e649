"""CMS SignedData (RFC 5652) and GM/T 0010 signedData: building and writing.

One code path signs with RSA (PKCS#1 v1.5 or RSASSA-PSS), ECDSA and SM2, through any
:class:`pki.keyops.KeyOps` (a key file or a PKCS#11 token): only ``key.sign(...)`` and
``key.public_key_info()`` are called, so a token key never leaves its token.

Signed attributes (the default): content-type, signing-time, message-digest and ESS
signing-certificate-v2 (RFC 5035). The key then signs the DER of those attributes, a few hundred
bytes, and the content is only hashed — read from a file in 1 MiB chunks and, when attached,
copied into the output in chunks as well: memory does not grow with the file.

SM2 (GM/T 0010, 1.2.156.10197.6.1.4.2.2): digest sm3, signature algorithm sm2sign-with-sm3,
content type gm_data, SignedData and SignerInfo version 1 with issuerAndSerialNumber; the
flavours are in :mod:`pki.signature.gm`.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Protocol

from asn1crypto import algos, cms, core, pem, tsp, x509

from pki.certs import AnyCertificate, to_asn1
from pki.files import atomic_output
from pki.keyops import KeyOperationError, KeyOps
from pki.keys import key_matches_certificate
from pki.oids import SM2_DEFAULT_ID
from pki.signature import _der, gm
from pki.signature._digest import Content, content_size, digest, digest_content, is_path, iter_content, read_content
from pki.signature.errors import SigningError

#: Content types whose SignedData is version 1 (RFC 5652 §5.1: id-data; GM/T 0010 keeps 1 for gm_data).
DATA_TYPES = ("data", "gm_data")


class Clock(Protocol):
    """Anything with ``now()`` (``bidding.clock.Clock``; ``pki`` does not import ``bidding``)."""

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class SignedDataParts:
    """A SignedData with everything but the encapsulated content, as DER pieces to stream around it."""

    outer_type: str                 # 'signed_data' or 'gm_signed_data'
    content_type: str               # eContentType
    head: bytes                     # version + digestAlgorithms
    tail: bytes                     # [0] certificates + signerInfos

    def write(self, out: BinaryIO, content: Content | None) -> int:
        """Write the ContentInfo DER; ``content`` None means detached. Returns the bytes written."""
        size = None if content is None else content_size(content)
        encap = _der.encap_header(self.content_type, size)
        size = size or 0
        sd_len = len(self.head) + len(encap) + size + len(self.tail)
        sd_header = _der.header(_der.SEQUENCE, sd_len)
        outer_oid = cms.ContentType(self.outer_type).dump()
        explicit0 = _der.header(_der.CONTEXT_0_CONSTRUCTED, len(sd_header) + sd_len)
        total = len(outer_oid) + len(explicit0) + len(sd_header) + sd_len
        written = 0
        for piece in (_der.header(_der.SEQUENCE, total), outer_oid, explicit0, sd_header, self.head, encap):
            out.write(piece)
            written += len(piece)
        if content is not None:
            copied = 0
            for piece in iter_content(content):
                out.write(piece)
                copied += len(piece)
            if copied != size:
                raise SigningError("签名过程中原文文件被改动 (the content file changed while being signed)")
            written += copied
        out.write(self.tail)
        return written + len(self.tail)


# -- public API ---------------------------------------------------------------------------------------
def sign(content: Content, *, key: KeyOps, certificate: AnyCertificate, chain: Sequence[AnyCertificate] = (),
         detached: bool = False, pss: bool = False, signing_time: datetime | None = None,
         clock: Clock | None = None, signed_attributes: bool | None = None, gmssl_compat: bool = False,
         pem_armor: bool = False) -> bytes:
    """Sign ``content`` (bytes, or a path read in chunks) and return the ContentInfo DER (or PEM).

    - ``key``: any :class:`pki.keyops.KeyOps` whose public key is the one of ``certificate``.
      RSA and EC keys give CMS SignedData with SHA-256; SM2 keys give GM/T 0010 signedData with SM3.
    - ``chain``: intermediate CA certificates to include after the signer's certificate.
    - ``detached``: leave the content out (the verifier is given it separately).
    - ``pss``: RSA only — RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) instead of PKCS#1 v1.5.
    - ``signing_time`` or ``clock``: the signing-time attribute (one of them is required when signed
      attributes are written; the system clock is never read here).
    - ``signed_attributes``: default True; ``False`` signs the content itself (it is then read into
      memory: only for small documents).
    - ``gmssl_compat``: SM2 only — GmSSL 3.x's flavour (SM3 over the encapsulated ContentInfo, no Z)
      and, unless ``signed_attributes=True``, no signed attributes, as ``gmssl cmssign`` writes.
    """
    buf = io.BytesIO()
    _prepare(content, key=key, certificate=certificate, chain=chain, detached=detached, pss=pss,
             signing_time=signing_time, clock=clock, signed_attributes=signed_attributes,
             gmssl_compat=gmssl_compat).write(buf, None if detached else content)
    der = buf.getvalue()
    return pem.armor("CMS", der) if pem_armor else der


def sign_to_file(content: Content, out_path: str | os.PathLike, **options) -> Path:
    """Like :func:`sign`, writing the DER to ``out_path`` (a temporary name, then renamed): an
    attached signature of a large file is streamed from the input to the output in chunks."""
    detached = options.get("detached", False)
    parts = _prepare(content, **options)
    out_path = Path(out_path)
    with atomic_output(out_path) as fh:
        parts.write(fh, None if detached else content)
    return out_path


# -- building -----------------------------------------------------------------------------------------
def _prepare(content: Content, *, key: KeyOps, certificate: AnyCertificate, chain: Sequence[AnyCertificate] = (),
             detached: bool = False, pss: bool = False, signing_time: datetime | None = None,
             clock: Clock | None = None, signed_attributes: bool | None = None,
             gmssl_compat: bool = False) -> SignedDataParts:
    is_gm = key.algorithm == "sm2"
    if gmssl_compat and not is_gm:
        raise SigningError("GmSSL 兼容模式只用于 SM2 密钥 (gmssl_compat applies to SM2 keys only)")
    if pss and key.algorithm != "rsa":
        raise SigningError("PSS 只用于 RSA 密钥 (PSS applies to RSA keys only)")
    if signed_attributes is None:
        signed_attributes = not gmssl_compat
    when = None
    if signed_attributes:
        when = signing_time if signing_time is not None else (clock.now() if clock is not None else None)
        if when is None:
            raise SigningError("需要签名时间：请提供 signing_time 或 clock (a signing time is needed: pass "
                               "signing_time or clock)")
        if when.tzinfo is None:
            raise SigningError("签名时间须带时区 (signing_time must be timezone-aware)")
    flavour = ("gm-gmssl" if gmssl_compat else "gm-standard") if is_gm else "cms"
    return build_signed_data(content, key=key, certificate=certificate, chain=chain,
                             content_type="gm_data" if is_gm else "data", detached=detached, pss=pss,
                             signing_time=when, signed_attributes=signed_attributes, flavour=flavour)


def build_signed_data(content: Content, *, key: KeyOps, certificate: AnyCertificate,
                      chain: Sequence[AnyCertificate] = (), content_type: str = "data", detached: bool = False,
                      pss: bool = False, signing_time: datetime | None = None, signed_attributes: bool = True,
                      flavour: str = "cms", extra_signed_attrs: Iterable[cms.CMSAttribute] = (),
                      include_signing_time: bool = True, include_certificates: bool = True) -> SignedDataParts:
    """The SignedData around ``content`` (lower level than :func:`sign`; :mod:`pki.timestamps` uses it for
    timestamp tokens with content type ``tst_info``)."""
    cert = to_asn1(certificate)
    _check_key_matches(key, cert)
    is_gm = key.algorithm == "sm2"
    digest_name = "sm3" if is_gm else "sha256"
    attrs = None
    if signed_attributes:
        attrs = signed_attributes_for(
            content_type=content_type, message_digest=digest_content(digest_name, content),
            signing_time=signing_time if include_signing_time else None, certificate=cert,
            ess_hash=digest_name, extra=extra_signed_attrs)
    signature = _signature_value(key, content, content_type=content_type, attrs=attrs, digest_name=digest_name,
                                 pss=pss, flavour=flavour)
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": issuer_and_serial(cert)}),
        "digest_algorithm": {"algorithm": digest_name},
        "signed_attrs": attrs,
        "signature_algorithm": signature_algorithm(key.algorithm, pss=pss, digest_name=digest_name),
        "signature": signature,
    })
    certs = _unique([cert, *(to_asn1(c) for c in chain)]) if include_certificates else []
    sd = cms.SignedData({
        "version": "v1" if content_type in DATA_TYPES else "v3",
        "digest_algorithms": [{"algorithm": digest_name}],
        "encap_content_info": {"content_type": content_type},
        "certificates": [cms.CertificateChoices({"certificate": c}) for c in certs] or None,
        "signer_infos": [signer_info],
    })
    head = sd["version"].dump() + sd["digest_algorithms"].dump()
    tail = (sd["certificates"].dump() if certs else b"") + sd["signer_infos"].dump()
    return SignedDataParts("gm_signed_data" if is_gm else "signed_data", content_type, head, tail)


def _signature_value(key: KeyOps, content: Content, *, content_type: str, attrs: cms.CMSAttributes | None,
                     digest_name: str, pss: bool, flavour: str) -> bytes:
    try:
        if flavour == "gm-gmssl":
            message = b"".join(gm.gmssl_message(content_type, content, attrs.contents if attrs is not None else None))
            return gm.sign_gmssl(key, message)
        message = attrs.dump() if attrs is not None else read_content(content)
        return key.sign(message, hash_algorithm=digest_name, pss=pss,
                        sm2_signer_id=SM2_DEFAULT_ID if key.algorithm == "sm2" else None)
    except KeyOperationError as exc:
        raise SigningError(f"私钥签名失败 (the key refused to sign: {exc})") from exc


def signed_attributes_for(*, content_type: str, message_digest: bytes, signing_time: datetime | None,
                          certificate: x509.Certificate, ess_hash: str = "sha256",
                          extra: Iterable[cms.CMSAttribute] = ()) -> cms.CMSAttributes:
    """content-type, signing-time, message-digest, signing-certificate-v2 (+ ``extra``), DER-sorted."""
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "message_digest", "values": [message_digest]}),
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess_signing_certificate_v2(certificate, ess_hash)]}),
    ]
    if signing_time is not None:
        attrs.append(cms.CMSAttribute({"type": "signing_time", "values": [cms_time(signing_time)]}))
    attrs.extend(extra)
    return cms.CMSAttributes(attrs)


def cms_time(when: datetime) -> cms.Time:
    """UTCTime from 1950 to 2049, GeneralizedTime otherwise (RFC 5652 §11.3); whole seconds."""
    when = when.astimezone(timezone.utc).replace(microsecond=0)
    return cms.Time({"utc_time" if 1950 <= when.year < 2050 else "generalized_time": when})


def ess_signing_certificate_v2(cert: x509.Certificate, hash_name: str = "sha256") -> tsp.SigningCertificateV2:
    """ESS signing-certificate-v2 (RFC 5035) naming ``cert`` by its hash and issuer/serial."""
    return tsp.SigningCertificateV2({"certs": [{
        "hash_algorithm": {"algorithm": hash_name},
        "cert_hash": digest(hash_name, cert.dump()),
        "issuer_serial": {"issuer": [x509.GeneralName({"directory_name": cert.issuer})],
                          "serial_number": cert.serial_number},
    }]})


def issuer_and_serial(cert: x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})


def signature_algorithm(key_algorithm: str, *, pss: bool = False, digest_name: str = "sha256") -> algos.SignedDigestAlgorithm:
    """The SignerInfo signatureAlgorithm as OpenSSL and GmSSL write it."""
    if key_algorithm == "sm2":
        return algos.SignedDigestAlgorithm({"algorithm": "sm2sign_with_sm3"})
    if key_algorithm == "ec":
        return algos.SignedDigestAlgorithm({"algorithm": f"{digest_name}_ecdsa"})
    if key_algorithm != "rsa":
        raise SigningError(f"不支持的密钥算法 (unsupported key algorithm {key_algorithm})")
    if not pss:
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15", "parameters": core.Null()})
    size = {"sha256": 32, "sha384": 48, "sha512": 64}[digest_name]
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": algos.RSASSAPSSParams({
        "hash_algorithm": {"algorithm": digest_name},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": digest_name}},
        "salt_length": size,
        "trailer_field": "trailer_field_bc",
    })})


def _check_key_matches(key: KeyOps, cert: x509.Certificate) -> None:
    try:
        mine = key.public_key_info()
    except KeyOperationError as exc:
        raise SigningError(f"无法读取签名密钥的公钥 (cannot read the signing key's public key: {exc})") from exc
    if not key_matches_certificate(mine, cert):
        raise SigningError("签名私钥与证书不匹配 (the signing key does not belong to the certificate "
                           f"{cert.subject.human_friendly})")


def _unique(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    out = []
    for c in certs:
        if c.dump() not in seen:
            seen.add(c.dump())
            out.append(c)
    return out


__all__ = ["sign", "sign_to_file", "build_signed_data", "SignedDataParts", "signed_attributes_for",
           "ess_signing_certificate_v2", "issuer_and_serial", "signature_algorithm", "cms_time", "is_path"]
