"""The cryptographic check of one SignerInfo: certificate, algorithms, signed attributes, the
signature value (RSA PKCS#1 v1.5 / PSS, ECDSA, SM2 in either flavour) and the ESS signing certificate.

What is verified is exactly what was received: the signature is checked over the received signedAttrs
bytes (RFC 5652 §5.4: the SET OF with tag 0x31 in place of [0] IMPLICIT), and those bytes must be DER —
both generically (:func:`pki.signature._strict.der_problem`) and against the schema
(:func:`~pki.signature._strict.reencoding_problem`: re-encoded they are byte-identical, so what
asn1crypto reads from them is all they say). The attributes interpreted here must each appear once
with one value. ECDSA and SM2 signature values must be DER ``SEQUENCE {r, s}``.

No chain, no timestamp: :func:`pki.signature.verify` adds those. Every failure is a
:class:`~pki.validation.Rejection`, never an exception.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, tsp, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from pki.errors import ASN1_ERRORS
from pki.signature import gm
from pki.signature._digest import ACCEPTED_DIGESTS, DIGESTS, Content, digest, digest_content, hash_algorithm
from pki.signature._received import ReceivedSignerInfo
from pki.signature._strict import der_problem, dsa_signature_problem, reencoding_problem
from pki.signature.signed_data import embedded_certificates
from pki.sm2 import Sm2Error, Sm2PublicKey, is_sm2_spki as _is_sm2_spki
from pki.validation import Rejection

#: SignerInfo signature algorithms accepted with an SM2 key: sm2sign-with-sm3 (GM/T 0010) and the bare
#: SM2-1 signature OID some CA clients write.
SM2_SIGNATURE_ALGORITHMS = ("sm2sign_with_sm3", "sm2sign")
#: Signed attributes that must occur at most once with exactly one value (RFC 5652 §11.1–11.3,
#: RFC 5035 §5.4; OpenSSL checks the same in ``ossl_cms_si_check_attributes``).
SINGLE_VALUED = ("content_type", "message_digest", "signing_time", "signing_certificate",
                 "signing_certificate_v2")


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
            if cert.serial_number == sid.chosen["serial_number"].native and _same_name(cert.issuer,
                                                                                        sid.chosen["issuer"]):
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def is_sm2_key(cert: x509.Certificate) -> bool:
    """Whether ``cert`` holds an SM2 key; a key whose algorithm parameters are missing or unreadable
    holds none (it is then refused as an unsupported key, not with a traceback)."""
    try:
        return _is_sm2_spki(cert.public_key)
    except (AttributeError, *ASN1_ERRORS):
        return False


def _same_name(a: x509.Name, b: x509.Name) -> bool:
    """RFC 5280 §7.1 name matching (asn1crypto's comparison); a name it cannot prepare (private-use
    characters, StringPrep) matches only byte for byte."""
    if a.dump() == b.dump():
        return True
    try:
        return a == b
    except ASN1_ERRORS:
        return False


def check_signer(signed_data: cms.SignedData, signer_info: cms.SignerInfo, content: Content,
                 extra_certificates: Sequence[x509.Certificate] = (), *, received: ReceivedSignerInfo,
                 encap_content_info: bytes | None = None) -> SignerCheck:
    """Check one SignerInfo over ``content``: certificate found, algorithms accepted, signed attributes
    DER with content-type and message-digest, the signature itself (either SM2 flavour), ESS
    signing-certificate.

    ``received``: the SignerInfo's bytes as received (``read_signed_data(der).received.signer_infos[i]``);
    the signature is checked over those, never over a parsed value's re-encoding.
    ``encap_content_info``: the received EncapsulatedContentInfo, which GmSSL's flavour hashes (attached
    content; detached content is framed in DER here)."""
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
        cert is not None and is_sm2_key(cert))
    if is_sm2_sig:
        result.flavour = "gm-standard"
        if sig_alg["algorithm"].native not in SM2_SIGNATURE_ALGORITHMS or digest_name != "sm3":
            result.reasons.append(_unsupported(f"{sig_alg['algorithm'].dotted} / {digest_name} with an SM2 key"))
            return result
    message = received.signed_attrs_message
    attrs = None
    if message is not None:
        attrs, problems = _signed_attributes(message)
        if problems:
            result.reasons += problems
            return result
        result.signing_time = attribute_value(attrs, "signing_time")
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
    if attrs is not None:
        result.reasons += _check_attributes(attrs, content, content_type, digest_name, cert)
    signature = signer_info["signature"].native
    if is_sm2_sig or sig_alg["algorithm"].native.endswith("ecdsa"):
        problem = dsa_signature_problem(signature)
        if problem:
            result.reasons.append(_not_der("the signature value", problem))
            return result
    if is_sm2_sig:
        contents = message[len(received.signed_attrs.header):] if message is not None else None
        flavour = _verify_sm2(cert, signature, content, content_type, message, contents, encap_content_info)
        if flavour is None:
            result.reasons.append(_bad_signature())
        else:
            result.flavour = flavour
        return result
    result.reasons += _verify_classic(cert, sig_alg, digest_name, signature, content, message)
    return result


def _signed_attributes(message: bytes) -> tuple[cms.CMSAttributes | None, list[Rejection]]:
    """The signed attributes parsed from ``message`` (the SET OF as signed) if it is DER and each
    attribute read here occurs once with one value; else the reasons."""
    problem = der_problem(message) or reencoding_problem(cms.CMSAttributes, message)
    if problem:
        return None, [_not_der("the signed attributes", problem)]
    attrs = cms.CMSAttributes.load(message)
    seen: set[str] = set()
    for attr in attrs:
        name = attr["type"].native
        if name not in SINGLE_VALUED:
            continue
        if name in seen or len(attr["values"]) != 1:
            return None, [Rejection("malformed_attribute", f"签名属性 {name} 须出现一次且只有一个值 (the signed "
                                                           f"attribute {name} must occur once with one value)")]
        seen.add(name)
        value = attr["values"][0]
        if isinstance(value, (tsp.SigningCertificate, tsp.SigningCertificateV2)):
            certs = value["certs"]
            if len(certs) == 0:
                return None, [Rejection("malformed_attribute", f"签名属性 {name} 没有证书标识 (the signed "
                                                               f"attribute {name} names no certificate)")]
    return attrs, []


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


def _verify_sm2(cert, signature, content, content_type, message, contents, encap) -> str | None:
    if not is_sm2_key(cert):
        return None
    try:
        public_key = Sm2PublicKey.from_certificate(cert)
    except Sm2Error:
        return None
    return gm.verify_sm2(public_key, signature, content=content, content_type=content_type,
                         attrs_message=message, attrs_contents=contents, encap_content_info=encap)


def _verify_classic(cert, sig_alg, digest_name, signature, content, message) -> list[Rejection]:
    try:
        public_key = serialization.load_der_public_key(cert.public_key.dump())
    except (ValueError, UnsupportedAlgorithm):
        return [Rejection("unsupported_algorithm", "签名者证书的公钥类型不受支持 (the signer's key type is not "
                                                   "supported)")]
    if message is not None:
        data, hasher = message, hash_algorithm(digest_name)
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
            try:
                params = sig_alg["parameters"]
                pss_hash = params["hash_algorithm"]["algorithm"].native
                mgf = params["mask_gen_algorithm"]
                mgf_hash = mgf["parameters"]["algorithm"].native if mgf["algorithm"].native == "mgf1" else None
                salt = params["salt_length"].native
            except ASN1_ERRORS:           # absent or unreadable parameters
                return [_unsupported("RSASSA-PSS without usable parameters")]
            if pss_hash != digest_name or mgf_hash not in DIGESTS or not 0 <= salt <= 1024:
                return [_unsupported(f"RSASSA-PSS {pss_hash}/{mgf_hash}")]
            public_key.verify(signature, data, padding.PSS(mgf=padding.MGF1(hash_algorithm(mgf_hash)),
                                                           salt_length=salt), hasher)
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


def _not_der(what: str, problem: str) -> Rejection:
    return Rejection("not_der", f"签名部分不是 DER 编码，拒绝验证 ({what} is not DER: {problem})")


def _unsupported(what: str) -> Rejection:
    return Rejection("unsupported_algorithm", f"不支持的签名算法 {what} (unsupported signature algorithm {what})")


__all__ = ["SM2_SIGNATURE_ALGORITHMS", "SignerCheck", "is_sm2_key", "find_signer_certificate", "check_signer",
           "attribute_value"]
