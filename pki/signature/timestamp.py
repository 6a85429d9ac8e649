"""Checking RFC 3161 timestamp tokens, alone or attached to a signature (id-aa-timeStampToken).

:func:`verify_timestamp_token` answers with a :class:`TimestampInfo`: what the token says (time,
TSA, serial, policy) and every reason it does not hold (imprint, token signature, ESS signing
certificate, the TSA certificate's critical EKU timeStamping and its chain). Issuing tokens and
asking a TSA for them is :mod:`pki.timestamps`, which builds on this module and never the reverse.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, tsp, x509

from pki.errors import ASN1_ERRORS
from pki.certs import AnyCertificate, to_asn1
from pki.signature._digest import DIGESTS, digest as _digest
from pki.signature._received import TIME_STAMP_TOKEN_OID
from pki.signature._strict import der_problem, reencoding_problem
from pki.signature.errors import SignatureFormatError
from pki.signature.signed_data import SignedDataReading, present, read_signed_data
from pki.signature.signer import SignerCheck, check_signer
from pki.validation import Rejection, ValidationResult, validate_certificate


@dataclass(frozen=True)
class TimestampInfo:
    """What a timestamp token says and whether it holds (``ok``; also as ``valid``)."""

    ok: bool
    gen_time: datetime | None
    tsa_name: str | None
    serial_number: int | None
    policy: str | None
    hash_algorithm: str | None
    nonce: int | None
    accuracy_seconds: float | None
    tsa_certificate: x509.Certificate | None = field(repr=False)
    chain: ValidationResult | None = field(repr=False)
    reasons: tuple[Rejection, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.ok

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def message(self) -> str:
        return "；".join(r.message for r in self.reasons)

    @classmethod
    def unreadable(cls, reason: Rejection) -> "TimestampInfo":
        """The answer for bytes that are no token at all."""
        return cls(ok=False, gen_time=None, tsa_name=None, serial_number=None, policy=None, hash_algorithm=None,
                   nonce=None, accuracy_seconds=None, tsa_certificate=None, chain=None, reasons=(reason,))


def verify_timestamp_token(token: bytes, *, data: bytes | None = None, digest: bytes | None = None,
                           trust_roots: Sequence[AnyCertificate], intermediates: Sequence[AnyCertificate] = (),
                           crls: Sequence[bytes] = (), at: datetime | None = None,
                           revocation: str = "soft-fail") -> TimestampInfo:
    """Check a timestamp token (ContentInfo DER or PEM) over ``data`` (hashed here with the token's
    algorithm) or a ready ``digest``: imprint, token signature, ESS signing certificate, the TSA
    certificate's critical EKU timeStamping, and its chain at ``at`` (default: the token's genTime).
    Raises :class:`SignatureFormatError` only for bytes that are no token at all."""
    tst, reading = read_token(token)
    sd = reading.signed_data
    reasons: list[Rejection] = []
    imprint = tst["message_imprint"]
    alg = imprint["hash_algorithm"]["algorithm"].native
    expected = digest
    if data is not None:
        expected = _digest(alg, data) if alg in DIGESTS else None
    if expected is None or imprint["hashed_message"].native != expected:
        reasons.append(Rejection("imprint_mismatch", "时间戳不是对该数据签发的 (the timestamp does not cover this "
                                                     "data)"))
    extra = [to_asn1(c) for c in intermediates]
    signer_info = sd["signer_infos"][0]
    check = token_signer_check(reading, extra)
    reasons += check.reasons
    attr_types = {a["type"].native for a in signer_info["signed_attrs"]} if present(signer_info["signed_attrs"]) else set()
    if not attr_types & {"signing_certificate", "signing_certificate_v2"}:
        reasons.append(Rejection("missing_attribute", "时间戳缺少 ESS 签名证书属性 (the token lacks the ESS "
                                                      "signing-certificate attribute)"))
    gen_time = tst["gen_time"].native
    cert = check.certificate
    chain = None
    if cert is not None:
        problem = tsa_certificate_problem(cert)
        if problem:
            reasons.append(problem)
        others = [c.chosen for c in (sd["certificates"] or ()) if c.name == "certificate" and c.chosen.dump() != cert.dump()]
        try:
            chain = validate_certificate(cert, at=at or gen_time, trust_roots=trust_roots,
                                         intermediates=others + extra, crls=crls, revocation=revocation)
            reasons += chain.reasons
        except ASN1_ERRORS as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reasons.append(Rejection("chain_unreadable", f"时间戳证书链中有无法比较的证书 (a certificate on the "
                                                         f"TSA's way to the roots cannot be evaluated: {detail})"))
    tsa_name = None
    if tst["tsa"].native is not None and tst["tsa"].name == "directory_name":
        tsa_name = tst["tsa"].chosen.human_friendly
    elif cert is not None:
        tsa_name = cert.subject.human_friendly
    acc = tst["accuracy"]
    accuracy = None
    if acc.native is not None:
        accuracy = (acc["seconds"].native or 0) + (acc["millis"].native or 0) / 1e3 + (acc["micros"].native or 0) / 1e6
    return TimestampInfo(ok=not reasons, gen_time=gen_time, tsa_name=tsa_name,
                         serial_number=tst["serial_number"].native, policy=tst["policy"].dotted,
                         hash_algorithm=alg, nonce=tst["nonce"].native, accuracy_seconds=accuracy,
                         tsa_certificate=cert, chain=chain, reasons=tuple(reasons))


def tsa_certificate_problem(cert: x509.Certificate) -> Rejection | None:
    """None when ``cert`` may sign timestamps: EKU exactly timeStamping, critical (RFC 3161 §2.3)."""
    for ext in cert["tbs_certificate"]["extensions"] or ():
        if ext["extn_id"].native == "extended_key_usage":
            if list(ext["extn_value"].parsed.native) == ["time_stamping"] and ext["critical"].native:
                return None
            break
    return Rejection("tsa_usage_missing", "时间戳证书须有且仅有关键扩展密钥用法 timeStamping (the TSA certificate "
                                          "needs a critical extended key usage of timeStamping only)")


def parse_token(token: bytes) -> tuple[tsp.TSTInfo, cms.SignedData]:
    """(TSTInfo, SignedData) of a token, fully parsed, or :class:`SignatureFormatError`."""
    tst, reading = read_token(token)
    return tst, reading.signed_data


def read_token(token: bytes) -> tuple[tsp.TSTInfo, SignedDataReading]:
    """The token's TSTInfo and its SignedData parsed and as received, or :class:`SignatureFormatError`.

    One SignerInfo, the TSA's (RFC 3161 §2.4.2), and a TSTInfo in DER: its bytes are what the token's
    message-digest covers, and a value asn1crypto would read differently from OpenSSL (trailing
    elements, non-minimal INTEGERs) is refused rather than interpreted."""
    reading = read_signed_data(token)
    sd = reading.signed_data
    if sd["encap_content_info"]["content_type"].native != "tst_info":
        raise SignatureFormatError("不是时间戳（内容类型不是 TSTInfo） (not a timestamp token: content is not TSTInfo)")
    if len(sd["signer_infos"]) != 1:
        raise SignatureFormatError("时间戳须有且仅有一个签名者 (a timestamp token has exactly one SignerInfo, the "
                                   "TSA's)")
    raw = reading.received.econtent
    if raw is None:
        raise SignatureFormatError("时间戳中没有 TSTInfo (the token carries no TSTInfo)")
    problem = der_problem(raw) or reencoding_problem(tsp.TSTInfo, raw)
    if problem:
        raise SignatureFormatError(f"TSTInfo 不是 DER 编码，拒绝 (the TSTInfo is not DER: {problem})")
    try:
        tst = tsp.TSTInfo.load(raw, strict=True)
        tst.native
    except ASN1_ERRORS as exc:
        raise SignatureFormatError(f"TSTInfo 无法解析 (unreadable TSTInfo: {exc})") from exc
    return tst, reading


def token_signer_check(token: bytes | SignedDataReading, intermediates: Sequence[x509.Certificate] = ()) -> SignerCheck:
    """The token's SignerInfo checked over the TSTInfo bytes as received (no chain, no imprint)."""
    reading = read_token(token)[1] if isinstance(token, (bytes, bytearray, memoryview)) else token
    sd, received = reading.signed_data, reading.received
    return check_signer(sd, sd["signer_infos"][0], received.econtent, intermediates,
                        received=received.signer_infos[0], encap_content_info=received.encap_content_info)


def extract_timestamp_token(signed_data_der: bytes, *, signer_index: int = 0) -> bytes | None:
    """The id-aa-timeStampToken of SignerInfo ``signer_index`` (ContentInfo DER, as received), or None —
    e.g. to check a receipt offline with ``openssl ts -verify -token_in -in token.der -digest <hex>``."""
    signers = read_signed_data(signed_data_der).received.signer_infos
    if not 0 <= signer_index < len(signers):
        raise SignatureFormatError(f"没有第 {signer_index} 个签名者 (no SignerInfo number {signer_index})")
    values = signers[signer_index].unsigned_values(TIME_STAMP_TOKEN_OID)
    return values[0] if values else None


__all__ = ["TimestampInfo", "verify_timestamp_token", "tsa_certificate_problem", "parse_token", "read_token",
           "token_signer_check",
           "extract_timestamp_token"]
