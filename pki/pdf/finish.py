"""Finishing a prepared stamp: check the signature that came back, timestamp it (PAdES B-T), embed it
in the reserved ``/Contents`` and add the validation data (B-LT).

The signature is checked before anything is written: exactly one signer, whose certificate is the
prepared one, whose message-digest is the prepared digest, and whose signature verifies
(:func:`pki.signature.signer.check_signer`, the project's own CMS checker, over the prepared byte range).
"""
from __future__ import annotations

import io

from asn1crypto import crl as acrl, pem, x509
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.validation.dss import DocumentSecurityStore

from pki.pdf.errors import PreparedStampMismatch, SignatureTooLarge
from pki.pdf.model import PreparedStamp, ValidationData
from pki.pdf.reading import guarded
from pki.signature.errors import SignatureFormatError
from pki.signature.signed_data import embedded_certificates, present, read_signed_data
from pki.signature.signer import attribute_value, check_signer
from pki.signature.timestamp import extract_timestamp_token, parse_token
from pki.timestamps.client import TsaSource, add_timestamp


def finish_stamp(prepared: PreparedStamp, signature_cms: bytes, *, timestamper: TsaSource | None = None,
                 validation: ValidationData | None = None) -> bytes:
    """The final PDF: ``signature_cms`` (a detached CMS / GM/T 0010 SignedData over ``prepared.digest``
    by ``prepared``'s certificate) embedded, with a timestamp token from ``timestamper`` (a URL or a
    responder, e.g. :class:`~pki.timestamps.TimeStampAuthority`) as unsigned attribute, and a document
    security store with ``validation``'s certificates and CRLs (plus the signature's and the
    timestamp's certificates) in a revision of its own."""
    der = check_signature(prepared, signature_cms)
    if timestamper is not None:
        der = add_timestamp(der, timestamper, hash_algorithm=prepared.digest_algorithm)
    if len(der) > prepared.capacity:
        raise SignatureTooLarge(f"签名数据 {len(der)} 字节，超出预留的 {prepared.capacity} 字节 (the signature has "
                                f"{len(der)} bytes; {prepared.capacity} are reserved)")
    output = io.BytesIO(prepared.prepared_pdf)
    PreparedByteRangeDigest(prepared.digest, prepared.reserved_start, prepared.reserved_end).fill_with_cms(output, der)
    if validation is not None:
        add_validation_data(output, validation, der)
    return output.getvalue()


def check_signature(prepared: PreparedStamp, signature_cms: bytes) -> bytes:
    """The signature's DER when it is exactly the signature ``prepared`` waits for, else
    :class:`PreparedStampMismatch` saying what is wrong."""
    data = bytes(signature_cms)
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    try:
        reading = read_signed_data(data)
    except SignatureFormatError as exc:
        raise PreparedStampMismatch(f"返回的签名无法解析 (the signature returned is unreadable: {exc.message})") from None
    signed_data = reading.signed_data
    if len(signed_data["signer_infos"]) != 1:
        raise PreparedStampMismatch("签名须有且仅有一个签名者 (the signature must have exactly one signer)")
    if reading.received.econtent is not None:
        raise PreparedStampMismatch("签名须为分离式签名 (the signature must be detached)")
    signer_info = signed_data["signer_infos"][0]
    check = check_signer(signed_data, signer_info, prepared.signed_bytes(),
                         received=reading.received.signer_infos[0])
    if check.certificate is None or check.certificate.dump() != prepared.certificate_der:
        raise PreparedStampMismatch("签名者证书不是准备签章时的证书 (the signer's certificate is not the one the stamp "
                                    "was prepared for)")
    if check.digest_algorithm != prepared.digest_algorithm:
        raise PreparedStampMismatch(f"签名的摘要算法须为 {prepared.digest_algorithm} (the signature must use "
                                    f"{prepared.digest_algorithm}, not {check.digest_algorithm})")
    attrs = signer_info["signed_attrs"]
    message_digest = attribute_value(attrs, "message_digest") if present(attrs) else None
    if message_digest != prepared.digest:
        raise PreparedStampMismatch("签名不是对本文件摘要做出的 (the signature was not made over this document's "
                                    "digest)")
    if check.reasons:
        raise PreparedStampMismatch(f"签名无效：{'；'.join(r.message for r in check.reasons)} (the signature is "
                                    "invalid)")
    return data


def add_validation_data(output: io.BytesIO, validation: ValidationData, signature_der: bytes) -> None:
    """Append a revision with the document security store (B-LT): ``validation``'s certificates and
    CRLs, the certificates inside the signature and inside its timestamp token."""
    certs: list[x509.Certificate] = list(validation.certificates)
    certs += embedded_certificates(read_signed_data(signature_der).signed_data)
    token = extract_timestamp_token(signature_der)
    if token is not None:
        certs += embedded_certificates(parse_token(token)[1])
    crls = [_crl(c) for c in validation.crls]
    output.seek(0)
    guarded(lambda: DocumentSecurityStore.add_dss(output, None, certs=_unique(certs), crls=crls, force_write=True),
            "adding the validation data")


def _crl(data: bytes) -> acrl.CertificateList:
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    crl = acrl.CertificateList.load(data)
    crl.native       # parse now: a damaged CRL is the caller's error, before anything is written
    return crl


def _unique(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    out = []
    for cert in certs:
        if cert.dump() not in seen:
            seen.add(cert.dump())
            out.append(cert)
    return out


__all__ = ["finish_stamp", "check_signature", "add_validation_data"]
