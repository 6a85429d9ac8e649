"""The client side of the resumable upload (docs/uploads.md): ``POST`` to start, ``PATCH`` the chunks
in order with ``Upload-Offset``, and after a broken connection ``HEAD`` for the offset and go on from
there, waiting 1, 2, 4 … 30 s between attempts, as the upload page does.

The upload's address is remembered in a small file (``<tender>-<sha256>.json`` beside the session
file) from the moment the platform answers the ``POST``, and forgotten once the receipt is verified:
``bidtool submit`` run again with the same file for the same tender resumes that upload if the
platform still has it (not expired, not refused), and starts a new one otherwise.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bidtool import session as sessions
from bidtool.errors import EXIT_IO, ToolError
from bidtool.platform import Platform, PlatformRefusal, Unreachable
from bidtool.progress import ProgressBar

CHUNK_TYPE = "application/offset+octet-stream"
MAX_WAIT = 30.0
#: answers after which the same chunk is worth sending again: the connection broke while the platform
#: wrote (what arrived is kept), another request for this upload is still writing, a passing 5xx
RETRY_CODES = {"upload_chunk_incomplete", "upload_busy", "upload_offset_mismatch"}


@dataclass
class Upload:
    """One upload on the platform and where bidtool remembers it."""

    url: str
    size: int
    offset: int
    max_chunk: int
    memo: Path
    done: dict[str, Any] | None = None      # the platform's answer once the upload became a bid

    @classmethod
    def resume_or_start(cls, platform: Platform, tender_id: int, size: int, sha256: str, *,
                        state_dir: Path) -> "Upload":
        memo = state_dir / f"{tender_id}-{sha256}.json"
        known = sessions.read_json(memo)
        if known and known.get("platform") == platform.base:
            try:
                status = platform.get_json(known["url"])
            except PlatformRefusal as exc:
                if exc.status not in (404, 410):
                    raise
                status = None
            if status and status["state"] in ("receiving", "completed"):
                _note(f"续传上次的上传 (resuming upload {status['id']} at byte {status['offset']} of {size})")
                return cls(known["url"], size, status["offset"], status["max_chunk"], memo,
                           status if status.get("bid") else None)
        started = platform.post_json(f"tenders/{tender_id}/uploads", {"size": size, "sha256": sha256})
        for warning in started.get("warnings") or ():
            _note(f"注意 (warning): {warning}")
        sessions.write_private(memo, _json({"platform": platform.base, "url": started["url"], "id": started["id"],
                                            "tender_id": tender_id, "size": size, "sha256": sha256}))
        return cls(started["url"], size, started["offset"], started["max_chunk"], memo)

    def forget(self) -> None:
        self.memo.unlink(missing_ok=True)


def send(platform: Platform, upload: Upload, source: Path, *, chunk_size: int | None, retries: int) -> dict[str, Any]:
    """Send ``source`` from the upload's offset to its end; the platform's last answer (the bid)."""
    if upload.done is not None:         # accepted before; only its receipt was not fetched
        return upload.done
    chunk = min(chunk_size or upload.max_chunk, upload.max_chunk)
    bar = ProgressBar(upload.size, "submit")
    failures, offset = 0, upload.offset
    with open(source, "rb") as src:
        while True:
            bar(offset)
            src.seek(offset)
            piece = src.read(min(chunk, upload.size - offset))
            try:
                answer = platform.request("PATCH", upload.url, data=piece, ok=(200,),
                                          headers={"Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE})
            except (Unreachable, PlatformRefusal) as exc:
                if not _worth_retrying(exc):
                    bar.close()
                    raise
                failures += 1
                if failures > retries:
                    bar.close()
                    raise ToolError(f"连接多次中断，已收到 {offset} 字节；再次运行同一命令即可续传 (the connection kept "
                                    f"breaking after {offset} of {upload.size} bytes: run the same command again to "
                                    f"resume)", EXIT_IO) from exc
                time.sleep(min(2.0 ** (failures - 1), MAX_WAIT))
                offset = _offset_after(platform, upload, exc, offset)
                continue
            failures = 0
            body = answer.json()
            if body["state"] == "completed" and body.get("bid"):
                bar.close()
                return body
            if not piece and body["offset"] == offset:      # every byte is there, yet no bid: do not spin
                bar.close()
                raise ToolError(f"平台已收到全部 {offset} 字节但未生成投标，请稍后重试 (the platform holds all "
                                f"{offset} bytes but made no bid: try again later)", EXIT_IO)
            offset = body["offset"]


def _worth_retrying(exc: ToolError) -> bool:
    if isinstance(exc, Unreachable):
        return True
    assert isinstance(exc, PlatformRefusal)
    return exc.code_name in RETRY_CODES or (exc.status >= 500 and exc.status != 503)


def _offset_after(platform: Platform, upload: Upload, exc: ToolError, fallback: int) -> int:
    """Where to go on: the offset the refusal names, else the platform's answer to HEAD."""
    if isinstance(exc, PlatformRefusal) and isinstance(exc.details.get("offset"), int):
        return exc.details["offset"]
    try:
        head = platform.request("HEAD", upload.url, ok=(200,))
        return int(head.headers["Upload-Offset"])
    except (Unreachable, PlatformRefusal, KeyError, ValueError):
        return fallback         # the next PATCH's answer says where the platform is


def _note(text: str) -> None:
    """A line for the user on stdout (stderr carries only the one-line verdict of a failure)."""
    print(text, flush=True)


def _json(data: dict[str, Any]) -> bytes:
    import json
    return json.dumps(data).encode("utf-8")
