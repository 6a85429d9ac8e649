"""The cryptographic check of one SignerInfo: certificate, algorithms, signed attributes, the
signature value (RSA PKCS#1 v1.5 / PSS, ECDSA, SM2 in either flavour) and the ESS signing certificate.

No chain, no timestamp: :func:`pki.signature.verify` adds those. Every failure is a
:class:`~pki.validation.Rejection`, never an exception.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from pki.signature import _der, gm
from pki.signature._digest import ACCEPTED_DIGESTS, DIGESTS, Content, digest, digest_content, hash_algorithm
from pki.signature.signed_data import embedded_certificates, present
from pki.sm2 import Sm2Error, Sm2PublicKey, is_sm2_spki
from pki.validation import Rejection

#: SignerInfo signature algorithms accepted with an SM2 key: sm2sign-with-sm3 (GM/T 0010) and the bare
#: SM2-1 signature OID some CA clients write.
SM2_SIGNATURE_ALGORITHMS = ("sm2sign_with_sm3", "sm2sign")


@dataclass
class SignerCheck:
    """The cryptographic part of verifying one SignerInfo (no chain, no timestamp)."""

    certificate: x509.Certificate | None = None
    flavour: str = "cms"
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    signing_time: datetime | None = None
    reasons: list[Rejection] = field(default_factory=list)


def find_signer_certificate(signer_info: cms.SignerInfo,
                            candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def check_signer(signed_data: cms.SignedData, signer_info: cms.SignerInfo, content: Content,
                 extra_certificates: Sequence[x509.Certificate] = ()) -> SignerCheck:
    """Check one SignerInfo over ``content``: certificate found, algorithms accepted, content-type and
    message-digest attributes, the signature itself (either SM2 flavour), ESS signing-certificate."""
    result = SignerCheck()
    result.reasons += _structure_reasons(signed_data, signer_info)
    content_type = signed_data["encap_content_info"]["content_type"].native
    result.certificate = cert = find_signer_certificate(
        signer_info, [*embedded_certificates(signed_data), *extra_certificates])
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    sig_alg = signer_info["signature_algorithm"]
    result.digest_algorithm = digest_name
    result.signature_algorithm = sig_alg["algorithm"].native
    is_sm2_sig = sig_alg["algorithm"].native in SM2_SIGNATURE_ALGORITHMS or (
        cert is not None and is_sm2_spki(cert.public_key))
    if is_sm2_sig:
        result.flavour = "gm-standard"
        if sig_alg["algorithm"].native not in SM2_SIGNATURE_ALGORITHMS or digest_name != "sm3":
            result.reasons.append(_unsupported(f"{sig_alg['algorithm'].dotted} / {digest_name} with an SM2 key"))
            return result
    attrs = signer_info["signed_attrs"]
    attrs_contents = attrs.contents if present(attrs) else None
    result.signing_time = attribute_value(attrs, "signing_time") if attrs_contents is not None else None
    if cert is None:
        result.reasons.append(Rejection("signer_certificate_missing", "签名中找不到签名者证书 (the signer's "
                                                                      "certificate is not in the signature)"))
        return result
    if digest_name not in DIGESTS:
        result.reasons.append(Rejection("unsupported_algorithm", f"不支持的摘要算法 {digest_name} (unsupported "
                                                                 f"digest algorithm {digest_name})"))
        return result
    if digest_name not in ACCEPTED_DIGESTS:
        result.reasons.append(Rejection("weak_algorithm", f"摘要算法 {digest_name} 已不安全 (digest algorithm "
                                                          f"{digest_name} is no longer safe)"))
        return result
    if attrs_contents is not None:
        result.reasons += _check_attributes(attrs, content, content_type, digest_name, cert)
    signature = signer_info["signature"].native
    if is_sm2_sig:
        flavour = _verify_sm2(cert, signature, content, content_type, attrs_contents)
        if flavour is None:
            result.reasons.append(_bad_signature())
        else:
            result.flavour = flavour
        return result
    result.reasons += _verify_classic(cert, sig_alg, digest_name, signature, content, attrs_contents)
    return result


def _structure_reasons(signed_data: cms.SignedData, signer_info: cms.SignerInfo) -> list[Rejection]:
    """RFC 5652 §5.1/§5.3 consistency of the unsigned framing: the signer's digest algorithm is listed
    in digestAlgorithms, and the versions fit the signer identifier."""
    listed = {a["algorithm"].dotted for a in signed_data["digest_algorithms"]}
    problems = []
    if signer_info["digest_algorithm"]["algorithm"].dotted not in listed:
        problems.append("digestAlgorithms")
    # parameters of digest and (non-PSS) signature algorithms are absent or NULL
    algorithms = [*signed_data["digest_algorithms"], signer_info["digest_algorithm"]]
    if signer_info["signature_algorithm"]["algorithm"].native != "rsassa_pss":
        algorithms.append(signer_info["signature_algorithm"])
    if any(a["parameters"].native is not None for a in algorithms):
        problems.append("algorithm parameters")
    if signed_data["version"].native not in ("v1", "v3", "v4", "v5"):
        problems.append("SignedData version")
    sid_version = {"issuer_and_serial_number": "v1", "subject_key_identifier": "v3"}[signer_info["sid"].name]
    if signer_info["version"].native != sid_version:
        problems.append("SignerInfo version")
    if not problems:
        return []
    what = ", ".join(problems)
    return [Rejection("malformed", f"签名数据结构不一致：{what} (the SignedData is inconsistent: {what})")]


def _verify_sm2(cert, signature, content, content_type, attrs_contents) -> str | None:
    if not is_sm2_spki(cert.public_key):
        return None
    try:
        public_key = Sm2PublicKey.from_certificate(cert)
    except Sm2Error:
        return None
    return gm.verify_sm2(public_key, signature, content=content, content_type=content_type,
                         attrs_contents=attrs_contents)


def _verify_classic(cert, sig_alg, digest_name, signature, content, attrs_contents) -> list[Rejection]:
    try:
        public_key = serialization.load_der_public_key(cert.public_key.dump())
    except (ValueError, UnsupportedAlgorithm):
        return [Rejection("unsupported_algorithm", "签名者证书的公钥类型不受支持 (the signer's key type is not "
                                                   "supported)")]
    if attrs_contents is not None:
        data, hasher = _der.set_of(attrs_contents), hash_algorithm(digest_name)
    else:
        data, hasher = digest_content(digest_name, content), utils.Prehashed(hash_algorithm(digest_name))
    try:
        scheme = sig_alg.signature_algo
    except ValueError:
        return [_unsupported(sig_alg["algorithm"].native)]
    combined = sig_alg["algorithm"].native.split("_")
    if len(combined) == 2 and combined[1] in ("rsa", "ecdsa") and combined[0] != digest_name:
        # e.g. ecdsa-with-SHA384 beside digestAlgorithm sha256: contradictory, refuse
        return [_unsupported(f"{sig_alg['algorithm'].native} with digest {digest_name}")]
    try:
        if scheme == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hasher)
        elif scheme == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            params = sig_alg["parameters"]
            pss_hash = params["hash_algorithm"]["algorithm"].native
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            if pss_hash != digest_name or mgf_hash not in DIGESTS:
                return [_unsupported(f"RSASSA-PSS {pss_hash}/{mgf_hash}")]
            public_key.verify(signature, data, padding.PSS(mgf=padding.MGF1(hash_algorithm(mgf_hash)),
                                                           salt_length=params["salt_length"].native), hasher)
        elif scheme == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hasher))
        else:
            return [_unsupported(f"{sig_alg['algorithm'].native} / {type(public_key).__name__}")]
    except InvalidSignature:
        return [_bad_signature()]
    return []


def _check_attributes(attrs, content, content_type, digest_name, cert) -> list[Rejection]:
    reasons = []
    declared_type = attribute_value(attrs, "content_type")
    declared_digest = attribute_value(attrs, "message_digest")
    if declared_type is None or declared_digest is None:
        return [Rejection("missing_attribute", "签名属性缺少 content-type 或 message-digest (signed attributes "
                                               "lack content-type or message-digest)")]
    if declared_type != content_type:
        reasons.append(Rejection("content_type_mismatch", f"签名属性中的内容类型 {declared_type} 与封装内容 {content_type} "
                                                          f"不符 (content-type attribute does not match)"))
    if declared_digest != digest_content(digest_name, content):
        reasons.append(Rejection("digest_mismatch", "原文摘要与签名不符，原文可能被篡改 (the content's digest does not "
                                                    "match the signature: the content may have been altered)"))
    reasons += _check_ess(attrs, cert)
    return reasons


def _check_ess(attrs, cert) -> list[Rejection]:
    for kind in ("signing_certificate_v2", "signing_certificate"):
        value = attribute_value(attrs, kind, native=False)
        if value is None:
            continue
        first = value["certs"][0]
        name = first["hash_algorithm"]["algorithm"].native if kind == "signing_certificate_v2" else "sha1"
        if name not in DIGESTS or digest(name, cert.dump()) != first["cert_hash"].native:
            return [Rejection("signing_certificate_mismatch", "签名属性中的签名证书与实际签名者证书不符 (the "
                                                              "signing-certificate attribute names another "
                                                              "certificate)")]
        return []
    return []


def attribute_value(attrs, name: str, *, native: bool = True):
    """The first value of attribute ``name`` in ``attrs`` (native, or the asn1crypto value), or None."""
    for attr in attrs:
        if attr["type"].native == name:
            value = attr["values"][0]
            return value.native if native else value
    return None


def _bad_signature() -> Rejection:
    return Rejection("bad_signature", "签名值验证失败，签名数据可能被篡改 (the signature value does not verify: "
                                      "the signed data may have been altered)")


def _unsupported(what: str) -> Rejection:
    return Rejection("unsupported_algorithm", f"不支持的签名算法 {what} (unsupported signature algorithm {what})")


__all__ = ["SM2_SIGNATURE_ALGORITHMS", "SignerCheck", "find_signer_certificate", "check_signer", "attribute_value"]
