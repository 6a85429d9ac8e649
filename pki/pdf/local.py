"""Stamping in one step with a key at hand (a key file or a PKCS#11 token): prepare, sign the digest,
finish — the same three steps the platform takes around the local agent."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pki.certs import AnyCertificate, to_asn1
from pki.keyops import KeyOperationError, KeyOps
from pki.keys import key_matches_certificate
from pki.pdf.finish import finish_stamp
from pki.pdf.model import StampSpec, ValidationData
from pki.pdf.prepare import prepare_stamp
from pki.signature.errors import SigningError
from pki.signature.prehashed import sign_digest
from pki.timestamps.client import TsaSource


def stamp_with_key(pdf: bytes, key: KeyOps, certificate: AnyCertificate, spec: StampSpec, *,
                   chain: Sequence[AnyCertificate] = (), signing_time: datetime,
                   timestamper: TsaSource | None = None, validation: ValidationData | None = None) -> bytes:
    """``pdf`` with ``spec``'s seal signed by ``key`` (whose certificate is ``certificate``; ``chain``:
    the CA certificates to put in the signature). PAdES B-B, B-T with ``timestamper``, B-LT with
    ``validation``; GM/T 0010 with SM3 for an SM2 key."""
    cert = to_asn1(certificate)
    try:
        matches = key_matches_certificate(key.public_key_info(), cert)
    except KeyOperationError as exc:
        raise SigningError(f"无法读取签名密钥的公钥 (cannot read the signing key's public key: {exc})") from exc
    if not matches:
        raise SigningError("签名私钥与证书不匹配 (the signing key does not belong to the certificate)")
    prepared = prepare_stamp(pdf, cert, spec, signing_time=signing_time)
    signature = sign_digest(prepared.digest, key=key, certificate=cert, chain=[to_asn1(c) for c in chain],
                            signing_time=None)
    return finish_stamp(prepared, signature, timestamper=timestamper, validation=validation)


__all__ = ["stamp_with_key"]
