"""RFC 3161 time-stamping: the authority (TSA) and the client.

- :mod:`pki.timestamps.authority`: :class:`TimeStampAuthority` answers ``TimeStampReq`` DER with
  ``TimeStampResp`` DER (the Flask route ``/tsa`` only passes bytes through); serial numbers are
  random (:class:`RandomSerials`), so any number of hosts can answer for one TSA.
- :mod:`pki.timestamps.request`: reads a ``TimeStampReq`` strictly (DER only, every field checked,
  nothing after it); anything else becomes a rejection with failInfo badDataFormat or badAlg.
- :mod:`pki.timestamps.client`: :func:`request_token` asks a TSA over HTTP or in process and checks
  the answer; :func:`add_timestamp` puts the token on a CMS signature.

Checking a token (imprint, token signature, ESS certificate, TSA certificate usage and chain) is
part of signature verification: :mod:`pki.signature.timestamp`, re-exported here for callers that
stamp and check in one place. The TSA's clock is injected; nothing here reads the system clock.
"""
from pki.signature.errors import TimestampError, TimestampMismatch, TsaAddressInvalid, TsaConfigurationError
from pki.signature.timestamp import (TimestampInfo, extract_timestamp_token, tsa_certificate_problem,
                                     verify_timestamp_token)
from pki.timestamps.authority import (ACCEPTED_HASHES, Clock, MemorySerialCounter, RandomSerials, SerialCounter,
                                      TimeStampAuthority)
from pki.timestamps.client import (QUERY_TYPE, REPLY_TYPE, Responder, TimeStampResp, TsaSource, add_timestamp,
                                   build_request, request_token)

__all__ = ["TimeStampAuthority", "TsaConfigurationError", "SerialCounter", "RandomSerials", "MemorySerialCounter",
           "Clock", "TimestampInfo", "TimestampError", "TimestampMismatch", "TsaAddressInvalid", "TimeStampResp",
           "Responder", "TsaSource", "QUERY_TYPE", "REPLY_TYPE", "build_request", "request_token", "add_timestamp",
           "extract_timestamp_token", "verify_timestamp_token", "tsa_certificate_problem", "ACCEPTED_HASHES"]
