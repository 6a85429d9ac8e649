"""RFC 3161 time-stamping: the authority (TSA), a client, and timestamp tokens on CMS signatures.

- :class:`TimeStampAuthority` answers ``TimeStampReq`` DER with ``TimeStampResp`` DER
  (:meth:`~TimeStampAuthority.respond`; the Flask route ``/tsa`` only passes bytes through). Bad
  requests get status *rejection* with a failInfo (badAlg, badDataFormat, unacceptedPolicy,
  unacceptedExtension, systemFailure). The token is a SignedData over a TSTInfo with the ESS
  signing-certificate-v2 attribute; its serial numbers come from a :class:`SerialCounter` the caller
  can persist (:class:`FileSerialCounter`), so they stay unique and increasing across restarts.
- :func:`request_token` asks a TSA over HTTP (``application/timestamp-query``) or in process (any
  callable ``bytes -> bytes``, e.g. a :class:`TimeStampAuthority`), and checks the answer.
- :func:`add_timestamp` puts a token over a SignerInfo's signature value as the unsigned attribute
  id-aa-timeStampToken (RFC 3161 appendix A); :func:`verify_timestamp_token` checks one (imprint,
  token signature, ESS certificate, TSA certificate usage and chain, time).

The TSA's clock is injected; nothing here reads the system clock except :class:`pki.signature`'s
verification default.
"""
from __future__ import annotations

import fcntl
import io
import os
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, Union

from asn1crypto import cms, core, tsp, x509

from pki.certs import AnyCertificate, to_asn1
from pki.files import write_atomic
from pki.keyops import KeyOperationError, KeyOps
from pki.signature._digest import DIGESTS, digest as _digest
from pki.signature.cms import build_signed_data
from pki.signature.errors import SignatureError, SignatureFormatError, SigningError, TimestampError
from pki.signature.verify import check_signer, encapsulated_content, load_signed_data, present
from pki.validation import Rejection, ValidationResult, validate_certificate

#: Imprint hash algorithms a request may use, with their digest sizes. SHA-1 and MD5 are refused.
ACCEPTED_HASHES = {"sha256": 32, "sha384": 48, "sha512": 64, "sm3": 32}
MAX_RESPONSE_BYTES = 1024 * 1024
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TsaConfigurationError(SignatureError):
    """The TSA cannot be set up: certificate without critical EKU timeStamping, key/cert mismatch, …"""


class Clock(Protocol):
    def now(self) -> datetime: ...


# -- serial numbers -----------------------------------------------------------------------------------
class SerialCounter(Protocol):
    def next_serial(self) -> int:
        """A serial number greater than every one handed out before."""


class MemorySerialCounter:
    """Serials from ``start + 1`` upwards, in memory (tests; or persist :attr:`value` yourself)."""

    def __init__(self, start: int = 0):
        self._value = start
        self._lock = threading.Lock()

    @property
    def value(self) -> int:
        return self._value

    def next_serial(self) -> int:
        with self._lock:
            self._value += 1
            return self._value


class FileSerialCounter:
    """Serials kept in a small text file, locked with ``flock`` so that several processes on one
    host (gunicorn workers) never hand out the same number; written to a temporary name and renamed."""

    def __init__(self, path: str | os.PathLike, start: int = 0):
        self.path = Path(path)
        self._start = start
        self._lock = threading.Lock()

    def next_serial(self) -> int:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._lock, open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = int(self.path.read_text().strip()) if self.path.exists() else self._start
                value = current + 1
                write_atomic(self.path, f"{value}\n".encode())
                return value
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


