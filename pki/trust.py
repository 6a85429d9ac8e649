"""The trust list: one profile per trusted CA (``config/trust/<id>.toml``) with its anchors (root and
intermediate PEMs in a trust-store directory), where it puts the identity, the platform policy OID
(专key专用, R4), its CRL location and its renewal rules (R7).

Profile file keys::

    id, name                 profile id and Chinese display name
    chains                   key algorithms offered, one CA chain each: "rsa", "ec", "sm2"
    policy_oid               the certificate policy marking certificates issued for this platform
    crl_url                  CRL URL pattern; {base_url} is the platform's public base URL, given
                             to the loader by the caller (the app's PUBLIC_BASE_URL setting);
                             {chain} is "rsa"/"ec"/"sm2" for the end-entity CRL
                             and "rsa-root"/… for the root's CRL (covering the intermediates)
    anchors                  sub-directory of the trust store holding the CA's *.pem files
    [identity]               see pki.identity.IdentityRules: location, oid, type_location,
                             type_oid, type_values
    [renewal]                window_days, service_years, expired_limit_days
"""
from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import x509

from pki.errors import PkiError
from pki.certs import AnyCertificate, key_algorithm, load_certificates, to_asn1
from pki.identity import IdentityRules, PartyIdentity, read_identity
from pki.validation import Rejection, ValidationResult, validate_certificate

CHAINS = ("rsa", "ec", "sm2")
# The development platform's address, for callers that serve no CRLs themselves (bidtool, tests);
# the application passes its PUBLIC_BASE_URL setting instead.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
PURPOSES = ("login", "stamping", "encryption")
SIGNING_USAGE = frozenset({"digital_signature", "non_repudiation"})
# Encryption certificates: RSA and SM2 keys transport the content key (keyEncipherment); EC keys
# agree on it (ECDH, RFC 5753: keyAgreement).
ENCRYPTION_USAGE = {"rsa": frozenset({"key_encipherment"}), "sm2": frozenset({"key_encipherment"}),
                    "ec": frozenset({"key_agreement"})}


class TrustError(PkiError):
    """The trust list or a profile is wrong or does not know something asked of it."""

    code = "trust_list_invalid"
    message = "信任列表配置有误 (the trust list is wrong)"
    kind = "input"


class UnknownProfile(TrustError):
    code = "ca_profile_unknown"
    message = "信任列表中没有该 CA (no such CA profile in the trust list)"


class UnknownCa(TrustError):
    code = "ca_unknown"
    message = "证书的签发 CA 不在信任列表中 (the certificate's CA is not in the trust list)"


class RenewalRefused(PkiError):
    """R7 does not allow this renewal now. ``code`` is stable for callers."""

    code = "renewal_refused"
    message = "现在不能续期该证书 (this certificate cannot be renewed now)"
    kind = "state"


class RenewalNotOpen(RenewalRefused):
    code = "renewal_not_open"
    message = "续期尚未开放 (renewal is not open yet)"


class RenewalNeedsDocuments(RenewalRefused):
    code = "renewal_needs_documents"
    message = "证书过期过久，须携带资料办理续期 (expired too long ago: documents are needed)"


class InvalidServicePeriod(RenewalRefused):
    code = "service_period_invalid"
    message = "服务期无效 (invalid service period)"
    kind = "input"


@dataclass(frozen=True)
class RenewalTerms:
    not_before: datetime
    not_after: datetime
    was_expired: bool


