"""The bid store and the byte side of resumable uploads (docs/uploads.md).

The bid store (``BID_STORE_DIR``) holds two kinds of file, on one file system:

- ``uploads/<upload id>.part``: an upload in progress. Each chunk is written at the upload's offset
  while an exclusive ``flock`` is held (a second request for the same upload is refused, not
  interleaved), then fsynced before the database records the new offset; anything past the
  recorded offset (a request that died mid-way) is cut off before the next chunk is written.
- ``envelopes/<sha256[:2]>/<sha256>``: an accepted envelope, renamed there from its ``.part`` file
  after an fsync, the folder fsynced after the rename (DESIGN.md §6: nothing accepted is lost).

SHA-256 and SM3 are computed while the chunks are written (:class:`Digests`, kept per process
between the chunks of one upload); when a chunk is served by another worker process than the one
before, the digests are computed once more at the end instead, in one pass over the file.

Nothing here decrypts anything: the platform only ever holds the envelope (R16).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import core
from cryptography.hazmat.primitives import hashes

from bidding.clock import Clock
from bidding.errors import Conflict, DomainError, InvalidInput, NotFound
from pki.envelope.cms import AUTH_ENVELOPED_DATA, ENVELOPED_DATA
from pki.oids import GM_ENVELOPED_DATA

READ_PIECE = 1 << 20                  # bytes read from the request body at a time
HEAD_BYTES = 64                       # enough of the first chunk to tell an envelope (R16)
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_UPLOAD_ID = re.compile(r"^[0-9A-Z]{1,32}$")
ENVELOPE_TYPES = frozenset({AUTH_ENVELOPED_DATA, ENVELOPED_DATA, GM_ENVELOPED_DATA})

Reader = Callable[[int], bytes]
"""Reads at most n bytes of a request body; ``b""`` when the body ended (or the client went away)."""


@dataclass(frozen=True)
class UploadLimits:
    """``max_size``: the largest envelope; ``max_chunk``: the largest body of one PATCH;
    ``lifetime``: how long an unfinished upload lives (the bid deadline ends it sooner)."""

    max_size: int = 2 * 1024 ** 3
    max_chunk: int = 8 * 1024 ** 2
    lifetime: timedelta = timedelta(hours=24)


# -- refusals of the protocol -------------------------------------------------------------------------
class UploadNotFound(NotFound):
    code = "upload_not_found"
    message = "上传不存在 (no such upload)"


class UploadInvalid(InvalidInput):
    """The announced size or SHA-256 is not acceptable; ``details["field"]`` names it."""

    code = "upload_invalid"
    message = "上传参数有误 (invalid upload parameters)"


class UploadOffsetMismatch(Conflict):
    """The chunk does not start where the upload stands: ``details["offset"]`` says where it does."""

    code = "upload_offset_mismatch"
    message = "分片的起始位置与已接收的字节数不符，请从 details.offset 处续传 (the chunk does not start at the upload's offset: resume from details.offset)"


class UploadBusy(Conflict):
    code = "upload_busy"
    message = "该上传正在接收另一个请求的数据，请稍后查询进度再续传 (another request is writing to this upload: ask for the offset, then resume)"


class UploadExpired(DomainError):
    code = "upload_expired"
    message = "该上传已过期（超过有效期或投标截止时间），请重新上传 (the upload expired, or the bid deadline passed: start a new upload)"
    http_status = 410


class UploadClosed(Conflict):
    """The upload is finished: it became a bid, was refused (``details["refusal"]``) or cancelled."""

    code = "upload_closed"
    message = "该上传已结束，不能再写入 (the upload is finished: nothing more can be written to it)"


class ChunkTooLarge(InvalidInput):
    code = "upload_chunk_too_large"
    message = "分片过大 (the chunk is too large)"
    http_status = 413


class UploadTooLong(InvalidInput):
    code = "upload_exceeds_size"
    message = "上传的数据超过了申报的文件大小 (the data goes beyond the announced size)"


class ChunkIncomplete(InvalidInput):
    """The request body ended before its announced length (a broken connection): what arrived is
    kept; ``details["offset"]`` is where to resume."""

    code = "upload_chunk_incomplete"
    message = "连接中断，分片未传完；已收到的数据已保存，请从 details.offset 处续传 (the chunk was cut off: what arrived is kept, resume from details.offset)"


def check_announcement(size: object, sha256: object, limits: UploadLimits) -> tuple[int, str]:
    """The size (1 … ``limits.max_size``) and SHA-256 (64 hex digits) a bidder announces."""
    if type(size) is not int or not 1 <= size <= limits.max_size:
        raise UploadInvalid(f"文件大小须为 1 至 {limits.max_size} 字节 (size must be 1 to {limits.max_size} bytes)",
                            field="size", max_size=limits.max_size)
    digest = sha256.strip().lower() if isinstance(sha256, str) else ""
    if not _SHA256_HEX.match(digest):
        raise UploadInvalid("SHA-256 须为 64 位十六进制数 (sha256 must be 64 hexadecimal digits)", field="sha256")
    return size, digest


def valid_upload_id(text: str) -> bool:
    return bool(_UPLOAD_ID.match(text or ""))


# -- digests ----------------------------------------------------------------------------------------------
@dataclass
class Digests:
    """SHA-256 and SM3 of the first ``length`` bytes of a file, fed as they are written."""

    length: int = 0
    sha256: "hashlib._Hash" = field(default_factory=hashlib.sha256)
    sm3: hashes.Hash = field(default_factory=lambda: hashes.Hash(hashes.SM3()))

    def update(self, data: bytes | memoryview) -> None:
        self.sha256.update(data)
        self.sm3.update(bytes(data))
        self.length += len(data)

    def hexdigests(self) -> tuple[str, str]:
        return self.sha256.hexdigest(), self.sm3.copy().finalize().hex()


class _DigestCache:
    """The running digests of the uploads this process is receiving, by upload id (bounded)."""

    def __init__(self, capacity: int = 256) -> None:
        self._items: OrderedDict[str, Digests] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity

    def take(self, upload_id: str, offset: int) -> Digests | None:
        """The digests of the first ``offset`` bytes, if this process has them (removed: the taker
        puts them back when its chunk is written)."""
        with self._lock:
            item = self._items.pop(upload_id, None)
        if offset == 0:
            return Digests()
        return item if item is not None and item.length == offset else None

    def put(self, upload_id: str, digests: Digests) -> None:
        with self._lock:
            self._items[upload_id] = digests
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def forget(self, upload_id: str) -> None:
        with self._lock:
            self._items.pop(upload_id, None)


running_digests = _DigestCache()


def digest_file(path: Path) -> tuple[int, Digests]:
    """(size, digests) of a whole file, in one pass."""
    digests = Digests()
    with open(path, "rb") as src:
        while piece := src.read(READ_PIECE):
            digests.update(piece)
    return digests.length, digests


# -- telling an envelope from anything else (R16) --------------------------------------------------------
def looks_like_envelope(head: bytes) -> bool | None:
    """Whether the first bytes of a file begin a CMS / GM/T 0010 envelope (a ContentInfo whose
    content type is an enveloped type, or PEM armour, which the full parse judges); ``None`` when
    too few bytes arrived to tell. A PDF, a zip, a signature, text: False at the first chunk."""
    if head.startswith(b"-----BEGIN "):
        return True
    if len(head) < 2:
        return None if len(head) == 0 or head[0] == 0x30 else False
    if head[0] != 0x30:
        return False
    pos = 2
    first = head[1]
    if first & 0x80 and first != 0x80:
        pos += first & 0x7F
    if len(head) < pos + 2:
        return None
    if head[pos] != 0x06 or head[pos + 1] & 0x80:
        return False
    end = pos + 2 + head[pos + 1]
    if len(head) < end:
        return None
    try:
        oid = core.ObjectIdentifier.load(bytes(head[pos:end])).dotted
    except ValueError:
        return False
    return oid in ENVELOPE_TYPES


# -- the store -----------------------------------------------------------------------------------------
class BidStore:
    """The folder of bid envelopes and uploads in progress (see the module's docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def upload_path(self, upload_id: str) -> Path:
        if not valid_upload_id(upload_id):
            raise ValueError("not an upload id")
        return self.root / "uploads" / f"{upload_id}.part"

    def envelope_path(self, sha256: str) -> Path:
        if not _SHA256_HEX.match(sha256 or ""):
            raise ValueError("not a SHA-256")
        return self.root / "envelopes" / sha256[:2] / sha256

    def create_upload(self, upload_id: str) -> None:
        """An empty ``.part`` file for a new upload."""
        path = self.upload_path(upload_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))

    @contextlib.contextmanager
    def open_part(self, upload_id: str) -> Iterator["PartFile | None"]:
        """The upload's file with an exclusive lock held until the block ends (None when the file is
        gone: the upload was moved into place, or removed); :class:`UploadBusy` when another request
        holds the lock."""
        path = self.upload_path(upload_id)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            yield None
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise UploadBusy(upload=upload_id) from None
                raise
            yield PartFile(fd, path)
        finally:
            os.close(fd)

    def keep(self, part: Path, sha256: str) -> Path:
        """Move a complete upload into place under its SHA-256: fsync the file, rename it, fsync the
        folders. The same bytes stored before stay as they are (the upload's copy is dropped)."""
        target = self.envelope_path(sha256)
        made = not target.parent.is_dir()
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(part, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if target.is_file():
            part.unlink(missing_ok=True)
        else:
            os.replace(part, target)
        _fsync_dir(target.parent)
        if made:
            _fsync_dir(target.parent.parent)
        _fsync_dir(part.parent)
        return target

    def discard_upload(self, upload_id: str) -> None:
        """Remove an upload's file (refused, cancelled, expired); gone already is fine."""
        running_digests.forget(upload_id)
        self.upload_path(upload_id).unlink(missing_ok=True)


@dataclass
class ChunkWritten:
    """What one PATCH wrote: ``written`` bytes (fsynced), the first bytes of the file when the chunk
    reached into them, the digests when known, and ``last_byte_at`` when the file is complete."""

    written: int
    head: bytes
    digests: Digests | None
    last_byte_at: datetime | None


class PartFile:
    """An upload's file, locked (:meth:`BidStore.open_part`)."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    def append(self, offset: int, length: int, read: Reader, digests: Digests | None, *, total: int,
               clock: Clock) -> ChunkWritten:
        """Write up to ``length`` bytes from ``read`` at ``offset`` (what lies beyond ``offset`` is
        cut off first). The clock is read the moment the byte that completes ``total`` arrives,
        before anything is flushed (R17); everything written is fsynced before this returns."""
        os.ftruncate(self.fd, offset)
        os.lseek(self.fd, offset, os.SEEK_SET)
        written, arrived = 0, None
        while written < length:
            piece = read(min(READ_PIECE, length - written))
            if not piece:
                break
            view = memoryview(piece)
            while view:
                n = os.write(self.fd, view)
                view = view[n:]
            if digests is not None:
                digests.update(piece)
            written += len(piece)
        if written and offset + written == total:
            arrived = clock.now()
        if written:
            os.fsync(self.fd)
        head = os.pread(self.fd, HEAD_BYTES, 0) if written and offset < HEAD_BYTES else b""
        return ChunkWritten(written, head, digests, arrived)

    def size(self) -> int:
        return os.fstat(self.fd).st_size


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["UploadLimits", "BidStore", "PartFile", "ChunkWritten", "Digests", "running_digests", "digest_file",
           "looks_like_envelope", "check_announcement", "valid_upload_id", "UploadNotFound", "UploadInvalid",
           "UploadOffsetMismatch", "UploadBusy", "UploadExpired", "UploadClosed", "ChunkTooLarge", "UploadTooLong",
           "ChunkIncomplete", "READ_PIECE", "ENVELOPE_TYPES"]
