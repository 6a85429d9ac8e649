"""Certificates as values: loading (PEM/DER, one or many, PKCS#12), conversion between the
asn1crypto and ``cryptography`` object models, fingerprints (SHA-256, SM3) and a short description.

asn1crypto is the model the rest of ``pki`` works with (it reads SM2 certificates, which
``cryptography`` can parse but not verify); :func:`to_cryptography` is there for the places that
need a ``cryptography`` object (builders, PKCS#12).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Union

from asn1crypto import pem, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization

from pki.errors import PkiError
from pki.keys import PrivateKey, load_pkcs12
from pki.sm2 import is_sm2_spki, sm3

AnyCertificate = Union[x509.Certificate, cx509.Certificate, bytes]


class CertificateError(PkiError):
    """Bytes that are not a readable X.509 certificate."""

    code = "certificate_unreadable"
    message = "无法读取证书 (not a readable X.509 certificate)"


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """All certificates in ``data``: PEM with any number of ``CERTIFICATE`` blocks, or one DER."""
    if pem.detect(data):
        found = [der for label, _, der in pem.unarmor(data, multiple=True) if label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")]
        if not found:
            raise CertificateError("PEM 中没有证书 (no CERTIFICATE block in the PEM data)")
        return [_parse(der) for der in found]
    return [_parse(data)]


def load_certificate(data: bytes) -> x509.Certificate:
    """Exactly one certificate from PEM or DER."""
    found = load_certificates(data)
    if len(found) != 1:
        raise CertificateError(f"应为一张证书，实为 {len(found)} 张 (expected one certificate, found {len(found)})")
    return found[0]


def load_certificate_file(path: str | Path) -> x509.Certificate:
    return load_certificate(Path(path).read_bytes())


def load_pkcs12_bundle(data: bytes, password: bytes | None) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]]:
    """(key, certificate, additional certificates) from a PKCS#12 file, certificates as asn1crypto.

    Raises :class:`pki.keys.WrongPassword` for a wrong password or a damaged file.
    """
    key, cert, extra = load_pkcs12(data, password)
    if cert is None:
        raise CertificateError("PKCS#12 文件中没有证书 (the PKCS#12 file holds no certificate)")
    return key, to_asn1(cert), [to_asn1(c) for c in extra or ()]


def _parse(der: bytes) -> x509.Certificate:
    try:
        cert = x509.Certificate.load(der)
        cert.native  # a full parse, so garbage fails here and not later
    except (ValueError, TypeError) as exc:
        raise CertificateError(f"无法解析证书 (unreadable certificate: {exc})") from exc
    return cert


def to_asn1(cert: AnyCertificate) -> x509.Certificate:
    """An asn1crypto certificate from an asn1crypto or ``cryptography`` certificate or PEM/DER bytes."""
    if isinstance(cert, x509.Certificate):
        return cert
    if isinstance(cert, cx509.Certificate):
        return _parse(cert.public_bytes(serialization.Encoding.DER))
    if isinstance(cert, (bytes, bytearray, memoryview)):
        return load_certificate(bytes(cert))
    raise TypeError(f"not a certificate: {type(cert).__name__}")


def to_cryptography(cert: AnyCertificate) -> cx509.Certificate:
    """A ``cryptography`` certificate (SM2 ones load too; only their ``public_key()`` fails)."""
    if isinstance(cert, cx509.Certificate):
        return cert
    return cx509.load_der_x509_certificate(to_asn1(cert).dump())


def dump_pem(cert: AnyCertificate) -> bytes:
    return pem.armor("CERTIFICATE", to_asn1(cert).dump())


def fingerprint_sha256(cert: AnyCertificate) -> str:
    """SHA-256 of the DER certificate, lowercase hex."""
    h = hashes.Hash(hashes.SHA256())
    h.update(to_asn1(cert).dump())
    return h.finalize().hex()


def fingerprint_sm3(cert: AnyCertificate) -> str:
    """SM3 of the DER certificate, lowercase hex."""
    return sm3(to_asn1(cert).dump()).hex()


def key_algorithm(cert: AnyCertificate) -> str:
    """'rsa', 'ec' (NIST/other curves) or 'sm2' for the certificate's subject key."""
    spki = to_asn1(cert).public_key
    if is_sm2_spki(spki):
        return "sm2"
    name = spki.algorithm
    return {"rsa": "rsa", "rsassa_pss": "rsa", "ec": "ec"}.get(name, name)


def key_description(cert: AnyCertificate) -> str:
    """'RSA-2048', 'EC secp256r1', 'SM2'."""
    spki = to_asn1(cert).public_key
    alg = key_algorithm(cert)
    if alg == "rsa":
        return f"RSA-{spki.bit_size}"
    if alg == "ec":
        return f"EC {spki.curve[1]}"
    return alg.upper()


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    issuer: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    key: str
    sha256: str

    def __str__(self) -> str:
        return (f"{self.subject}（颁发者 issuer: {self.issuer}；序列号 serial: {self.serial_hex}；"
                f"有效期 validity: {self.not_before:%Y-%m-%d} – {self.not_after:%Y-%m-%d}；{self.key}）")


def describe(cert: AnyCertificate) -> CertificateSummary:
    """Subject, issuer, serial, validity and key algorithm of a certificate, for people."""
    c = to_asn1(cert)
    tbs = c["tbs_certificate"]
    return CertificateSummary(
        subject=c.subject.human_friendly,
        issuer=c.issuer.human_friendly,
        serial_hex=format(c.serial_number, "X"),
        not_before=tbs["validity"]["not_before"].native,
        not_after=tbs["validity"]["not_after"].native,
        key=key_description(c),
        sha256=fingerprint_sha256(c),
    )


def validity(cert: AnyCertificate) -> tuple[datetime, datetime]:
    """(notBefore, notAfter), timezone-aware."""
    v = to_asn1(cert)["tbs_certificate"]["validity"]
    return v["not_before"].native, v["not_after"].native


__all__ = ["AnyCertificate", "CertificateError", "CertificateSummary", "load_certificates", "load_certificate",
           "load_certificate_file", "load_pkcs12_bundle", "to_asn1", "to_cryptography", "dump_pem",
           "fingerprint_sha256", "fingerprint_sm3", "key_algorithm", "key_description", "describe", "validity"]
