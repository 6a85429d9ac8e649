"""Who a certificate belongs to: the unified social credit code (GB 32100), the resident ID-card
number (GB 11643), and the party identity read from a certificate through its CA's profile.

CAs put the identity in different places (DESIGN.md §3). A profile's :class:`IdentityRules` says
where the number is (subject serialNumber, subject OU, or a private extension) and how the
certificate type is marked (an OU or title value, a prefix of the number, or a private extension).
:func:`encode_identity` is the inverse of :func:`read_identity`; the development CA uses it, so the
two can never drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from asn1crypto import core, x509

from pki.errors import PkiError

KINDS = ("institution", "legal_representative", "natural_person")
Kind = Literal["institution", "legal_representative", "natural_person"]
KIND_NAMES = {"institution": "机构", "legal_representative": "法人代表", "natural_person": "个人"}

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"   # GB 32100: no I, O, Z, S, V
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)   # 2^(17-i) mod 11
ID_CHECK_CHARS = "10X98765432"                                             # index: Σ mod 11

IDENTITY_LOCATIONS = ("serial_number", "ou", "extension")
TYPE_LOCATIONS = ("ou", "title", "prefix", "extension")


class IdentityError(PkiError):
    """The certificate or number does not identify a party. ``code`` is stable for callers."""

    code = "identity_invalid"
    message = "证书或号码不能标识主体 (the certificate or number does not identify a party)"
    kind = "input"


class InvalidCreditCode(IdentityError):
    code = "credit_code_invalid"
    message = "统一社会信用代码无效 (invalid unified social credit code)"


class InvalidIdNumber(IdentityError):
    code = "id_number_invalid"
    message = "身份证号码无效 (invalid resident ID number)"


class IdentityMissing(IdentityError):
    code = "identity_missing"
    message = "证书中缺少身份标识 (the certificate carries no identity)"


class UnknownCertificateType(IdentityError):
    code = "certificate_type_unknown"
    message = "无法识别证书类型 (unknown certificate type)"


# -- the numbers ---------------------------------------------------------------------------------------
def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS))
    value = 31 - total % 31
    return CREDIT_CODE_ALPHABET[0 if value == 31 else value]


def validate_credit_code(code: str) -> str:
    """Return the code (upper case, stripped) or raise :class:`InvalidCreditCode` saying why."""
    if not isinstance(code, str):
        raise InvalidCreditCode("统一社会信用代码必须是文本 (the credit code must be text)")
    c = code.strip().upper()
    if len(c) != 18:
        raise InvalidCreditCode(f"统一社会信用代码应为 18 位，实为 {len(c)} 位 (a unified social credit code has "
                                f"18 characters, this one has {len(c)})")
    bad = sorted({ch for ch in c if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        chars = "".join(bad)
        raise InvalidCreditCode(f"统一社会信用代码含非法字符 {chars}（不使用 I、O、Z、S、V） (the credit code contains "
                                f"characters outside the GB 32100 alphabet: {chars})")
    if not c[2:8].isdigit():
        raise InvalidCreditCode("统一社会信用代码第 3–8 位应为行政区划码（数字） (positions 3–8 of a credit code are "
                                "the administrative-division code and must be digits)")
    expected = credit_code_check_char(c[:17])
    if c[17] != expected:
        raise InvalidCreditCode(f"统一社会信用代码校验位错误：应为 {expected}，实为 {c[17]} (wrong check character: "
                                f"expected {expected}, found {c[17]})")
    return c


def id_number_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    return ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_NUMBER_WEIGHTS)) % 11]


def validate_id_number(number: str) -> str:
    """Return the 18-digit resident ID number (check 'X' upper case) or raise :class:`InvalidIdNumber`."""
    if not isinstance(number, str):
        raise InvalidIdNumber("身份证号码必须是文本 (the ID number must be text)")
    n = number.strip().upper()
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        raise InvalidIdNumber("身份证号码应为 17 位数字加 1 位校验码（数字或 X） (an ID-card number is 17 digits and a "
                              "check character, a digit or X)")
    try:
        date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号码中的出生日期 {n[6:14]} 无效 (the birth date {n[6:14]} in the ID number is "
                              f"not a date)") from None
    expected = id_number_check_char(n[:17])
    if n[17] != expected:
        raise InvalidIdNumber(f"身份证号码校验码错误：应为 {expected}，实为 {n[17]} (wrong check character: expected "
                              f"{expected}, found {n[17]})")
    return n


# -- the party --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyIdentity:
    """The party a certificate names.

    - institution: ``credit_code`` and ``name`` (the organisation);
    - legal_representative: the person ``name`` acting for ``organization`` whose ``credit_code``
      identifies the party;
    - natural_person: ``id_number`` and ``name``.
    """

    kind: Kind
    name: str
    credit_code: str | None = None
    id_number: str | None = None
    organization: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UnknownCertificateType(f"未知的证书类型 {self.kind} (unknown certificate type {self.kind})")
        if self.kind == "natural_person":
            if not self.id_number:
                raise IdentityMissing("个人证书需要身份证号码 (a natural-person certificate needs an ID number)")
            object.__setattr__(self, "id_number", validate_id_number(self.id_number))
        else:
            if not self.credit_code:
                raise IdentityMissing(f"{KIND_NAMES[self.kind]}证书需要统一社会信用代码 (a {self.kind.replace('_', ' ')} "
                                      f"certificate needs a unified social credit code)")
            object.__setattr__(self, "credit_code", validate_credit_code(self.credit_code))
        if self.kind == "legal_representative" and not self.organization:
            raise IdentityMissing("法人代表证书需要机构名称 (a legal-representative certificate needs the organisation)")

    @property
    def number(self) -> str:
        """The number that identifies the party: credit code, or ID number for a natural person."""
        return self.id_number if self.kind == "natural_person" else self.credit_code  # type: ignore[return-value]

    @property
    def party_name(self) -> str:
        """The party's name: the organisation for legal representatives, else ``name``."""
        return self.organization if self.kind == "legal_representative" else self.name  # type: ignore[return-value]


