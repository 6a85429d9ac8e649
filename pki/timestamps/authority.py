"""An RFC 3161 time-stamping authority (TSA) that signs with any :class:`pki.keyops.KeyOps`.

:meth:`TimeStampAuthority.respond` answers ``TimeStampReq`` DER with ``TimeStampResp`` DER; bad
requests get status *rejection* with a failInfo (badAlg, badDataFormat, unacceptedPolicy,
unacceptedExtension, systemFailure). The token is a SignedData over a TSTInfo with the ESS
signing-certificate-v2 attribute.

Serial numbers (RFC 3161 §2.4.2: unique for each token of one TSA, at most 160 bits) are random
by default (:class:`RandomSerials`): several processes on several hosts can answer for the same TSA
without sharing a counter. :class:`MemorySerialCounter` counts upwards, for tests.
"""
from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Protocol

from asn1crypto import cms, tsp, x509

from pki.certs import AnyCertificate, to_asn1
from pki.keyops import KeyOperationError, KeyOps
from pki.keys import key_matches_certificate
from pki.signature.cms import build_signed_data
from pki.signature.errors import SigningError, TsaConfigurationError
from pki.signature.timestamp import tsa_certificate_problem
from pki.timestamps.client import TimeStampResp, request_token
from pki.timestamps.request import ACCEPTED_HASHES, RequestRefused, TimeStampRequest, parse_request

#: Bits of a random serial number: far beyond any chance of a repeat, well under RFC 3161's 160.
RANDOM_SERIAL_BITS = 128


class Clock(Protocol):
    def now(self) -> datetime: ...


# -- serial numbers -----------------------------------------------------------------------------------
class SerialCounter(Protocol):
    def next_serial(self) -> int:
        """A positive serial number never handed out before by this TSA."""


class RandomSerials:
    """Random positive serial numbers of :data:`RANDOM_SERIAL_BITS` bits from :mod:`secrets`.

    Nothing is stored or shared, so any number of workers on any number of hosts can stamp for
    one TSA: two equal 128-bit random numbers are as unlikely as a guessed key. The top bit is
    always set, so every serial has the same DER length (17 bytes, a leading zero keeping it positive)."""

    def __init__(self, bits: int = RANDOM_SERIAL_BITS):
        if not 64 <= bits <= 159:
            raise ValueError("bits must be between 64 and 159 (RFC 3161 allows 160-bit serials)")
        self.bits = bits

    def next_serial(self) -> int:
        return secrets.randbits(self.bits) | (1 << (self.bits - 1))


class MemorySerialCounter:
    """Serials from ``start + 1`` upwards, in memory (tests: predictable numbers)."""

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


# -- the authority --------------------------------------------------------------------------------------
class TimeStampAuthority:
    """An RFC 3161 TSA signing with any :class:`pki.keyops.KeyOps` (file or token key).

    ``certificate`` must carry the extended key usage timeStamping, marked critical (RFC 3161 §2.3);
    ``chain`` are the CA certificates sent when a request asks for certificates. ``policy_oid`` is the
    TSA policy written into every token; requests naming another policy are refused unless it is in
    ``accepted_policies``. ``serials`` defaults to :class:`RandomSerials`.
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
        self.serials = serials or RandomSerials()
        self.accuracy_seconds = accuracy_seconds
        self.accepted_policies = {policy_oid, *accepted_policies}
        self.pss = pss
        problem = tsa_certificate_problem(self.certificate)
        if problem:
            raise TsaConfigurationError(problem.message)
        if not key_matches_certificate(key, self.certificate):
            raise TsaConfigurationError("时间戳服务的私钥与证书不匹配 (the TSA key does not belong to its certificate)")

    def __call__(self, request_der: bytes) -> bytes:
        return self.respond(request_der)

    def respond(self, request_der: bytes) -> bytes:
        """A TimeStampResp (DER) for a TimeStampReq (DER): granted with a token, or a rejection with
        failInfo and a status string (Chinese, then English). Never raises for a bad request."""
        try:
            request = parse_request(bytes(request_der), self.accepted_policies)
            token = self._token(request)
        except RequestRefused as refused:
            return TimeStampResp({"status": {"status": "rejection", "status_string": [refused.message],
                                              "fail_info": tsp.PKIFailureInfo({refused.fail_info})}}).dump()
        return TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    def stamp(self, digest: bytes, hash_algorithm: str = "sha256", *, nonce: int | None = None,
              cert_req: bool = True) -> bytes:
        """A token (ContentInfo DER) for ``digest`` directly, without a request round trip."""
        return request_token(digest, hash_algorithm, responder=self.respond, nonce=nonce is not None,
                             cert_req=cert_req)

    # -- internals
    def _token(self, request: TimeStampRequest) -> cms.ContentInfo:
        gen_time = self.clock.now().astimezone(timezone.utc).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": self.policy_oid,
            "message_imprint": tsp.MessageImprint.load(request.message_imprint),
            "serial_number": self.serials.next_serial(),
            "gen_time": gen_time,
            "accuracy": {"seconds": self.accuracy_seconds},
            "tsa": x509.GeneralName({"directory_name": self.certificate.subject}),
        }
        if request.nonce is not None:
            info["nonce"] = request.nonce
        tst_der = tsp.TSTInfo(info).dump()
        buf = io.BytesIO()
        try:
            # a token key may fail (token removed, session closed): the requester gets systemFailure
            parts = build_signed_data(tst_der, key=self.key, certificate=self.certificate,
                                      chain=self.chain if request.cert_req else (),
                                      content_type="tst_info", pss=self.pss, signing_time=gen_time,
                                      include_certificates=request.cert_req)
            parts.write(buf, tst_der)
        except (SigningError, KeyOperationError, OSError) as exc:
            raise RequestRefused("system_failure",
                                 f"时间戳服务内部错误 (the TSA failed: {type(exc).__name__})") from exc
        return cms.ContentInfo.load(buf.getvalue())


__all__ = ["ACCEPTED_HASHES", "RANDOM_SERIAL_BITS", "Clock", "SerialCounter", "RandomSerials", "MemorySerialCounter",
           "TimeStampAuthority", "TsaConfigurationError", "tsa_certificate_problem"]
