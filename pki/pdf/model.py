"""What :mod:`pki.pdf` takes and gives: where a seal goes, what a stamp needs, the state of an
interrupted stamp between its two requests, the validation data for B-LT, and the verification report."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509

from pki.pdf.errors import PreparedStampMismatch

#: Size cap of a PDF taken from anyone (the verification page's upload, a stamp's input).
MAX_PDF_BYTES = 64 * 1024 * 1024

RECORD_VERSION = 1


@dataclass(frozen=True)
class SealPlacement:
    """Where the seal's square goes: ``page`` 1-based (0 = the last page), ``x``/``y`` its lower-left
    corner in PDF points from the page's lower-left corner, ``size`` the side of the square."""

    page: int = 0
    x: float = 400.0
    y: float = 80.0
    size: float = 120.0


@dataclass(frozen=True)
class StampSpec:
    """One seal to put on a document.

    - ``seal_png``: the binding's seal image (PNG, transparent background);
    - ``cross_page``: also the cross-page seal (骑缝章): the image cut into one vertical slice per page,
      each on the right edge of its page, in the same revision as the signature;
    - ``cross_page_y``: the slices' lower edge in points (default: centred on each page);
    - ``field_name``: the signature field (default: a name unique in the document, ``Seal<n>``);
    - ``reason``, ``location``, ``signer_name``: written into the signature dictionary.
    """

    seal_png: bytes = field(repr=False)
    placement: SealPlacement = SealPlacement()
    cross_page: bool = False
    field_name: str | None = None
    reason: str | None = None
    location: str | None = None
    signer_name: str | None = None
    cross_page_y: float | None = None


@dataclass(frozen=True)
class PreparedStamp:
    """A document with a new revision whose signature ``/Contents`` is still zeros, waiting for the
    signature over ``digest`` (the byte range hashed with ``digest_algorithm``).

    Between the two requests keep :meth:`to_record` (JSON-safe) and ``prepared_pdf`` (bytes);
    :meth:`from_record` puts them together again and checks they belong together."""

    prepared_pdf: bytes = field(repr=False)
    digest: bytes
    digest_algorithm: str            # 'sha256' | 'sm3'
    field_name: str
    certificate_der: bytes = field(repr=False)
    reserved_start: int              # offset of the '<' of the /Contents hex string
    reserved_end: int                # offset just after its '>'
    signing_time: datetime
    cross_page: bool = False

    @property
    def certificate(self) -> x509.Certificate:
        return x509.Certificate.load(self.certificate_der)

    @property
    def byte_range(self) -> tuple[int, int, int, int]:
        return (0, self.reserved_start, self.reserved_end, len(self.prepared_pdf) - self.reserved_end)

    @property
    def capacity(self) -> int:
        """Bytes of DER the reserved ``/Contents`` holds."""
        return (self.reserved_end - self.reserved_start - 2) // 2

    def signed_bytes(self) -> bytes:
        """The bytes the signature covers: the prepared document without its ``/Contents`` string."""
        return self.prepared_pdf[:self.reserved_start] + self.prepared_pdf[self.reserved_end:]

    def to_record(self) -> dict[str, Any]:
        """The JSON-safe state (without ``prepared_pdf``, which is stored beside it)."""
        return {
            "version": RECORD_VERSION,
            "digest": self.digest.hex(),
            "digest_algorithm": self.digest_algorithm,
            "field_name": self.field_name,
            "certificate": base64.b64encode(self.certificate_der).decode("ascii"),
            "reserved_start": self.reserved_start,
            "reserved_end": self.reserved_end,
            "signing_time": self.signing_time.isoformat(),
            "cross_page": self.cross_page,
            "prepared_sha256": hashlib.sha256(self.prepared_pdf).hexdigest(),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], prepared_pdf: bytes) -> "PreparedStamp":
        """The stamp of :meth:`to_record`, with its prepared document; raises
        :class:`PreparedStampMismatch` when the document is not the one the record was made for."""
        try:
            if record["version"] != RECORD_VERSION:
                raise ValueError(f"record version {record['version']!r}")
            stamp = cls(prepared_pdf=bytes(prepared_pdf), digest=bytes.fromhex(record["digest"]),
                        digest_algorithm=str(record["digest_algorithm"]), field_name=str(record["field_name"]),
                        certificate_der=base64.b64decode(record["certificate"], validate=True),
                        reserved_start=int(record["reserved_start"]), reserved_end=int(record["reserved_end"]),
                        signing_time=datetime.fromisoformat(record["signing_time"]),
                        cross_page=bool(record.get("cross_page", False)))
            expected = record["prepared_sha256"]
        except (KeyError, TypeError, ValueError) as exc:
            raise PreparedStampMismatch(f"待签章记录不完整或已损坏 (the prepared-stamp record is damaged: {exc})") from None
        if hashlib.sha256(stamp.prepared_pdf).hexdigest() != expected:
            raise PreparedStampMismatch("待签章文件与记录不符 (the prepared document is not the one recorded)")
        return stamp


