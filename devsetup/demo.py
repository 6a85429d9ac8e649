"""Demo parties for development: a supplier, an agency, a purchaser and an expert, with certificates.

:func:`init_demo` is idempotent: it creates what is missing and keeps what is there.

- Party rows (each creation audited as ``party.registered``): 示例供应商 (supplier), 示例招标代理
  (agency), 示例采购单位 (purchaser), with GB 32100 credit codes whose check character is computed
  here; and 示例评审专家 (expert), who holds no certificate (R12).
- Supplier, agency and purchaser hold a physical certificate (R13): a SoftHSM2 token each (in
  ``softhsm_dir``, its own ``softhsm2.conf``) with a signing and an encryption key pair generated on
  the token (RSA for the supplier, EC P-256 for the others), certified by the development CA; the
  certificates are stored on the token too. SoftHSM has no SM2, so the supplier's SM2 signing and
  encryption certificates come with encrypted PKCS#8 key files.
- Under ``demo_dir/<party>/``: the certificates (PEM), the CA chains, the SM2 key files, the seal
  images, and a README.txt saying which file is what, the token label and the key URIs. PINs and
  passwords are random, kept in ``demo_dir/SECRETS.txt`` (mode 0600): it is a demo.
- ``demo_dir/demo.json`` remembers what was made, so a second run can check it (CA index, files,
  token) and redo only a party whose certificates are gone, revoked, expiring or replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


from bidding.uow import UnitOfWork
from bidding.parties.models import Party, PartyKind
from bidding.parties.services import find_party, register_party
from pki.files import write_atomic
from pki.certs import CertificateError, dump_pem, load_certificate
from pki.devca import DevCA, IssuedCertificate, UnknownCertificate
from devsetup.softhsm import delete_softhsm_token, ensure_softhsm_token, softhsm_tokens
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity, credit_code_check_char, validate_credit_code
from pki.pkcs11 import TokenError, open_token

#: A demo certificate is redone when it has less than this left.
MIN_REMAINING = timedelta(days=30)
SECRETS_FILE = "SECRETS.txt"
MANIFEST_FILE = "demo.json"
_PURPOSE_NAMES = {"signing": "签名证书 (signing)", "encryption": "加密证书 (encryption)"}
_ALG_NAMES = {"rsa": "RSA-2048", "ec": "ECDSA P-256", "sm2": "SM2"}


@dataclass(frozen=True)
class CertSpec:
    """One demo certificate: where the key lives ('token' or 'file'), CA profile, algorithm, purpose."""

    storage: str
    profile: str
    algorithm: str
    purpose: str
    seal_kind: str | None = "auto"

    @property
    def name(self) -> str:
        return f"{self.purpose}-{self.algorithm}"


@dataclass(frozen=True)
class PartySpec:
    """A demo party. ``code17``: the first 17 characters of its credit code (check computed)."""

    key: str
    kind: PartyKind
    name: str
    code17: str | None
    certificates: tuple[CertSpec, ...] = ()

    @property
    def credit_code(self) -> str | None:
        return validate_credit_code(self.code17 + credit_code_check_char(self.code17)) if self.code17 else None

    @property
    def token_label(self) -> str | None:
        return f"demo-{self.key}" if any(c.storage == "token" for c in self.certificates) else None


DEMO_PARTIES: tuple[PartySpec, ...] = (
    PartySpec("supplier", PartyKind.SUPPLIER, "示例供应商", "91440101MA5DEM001", (
        CertSpec("token", "netca", "rsa", "signing"),
        CertSpec("token", "netca", "rsa", "encryption"),
        CertSpec("file", "netca", "sm2", "signing", "合同专用章"),
        CertSpec("file", "netca", "sm2", "encryption"),
    )),
    PartySpec("agency", PartyKind.AGENCY, "示例招标代理", "91440104MA5DEM002", (
        CertSpec("token", "gdca", "ec", "signing"),
        CertSpec("token", "gdca", "ec", "encryption"),
    )),
    PartySpec("purchaser", PartyKind.PURCHASER, "示例采购单位", "11440100DEM000003", (
        CertSpec("token", "cfca", "ec", "signing"),
        CertSpec("token", "cfca", "ec", "encryption"),
    )),
    PartySpec("expert", PartyKind.EXPERT, "示例评审专家", None),
)


@dataclass
class DemoCertificate:
    """A demo certificate as written to the party's folder (paths relative to it)."""

    name: str                   # e.g. 'signing-rsa'
    purpose: str
    algorithm: str
    profile: str
    serial: int
    sha256: str
    not_after: str
    cert_file: str
    chain_file: str
    key_file: str | None = None
    key_uri: str | None = None
    seal_kind: str | None = None
    seal_file: str | None = None


