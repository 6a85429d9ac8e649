"""The reference of ``rush.py``: a bare WSGI app that speaks the same upload exchange as the platform
(``POST /api/v1/tenders/<id>/uploads`` → ``url``, ``PATCH <url>`` with ``Upload-Offset``) and does
only what any upload server must: stream each body to disk in 1 MiB pieces, fsync, and when the
file is complete rename it into place (fsync of the folder). No session, no database, no digest, no
check, no receipt. Served by gunicorn with the platform's settings (``bare_upload:app``), the
folder in ``$BARE_UPLOAD_DIR``.
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import Any

PIECE = 1 << 20
ROOT = os.environ.get("BARE_UPLOAD_DIR", "/tmp/bare-upload")


def _answer(start_response: Callable, status: str, body: dict[str, Any], headers=()) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers])
    return [data]


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"]
    if method == "POST" and path.endswith("/uploads"):
        size = int(json.loads(body.read(length))["size"])
        upload = uuid.uuid4().hex
        os.makedirs(f"{ROOT}/parts", exist_ok=True)
        with open(f"{ROOT}/parts/{upload}.{size}", "wb"):
            pass
        return _answer(start_response, "201 Created", {"id": upload, "url": f"/u/{upload}.{size}", "offset": 0,
                                                       "max_chunk": 8 << 20})
    if method == "PATCH" and path.startswith("/u/"):
        name = path[3:]
        size = int(name.rsplit(".", 1)[1])
        offset = int(environ.get("HTTP_UPLOAD_OFFSET", "0"))
        part = f"{ROOT}/parts/{name}"
        with open(part, "r+b") as f:
            f.seek(offset)
            left = length
            while left:
                piece = body.read(min(PIECE, left))
                if not piece:
                    break
                f.write(piece)
                left -= len(piece)
            f.flush()
            os.fsync(f.fileno())
            offset = f.tell()
        state: dict[str, Any] = {"offset": offset, "state": "receiving", "bid": None}
        if offset >= size:
            os.makedirs(f"{ROOT}/done", exist_ok=True)
            os.rename(part, f"{ROOT}/done/{name}")
            _fsync_dir(f"{ROOT}/done")
            state.update(state="completed", bid={"id": name, "receipt_url": None})
        return _answer(start_response, "200 OK", state, [("Upload-Offset", str(offset))])
    if method in ("GET", "HEAD"):
        return _answer(start_response, "404 Not Found", {"code": "not_found"})
    return _answer(start_response, "405 Method Not Allowed", {"code": "method_not_allowed"})
