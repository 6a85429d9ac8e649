"""The development CA: stands in for NETCA, GDCA, CFCA, BJCA and HBCA in development and tests.

For every profile of the trust list (``config/trust/*.toml``) and every key algorithm it offers
(``rsa``, ``ec``, ``sm2``) the CA keeps a chain root → intermediate ("user CA") and issues
end-entity certificates from the intermediate, shaped the way that CA's profile says (where the
identity goes, how the type is marked, its platform policy OID, its CRL URL).

State lives in one directory, every file written atomically (temporary name, fsync, rename) under
a file lock, so two processes cannot interleave::

    state_dir/index.json                   next serial, CRL numbers, every issued certificate
    state_dir/ca/<profile>-<alg>/          root.key root.pem ca.key ca.pem (keys unencrypted: dev only)
    state_dir/certs/<SERIAL>.pem           issued certificates
    state_dir/keys/<SERIAL>.p12            generated RSA/EC keys with their chain (PKCS#12)
    state_dir/keys/<SERIAL>.key.pem        generated SM2 keys (encrypted PKCS#8, PBKDF2-SM3 + SM4)
    state_dir/seals/<SERIAL>.png           the seal image bound to a certificate
    state_dir/crl/<profile>-<alg>.crl      CRL of the intermediate (DER); -root.crl: the root's

The anchors (root and intermediate PEMs) are written to ``anchors_dir/<profile anchors>/`` so that
:func:`pki.trust.load_trust_list` picks them up.

Certificates and CRLs are built and signed in :mod:`pki.devca.x509build`.

Key usages and other issuing rules: :mod:`pki.devca.rules`.

Time: every operation takes ``at``; without it the injected clock (any object with ``now()``) is
asked, and without a clock the system's UTC time (the CLI's case).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pki.certs import CertificateError, dump_pem, load_certificate, to_cryptography
from pki.devca.errors import (AlgorithmNotOffered, AlreadyRevoked, CertificateExpired, DevCaError, NotInitialised,
                              SubjectChangeRefused, UnknownCertificate)
from pki.devca.keys import PublicKeyInput, generate_key, spki_algorithm, spki_of, to_spki
from pki.devca.records import CaChain, IssuedCertificate, ServiceCertificate, ServiceFiles
from pki.devca.rules import (AUTO, CRL_REASONS, INTERMEDIATE_YEARS, KEY_USAGE, PURPOSES, ROOT_YEARS,
                             SERVICE_MIN_REMAINING, SERVICE_PURPOSES, SERVICE_ROLES)
from pki.devca.x509build import build_certificate, build_crl, distribution_point, extension, key_identifier
from pki.files import write_atomic
from pki.identity import PartyIdentity, encode_identity
from pki.keys import KeyError_, PrivateKey, dump_private_key, key_matches_certificate, load_private_key
from pki.seal import check_seal_binding, make_seal
from pki.sm2 import Sm2Error, Sm2PrivateKey
from pki.trust import DEFAULT_BASE_URL, CaProfile, TrustList, add_years, load_trust_list

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "trust"


class ClockLike(Protocol):
    def now(self) -> datetime: ...


class DevCA:
    """The development CA over a state directory. See the module docstring for the layout.

    ``config_dir``: the trust profiles (default ``config/trust``); ``anchors_dir``: the trust
    store the anchors are written to; ``base_url``: the platform's public base URL, put into each
    profile's ``crl_url`` (default :data:`pki.trust.DEFAULT_BASE_URL`); ``crl_base_url``: if given,
    CRL distribution points become ``<crl_base_url>/<profile>-<alg>.crl`` instead of each
    profile's ``crl_url``.
    """

    def __init__(self, state_dir: str | Path, anchors_dir: str | Path, *, config_dir: str | Path = DEFAULT_CONFIG_DIR,
                 clock: ClockLike | None = None, crl_base_url: str | None = None,
                 base_url: str = DEFAULT_BASE_URL):
        self.state_dir = Path(state_dir)
        self.anchors_dir = Path(anchors_dir)
        self.config_dir = Path(config_dir)
        self.clock = clock
        self.crl_base_url = crl_base_url.rstrip("/") if crl_base_url else None
        self.base_url = base_url
        self._profiles = load_trust_list(self.config_dir, base_url=base_url)
        self._ca_cache: dict[str, tuple[x509.Certificate, PrivateKey, x509.Certificate, PrivateKey]] = {}
        self._thread_lock = threading.RLock()
        self._depth = 0

    # -- set-up -----------------------------------------------------------------------------------------
    def init(self, profiles: Sequence[str] | None = None, *, at: datetime | None = None) -> list[CaChain]:
        """Create the root and intermediate of every chain of the given profiles (all by default)
        that does not exist yet, write the anchors, and publish their first CRLs. Idempotent."""
        at = self._now(at)
        with self._locked():
            chains = []
            for profile in self._select(profiles):
                for alg in profile.chains:
                    if not (self._ca_dir(profile.id, alg) / "ca.pem").exists():
                        self._create_chain(profile, alg, at)
                    self._write_anchors(profile, alg)
                    chains.append(self.chain(profile.id, alg))
            self._publish(at, [(c.profile, c.algorithm) for c in chains], only_missing=True)
            return chains

    def chain(self, profile: str, algorithm: str) -> CaChain:
        root, _, inter, _ = self._ca(profile, algorithm)
        return CaChain(profile, algorithm, root, inter)

    def chains(self) -> list[CaChain]:
        return [self.chain(p.id, a) for p in self._profiles.profiles for a in p.chains
                if (self._ca_dir(p.id, a) / "ca.pem").exists()]

    def trust_list(self) -> TrustList:
        """The trust list with this CA's anchors (what the platform would load)."""
        return load_trust_list(self.config_dir, self.anchors_dir, base_url=self.base_url)

    # -- issuing ----------------------------------------------------------------------------------------
    def issue(self, profile: str, identity: PartyIdentity, *, public_key: PublicKeyInput | None = None,
              algorithm: str | None = None, password: bytes | None = None, purpose: str = "signing",
              years: int = 1, platform: bool = True, extra_policies: Sequence[str] = (),
              seal_kind: str | None = AUTO, at: datetime | None = None,
              not_before: datetime | None = None, not_after: datetime | None = None,
              extended_key_usage: Sequence[str] = ()) -> IssuedCertificate:
        """Issue a certificate for ``identity`` from ``profile``.

        Either ``public_key`` (an SPKI — asn1crypto, DER/PEM bytes — or a ``cryptography``/SM2
        public key, e.g. of a key generated on a PKCS#11 token) or ``password``: then a key of
        ``algorithm`` (default: the profile's first chain) is generated and written as PKCS#12
        (RSA/EC) or encrypted PKCS#8 PEM (SM2) under ``keys/``.

        ``purpose``: 'signing' | 'encryption' (key usage: module docstring). ``years``: the service
        period, one of the profile's. ``platform``: assert the profile's platform policy OID
        (专key专用, R4). ``seal_kind``: '公章' | '合同专用章' | '业务专用章' | None; 'auto' gives
        institution signing certificates a 公章 and others none. A certificate carries at most one
        seal (R2), owned by its subject (R3). ``not_before``/``not_after`` override the validity
        (the default runs from ``at`` for ``years``). ``extended_key_usage``: asn1crypto names
        (e.g. ``['time_stamping']``) of a critical EKU extension; none by default.
        """
        at = self._now(at)
        with self._locked():
            return self._issue(self._profile(profile), identity, public_key=public_key, algorithm=algorithm,
                               password=password, purpose=purpose, years=years, platform=platform,
                               extra_policies=extra_policies, seal_kind=seal_kind, at=at,
                               not_before=not_before, not_after=not_after,
                               extended_key_usage=extended_key_usage)

    def _issue(self, profile: CaProfile, identity: PartyIdentity, *, public_key, algorithm, password, purpose,
               years, platform, extra_policies, seal_kind, at, not_before=None, not_after=None,
               links: dict[str, Any] | None = None, extended_key_usage: Sequence[str] = ()) -> IssuedCertificate:
        if purpose not in PURPOSES:
            raise DevCaError(f"证书用途只能是 {PURPOSES} (purpose must be one of {PURPOSES})")
        if not_after is None and years not in profile.renewal.service_years:
            raise DevCaError(f"服务期只能是 {list(profile.renewal.service_years)} 年 (service period must be one of "
                             f"{list(profile.renewal.service_years)} years)")
        new_key: PrivateKey | None = None
        if public_key is None:
            if password is None:
                raise DevCaError("生成密钥需要口令以保护密钥文件 (a password is needed to protect the generated key "
                                 "file; or give a public key)")
            algorithm = algorithm or profile.chains[0]
            new_key = generate_key(algorithm)
            spki = spki_of(new_key)
        else:
            spki = to_spki(public_key)
            found = spki_algorithm(spki)
            if algorithm and algorithm != found:
                raise DevCaError(f"公钥算法 {found} 与要求的 {algorithm} 不符 (the public key is {found}, not {algorithm})")
            algorithm = found
        if algorithm not in profile.chains:
            raise AlgorithmNotOffered(f"{profile.name} 不提供 {algorithm.upper()} 证书 (profile {profile.id} offers "
                                      f"{', '.join(profile.chains)}, not {algorithm})")
        if seal_kind == AUTO:
            seal_kind = "公章" if (purpose == "signing" and identity.kind == "institution") else None
        if seal_kind and purpose != "signing":
            raise DevCaError("印章只能绑定在签名证书上 (a seal goes on a signature certificate only)")
        seal = make_seal(identity, seal_kind) if seal_kind else None
        if seal is not None:
            check_seal_binding(seal, identity)

        root, _, inter, inter_key = self._ca(profile.id, algorithm)
        state = self._load_state()
        serial = self._next_serial(state)
        nb = (not_before or at).replace(microsecond=0)
        na = (not_after or add_years(nb, years)).replace(microsecond=0)
        subject_attrs, private_exts = encode_identity(identity, profile)
        policies = ([profile.policy_oid] if platform else []) + list(extra_policies)
        extensions = [
            extension("basic_constraints", {"ca": False}, critical=True),
            extension("key_usage", set(KEY_USAGE[(purpose, algorithm)]), critical=True),
            extension("key_identifier", key_identifier(spki)),
            extension("authority_key_identifier", {"key_identifier": key_identifier(inter.public_key)}),
            extension("crl_distribution_points", [distribution_point(self._crl_url(profile, algorithm))]),
        ]
        if extended_key_usage:
            extensions.append(extension("extended_key_usage", list(extended_key_usage), critical=True))
        if policies:
            extensions.append(extension("certificate_policies", [{"policy_identifier": oid} for oid in policies]))
        extensions += [{"extn_id": oid, "critical": False, "extn_value": value} for oid, value in private_exts]
        cert = build_certificate(serial, inter.subject, x509.Name.build(subject_attrs), spki, nb, na, extensions,
                                  inter_key)

        serial_hex = format(serial, "X")
        cert_file = f"certs/{serial_hex}.pem"
        write_atomic(self.state_dir / cert_file, dump_pem(cert))
        key_file = None
        if new_key is not None:
            key_file = self._write_key(serial_hex, new_key, cert, [inter, root], password)
        seal_file = None
        if seal is not None:
            seal_file = f"seals/{serial_hex}.png"
            write_atomic(self.state_dir / seal_file, seal.image_png)
        record = IssuedCertificate(
            serial=serial, profile=profile.id, algorithm=algorithm, purpose=purpose, kind=identity.kind,
            name=identity.name, credit_code=identity.credit_code, id_number=identity.id_number,
            organization=identity.organization, subject=cert.subject.human_friendly,
            not_before=nb.isoformat(), not_after=na.isoformat(), platform=platform, cert_file=cert_file,
            sha256=hashlib.sha256(cert.dump()).hexdigest(), key_file=key_file, seal_kind=seal_kind,
            seal_file=seal_file, extended_key_usage=list(extended_key_usage) or None, **(links or {}))
        state["certificates"][str(serial)] = asdict(record)
        self._save_state(state)
        return record

    # -- the platform's own certificates -----------------------------------------------------------
    def ensure_service_certificate(self, role: str, directory: str | Path, identity: PartyIdentity, *,
                                   profile: str | None = None, algorithm: str = "rsa",
                                   at: datetime | None = None,
                                   min_remaining: timedelta = SERVICE_MIN_REMAINING) -> "ServiceCertificate":
        """Make sure ``directory`` holds a usable certificate of the platform for ``role``:

        - ``'tsa'``: the time-stamping authority (``tsa.pem``, ``tsa.key.pem``, ``chain.pem``);
          critical EKU timeStamping only (RFC 3161 §2.3), digitalSignature + nonRepudiation;
        - ``'platform'``: the platform's own signing certificate (``platform.pem``,
          ``platform.key.pem``, ``chain.pem``), digitalSignature + nonRepudiation;
        - ``'receipt'``: the certificate that signs bid receipts and opening transcripts
          (``receipt.pem`` …), with a critical EKU of the platform's own that verifiers require
          (:mod:`pki.receipts`), so that no other certificate of a trusted CA can sign a "receipt";
        - ``'transport'``: the platform's transport (encryption) certificate (``transport.pem``,
          ``transport.key.pem``, ``chain.pem``), keyEncipherment: the local agent re-encrypts a
          content key to it (the certificate self-test, R11).

        Idempotent: the files are kept when the key matches the certificate, the certificate is
        this CA's (same intermediate, same SHA-256 in the index, not revoked) and it is valid for
        at least ``min_remaining`` more; otherwise a new key and certificate are made (the old
        certificate, if this CA knows it, is revoked as superseded). ``profile``: whose chain
        issues it (default: the first profile offering ``algorithm``). The key file is unencrypted
        PKCS#8 (mode 0600): development only; production keeps the key on a token.
        """
        if role not in SERVICE_ROLES:
            raise DevCaError(f"未知的平台证书用途 {role} (unknown platform certificate role {role!r}; use "
                             f"{', '.join(SERVICE_ROLES)})")
        at = self._now(at)
        directory = Path(directory)
        files = ServiceCertificate.files_for(role, directory)
        with self._locked():
            profile_id = profile or self._service_profile(algorithm)
            current = self._current_service_record(files, profile_id, algorithm, role, at, min_remaining)
            if current is not None:
                return ServiceCertificate(role, current, *files, issued=False)
            old = self._service_record_of(files.cert)
            key = generate_key(algorithm)
            rec = self._issue(self._profile(profile_id), identity, public_key=spki_of(key), algorithm=algorithm,
                              password=None, purpose=SERVICE_PURPOSES.get(role, "signing"),
                              years=max(self._profile(profile_id).renewal.service_years), platform=True,
                              extra_policies=(), seal_kind=None, at=at,
                              extended_key_usage=SERVICE_ROLES[role])
            root, _, inter, _ = self._ca(profile_id, algorithm)
            write_atomic(files.key, dump_private_key(key), mode=0o600)
            write_atomic(files.chain, dump_pem(inter) + dump_pem(root))
            write_atomic(files.cert, (self.state_dir / rec.cert_file).read_bytes())
            if old is not None and old.status == "valid" and old.serial != rec.serial:
                self._revoke(old.serial, "superseded", at)
                self._publish(at, [(old.profile, old.algorithm)])
            return ServiceCertificate(role, rec, *files, issued=True)

    def _service_profile(self, algorithm: str) -> str:
        for p in self._profiles.profiles:
            if algorithm in p.chains:
                return p.id
        raise AlgorithmNotOffered(f"没有提供 {algorithm.upper()} 的 CA (no profile offers {algorithm})")

    def _service_record_of(self, cert_path: Path) -> IssuedCertificate | None:
        """The index record of the certificate in ``cert_path`` if this CA issued exactly it."""
        if not cert_path.is_file():
            return None
        try:
            cert = load_certificate(cert_path.read_bytes())
            rec = self.record(cert.serial_number)
        except (CertificateError, UnknownCertificate, OSError):
            return None
        return rec if rec.sha256 == hashlib.sha256(cert.dump()).hexdigest() else None

    def _current_service_record(self, files: "ServiceFiles", profile: str, algorithm: str, role: str,
                                at: datetime, min_remaining: timedelta) -> IssuedCertificate | None:
        if not all(p.is_file() for p in files):
            return None
        rec = self._service_record_of(files.cert)
        if (rec is None or rec.status != "valid" or rec.profile != profile or rec.algorithm != algorithm
                or rec.purpose != SERVICE_PURPOSES.get(role, "signing")
                or (rec.extended_key_usage or []) != list(SERVICE_ROLES[role])):
            return None
        not_before, not_after = rec.validity
        if not_before > at or not_after - at < min_remaining:
            return None
        try:
            key = load_private_key(files.key.read_bytes())
            cert = load_certificate(files.cert.read_bytes())
        except (KeyError_, Sm2Error, CertificateError, OSError):     # unreadable files: make new ones
            return None
        root, _, inter, _ = self._ca(profile, algorithm)
        if not key_matches_certificate(key, cert) or files.chain.read_bytes() != dump_pem(inter) + dump_pem(root):
            return None
        return rec

    # -- looking up ---------------------------------------------------------------------------------
    def record(self, serial: int) -> IssuedCertificate:
        data = self._load_state()["certificates"].get(str(serial))
        if data is None:
            raise UnknownCertificate(f"开发 CA 没有签发序列号为 {serial:X} 的证书 (no certificate with serial {serial:X})")
        return IssuedCertificate(**data)

    def records(self) -> list[IssuedCertificate]:
        return [IssuedCertificate(**d) for d in self._load_state()["certificates"].values()]

    def certificate(self, serial: int) -> x509.Certificate:
        return load_certificate((self.state_dir / self.record(serial).cert_file).read_bytes())

    def profile(self, profile_id: str) -> CaProfile:
        """The trust profile ``profile_id`` (:class:`pki.trust.UnknownProfile` if there is none)."""
        return self._profile(profile_id)

    def set_key_location(self, serial: int, location: str) -> IssuedCertificate:
        """Note where the private key of certificate ``serial`` lives (e.g. its ``pkcs11:`` URI)."""
        with self._locked():
            state = self._load_state()
            rec = self.record(serial)
            rec.key_location = location
            state["certificates"][str(serial)] = asdict(rec)
            self._save_state(state)
            return rec

    def path(self, relative: str) -> Path:
        """Absolute path of a file named in a record (cert_file, key_file, seal_file)."""
        return self.state_dir / relative

    # -- revocation and CRLs -----------------------------------------------------------------------
    def revoke(self, serial: int, reason: str = "unspecified", *, at: datetime | None = None) -> IssuedCertificate:
        """Revoke a certificate and publish its issuer's CRL at once."""
        at = self._now(at)
        with self._locked():
            rec = self._revoke(serial, reason, at)
            self._publish(at, [(rec.profile, rec.algorithm)])
            return rec

    def _revoke(self, serial: int, reason: str, at: datetime) -> IssuedCertificate:
        if reason not in CRL_REASONS:
            raise DevCaError(f"吊销原因只能是 {CRL_REASONS} (revocation reason must be one of {CRL_REASONS})")
        state = self._load_state()
        rec = self.record(serial)
        if rec.status == "revoked":
            raise AlreadyRevoked(f"证书 {rec.serial_hex} 已于 {rec.revoked_at} 吊销 (certificate {rec.serial_hex} was "
                                 f"already revoked on {rec.revoked_at})")
        rec.status, rec.revoked_at, rec.revocation_reason = "revoked", at.replace(microsecond=0).isoformat(), reason
        state["certificates"][str(serial)] = asdict(rec)
        self._save_state(state)
        return rec

    def publish_crls(self, *, at: datetime | None = None) -> list[Path]:
        """(Re)publish the CRLs of every chain: this update ``at``, next update 7 days later."""
        at = self._now(at)
        with self._locked():
            return self._publish(at, [(c.profile, c.algorithm) for c in self.chains()])

    def crl_path(self, profile: str, algorithm: str, *, root: bool = False) -> Path:
        return self.state_dir / "crl" / f"{profile}-{algorithm}{'-root' if root else ''}.crl"

    def crl(self, profile: str, algorithm: str, *, root: bool = False) -> bytes:
        """The current DER CRL of a chain's intermediate (or, with ``root=True``, of its root)."""
        path = self.crl_path(profile, algorithm, root=root)
        if not path.exists():
            raise NotInitialised(f"CRL {path.name} 尚未发布 (CRL {path.name} not published yet)")
        return path.read_bytes()

    def crls(self) -> list[bytes]:
        """Every published CRL (DER), for validation."""
        return [p.read_bytes() for p in sorted((self.state_dir / "crl").glob("*.crl"))]

    def _publish(self, at: datetime, chains: Sequence[tuple[str, str]], only_missing: bool = False) -> list[Path]:
        state = self._load_state()
        written = []
        revoked: dict[str, list[IssuedCertificate]] = {}
        for d in state["certificates"].values():
            if d["status"] == "revoked":
                revoked.setdefault(f"{d['profile']}-{d['algorithm']}", []).append(IssuedCertificate(**d))
        for profile, alg in chains:
            root, root_key, inter, inter_key = self._ca(profile, alg)
            for is_root, issuer, key, entries in ((True, root, root_key, []),
                                                  (False, inter, inter_key, revoked.get(f"{profile}-{alg}", []))):
                path = self.crl_path(profile, alg, root=is_root)
                if only_missing and path.exists():
                    continue
                number = state["crl_numbers"].get(path.name, 0) + 1
                state["crl_numbers"][path.name] = number
                write_atomic(path, build_crl(issuer, key, entries, number, at).dump())
                written.append(path)
        self._save_state(state)
        return written

    # -- life cycle: R7 renewal, R8 lost key, R5 subject change ------------------------------------
    def renew(self, serial: int, *, years: int = 1, public_key: PublicKeyInput | None = None,
              password: bytes | None = None, at: datetime | None = None) -> IssuedCertificate:
        """R7 renewal: a new certificate, same subject, profile, purpose and seal, new key (given or
        generated). Open under ``window_days`` before expiry up to ``expired_limit_days`` after it;
        unexpired → runs to old notAfter + ``years``; expired → from ``at`` for ``years``; later →
        :class:`pki.trust.RenewalNeedsDocuments`. The old certificate is not revoked: it expires."""
        at = self._now(at)
        with self._locked():
            old = self.record(serial)
            if old.status == "revoked":
                raise AlreadyRevoked(f"已吊销的证书不能续期 (a revoked certificate cannot be renewed: {old.serial_hex})")
            profile = self._profile(old.profile)
            terms = profile.renewal.terms(old.validity[1], at, years)
            new = self._reissue(old, old.identity, public_key, password, at, terms.not_before, terms.not_after,
                                "renewal")
            return new

    def replace_lost_key(self, serial: int, *, public_key: PublicKeyInput | None = None,
                         password: bytes | None = None, at: datetime | None = None) -> IssuedCertificate:
        """R8 lost-key replacement: revokes the old certificate (keyCompromise) and issues one for
        a new key with the same expiry."""
        return self._supersede(serial, None, public_key, password, at, "lost_key", "key_compromise")

    def change_subject(self, serial: int, identity: PartyIdentity, *, public_key: PublicKeyInput | None = None,
                       password: bytes | None = None, at: datetime | None = None) -> IssuedCertificate:
        """R5: a change of the subject's data (name, organisation, legal representative) needs a new
        certificate; the old one is revoked as superseded. The party stays the same: the type and
        the credit code / ID number cannot change (another party applies for its own certificate).
        A change of the person handling the certificate (经办人) is not a CA matter: nothing to do."""
        return self._supersede(serial, identity, public_key, password, at, "subject_change", "superseded")

    def _supersede(self, serial, identity, public_key, password, at, replacement, reason) -> IssuedCertificate:
        at = self._now(at)
        with self._locked():
            old = self.record(serial)
            if old.status == "revoked":
                raise AlreadyRevoked(f"证书 {old.serial_hex} 已吊销 (certificate {old.serial_hex} is revoked)")
            not_after = old.validity[1]
            if not_after <= at:
                raise CertificateExpired(f"证书 {old.serial_hex} 已过期，请办理续期 (certificate {old.serial_hex} has "
                                         f"expired: renew it instead)")
            if identity is not None and (identity.kind != old.kind or identity.number != old.identity.number):
                raise SubjectChangeRefused("变更不能改变证书类型或统一社会信用代码/身份证号码，请另行申请证书 (a change "
                                           "cannot alter the certificate type or the credit code / ID number: "
                                           "apply for a new certificate)")
            new = self._reissue(old, identity or old.identity, public_key, password, at, at, not_after, replacement)
            self._revoke(serial, reason, at)
            self._publish(at, [(old.profile, old.algorithm)])
            return self.record(new.serial)

    def _reissue(self, old: IssuedCertificate, identity: PartyIdentity, public_key, password, at, not_before,
                 not_after, replacement: str) -> IssuedCertificate:
        if public_key is not None:
            spki = to_spki(public_key)
            if spki_algorithm(spki) != old.algorithm:
                raise DevCaError(f"新公钥须为 {old.algorithm.upper()} (the new key must be {old.algorithm})")
        new = self._issue(self._profile(old.profile), identity, public_key=public_key, algorithm=old.algorithm,
                          password=password, purpose=old.purpose, years=1, platform=old.platform,
                          extra_policies=(), seal_kind=old.seal_kind, at=at, not_before=not_before,
                          not_after=not_after, links={"replaces": old.serial, "replacement": replacement},
                          extended_key_usage=old.extended_key_usage or ())
        state = self._load_state()
        state["certificates"][str(old.serial)]["replaced_by"] = new.serial
        self._save_state(state)
        return new

    # -- internals ----------------------------------------------------------------------------------
    def _now(self, at: datetime | None) -> datetime:
        if at is None:
            at = self.clock.now() if self.clock is not None else datetime.now(timezone.utc)
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        return at.astimezone(timezone.utc)

    def _select(self, ids: Sequence[str] | None) -> list[CaProfile]:
        return [self._profile(i) for i in ids] if ids else list(self._profiles.profiles)

    def _profile(self, profile_id: str) -> CaProfile:
        return self._profiles.profile(profile_id)

    def _crl_url(self, profile: CaProfile, chain: str) -> str:
        if self.crl_base_url:
            return f"{self.crl_base_url}/{profile.id}-{chain}.crl"
        return profile.crl_url_for(chain)

    def _ca_dir(self, profile: str, alg: str) -> Path:
        return self.state_dir / "ca" / f"{profile}-{alg}"

    def _ca(self, profile: str, alg: str):
        key = f"{profile}-{alg}"
        if key not in self._ca_cache:
            d = self._ca_dir(profile, alg)
            if not (d / "ca.pem").exists():
                raise NotInitialised(f"开发 CA 的 {key} 证书链尚未创建，请先初始化 (chain {key} does not exist: run init "
                                     f"first)")
            self._ca_cache[key] = (load_certificate((d / "root.pem").read_bytes()),
                                   load_private_key((d / "root.key").read_bytes()),
                                   load_certificate((d / "ca.pem").read_bytes()),
                                   load_private_key((d / "ca.key").read_bytes()))
        return self._ca_cache[key]

    def _create_chain(self, profile: CaProfile, alg: str, at: datetime) -> None:
        state = self._load_state()
        nb = at.replace(microsecond=0)
        label = {"rsa": "RSA", "ec": "ECC", "sm2": "SM2"}[alg]
        root_key = generate_key(alg, ca=True)
        root_spki = spki_of(root_key)
        root_name = x509.Name.build({"country_name": "CN", "organization_name": f"{profile.name}（开发）",
                                     "common_name": f"{profile.name} {label} 根 CA (DEV)"})
        ca_usage = {"key_cert_sign", "crl_sign"}
        root = build_certificate(self._next_serial(state), root_name, root_name, root_spki, nb,
                                  add_years(nb, ROOT_YEARS), [
                                      extension("basic_constraints", {"ca": True}, critical=True),
                                      extension("key_usage", ca_usage, critical=True),
                                      extension("key_identifier", key_identifier(root_spki))], root_key)
        inter_key = generate_key(alg, ca=False)
        inter_spki = spki_of(inter_key)
        inter_name = x509.Name.build({"country_name": "CN", "organization_name": f"{profile.name}（开发）",
                                      "common_name": f"{profile.name} {label} 用户 CA (DEV)"})
        inter = build_certificate(self._next_serial(state), root_name, inter_name, inter_spki, nb,
                                   add_years(nb, INTERMEDIATE_YEARS), [
                                       extension("basic_constraints", {"ca": True, "path_len_constraint": 0}, critical=True),
                                       extension("key_usage", ca_usage, critical=True),
                                       extension("key_identifier", key_identifier(inter_spki)),
                                       extension("authority_key_identifier", {"key_identifier": key_identifier(root_spki)}),
                                       extension("crl_distribution_points", [distribution_point(self._crl_url(profile, f"{alg}-root"))])],
                                   root_key)
        d = self._ca_dir(profile.id, alg)
        write_atomic(d / "root.key", dump_private_key(root_key), mode=0o600)
        write_atomic(d / "ca.key", dump_private_key(inter_key), mode=0o600)
        write_atomic(d / "root.pem", dump_pem(root))
        write_atomic(d / "ca.pem", dump_pem(inter))
        self._save_state(state)

    def _write_anchors(self, profile: CaProfile, alg: str) -> None:
        root, _, inter, _ = self._ca(profile.id, alg)
        target = self.anchors_dir / profile.anchors
        write_atomic(target / f"{alg}-root.pem", dump_pem(root))
        write_atomic(target / f"{alg}-ca.pem", dump_pem(inter))

    def _write_key(self, serial_hex: str, key: PrivateKey, cert: x509.Certificate, chain: list[x509.Certificate],
                   password: bytes) -> str:
        if isinstance(key, Sm2PrivateKey):
            rel = f"keys/{serial_hex}.key.pem"
            write_atomic(self.state_dir / rel, dump_private_key(key, password), mode=0o600)
        else:
            rel = f"keys/{serial_hex}.p12"
            data = pkcs12.serialize_key_and_certificates(
                f"devca-{serial_hex}".encode(), key, to_cryptography(cert), [to_cryptography(c) for c in chain],
                serialization.BestAvailableEncryption(password))
            write_atomic(self.state_dir / rel, data, mode=0o600)
        return rel

    # state file
    def _state_file(self) -> Path:
        return self.state_dir / "index.json"

    def _load_state(self) -> dict[str, Any]:
        f = self._state_file()
        if not f.exists():
            return {"next_serial": 0x1000, "crl_numbers": {}, "certificates": {}}
        return json.loads(f.read_text(encoding="utf-8"))

    def _save_state(self, state: dict[str, Any]) -> None:
        write_atomic(self._state_file(), json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))

    @staticmethod
    def _next_serial(state: dict[str, Any]) -> int:
        serial = state["next_serial"]
        state["next_serial"] = serial + 1
        return serial

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: a thread lock and, for other processes, an flock on ``.lock``."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.state_dir.mkdir(parents=True, exist_ok=True)
            with open(self.state_dir / ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(lock, fcntl.LOCK_UN)


__all__ = ["DevCA", "ClockLike", "DEFAULT_CONFIG_DIR"]
