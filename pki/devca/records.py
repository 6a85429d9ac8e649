"""What the development CA keeps and hands out: issued-certificate records (``index.json``), the
platform's own certificates and their files, and the CA chains."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from asn1crypto import x509

from pki.identity import PartyIdentity


@dataclass
class IssuedCertificate:
    """One certificate the CA issued, as kept in ``index.json``.

    ``status`` is 'valid' or 'revoked'; ``replaces``/``replaced_by`` link renewals, lost-key
    replacements and subject changes (``replacement`` says which). Paths are relative to the
    state directory.
    """

    serial: int
    profile: str
    algorithm: str
    purpose: str
    kind: str
    name: str
    credit_code: str | None
    id_number: str | None
    organization: str | None
    subject: str
    not_before: str
    not_after: str
    platform: bool
    cert_file: str
    sha256: str
    status: str = "valid"
    key_file: str | None = None
    seal_kind: str | None = None
    seal_file: str | None = None
    revoked_at: str | None = None
    revocation_reason: str | None = None
    replaces: int | None = None
    replaced_by: int | None = None
    replacement: str | None = None       # 'renewal' | 'lost_key' | 'subject_change'
    extended_key_usage: list[str] | None = None   # e.g. ['time_stamping'] (critical when present)
    key_location: str | None = None      # where a key the CA did not generate lives (pkcs11: URI)

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "X")

    @property
    def identity(self) -> PartyIdentity:
        return PartyIdentity(self.kind, self.name, credit_code=self.credit_code, id_number=self.id_number,  # type: ignore[arg-type]
                             organization=self.organization)

    @property
    def chain_name(self) -> str:
        return f"{self.profile}-{self.algorithm}"

    @property
    def validity(self) -> tuple[datetime, datetime]:
        return datetime.fromisoformat(self.not_before), datetime.fromisoformat(self.not_after)


class ServiceFiles(NamedTuple):
    """Where a platform certificate's files are: certificate, unencrypted key, CA chain (PEM)."""

    cert: Path
    key: Path
    chain: Path


@dataclass(frozen=True)
class ServiceCertificate:
    """A certificate of the platform itself (time-stamping, receipt signing) and its files."""

    role: str
    record: IssuedCertificate
    cert_path: Path
    key_path: Path
    chain_path: Path
    issued: bool            # True when made by this call, False when the existing one was kept

    @staticmethod
    def files_for(role: str, directory: Path) -> ServiceFiles:
        return ServiceFiles(directory / f"{role}.pem", directory / f"{role}.key.pem", directory / "chain.pem")


@dataclass(frozen=True)
class CaChain:
    """One profile's CA chain for one key algorithm."""

    profile: str
    algorithm: str
    root: x509.Certificate = field(repr=False)
    intermediate: x509.Certificate = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.profile}-{self.algorithm}"


__all__ = ["IssuedCertificate", "ServiceFiles", "ServiceCertificate", "CaChain"]
