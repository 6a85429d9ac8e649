"""Building blocks of certificates and CRLs, built with asn1crypto and signed through one function:
SHA-256 with RSA PKCS#1 v1.5, ECDSA P-256 with SHA-256, or sm2sign-with-sm3 (Z over the default
ID) through :mod:`pki.sm2`. OpenSSL verifies all three (tests/integration/devca)."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from asn1crypto import core, crl as acrl, keys as akeys, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pki.devca.records import IssuedCertificate
from pki.devca.rules import CRL_VALIDITY
from pki.keys import PrivateKey
from pki.sm2 import Sm2PrivateKey


def key_identifier(spki: akeys.PublicKeyInfo) -> bytes:
    """RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (an identifier, not security)."""
    return hashlib.sha1(spki["public_key"].contents[1:]).digest()


def extension(name: str, value: Any, *, critical: bool = False) -> dict[str, Any]:
    return {"extn_id": name, "critical": critical, "extn_value": value}


def distribution_point(url: str) -> dict[str, Any]:
    return {"distribution_point": {"full_name": [x509.GeneralName(name="uniform_resource_identifier", value=url)]}}


def x509_time(moment: datetime) -> x509.Time:
    """UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5)."""
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    return x509.Time(name="utc_time" if moment.year < 2050 else "general_time", value=moment)


def signature_algorithm(key: PrivateKey) -> dict[str, Any]:
    if isinstance(key, Sm2PrivateKey):
        return {"algorithm": "sm2sign_with_sm3"}
    if isinstance(key, rsa.RSAPrivateKey):
        return {"algorithm": "sha256_rsa", "parameters": core.Null()}
    return {"algorithm": "sha256_ecdsa"}


def sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, Sm2PrivateKey):
        return key.sign(data)                   # Z with the default ID 1234567812345678
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def build_certificate(serial: int, issuer: x509.Name, subject: x509.Name, spki: akeys.PublicKeyInfo,
                       not_before: datetime, not_after: datetime, extensions: list[dict[str, Any]],
                       signer: PrivateKey) -> x509.Certificate:
    algorithm = signature_algorithm(signer)
    tbs = x509.TbsCertificate({
        "version": "v3", "serial_number": serial, "signature": algorithm, "issuer": issuer,
        "validity": {"not_before": x509_time(not_before), "not_after": x509_time(not_after)},
        "subject": subject, "subject_public_key_info": spki, "extensions": extensions,
    })
    return x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": algorithm,
                             "signature_value": sign(signer, tbs.dump())})


def build_crl(issuer: x509.Certificate, key: PrivateKey, revoked: Sequence[IssuedCertificate], number: int,
               at: datetime) -> acrl.CertificateList:
    algorithm = signature_algorithm(key)
    tbs: dict[str, Any] = {
        "version": "v2", "signature": algorithm, "issuer": issuer.subject,
        "this_update": x509_time(at), "next_update": x509_time(at + CRL_VALIDITY),
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": number},
            {"extn_id": "authority_key_identifier", "critical": False,
             "extn_value": {"key_identifier": key_identifier(issuer.public_key)}},
        ],
    }
    if revoked:
        tbs["revoked_certificates"] = [{
            "user_certificate": rec.serial,
            "revocation_date": x509_time(datetime.fromisoformat(rec.revoked_at)),  # type: ignore[arg-type]
            "crl_entry_extensions": [{"extn_id": "crl_reason", "critical": False,
                                      "extn_value": rec.revocation_reason}],
        } for rec in sorted(revoked, key=lambda r: r.serial)]
    tbs_list = acrl.TbsCertList(tbs)
    return acrl.CertificateList({"tbs_cert_list": tbs_list, "signature_algorithm": algorithm,
                                 "signature": sign(key, tbs_list.dump())})


__all__ = ["key_identifier", "extension", "distribution_point", "x509_time", "signature_algorithm", "sign",
           "build_certificate", "build_crl"]
