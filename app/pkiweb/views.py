"""Views serving CRL files and answering time-stamp requests."""
from __future__ import annotations

import logging
import re
from pathlib import Path

from flask import Response, abort, current_app, request, send_from_directory
from flask.typing import ResponseReturnValue

from app.pkiweb.tsa import time_stamp_authority
from bidding.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

_CRL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
TSA_QUERY = "application/timestamp-query"
TSA_REPLY = "application/timestamp-reply"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    message = (f"时间戳请求的内容类型必须是 {TSA_QUERY} "
               f"(the Content-Type of a time-stamp request must be {TSA_QUERY})")
    http_status = 415


class RequestTooLarge(DomainError):
    code = "request_too_large"
    message = "时间戳请求过大 (the time-stamp request is too large)"
    http_status = 413


def crl(name: str) -> ResponseReturnValue:
    """A DER CRL from the configured CRL directory; 404 for anything else (no path tricks)."""
    if not _CRL_NAME.match(name):
        abort(404)
    directory = Path(current_app.config["CRL_DIR"])
    if not (directory / f"{name}.crl").is_file():
        abort(404)
    response = send_from_directory(directory, f"{name}.crl", mimetype="application/pkix-crl",
                                   max_age=300)
    return response


def tsa() -> ResponseReturnValue:
    """RFC 3161 over HTTP (RFC 3161 §3.4): a DER TimeStampReq in, a DER TimeStampResp out."""
    if request.mimetype != TSA_QUERY:
        raise UnsupportedMediaType(content_type=request.mimetype or None)
    limit = current_app.config["TSA_MAX_REQUEST"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestTooLarge(limit=limit)
    body = request.get_data(cache=False)
    if len(body) > limit:
        raise RequestTooLarge(limit=limit)
    if not body:
        raise InvalidInput("时间戳请求为空 (the time-stamp request is empty)")
    reply = time_stamp_authority().respond(body)
    return Response(reply, status=200, mimetype=TSA_REPLY)