@dataclass
class DemoParty:
    """A demo party: its row, its folder, token and certificates."""

    key: str
    kind: str
    name: str
    credit_code: str | None
    party_id: int
    directory: str | None = None
    token_label: str | None = None
    certificates: list[DemoCertificate] = field(default_factory=list)


@dataclass
class DemoSummary:
    """What :func:`init_demo` found or made."""

    parties: list[DemoParty]
    created_parties: list[str]
    issued_for: list[str]
    demo_dir: Path
    secrets_file: Path
    softhsm_conf: Path

    def lines(self) -> list[str]:
        """A short human summary (Chinese with English)."""
        out = [f"演示主体 (demo parties) — 目录 {self.demo_dir}；PIN/口令见 {self.secrets_file}；"
               f"令牌配置 SOFTHSM2_CONF={self.softhsm_conf}"]
        for p in self.parties:
            code = f" {p.credit_code}" if p.credit_code else ""
            token = f" 令牌 {p.token_label}" if p.token_label else " (无证书 no certificate, R12)" if not p.certificates else ""
            out.append(f"  [{p.kind}] #{p.party_id} {p.name}{code}{token}")
            for c in p.certificates:
                where = c.key_uri or (f"{p.directory}/{c.key_file}" if c.key_file else "")
                out.append(f"      {c.name:<16} {c.profile.upper():<5} 序列号 {c.serial:X} 至 {c.not_after[:10]}  {where}")
        return out


# ------------------------------------------------------------------------------------- set-up

def init_demo(uow: UnitOfWork, ca: DevCA, demo_dir: str | os.PathLike[str],
              softhsm_dir: str | os.PathLike[str], *, specs: tuple[PartySpec, ...] = DEMO_PARTIES) -> DemoSummary:
    """Create the demo parties and their certificates if missing (idempotent); see the module
    docstring. ``ca`` must have the chains the specs name (``DevCA.init``)."""
    demo_dir = Path(demo_dir).resolve()
    demo_dir.mkdir(parents=True, exist_ok=True)
    softhsm_dir = Path(softhsm_dir).resolve()
    demo_secrets = _load_or_create_secrets(demo_dir / SECRETS_FILE, specs)
    manifest = _load_manifest(demo_dir / MANIFEST_FILE)
    now = uow.clock.now()
    parties: list[DemoParty] = []
    created: list[str] = []
    issued: list[str] = []
    for spec in specs:
        party, was_created = _ensure_party(uow, spec)
        if was_created:
            created.append(spec.key)
        entry = DemoParty(spec.key, spec.kind.value, spec.name, spec.credit_code, party.id)
        if spec.certificates:
            previous = manifest.get(spec.key)
            if previous is not None and _still_good(previous, spec, ca, demo_dir, softhsm_dir, now):
                entry.directory, entry.token_label = previous.directory, previous.token_label
                entry.certificates = previous.certificates
            else:
                entry = _make_certificates(entry, spec, ca, demo_dir, softhsm_dir, demo_secrets, now)
                issued.append(spec.key)
                with uow:
                    uow.audit("demo.certificates_issued", party, token=entry.token_label,
                              certificates=[{"name": c.name, "serial": f"{c.serial:X}", "sha256": c.sha256}
                                            for c in entry.certificates])
                    uow.commit()
            _write_readme(demo_dir, entry, spec, softhsm_dir)
        parties.append(entry)
    _write_json(demo_dir / MANIFEST_FILE, {"parties": [asdict(p) for p in parties]})
    return DemoSummary(parties, created, issued, demo_dir, demo_dir / SECRETS_FILE,
                       softhsm_dir / "softhsm2.conf")


def load_demo(demo_dir: str | os.PathLike[str]) -> list[DemoParty]:
    """The demo parties as the last :func:`init_demo` wrote them (empty if never run)."""
    return list(_load_manifest(Path(demo_dir) / MANIFEST_FILE).values())


