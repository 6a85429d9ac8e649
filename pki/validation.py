"""Certificate validation: path to a trusted root, validity at a given moment, key usage, revocation
by CRL and the platform's certificate policy (专key专用, R4), on pyhanko-certvalidator 0.33.

The answer is a :class:`ValidationResult` whose ``reasons`` say, each with a stable ``code`` and a
message a user understands (Chinese, then English in parentheses), why a certificate is refused.
No library exception escapes.

SM2 chains and SM2-signed CRLs are checked through the library's ``SignatureValidator`` hook
(:class:`GmSignatureValidator`): sm2sign-with-sm3 with Z over the default ID 1234567812345678 and
the issuer's key, through :mod:`pki.sm2`.

Reason codes: ``expired``, ``not_yet_valid``, ``revoked``, ``untrusted_issuer``, ``bad_signature``,
``policy_missing``, ``key_usage_missing``, ``revocation_unknown``, ``disallowed_algorithm``,
``invalid_chain`` (anything else PKIX refuses: basic constraints, name constraints, …).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import urllib.request
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import algos, crl as acrl, keys, pem, x509
from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (AlgorithmNotSupported, DisallowedAlgorithmError, ExpiredError,
                                          InsufficientRevinfoError, InvalidCertificateError,
                                          NotYetValidError, PathBuildingError, PathError, PathValidationError,
                                          RevokedError, ValidationError)
from pyhanko_certvalidator.sig_validate import (DEFAULT_VALIDATION_CONTEXT, DefaultSignatureValidator,
                                                SignatureValidationContext)

from pki.certs import AnyCertificate, CertificateError, to_asn1
from pki.oids import SM2_DEFAULT_ID, SM2_SIGN_WITH_SM3
from pki.sm2 import Sm2Error, Sm2PublicKey, is_sm2_spki

log = logging.getLogger(__name__)

REVOCATION_MODES = {"require": "require", "soft-fail": "soft-fail", "off": "none"}
CRL_FETCH_TIMEOUT = 5.0
CRL_MAX_BYTES = 20 * 1024 * 1024

# Chinese names of RFC 5280 key usages, for messages
KEY_USAGE_NAMES = {
    "digital_signature": "数字签名", "non_repudiation": "不可否认", "key_encipherment": "密钥加密",
    "data_encipherment": "数据加密", "key_agreement": "密钥协商", "key_cert_sign": "证书签发",
    "crl_sign": "CRL 签发", "encipher_only": "仅加密", "decipher_only": "仅解密",
}
CRL_REASON_NAMES = {
    "unspecified": "未说明", "key_compromise": "密钥泄露", "ca_compromise": "CA 泄露",
    "affiliation_changed": "从属关系变更", "superseded": "已被取代", "cessation_of_operation": "停止使用",
    "certificate_hold": "证书冻结", "remove_from_crl": "从 CRL 移除", "privilege_withdrawn": "权限撤销",
    "aa_compromise": "属性机构泄露",
}


@dataclass(frozen=True)
class Rejection:
    """One reason a certificate is refused: a stable code and a message for people."""

    code: str
    message: str


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of :func:`validate_certificate`.

    ``chain`` runs from the end-entity certificate to the trust anchor when a path was found (on
    failure, as far as the library got; at least the certificate itself). ``warnings`` carries what
    soft-fail revocation checking let pass (code ``revocation_unknown``).
    """

    ok: bool
    reasons: tuple[Rejection, ...]
    chain: tuple[x509.Certificate, ...] = field(repr=False)
    checked_at: datetime
    profile: str | None = None
    warnings: tuple[Rejection, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def message(self) -> str:
        """All reasons in one line (empty when ok)."""
        return "；".join(r.message for r in self.reasons)


class GmSignatureValidator(DefaultSignatureValidator):
    """pyhanko-certvalidator's signature hook, taught sm2sign-with-sm3 (1.2.156.10197.1.501).

    Used for certificate and CRL signatures alike. The standard GM/T 0009 flavour is checked:
    e = SM3(Z‖TBS) with Z over the default ID and the issuer's public key. Everything else goes to
    the library's own validator.
    """

    def __init__(self, signer_id: bytes = SM2_DEFAULT_ID):
        self.signer_id = signer_id

    def validate_signature(self, signature: bytes, signed_data: bytes, public_key_info: keys.PublicKeyInfo,
                           signature_algorithm: algos.SignedDigestAlgorithm,
                           context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT) -> None:
        if signature_algorithm["algorithm"].dotted != SM2_SIGN_WITH_SM3:
            if is_sm2_spki(public_key_info):
                # an SM2 issuer key with another algorithm named (e.g. a tampered OID): the library
                # would raise a raw UnsupportedAlgorithm; this is simply a signature that fails
                raise InvalidSignature("an SM2 issuer key can only make sm2sign-with-sm3 signatures")
            return super().validate_signature(signature, signed_data, public_key_info, signature_algorithm, context)
        if not is_sm2_spki(public_key_info):
            raise InvalidSignature("sm2sign-with-sm3 signature but the issuer key is not SM2")
        if context.prehashed:
            raise AlgorithmNotSupported("SM2 with Z cannot be checked over a bare digest")
        try:
            public_key = Sm2PublicKey.from_spki(public_key_info)
        except Sm2Error as exc:
            raise InvalidSignature(str(exc)) from exc
        if not public_key.verify(signed_data, signature, signer_id=self.signer_id):
            raise InvalidSignature("SM2 signature does not verify")


SM2_SIGNATURE_VALIDATOR = GmSignatureValidator()


def validate_certificate(cert: AnyCertificate, *, at: datetime, trust_roots: Sequence[AnyCertificate],
                         intermediates: Sequence[AnyCertificate] = (), crls: Sequence[bytes] = (),
                         revocation: str = "soft-fail", key_usage: Collection[str] = (),
                         required_policy: str | None = None, fetch_crls: bool = False,
                         profile: str | None = None) -> ValidationResult:
    """Validate ``cert`` at the moment ``at`` against ``trust_roots``.

    - ``intermediates``: CA certificates that may complete the path (any order, extras are fine).
    - ``crls``: DER or PEM CRLs (bytes). With ``fetch_crls=True`` the CRLs named in the
      distribution points of ``cert`` and of ``intermediates`` are fetched over HTTP as well.
    - ``revocation``: ``'require'`` (every certificate below the root needs a CRL that covers
      it), ``'soft-fail'`` (a certificate whose issuer's CRL is not at hand passes, with a
      ``revocation_unknown`` warning; a CRL at hand that is stale — nextUpdate before ``at`` — makes
      the status unknown and is refused in both modes), ``'off'``. A CRL issued after ``at`` is
      used (revocations dated after ``at`` do not count), so a signature made last month can be
      checked against today's CRL.
    - ``key_usage``: asn1crypto names (``digital_signature``, ``non_repudiation``,
      ``key_encipherment``, ``key_agreement``, …) that the end-entity certificate must allow; a
      certificate without a keyUsage extension allows none of them.
    - ``required_policy``: a certificate policy OID the end-entity certificate must assert (the
      platform policy, 专key专用). Intermediates need not carry it: CA chains in use seldom do, so
      the RFC 5280 policy tree is not used for this.

    Every problem found is a :class:`Rejection`; usage and policy are reported alongside a path
    failure so a user learns everything that is wrong at once. A certificate whose names cannot be
    compared (characters RFC 4518 prohibits) raises :class:`pki.certs.CertificateError`.
    """
    if revocation not in REVOCATION_MODES:
        raise ValueError(f"revocation must be one of {sorted(REVOCATION_MODES)}, not {revocation!r}")
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    ee = _comparable(to_asn1(cert))
    roots = [_comparable(to_asn1(c)) for c in trust_roots]
    others = [_comparable(to_asn1(c)) for c in intermediates]
    crl_list = [_load_crl(c) for c in crls]
    crl_list = [c for c in crl_list if c is not None]
    if fetch_crls:
        crl_list += fetch_distribution_point_crls([ee, *others])

    reasons: list[Rejection] = []
    warnings: list[Rejection] = []
    chain: tuple[x509.Certificate, ...] = (ee,)
    try:
        path, soft = _run(lambda: _async_validate(ee, roots, others, crl_list, at, revocation))
        chain = tuple(reversed(list(path.iter_certs(include_root=True))))
        warnings += [_soft_fail_warning(exc) for exc in soft]
        if revocation == "soft-fail":
            warnings += _unchecked_warnings(chain, crl_list)
    except (PathError, ValidationError) as exc:   # what pyhanko-certvalidator raises for a chain it refuses
        reasons.append(_explain(exc))
        partial = getattr(exc, "original_path", None)
        if partial is not None:
            chain = tuple(reversed(list(partial.iter_certs(include_root=True)))) or chain
    reasons += _usage_reasons(ee, key_usage)
    if required_policy is not None:
        reasons += _policy_reasons(ee, required_policy)
    return ValidationResult(ok=not reasons, reasons=tuple(reasons), chain=chain, checked_at=at,
                            profile=profile, warnings=tuple(warnings))


def _comparable(cert: x509.Certificate) -> x509.Certificate:
    """``cert``, if its names can be compared: path building compares names as RFC 5280 says, and
    asn1crypto's preparation of a name (RFC 4518) raises ValueError on characters it prohibits
    (private use, unassigned code points). Such a certificate is unreadable, said here."""
    try:
        cert.subject.hashable, cert.issuer.hashable     # what a name comparison computes
    except ValueError as exc:
        raise CertificateError(f"无法解析证书中的名称 (unreadable certificate: a name: {exc})") from None
    return cert


# -- running the async library ----------------------------------------------------------------------
def _run(factory):
    """Run the coroutine made by ``factory``: here when this thread has no running loop, else in a
    worker thread with a loop of its own (so callers inside asyncio or Flask both work)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


async def _async_validate(ee, roots, others, crl_list, at, revocation):
    context = ValidationContext(
        trust_roots=roots, other_certs=others, moment=at, crls=crl_list, allow_fetching=False,
        revocation_mode=REVOCATION_MODES[revocation], retroactive_revinfo=True,
        signature_validator=SM2_SIGNATURE_VALIDATOR,
    )
    validator = CertificateValidator(ee, validation_context=context)
    path = await validator.async_validate_path()
    return path, list(context.soft_fail_exceptions)


# -- CRLs ---------------------------------------------------------------------------------------------
def _load_crl(data: bytes | acrl.CertificateList) -> acrl.CertificateList | None:
    if isinstance(data, acrl.CertificateList):
        return data
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        parsed = acrl.CertificateList.load(data)
        parsed.native
        parsed.issuer.hashable    # compared with a certificate's issuer: see _comparable
        return parsed
    except (ValueError, TypeError) as exc:
        log.warning("ignoring an unreadable CRL: %s", exc)
        return None


def fetch_distribution_point_crls(certs: Sequence[x509.Certificate],
                                  timeout: float = CRL_FETCH_TIMEOUT) -> list[acrl.CertificateList]:
    """Fetch, over HTTP(S), the CRLs named in the certificates' CRL distribution points.

    A CRL that cannot be fetched or parsed is skipped (logged): revocation checking then reports
    the status as unknown, which ``revocation='require'`` refuses.
    """
    found: list[acrl.CertificateList] = []
    seen: set[str] = set()
    for cert in certs:
        for dp in cert.crl_distribution_points or ():
            url = dp.url
            if not url or url in seen or not url.lower().startswith(("http://", "https://")):
                continue
            seen.add(url)
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 — scheme checked
                    body = response.read(CRL_MAX_BYTES + 1)
            except OSError as exc:
                log.warning("CRL %s not fetched: %s", url, exc)
                continue
            parsed = _load_crl(body) if len(body) <= CRL_MAX_BYTES else None
            if parsed is not None:
                found.append(parsed)
    return found


# -- explaining failures ------------------------------------------------------------------------------
def _who(exc) -> tuple[str, str]:
    """('证书', 'certificate') for the end-entity certificate, else a CA certificate of the chain."""
    if getattr(exc, "is_ee_cert", True):
        return "证书", "certificate"
    return "证书链中的 CA 证书", "a CA certificate in the chain"


def _explain(exc: Exception) -> Rejection:
    if isinstance(exc, ExpiredError):
        zh, en = _who(exc)
        d = f"{exc.expired_dt:%Y-%m-%d}"
        return Rejection("expired", f"{zh}已于 {d} 过期 ({en} expired on {d})")
    if isinstance(exc, NotYetValidError):
        zh, en = _who(exc)
        d = f"{exc.valid_from:%Y-%m-%d %H:%M} UTC"
        return Rejection("not_yet_valid", f"{zh}尚未生效，生效时间 {d} ({en} is not valid until {d})")
    if isinstance(exc, RevokedError):
        zh, en = _who(exc)
        d = f"{exc.revocation_dt:%Y-%m-%d}"
        reason = exc.reason.native or "unspecified"
        zh_reason = CRL_REASON_NAMES.get(reason, reason)
        return Rejection("revoked", f"{zh}已于 {d} 被吊销，原因：{zh_reason} ({en} was revoked on {d}, reason: "
                                    f"{reason.replace('_', ' ')})")
    if isinstance(exc, InsufficientRevinfoError):
        zh, en = _who(exc)
        return Rejection("revocation_unknown", f"无法确认{zh}的吊销状态（缺少有效的 CRL） (revocation status of {en} "
                                               f"is unknown: no valid CRL at hand)")
    if isinstance(exc, DisallowedAlgorithmError):
        return Rejection("disallowed_algorithm", f"证书链使用了不允许的算法 (the chain uses a disallowed algorithm: "
                                                 f"{exc.failure_msg})")
    if isinstance(exc, PathValidationError) and "signature" in str(exc) and "could not be verified" in str(exc):
        zh, en = _who(exc)
        return Rejection("bad_signature", f"{zh}的签名无效，证书可能被篡改 (the signature of {en} is invalid: "
                                          f"it may have been tampered with)")
    if isinstance(exc, PathBuildingError) or (isinstance(exc, InvalidCertificateError) and "self-signed" in str(exc)):
        return Rejection("untrusted_issuer", "证书不是由受信任的 CA 签发 (the certificate was not issued by a "
                                             "trusted CA)")
    if isinstance(exc, ValidationError):
        return Rejection("invalid_chain", f"证书链无效 (the certificate chain is invalid: {exc.failure_msg})")
    log.exception("unexpected failure while validating a certificate")
    return Rejection("invalid_chain", f"证书无法验证 (the certificate could not be validated: "
                                      f"{type(exc).__name__})")


def _soft_fail_warning(exc: Exception) -> Rejection:
    return Rejection("revocation_unknown", f"吊销状态未能确认 (revocation status not confirmed: {exc})")


def _unchecked_warnings(chain: Sequence[x509.Certificate], crl_list: Sequence[acrl.CertificateList]) -> list[Rejection]:
    """Soft-fail passes certificates whose issuer's CRL is not at hand: say so."""
    return [Rejection("revocation_unknown", f"未检查吊销状态：没有 {cert.issuer.human_friendly} 的 CRL "
                                            f"(revocation not checked: no CRL of {cert.issuer.human_friendly} at hand)")
            for cert in chain[:-1] if not any(c.issuer == cert.issuer for c in crl_list)]


def _usage_reasons(ee: x509.Certificate, required: Collection[str]) -> list[Rejection]:
    if not required:
        return []
    unknown = set(required) - set(KEY_USAGE_NAMES)
    if unknown:
        raise ValueError(f"unknown key usage names: {sorted(unknown)}")
    allowed = set(ee.key_usage_value.native) if ee.key_usage_value else set()
    missing = sorted(set(required) - allowed)
    if not missing:
        return []
    zh = "、".join(KEY_USAGE_NAMES[m] for m in missing)
    en = ", ".join(m.replace("_", " ") for m in missing)
    return [Rejection("key_usage_missing", f"证书的密钥用法不包含：{zh} (key usage missing: {en})")]


def certificate_policies(cert: x509.Certificate) -> set[str]:
    """The policy OIDs (dotted) asserted by a certificate."""
    policies = cert.certificate_policies_value
    return {p["policy_identifier"].dotted for p in policies} if policies else set()


def _policy_reasons(ee: x509.Certificate, oid: str) -> list[Rejection]:
    if oid in certificate_policies(ee):
        return []
    return [Rejection("policy_missing", f"证书不是为本平台签发的（缺少证书策略 {oid}，专key专用） "
                                        f"(the certificate was not issued for this platform: policy {oid} missing)")]


__all__ = ["Rejection", "ValidationResult", "GmSignatureValidator", "SM2_SIGNATURE_VALIDATOR",
           "validate_certificate", "fetch_distribution_point_crls", "certificate_policies", "REVOCATION_MODES"]
