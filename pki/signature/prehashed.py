"""Signing a digest computed elsewhere: a detached CMS SignedData (RSA, ECDSA with SHA-256) or GM/T 0010
signedData (SM2 with SM3, standard flavour with Z) whose signed attributes carry that message digest.

Two callers need it: the local signing agent (a page hashes a large document, or the platform prepares
a PDF's byte-range digest, and the agent signs it with the user's token) and :mod:`pki.pdf` (stamping
with a local key file or token). :func:`pki.signature.sign` hashes the content itself and has no "given
message digest" entry, so the SignedData is put together here from the public building blocks of
:mod:`pki.signature.cms` (signed attributes, signer identifier, signature algorithm, the DER writer),
exactly as :func:`pki.signature.cms.build_signed_data` does for content it hashed itself; the key signs
the DER of the signed attributes. The result verifies with ``openssl cms -verify -binary -content FILE``
and :func:`pki.signature.verify` like any detached signature.

PAdES baseline signatures (ETSI EN 319 142-1) must not carry the signing-time attribute: the time is
the PDF signature dictionary's ``/M`` and the timestamp. ``signing_time=None`` leaves it out.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from asn1crypto import cms, x509

from pki.keyops import KeyOperationError, KeyOps
from pki.oids import SM2_DEFAULT_ID
from pki.signature.cms import SignedDataParts, issuer_and_serial, signature_algorithm, signed_attributes_for
from pki.signature.errors import SigningError


def sign_digest(message_digest: bytes, *, key: KeyOps, certificate: x509.Certificate,
                chain: Sequence[x509.Certificate] = (), signing_time: datetime | None) -> bytes:
    """A detached SignedData over content whose digest (SHA-256, or SM3 for an SM2 key) is
    ``message_digest``; the key must already be checked against ``certificate``.

    ``signing_time``: the signing-time attribute; ``None`` writes none (PAdES)."""
    is_gm = key.algorithm == "sm2"
    digest_name = "sm3" if is_gm else "sha256"
    content_type = "gm_data" if is_gm else "data"
    attrs = signed_attributes_for(content_type=content_type, message_digest=message_digest,
                                  signing_time=signing_time, certificate=certificate, ess_hash=digest_name)
    try:
        value = key.sign(attrs.dump(), hash_algorithm=digest_name,
                         sm2_signer_id=SM2_DEFAULT_ID if is_gm else None)
    except KeyOperationError as exc:
        raise SigningError(f"私钥签名失败 (the key refused to sign: {exc})") from exc
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": issuer_and_serial(certificate)}),
        "digest_algorithm": {"algorithm": digest_name},
        "signed_attrs": attrs,
        "signature_algorithm": signature_algorithm(key.algorithm, digest_name=digest_name),
        "signature": value,
    })
    certs = [certificate, *(c for c in chain if c.dump() != certificate.dump())]
    sd = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [{"algorithm": digest_name}],
        "encap_content_info": {"content_type": content_type},
        "certificates": [cms.CertificateChoices({"certificate": c}) for c in certs],
        "signer_infos": [signer_info],
    })
    parts = SignedDataParts("gm_signed_data" if is_gm else "signed_data", content_type,
                            sd["version"].dump() + sd["digest_algorithms"].dump(),
                            sd["certificates"].dump() + sd["signer_infos"].dump())
    out = io.BytesIO()
    parts.write(out, None)
    return out.getvalue()


__all__ = ["sign_digest"]