def demo_secrets(demo_dir: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """``SECRETS.txt`` parsed: party key → {'token', 'user_pin', 'so_pin', 'key_password'}."""
    return _parse_secrets(Path(demo_dir) / SECRETS_FILE)


# ------------------------------------------------------------------------------------ parties

def _ensure_party(uow: UnitOfWork, spec: PartySpec) -> tuple[Party, bool]:
    existing = find_party(uow, kind=spec.kind, name=spec.name, credit_code=spec.credit_code)
    uow.rollback()  # end the read transaction; register_party opens its own
    if existing is not None:
        return existing, False
    return register_party(uow, name=spec.name, kind=spec.kind, credit_code=spec.credit_code, source="demo"), True


# ------------------------------------------------------------------------------- certificates

def _make_certificates(entry: DemoParty, spec: PartySpec, ca: DevCA, demo_dir: Path, softhsm_dir: Path,
                       all_secrets: dict[str, dict[str, str]], now: datetime) -> DemoParty:
    folder = demo_dir / spec.key
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    mine = all_secrets[spec.key]
    identity = PartyIdentity("institution", spec.name, credit_code=spec.credit_code)
    session = None
    if spec.token_label:
        delete_softhsm_token(softhsm_dir, spec.token_label)       # a token from an earlier, broken run
        ensure_softhsm_token(softhsm_dir, spec.token_label, mine["so_pin"], mine["user_pin"])
        session = open_token(spec.token_label, pin=mine["user_pin"])
    entry.directory = str(folder)
    entry.token_label = spec.token_label
    entry.certificates = []
    for cs in spec.certificates:
        key_uri = key_file = None
        if cs.storage == "token":
            made = issue_to_token(ca, session, cs.profile, identity, algorithm=cs.algorithm, purpose=cs.purpose,
                                  label=cs.name, seal_kind=cs.seal_kind, at=now)
            rec, key_uri = made.record, made.key_uri
        else:
            rec = ca.issue(cs.profile, identity, algorithm=cs.algorithm, purpose=cs.purpose,
                           password=mine["key_password"].encode("utf-8"), seal_kind=cs.seal_kind, at=now)
            key_file = f"{cs.name}.key.pem" if cs.algorithm == "sm2" else f"{cs.name}.p12"
            _copy(ca.path(rec.key_file), folder / key_file, mode=0o600)   # type: ignore[arg-type]
        chain = ca.chain(rec.profile, rec.algorithm)
        chain_file = f"chain-{rec.profile}-{rec.algorithm}.pem"
        _write(folder / chain_file, dump_pem(chain.intermediate) + dump_pem(chain.root))
        _copy(ca.path(rec.cert_file), folder / f"{cs.name}.pem")
        seal_file = None
        if rec.seal_file:
            seal_file = f"{cs.name}.seal.png"
            _copy(ca.path(rec.seal_file), folder / seal_file)
        entry.certificates.append(DemoCertificate(
            name=cs.name, purpose=cs.purpose, algorithm=cs.algorithm, profile=cs.profile, serial=rec.serial,
            sha256=rec.sha256, not_after=rec.not_after, cert_file=f"{cs.name}.pem", chain_file=chain_file,
            key_file=key_file, key_uri=key_uri, seal_kind=rec.seal_kind, seal_file=seal_file))
    return entry


def _still_good(previous: DemoParty, spec: PartySpec, ca: DevCA, demo_dir: Path, softhsm_dir: Path,
                now: datetime) -> bool:
    """Are the party's earlier certificates all there, this CA's, valid for a while, keys at hand?"""
    folder = demo_dir / spec.key
    if [c.name for c in previous.certificates] != [c.name for c in spec.certificates]:
        return False
    for cert in previous.certificates:
        try:
            rec: IssuedCertificate = ca.record(cert.serial)
            on_disk = load_certificate((folder / cert.cert_file).read_bytes())
        except (UnknownCertificate, OSError, CertificateError):
            return False
        if (rec.sha256 != cert.sha256 or hashlib.sha256(on_disk.dump()).hexdigest() != rec.sha256
                or rec.status != "valid" or rec.replaced_by is not None):
            return False
        not_before, not_after = rec.validity
        if not_before > now or not_after - now < MIN_REMAINING:
            return False
        if cert.key_file and not (folder / cert.key_file).is_file():
            return False
        if cert.key_uri and rec.key_location != cert.key_uri:
            return False
    if spec.token_label:
        try:
            if spec.token_label not in softhsm_tokens(softhsm_dir):
                return False
        except TokenError:      # softhsm2-util failing means: make the token again
            return False
    return True


# ------------------------------------------------------------------------------------ files

def _write_readme(demo_dir: Path, entry: DemoParty, spec: PartySpec, softhsm_dir: Path) -> None:
    lines = [
        f"{spec.name} ({spec.kind.value}) — 演示数据，仅供开发 (demo data, development only)",
        f"统一社会信用代码 (unified social credit code): {spec.credit_code}",
        f"平台主体编号 (party id): {entry.party_id}",
        "",
    ]
    if entry.token_label:
        lines += [
            f"令牌 (token): {entry.token_label}   SoftHSM2；使用前 (before use):",
            f"    export SOFTHSM2_CONF={softhsm_dir / 'softhsm2.conf'}",
            f"  用户 PIN 与 SO PIN 见 (user PIN and SO PIN in) {demo_dir / SECRETS_FILE}: "
            f"{spec.key}.user_pin / {spec.key}.so_pin",
            "",
        ]
    lines.append("文件 (files):")
    for c in entry.certificates:
        seal = f"，印章 {c.seal_kind}" if c.seal_kind else ""
        lines.append(f"  {c.cert_file:<24} {_PURPOSE_NAMES[c.purpose]} {_ALG_NAMES[c.algorithm]}，"
                     f"{c.profile.upper()} 签发，序列号 {c.serial:X}，有效期至 {c.not_after[:10]}{seal}")
        if c.key_uri:
            lines.append(f"  {'':<24} 私钥在令牌上，不可导出 (private key on the token, non-extractable):")
            lines.append(f"  {'':<24}   {c.key_uri}")
        if c.key_file:
            lines.append(f"  {c.key_file:<24} 私钥文件，加密 PKCS#8{'（PBKDF2-SM3 + SM4）' if c.algorithm == 'sm2' else ''}"
                         f"，口令见 SECRETS.txt: {spec.key}.key_password (encrypted private key)")
        if c.seal_file:
            lines.append(f"  {c.seal_file:<24} 印章图片 (seal image) {c.seal_kind}")
    chains = sorted({c.chain_file for c in entry.certificates})
    for chain in chains:
        lines.append(f"  {chain:<24} CA 证书链：用户 CA + 根 CA (CA chain: intermediate + root)")
    _write(Path(entry.directory) / "README.txt", ("\n".join(lines) + "\n").encode("utf-8"))  # type: ignore[arg-type]


_SECRET_LINE = re.compile(r"^([a-z_]+)\.([a-z_]+) = (.*)$")


def _load_or_create_secrets(path: Path, specs: tuple[PartySpec, ...]) -> dict[str, dict[str, str]]:
    """Random PINs and passwords, made once and kept in ``SECRETS.txt`` (0600)."""
    known = _parse_secrets(path)
    changed = not path.is_file()
    for spec in specs:
        mine = known.setdefault(spec.key, {})
        if spec.token_label:
            changed |= _default(mine, "token", spec.token_label)
            changed |= _default(mine, "user_pin", f"{secrets.randbelow(10 ** 6):06d}")
            changed |= _default(mine, "so_pin", f"{secrets.randbelow(10 ** 8):08d}")
        if any(c.storage == "file" for c in spec.certificates):
            changed |= _default(mine, "key_password", secrets.token_urlsafe(12))
        if not mine:
            del known[spec.key]
    if changed:
        lines = ["# 演示用 PIN 与口令，仅供开发 (demo PINs and passwords: development only, never production)",
                 "# <party>.token: token label; user_pin / so_pin: its PINs; key_password: the key files' password"]
        for key, values in known.items():
            lines += [f"{key}.{name} = {value}" for name, value in values.items()]
        _write(path, ("\n".join(lines) + "\n").encode("utf-8"), mode=0o600)
    return known


def _default(values: dict[str, str], name: str, value: str) -> bool:
    if name in values:
        return False
    values[name] = value
    return True


def _parse_secrets(path: Path) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            m = _SECRET_LINE.match(line.strip())
            if m:
                found.setdefault(m.group(1), {})[m.group(2)] = m.group(3)
    return found


def _load_manifest(path: Path) -> dict[str, DemoParty]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        parties = {}
        for p in data["parties"]:
            certs = [DemoCertificate(**c) for c in p.pop("certificates")]
            parties[p["key"]] = DemoParty(**p, certificates=certs)
        return parties
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_json(path: Path, data: Any) -> None:
    _write(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def _copy(source: Path, target: Path, *, mode: int = 0o644) -> None:
    _write(target, source.read_bytes(), mode=mode)


def _write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    write_atomic(path, data, mode=mode)


__all__ = ["DEMO_PARTIES", "PartySpec", "CertSpec", "DemoParty", "DemoCertificate", "DemoSummary", "init_demo",
           "load_demo", "demo_secrets", "MIN_REMAINING"]
