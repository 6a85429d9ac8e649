"""The RFC 3161 client: ask a TSA for a token and put it on a signature.

- :func:`request_token` asks a TSA over HTTP (``application/timestamp-query``) or in process (any
  callable ``bytes -> bytes``, e.g. a :class:`~pki.timestamps.authority.TimeStampAuthority`), and
  checks the answer: status, imprint, nonce and the token's own signature.
- :func:`add_timestamp` puts a token over a SignerInfo's signature value as the unsigned attribute
  id-aa-timeStampToken (RFC 3161 appendix A).

Checking a token later (chain, ESS certificate, TSA usage) is :mod:`pki.signature.timestamp`.
"""
from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Union

from asn1crypto import cms, core, tsp

from pki.errors import ASN1_ERRORS
from pki.signature._digest import DIGESTS, digest as _digest
from pki.signature.errors import (SignatureError, SignatureFormatError, TimestampError, TimestampMismatch,
                                  TsaAddressInvalid)
from pki.signature.signed_data import load_signed_data, present
from pki.signature.timestamp import parse_token, token_signer_check

MAX_RESPONSE_BYTES = 1024 * 1024
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"

Responder = Callable[[bytes], bytes]
TsaSource = Union[str, Responder]


class TimeStampResp(core.Sequence):
    """TimeStampResp with the token optional (asn1crypto's makes it mandatory; a rejection has none)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def build_request(digest: bytes, hash_algorithm: str = "sha256", *, nonce: int | None = None,
                  cert_req: bool = True, policy: str | None = None) -> bytes:
    """A TimeStampReq DER for ``digest`` (already hashed with ``hash_algorithm``)."""
    if hash_algorithm not in DIGESTS:
        raise SignatureError(f"不支持的摘要算法 {hash_algorithm} (unknown hash algorithm {hash_algorithm})")
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
        raise TsaAddressInvalid(f"时间戳服务地址须为 http(s) (the TSA URL must be http or https: {url})")
    req = urllib.request.Request(url, data=request, method="POST",
                                 headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 — scheme checked
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except OSError as exc:   # urllib.error.URLError and HTTPError are OSErrors, as are timeouts
        raise TimestampError(f"无法连接时间戳服务 (the TSA could not be reached: {exc})") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampError("时间戳服务应答过大 (the TSA answer is too large)")
    return body


def _token_from_response(raw: bytes, *, digest: bytes, hash_algorithm: str, nonce: int | None) -> bytes:
    try:
        response = TimeStampResp.load(raw, strict=True)
        status = response["status"]["status"].native
        texts = tuple(response["status"]["status_string"].native or ())
        fail = tuple(sorted(response["status"]["fail_info"].native or ()))
    except ASN1_ERRORS as exc:
        raise TimestampError(f"时间戳应答无法解析 (unreadable TSA answer: {exc})") from exc
    if status not in ("granted", "granted_with_mods"):
        detail = "; ".join(texts) or status
        raise TimestampError(f"时间戳服务拒绝请求：{detail} (the TSA refused: {status} {', '.join(fail)})",
                             status=status, fail_info=fail)
    token = response["time_stamp_token"]
    if not present(token):
        raise TimestampError("时间戳应答中没有时间戳 (granted but no token in the answer)")
    token_der = token.dump()
    try:
        tst, sd = parse_token(token_der)
    except SignatureFormatError as exc:   # the TSA's fault, not the caller's input
        raise TimestampError(f"时间戳服务返回的时间戳无法解析 (the TSA's token is unreadable: {exc})") from exc
    imprint = tst["message_imprint"]
    if imprint["hash_algorithm"]["algorithm"].native != hash_algorithm or imprint["hashed_message"].native != digest:
        raise TimestampMismatch("时间戳不是为本次摘要签发的 (the token does not cover the digest sent)")
    if nonce is not None and tst["nonce"].native != nonce:
        raise TimestampMismatch("时间戳的随机数与请求不符 (the token's nonce does not match the request)")
    check = token_signer_check(token_der)
    if check.reasons:
        raise TimestampMismatch(f"时间戳签名无效 (the token's signature is invalid: {check.reasons[0].message})")
    return token_der


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


__all__ = ["MAX_RESPONSE_BYTES", "QUERY_TYPE", "REPLY_TYPE", "Responder", "TsaSource", "TimeStampResp",
           "build_request", "request_token", "add_timestamp"]