@dataclass(frozen=True)
class TrustAnchors:
    """Trust given as certificates (the command line's ``--ca`` files) where there is no trust list:
    :func:`pki.pdf.verify_pdf` takes it in place of a :class:`pki.trust.TrustList`."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class ValidationData:
    """What B-LT embeds in the document security store: CA (and TSA) certificates and CRLs (DER or PEM)."""

    certificates: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class PdfSignatureReport:
    """One signature of a PDF, as the verification page shows it.

    ``intact``: the byte range's digest matches the signature's; ``signature_valid``: the signature
    value verifies with the signer's certificate; ``trusted``: the certificate chains to a trusted CA
    and was valid (not expired, not revoked) at ``timestamp_time`` (without one: at the ``at`` given to
    :func:`~pki.pdf.verify_pdf`, else now);
    ``certificate_status`` says which ('good' needs a CRL that covers it). ``modification``: what came
    after this signature's revision: 'none', 'validation_data' (B-LT data only), 'seal_slices' (later
    seals: signature fields, widgets, cross-page slices, validation data) or 'other' (anything else:
    ``modified_after``). ``problems``: every reason, in Chinese.
    """

    field_name: str
    algorithm: str                      # 'rsa' | 'ec' | 'sm2' | 'unknown'
    signer_subject: str
    signer_certificate_der: bytes = field(repr=False)
    fingerprint_sha256: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    signature_valid: bool
    trusted: bool
    certificate_status: str             # 'good' | 'revoked' | 'expired' | 'not_yet_valid' | 'unknown'
    covers_whole_document: bool
    modified_after: bool
    modification: str                   # 'none' | 'seal_slices' | 'validation_data' | 'other'
    cross_page: bool
    seal_png: bytes | None = field(repr=False)
    problems: tuple[str, ...]
    revision: int = 0                   # the revision the signature belongs to (0 = the original file)
    subfilter: str = ""
    flavour: str = ""                   # 'cms' | 'gm-standard' | 'gm-gmssl'
    signer_name: str | None = None      # /Name of the signature dictionary
    reason: str | None = None
    location: str | None = None
    timestamp_authority: str | None = None

    def ok(self) -> bool:
        """Valid, intact, trusted with status 'good', nothing but allowed additions after it."""
        return (self.intact and self.signature_valid and self.trusted and self.certificate_status == "good"
                and not self.modified_after and not self.problems)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the API's)."""
        def time(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None
        return {
            "field_name": self.field_name, "algorithm": self.algorithm, "signer_subject": self.signer_subject,
            "signer_certificate": base64.b64encode(self.signer_certificate_der).decode("ascii"),
            "fingerprint_sha256": self.fingerprint_sha256, "signing_time": time(self.signing_time),
            "timestamp_time": time(self.timestamp_time), "timestamp_authority": self.timestamp_authority,
            "intact": self.intact, "signature_valid": self.signature_valid, "trusted": self.trusted,
            "certificate_status": self.certificate_status, "covers_whole_document": self.covers_whole_document,
            "modified_after": self.modified_after, "modification": self.modification,
            "cross_page": self.cross_page, "revision": self.revision, "subfilter": self.subfilter,
            "flavour": self.flavour, "signer_name": self.signer_name, "reason": self.reason,
            "location": self.location, "ok": self.ok(), "problems": list(self.problems),
            "seal_png": base64.b64encode(self.seal_png).decode("ascii") if self.seal_png else None,
        }


@dataclass(frozen=True)
class PdfVerification:
    """Every signature of a PDF (in the order of their revisions) and the number of revisions."""

    signatures: tuple[PdfSignatureReport, ...]
    revisions: int

    def ok(self) -> bool:
        """At least one signature, and every one valid, intact, trusted (status good) and unmodified
        except for the additions the seal policy allows."""
        return bool(self.signatures) and all(s.ok() for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok(), "revisions": self.revisions, "signatures": [s.to_dict() for s in self.signatures]}


__all__ = ["MAX_PDF_BYTES", "SealPlacement", "StampSpec", "PreparedStamp", "TrustAnchors", "ValidationData", "PdfSignatureReport",
           "PdfVerification"]