@dataclass(frozen=True)
class IdentityRules:
    """Where one CA puts the identity and how it marks the certificate type (from its profile).

    ``location``: 'serial_number' | 'ou' | 'extension' (then ``oid``, a UTF8String).
    ``type_location``: 'ou' | 'title' | 'extension' (then ``type_oid``, a UTF8String) with
    ``type_values`` mapping kind → the marker text; or 'prefix', where ``type_values`` are
    prefixes of the number itself (e.g. ``ORG-9111…``).
    """

    location: str
    type_location: str
    type_values: dict[str, str] = field(default_factory=dict)
    oid: str | None = None
    type_oid: str | None = None

    def __post_init__(self) -> None:
        if self.location not in IDENTITY_LOCATIONS:
            raise ValueError(f"identity location must be one of {IDENTITY_LOCATIONS}")
        if self.type_location not in TYPE_LOCATIONS:
            raise ValueError(f"type location must be one of {TYPE_LOCATIONS}")
        if set(self.type_values) != set(KINDS):
            raise ValueError(f"type_values must name exactly {KINDS}")
        if self.location == "extension" and not self.oid:
            raise ValueError("identity in an extension needs its oid")
        if self.type_location == "extension" and not self.type_oid:
            raise ValueError("type in an extension needs type_oid")
        if self.type_location == self.location == "ou":
            raise ValueError("identity and type cannot both live in the OU")


def _rules(profile) -> IdentityRules:
    return profile if isinstance(profile, IdentityRules) else profile.identity


def read_identity(cert: x509.Certificate, profile) -> PartyIdentity:
    """Read the party identity from ``cert`` through a CA profile (a :class:`pki.trust.CaProfile`
    or its :class:`IdentityRules`). Raises :class:`IdentityError` subclasses with the reason."""
    rules = _rules(profile)
    attrs = _subject_attrs(cert)
    raw = _read_location(cert, attrs, rules.location, rules.oid)
    if not raw:
        raise IdentityMissing(f"证书中缺少身份标识（{_where(rules.location, rules.oid)}） (the certificate carries no "
                              f"identity number in {_where_en(rules.location, rules.oid)})")
    kind, number = _read_kind(cert, attrs, rules, raw)
    org = attrs.get("organization_name")
    cn = attrs.get("common_name") or org
    if not cn:
        raise IdentityMissing("证书主体中缺少名称 (the certificate subject carries no name)")
    if kind == "natural_person":
        return PartyIdentity(kind, cn, id_number=number)
    if kind == "institution":
        return PartyIdentity(kind, org or cn, credit_code=number)
    return PartyIdentity(kind, cn, credit_code=number, organization=org)