# -- the authority --------------------------------------------------------------------------------------
class _TimeStampResp(core.Sequence):
    """TimeStampResp with the token optional (asn1crypto's makes it mandatory; a rejection has none)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _Rejected(Exception):
    def __init__(self, fail_info: str, message: str):
        super().__init__(message)
        self.fail_info = fail_info
        self.message = message


class TimeStampAuthority:
    """An RFC 3161 TSA signing with any :class:`pki.keyops.KeyOps` (file or token key).

    ``certificate`` must carry the extended key usage timeStamping, marked critical (RFC 3161 §2.3);
    ``chain`` are the CA certificates sent when a request asks for certificates. ``policy_oid`` is the
    TSA policy written into every token; requests naming another policy are refused unless it is in
    ``accepted_policies``. ``serials`` defaults to an in-memory counter: pass a
    :class:`FileSerialCounter` (or your own) to keep serial numbers increasing across restarts.
    An instance is callable (``tsa(request_der)``), so it can be given wherever a responder is.
    """

    def __init__(self, key: KeyOps, certificate: AnyCertificate, chain: Sequence[AnyCertificate],
                 policy_oid: str, clock: Clock, *, serials: SerialCounter | None = None,
                 accuracy_seconds: int = 1, accepted_policies: Sequence[str] = (), pss: bool = False):
        self.key = key
        self.certificate = to_asn1(certificate)
        self.chain = [to_asn1(c) for c in chain]
        self.policy_oid = policy_oid
        self.clock = clock
        self.serials = serials or MemorySerialCounter()
        self.accuracy_seconds = accuracy_seconds
        self.accepted_policies = {policy_oid, *accepted_policies}
        self.pss = pss
        problem = tsa_certificate_problem(self.certificate)
        if problem:
            raise TsaConfigurationError(problem.message)
        if key.public_key_info()["public_key"].native != self.certificate.public_key["public_key"].native:
            raise TsaConfigurationError("时间戳服务的私钥与证书不匹配 (the TSA key does not belong to its certificate)")

    def __call__(self, request_der: bytes) -> bytes:
        return self.respond(request_der)

    def respond(self, request_der: bytes) -> bytes:
        """A TimeStampResp (DER) for a TimeStampReq (DER): granted with a token, or a rejection with
        failInfo and a status string (Chinese, then English). Never raises for a bad request."""
        try:
            request = self._parse(request_der)
            token = self._token(request["message_imprint"], nonce=request["nonce"].native,
                                cert_req=bool(request["cert_req"].native))
        except _Rejected as rej:
            return _TimeStampResp({"status": {"status": "rejection", "status_string": [rej.message],
                                              "fail_info": tsp.PKIFailureInfo({rej.fail_info})}}).dump()
        return _TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    def stamp(self, digest: bytes, hash_algorithm: str = "sha256", *, nonce: int | None = None,
              cert_req: bool = True) -> bytes:
        """A token (ContentInfo DER) for ``digest`` directly, without a request round trip."""
        return request_token(digest, hash_algorithm, responder=self.respond, nonce=nonce is not None,
                             cert_req=cert_req)

    # -- internals
    def _parse(self, request_der: bytes) -> tsp.TimeStampReq:
        try:
            request = tsp.TimeStampReq.load(bytes(request_der), strict=True)
            request.native
        except (ValueError, TypeError, KeyError, IndexError, OverflowError):
            raise _Rejected("bad_data_format", "时间戳请求格式错误 (the request is not a DER TimeStampReq)")
        if request["version"].native != "v1":
            raise _Rejected("bad_data_format", "时间戳请求版本应为 1 (TimeStampReq version must be 1)")
        imprint = request["message_imprint"]
        name = imprint["hash_algorithm"]["algorithm"].native
        if name not in ACCEPTED_HASHES:
            raise _Rejected("bad_alg", f"不支持的摘要算法 {name} (unsupported hash algorithm {name})")
        params = imprint["hash_algorithm"]["parameters"]
        if params.native is not None:
            raise _Rejected("bad_alg", "摘要算法不应带参数 (the hash algorithm must have no parameters)")
        if len(imprint["hashed_message"].native) != ACCEPTED_HASHES[name]:
            raise _Rejected("bad_data_format", f"摘要长度与 {name} 不符 (the imprint length does not fit {name})")
        policy = request["req_policy"].native
        if policy is not None and request["req_policy"].dotted not in self.accepted_policies:
            raise _Rejected("unaccepted_policy", f"不接受的时间戳策略 {request['req_policy'].dotted} (policy not "
                                                 f"accepted)")
        if request["extensions"].native:
            raise _Rejected("unaccepted_extensions", "不支持请求扩展 (request extensions are not supported)")
        return request

    def _token(self, imprint: tsp.MessageImprint, *, nonce: int | None, cert_req: bool) -> cms.ContentInfo:
        try:
            gen_time = self.clock.now().astimezone(timezone.utc).replace(microsecond=0)
            info = {
                "version": "v1",
                "policy": self.policy_oid,
                "message_imprint": tsp.MessageImprint.load(imprint.dump()),
                "serial_number": self.serials.next_serial(),
                "gen_time": gen_time,
                "accuracy": {"seconds": self.accuracy_seconds},
                "tsa": x509.GeneralName({"directory_name": self.certificate.subject}),
            }
            if nonce is not None:
                info["nonce"] = nonce
            tst_der = tsp.TSTInfo(info).dump()
            parts = build_signed_data(tst_der, key=self.key, certificate=self.certificate,
                                      chain=self.chain if cert_req else (), content_type="tst_info",
                                      pss=self.pss, signing_time=gen_time, include_certificates=cert_req)
            buf = io.BytesIO()
            parts.write(buf, tst_der)
        except (SigningError, KeyOperationError, OSError, ValueError) as exc:
            raise _Rejected("system_failure", f"时间戳服务内部错误 (the TSA failed: {type(exc).__name__})") from exc
        return cms.ContentInfo.load(buf.getvalue())


def tsa_certificate_problem(cert: x509.Certificate) -> Rejection | None:
    """None when ``cert`` may sign timestamps: EKU exactly timeStamping, critical (RFC 3161 §2.3)."""
    for ext in cert["tbs_certificate"]["extensions"] or ():
        if ext["extn_id"].native == "extended_key_usage":
            if list(ext["extn_value"].parsed.native) == ["time_stamping"] and ext["critical"].native:
                return None
            break
    return Rejection("tsa_usage_missing", "时间戳证书须有且仅有关键扩展密钥用法 timeStamping (the TSA certificate "
                                          "needs a critical extended key usage of timeStamping only)")


# -- client ---------------------------------------------------------------------------------------------
Responder = Callable[[bytes], bytes]
TsaSource = Union[str, Responder]


def build_request(digest: bytes, hash_algorithm: str = "sha256", *, nonce: int | None = None,
                  cert_req: bool = True, policy: str | None = None) -> bytes:
    """A TimeStampReq DER for ``digest`` (already hashed with ``hash_algorithm``)."""
    if hash_algorithm not in DIGESTS:
        raise ValueError(f"unknown hash algorithm {hash_algorithm}")
    req = {"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm},
                                                "hashed_message": digest}, "cert_req": cert_req}
    if nonce is not None:
        req["nonce"] = nonce
    if policy is not None:
        req["req_policy"] = policy
    return tsp.TimeStampReq(req).dump()


def request_token(digest: bytes, hash_algorithm: str = "sha256", *, url: str | None = None,
                  responder: Responder | None = None, nonce: bool = True, cert_req: bool = True,
                  policy: str | None = None, timeout: float = 10.0) -> bytes:
    """Ask a TSA for a token over ``digest``: by HTTP POST to ``url`` or through ``responder``
    (``bytes -> bytes``, e.g. a :class:`TimeStampAuthority`). Returns the token (ContentInfo DER)
    after checking status, imprint, nonce and the token's own signature; raises
    :class:`TimestampError` otherwise (the TSA certificate chain is checked at verification time)."""
    if (url is None) == (responder is None):
        raise ValueError("give exactly one of url and responder")
    nonce_value = secrets.randbits(63) if nonce else None
    request = build_request(digest, hash_algorithm, nonce=nonce_value, cert_req=cert_req, policy=policy)
    raw = responder(request) if responder is not None else _post(url, request, timeout)
    return _token_from_response(raw, digest=digest, hash_algorithm=hash_algorithm, nonce=nonce_value)


def _post(url: str, request: bytes, timeout: float) -> bytes:
    if not url.lower().startswith(("http://", "https://")):
        raise TimestampError(f"时间戳服务地址须为 http(s) (the TSA URL must be http or https: {url})")
    req = urllib.request.Request(url, data=request, method="POST",
                                 headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 — scheme checked
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"无法连接时间戳服务 (the TSA could not be reached: {exc})") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampError("时间戳服务应答过大 (the TSA answer is too large)")
    return body


def _token_from_response(raw: bytes, *, digest: bytes, hash_algorithm: str, nonce: int | None) -> bytes:
    try:
        response = _TimeStampResp.load(raw, strict=True)
        status = response["status"]["status"].native
        texts = tuple(response["status"]["status_string"].native or ())
        fail = tuple(sorted(response["status"]["fail_info"].native or ()))
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"时间戳应答无法解析 (unreadable TSA answer: {exc})") from exc
    if status not in ("granted", "granted_with_mods"):
        detail = "; ".join(texts) or status
        raise TimestampError(f"时间戳服务拒绝请求：{detail} (the TSA refused: {status} {', '.join(fail)})",
                             status=status, fail_info=fail)
    token = response["time_stamp_token"]
    if not present(token):
        raise TimestampError("时间戳应答中没有时间戳 (granted but no token in the answer)")
    token_der = token.dump()
    tst, sd = _parse_token(token_der)
    imprint = tst["message_imprint"]
    if imprint["hash_algorithm"]["algorithm"].native != hash_algorithm or imprint["hashed_message"].native != digest:
        raise TimestampError("时间戳不是为本次摘要签发的 (the token does not cover the digest sent)")
    if nonce is not None and tst["nonce"].native != nonce:
        raise TimestampError("时间戳的随机数与请求不符 (the token's nonce does not match the request)")
    check = check_signer(sd, sd["signer_infos"][0], encapsulated_content(sd))
    if check.reasons:
        raise TimestampError(f"时间戳签名无效 (the token's signature is invalid: {check.reasons[0].message})")
    return token_der


# -- tokens on signatures -------------------------------------------------------------------------------
def add_timestamp(signed_data_der: bytes, tsa: TsaSource, *, hash_algorithm: str = "sha256",
                  signer_index: int = 0, timeout: float = 10.0) -> bytes:
    """Return the SignedData (DER) with a timestamp token over SignerInfo ``signer_index``'s
    signature value added as unsigned attribute id-aa-timeStampToken. ``tsa`` is a URL or a
    responder callable (a :class:`TimeStampAuthority` is one). Everything signed stays byte-identical."""
    info, sd = load_signed_data(signed_data_der)
    signer_infos = list(sd["signer_infos"])
    if not 0 <= signer_index < len(signer_infos):
        raise SignatureFormatError(f"没有第 {signer_index} 个签名者 (no SignerInfo number {signer_index})")
    si = signer_infos[signer_index]
    imprint = _digest(hash_algorithm, si["signature"].native)
    if isinstance(tsa, str):
        token_der = request_token(imprint, hash_algorithm, url=tsa, timeout=timeout)
    else:
        token_der = request_token(imprint, hash_algorithm, responder=tsa)
    attr = cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [cms.ContentInfo.load(token_der)]})
    old = [a for a in (si["unsigned_attrs"] if present(si["unsigned_attrs"]) else ())
           if a["type"].native != "signature_time_stamp_token"]
    fields = {name: si[name] for name, *_ in cms.SignerInfo._fields if name != "unsigned_attrs" and
              present(si[name])}
    fields["unsigned_attrs"] = cms.CMSAttributes([*old, attr])
    signer_infos[signer_index] = cms.SignerInfo(fields)
    sd_fields = {name: sd[name] for name, *_ in cms.SignedData._fields if name != "signer_infos" and
                 not isinstance(sd[name], core.Void)}
    sd_fields["signer_infos"] = cms.SignerInfos(signer_infos)
    new_sd = cms.SignedData(sd_fields)
    return cms.ContentInfo({"content_type": info["content_type"], "content": new_sd}).dump()


def extract_timestamp_token(signed_data_der: bytes, *, signer_index: int = 0) -> bytes | None:
    """The id-aa-timeStampToken of SignerInfo ``signer_index`` (ContentInfo DER), or None — e.g. to
    check a receipt offline with ``openssl ts -verify -token_in -in token.der -digest <hex>``."""
    _, sd = load_signed_data(signed_data_der)
    unsigned = sd["signer_infos"][signer_index]["unsigned_attrs"]
    for attr in unsigned if present(unsigned) else ():
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0].dump()
    return None


# -- verification ---------------------------------------------------------------------------------------
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


def verify_timestamp_token(token: bytes, *, data: bytes | None = None, digest: bytes | None = None,
                           trust_roots: Sequence[AnyCertificate], intermediates: Sequence[AnyCertificate] = (),
                           crls: Sequence[bytes] = (), at: datetime | None = None,
                           revocation: str = "soft-fail") -> TimestampInfo:
    """Check a timestamp token (ContentInfo DER or PEM) over ``data`` (hashed here with the token's
    algorithm) or a ready ``digest``: imprint, token signature, ESS signing certificate, the TSA
    certificate's critical EKU timeStamping, and its chain at ``at`` (default: the token's genTime).
    Raises :class:`SignatureFormatError` only for bytes that are no token at all."""
    tst, sd = _parse_token(token)
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
    check = check_signer(sd, signer_info, encapsulated_content(sd), extra)
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
        chain = validate_certificate(cert, at=at or gen_time, trust_roots=trust_roots, intermediates=others + extra,
                                     crls=crls, revocation=revocation)
        reasons += chain.reasons
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


def _parse_token(token: bytes) -> tuple[tsp.TSTInfo, cms.SignedData]:
    _, sd = load_signed_data(token)
    if sd["encap_content_info"]["content_type"].native != "tst_info":
        raise SignatureFormatError("不是时间戳（内容类型不是 TSTInfo） (not a timestamp token: content is not TSTInfo)")
    raw = encapsulated_content(sd)
    if raw is None:
        raise SignatureFormatError("时间戳中没有 TSTInfo (the token carries no TSTInfo)")
    try:
        tst = tsp.TSTInfo.load(raw, strict=True)
        tst.native
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise SignatureFormatError(f"TSTInfo 无法解析 (unreadable TSTInfo: {exc})") from exc
    return tst, sd


__all__ = ["TimeStampAuthority", "TsaConfigurationError", "SerialCounter", "MemorySerialCounter",
           "FileSerialCounter", "TimestampInfo", "TimestampError", "build_request", "request_token",
           "add_timestamp", "extract_timestamp_token", "verify_timestamp_token", "tsa_certificate_problem",
           "ACCEPTED_HASHES"]
