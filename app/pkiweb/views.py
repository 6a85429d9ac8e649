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


class LengthRequired(DomainError):
    code = "length_required"
    message = ("时间戳请求须带 Content-Length (the server cannot read a chunked body here: "
               "send Content-Length)")
    http_status = 411


#: How much of a request body is read at once: the whole body is never read unbounded.
READ_PIECE = 16 * 1024


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
    body = _read_body(current_app.config["TSA_MAX_REQUEST"])
    if not body:
        raise InvalidInput("时间戳请求为空 (the time-stamp request is empty)")
    # a malformed request is the authority's to answer: an RFC 3161 rejection (badDataFormat, badAlg)
    reply = time_stamp_authority().respond(body)
    return Response(reply, status=200, mimetype=TSA_REPLY)


def _read_body(limit: int) -> bytes:
    """The request body, read in pieces and never more than ``limit + 1`` bytes of it: 413 beyond
    ``limit``, whether the client announced a Content-Length or sent the body chunked.

    A chunked body reaches the application only if the WSGI server de-chunks and terminates the
    stream (``wsgi.input_terminated``: gunicorn and Werkzeug's server do); otherwise Werkzeug would
    hand us an empty stream, so 411 says what is wrong instead of a confusing rejection."""
    length = request.content_length
    if length is not None and length > limit:
        raise RequestTooLarge(limit=limit)
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if chunked and not request.environ.get("wsgi.input_terminated"):
        raise LengthRequired()
    stream = request.stream
    pieces: list[bytes] = []
    size = 0
    while size <= limit:
        piece = stream.read(min(READ_PIECE, limit + 1 - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    if size > limit:
        raise RequestTooLarge(limit=limit)
    return b"".join(pieces)