def _read_kind(cert, attrs, rules: IdentityRules, raw: str) -> tuple[str, str]:
    if rules.type_location == "prefix":
        for kind, prefix in sorted(rules.type_values.items(), key=lambda kv: -len(kv[1])):
            if raw.startswith(prefix):
                return kind, raw[len(prefix):]
        raise UnknownCertificateType(f"无法从身份标识 {raw} 判断证书类型 (the certificate type cannot be told from "
                                     f"the identity value {raw})")
    marker = _read_location(cert, attrs, rules.type_location, rules.type_oid)
    for kind, value in rules.type_values.items():
        if marker == value:
            return kind, raw
    raise UnknownCertificateType(f"证书类型标记 {marker!r} 无法识别 (unknown certificate type marker {marker!r} in "
                                 f"{_where_en(rules.type_location, rules.type_oid)})")


def _subject_attrs(cert: x509.Certificate) -> dict[str, str]:
    """First value of each subject attribute type (by asn1crypto name)."""
    out: dict[str, str] = {}
    for rdn in cert.subject.chosen:
        for attr in rdn:
            out.setdefault(attr["type"].native, str(attr["value"].native))
    return out


def _read_location(cert, attrs, location: str, oid: str | None) -> str | None:
    if location == "serial_number":
        return attrs.get("serial_number")
    if location == "ou":
        return attrs.get("organizational_unit_name")
    if location == "title":
        return attrs.get("title")
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted == oid:
            try:
                return core.UTF8String.load(ext["extn_value"].native).native
            except ValueError:
                raise IdentityMissing(f"扩展 {oid} 不是 UTF8String (extension {oid} is not a UTF8String)") from None
    return None


def _where(location: str, oid: str | None) -> str:
    return {"serial_number": "主体 serialNumber", "ou": "主体 OU", "title": "主体 title"}.get(location, f"扩展 {oid}")


def _where_en(location: str, oid: str | None) -> str:
    return {"serial_number": "the subject serialNumber", "ou": "the subject OU",
            "title": "the subject title"}.get(location, f"extension {oid}")


def encode_identity(identity: PartyIdentity, profile) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """How ``profile`` writes ``identity``: subject attributes for ``x509.Name.build`` (asn1crypto
    names) and private extensions as (OID, DER value). Used by the development CA."""
    rules = _rules(profile)
    subject: dict[str, str] = {"country_name": "CN"}
    if identity.kind == "institution":
        subject["organization_name"] = identity.name
    elif identity.kind == "legal_representative":
        subject["organization_name"] = identity.organization  # type: ignore[assignment]
    subject["common_name"] = identity.name
    extensions: dict[str, bytes] = {}

    number = identity.number
    marker = rules.type_values[identity.kind]
    if rules.type_location == "prefix":
        number = marker + number
    else:
        _place(subject, extensions, rules.type_location, rules.type_oid, marker)
    _place(subject, extensions, rules.location, rules.oid, number)
    return subject, list(extensions.items())


def _place(subject: dict, extensions: dict, location: str, oid: str | None, value: str) -> None:
    if location == "extension":
        extensions[oid] = core.UTF8String(value).dump()
    else:
        subject[{"serial_number": "serial_number", "ou": "organizational_unit_name", "title": "title"}[location]] = value


__all__ = ["KINDS", "KIND_NAMES", "PartyIdentity", "IdentityRules", "IdentityError", "InvalidCreditCode",
           "InvalidIdNumber", "IdentityMissing", "UnknownCertificateType", "validate_credit_code",
           "credit_code_check_char", "validate_id_number", "id_number_check_char", "read_identity",
           "encode_identity"]