def add_years(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` later; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


@dataclass(frozen=True)
class RenewalRules:
    """R7: online renewal opens ``window_days`` before expiry and closes ``expired_limit_days``
    after it. Unexpired: the new certificate runs from the old expiry for the service period.
    Expired: it runs from the day of the renewal. Beyond the limit, documents are needed."""

    window_days: int = 90
    service_years: tuple[int, ...] = (1, 2)
    expired_limit_days: int = 365

    def terms(self, old_not_after: datetime, at: datetime, years: int) -> RenewalTerms:
        """Validity of the renewed certificate, or a :class:`RenewalRefused` saying why not."""
        if years not in self.service_years:
            allowed = "、".join(str(y) for y in self.service_years)
            raise InvalidServicePeriod(f"服务期只能是 {allowed} 年 (the service period must be one of "
                                       f"{list(self.service_years)} years, not {years})")
        left = old_not_after - at
        if left > timedelta(days=self.window_days):
            opens = old_not_after - timedelta(days=self.window_days)
            raise RenewalNotOpen(f"证书到期前 {self.window_days} 天内才能续期，{opens:%Y-%m-%d} 起可办理 (renewal opens "
                                 f"{self.window_days} days before expiry, on {opens:%Y-%m-%d})")
        if left > timedelta(0):
            return RenewalTerms(at, add_years(old_not_after, years), was_expired=False)
        if -left > timedelta(days=self.expired_limit_days):
            raise RenewalNeedsDocuments(f"证书过期已超过 {self.expired_limit_days} 天，不能在线续期，请携带资料办理 "
                                        f"(expired more than {self.expired_limit_days} days ago: online renewal "
                                        f"is closed, documents are needed)")
        return RenewalTerms(at, add_years(at, years), was_expired=True)


@dataclass(frozen=True)
class CaProfile:
    id: str
    name: str
    chains: tuple[str, ...]
    policy_oid: str
    crl_url: str
    anchors: str
    identity: IdentityRules
    renewal: RenewalRules = field(default_factory=RenewalRules)
    #: R4 "others may still log in where the profile allows": True makes log-in ask for the platform
    #: policy too, so that this CA's certificates for other platforms neither bind nor log in here
    login_requires_policy: bool = False
    roots: tuple[x509.Certificate, ...] = field(default=(), repr=False)
    intermediates: tuple[x509.Certificate, ...] = field(default=(), repr=False)

    def crl_url_for(self, chain: str) -> str:
        return self.crl_url.format(chain=chain, profile=self.id)

    def issued(self, cert: AnyCertificate) -> bool:
        """Was ``cert`` issued by one of this profile's CA certificates (issuer name, and the
        authority key identifier where both sides have one)?"""
        cert = to_asn1(cert)
        aki = cert.authority_key_identifier
        return any(ca.subject == cert.issuer and (aki is None or ca.key_identifier in (None, aki))
                   for ca in self.roots + self.intermediates)

    def read_identity(self, cert: AnyCertificate) -> PartyIdentity:
        return read_identity(to_asn1(cert), self)


def load_profile(path: Path, anchors_dir: Path | None = None, *, base_url: str = DEFAULT_BASE_URL) -> CaProfile:
    """One profile from a TOML file, with its anchors from ``anchors_dir/<anchors>/*.pem`` and
    ``{base_url}`` in its CRL URL replaced by ``base_url``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        ident = data["identity"]
        rules = IdentityRules(location=ident["location"], type_location=ident["type_location"],
                              type_values=dict(ident["type_values"]), oid=ident.get("oid"),
                              type_oid=ident.get("type_oid"))
        ren = data.get("renewal", {})
        renewal = RenewalRules(window_days=int(ren.get("window_days", 90)),
                               service_years=tuple(int(y) for y in ren.get("service_years", (1, 2))),
                               expired_limit_days=int(ren.get("expired_limit_days", 365)))
        login_requires_policy = data.get("login_requires_policy", False)
        if not isinstance(login_requires_policy, bool):
            raise ValueError("login_requires_policy must be true or false")
        chains = tuple(data["chains"])
        if not chains or set(chains) - set(CHAINS):
            raise TrustError(f"信任列表配置 {path.name} 有误 (bad trust profile {path.name}: chains must be a "
                             f"non-empty subset of {CHAINS})")
        profile = CaProfile(id=data["id"], name=data["name"], chains=chains, policy_oid=data["policy_oid"],
                            crl_url=data["crl_url"].replace("{base_url}", base_url.rstrip("/")),
                            anchors=data.get("anchors", data["id"]),
                            identity=rules, renewal=renewal, login_requires_policy=login_requires_policy)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise TrustError(f"信任列表配置 {path.name} 有误 (bad trust profile {path.name}: {exc})") from exc
    if anchors_dir is None:
        return profile
    roots, inters = _load_anchors(Path(anchors_dir) / profile.anchors)
    return _with_anchors(profile, roots, inters)


def _with_anchors(profile: CaProfile, roots, inters) -> CaProfile:
    return replace(profile, roots=tuple(roots), intermediates=tuple(inters))


def _load_anchors(directory: Path) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    roots: list[x509.Certificate] = []
    inters: list[x509.Certificate] = []
    if not directory.is_dir():
        return roots, inters
    for pem_file in sorted(directory.glob("*.pem")):
        for cert in load_certificates(pem_file.read_bytes()):
            (roots if cert.self_signed in ("yes", "maybe") else inters).append(cert)
    return roots, inters


class TrustList:
    """The trusted CAs. ``profiles`` is ordered by id."""

    def __init__(self, profiles: Sequence[CaProfile]):
        self.profiles: tuple[CaProfile, ...] = tuple(sorted(profiles, key=lambda p: p.id))
        self._by_id = {p.id: p for p in self.profiles}
        if len(self._by_id) != len(self.profiles):
            raise TrustError("信任列表中有重复的 CA 标识 (duplicate profile ids in the trust list)")

    def profile(self, profile_id: str) -> CaProfile:
        try:
            return self._by_id[profile_id]
        except KeyError:
            raise UnknownProfile(f"信任列表中没有 CA {profile_id} (no CA profile {profile_id!r} in the trust list)") from None

    def profile_for(self, cert: AnyCertificate) -> CaProfile | None:
        """The profile of the CA that issued ``cert`` (by issuer name and key identifier), or None."""
        cert = to_asn1(cert)
        return next((p for p in self.profiles if p.issued(cert)), None)

    @property
    def roots(self) -> tuple[x509.Certificate, ...]:
        return tuple(c for p in self.profiles for c in p.roots)

    @property
    def intermediates(self) -> tuple[x509.Certificate, ...]:
        return tuple(c for p in self.profiles for c in p.intermediates)

    def identity(self, cert: AnyCertificate) -> PartyIdentity:
        """The party a certificate names, read through its CA's profile."""
        profile = self.profile_for(cert)
        if profile is None:
            raise UnknownCa("证书的签发 CA 不在信任列表中 (the certificate's CA is not in the trust list)")
        return profile.read_identity(cert)

    def validate(self, cert: AnyCertificate, at: datetime, purpose: str = "login", *, crls: Sequence[bytes] = (),
                 revocation: str = "soft-fail", fetch_crls: bool = False) -> ValidationResult:
        """Validate for a purpose: 'login' (digitalSignature, and the platform policy OID where the
        profile says ``login_requires_policy``), 'stamping' (digitalSignature + nonRepudiation and
        the CA's platform policy OID, R4) or 'encryption' (keyEncipherment for RSA/SM2 keys,
        keyAgreement for EC keys)."""
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")
        cert = to_asn1(cert)
        profile = self.profile_for(cert)
        usage: frozenset[str] = frozenset({"digital_signature"})
        if purpose == "stamping":
            usage = SIGNING_USAGE
        elif purpose == "encryption":
            usage = ENCRYPTION_USAGE.get(key_algorithm(cert), frozenset({"key_encipherment"}))
        result = validate_certificate(
            cert, at=at, trust_roots=self.roots, intermediates=self.intermediates, crls=crls,
            revocation=revocation, key_usage=usage, fetch_crls=fetch_crls,
            required_policy=profile.policy_oid if profile and _needs_policy(profile, purpose) else None,
            profile=profile.id if profile else None)
        if profile is None and "untrusted_issuer" not in result.codes:
            # trusted only as an anchor of no profile: cannot happen with a consistent list, but
            # never accept a certificate whose CA rules are unknown
            reason = Rejection("untrusted_issuer", "证书的签发 CA 不在信任列表中 (the certificate's CA is not in the "
                                                   "trust list)")
            result = replace(result, ok=False, reasons=result.reasons + (reason,))
        return result


def _needs_policy(profile: CaProfile, purpose: str) -> bool:
    return purpose == "stamping" or (purpose == "login" and profile.login_requires_policy)


def load_trust_list(config_dir: str | Path, anchors_dir: str | Path | None = None, *,
                    base_url: str = DEFAULT_BASE_URL) -> TrustList:
    """Every ``*.toml`` profile in ``config_dir``, anchors from ``anchors_dir`` (if given), CRL URLs
    under ``base_url`` (the platform's public base URL, e.g. ``http://127.0.0.1:5000``)."""
    config_dir = Path(config_dir)
    files = sorted(config_dir.glob("*.toml"))
    if not files:
        raise TrustError(f"{config_dir} 中没有 CA 配置 (no CA profiles in {config_dir})")
    return TrustList([load_profile(f, Path(anchors_dir) if anchors_dir else None, base_url=base_url)
                      for f in files])


__all__ = ["CHAINS", "DEFAULT_BASE_URL", "PURPOSES", "TrustError", "UnknownProfile", "UnknownCa", "RenewalRefused", "RenewalNotOpen",
           "RenewalNeedsDocuments", "InvalidServicePeriod", "RenewalTerms", "RenewalRules", "add_years",
           "CaProfile", "TrustList", "load_profile", "load_trust_list"]
