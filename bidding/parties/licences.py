"""Business licences (营业执照) in the file store: accepted by their bytes, not by a name or a
browser's header, and kept under their SHA-256 (``licences/<sha256>``), written atomically
(temporary name, fsync, rename: :mod:`pki.files`)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from bidding.parties.errors import LicenceRefused, LicenceTooLarge
from pki.files import write_atomic

MAX_LICENCE_BYTES = 10 * 1024 * 1024
#: magic bytes → media type; nothing else is taken
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Licence:
    """A checked licence file, not stored yet."""

    data: bytes
    media_type: str
    sha256: str
    filename: str


def check_licence(data: bytes, filename: str, *, max_bytes: int = MAX_LICENCE_BYTES) -> Licence:
    """The licence if its size is within ``max_bytes`` and its bytes begin as a PDF, PNG or JPEG
    does; else :class:`LicenceTooLarge` or :class:`LicenceRefused`."""
    if len(data) > max_bytes:
        raise LicenceTooLarge(f"营业执照文件不得超过 {max_bytes // (1024 * 1024)} MiB (the business licence may have "
                              f"at most {max_bytes} bytes)", max_bytes=max_bytes)
    media_type = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    if not data or media_type is None:
        raise LicenceRefused()
    name = Path((filename or "licence").replace("\\", "/")).name[:200] or "licence"
    return Licence(data, media_type, hashlib.sha256(data).hexdigest(), name)


def licence_path(store: Path, sha256: str) -> Path:
    """Where the licence with this SHA-256 is kept."""
    if not _SHA256.match(sha256 or ""):
        raise ValueError("not a SHA-256")
    return Path(store) / "licences" / sha256


def store_licence(store: Path, licence: Licence) -> bool:
    """Write the licence (once: the same bytes are the same file); True when a new file was made."""
    path = licence_path(store, licence.sha256)
    if path.is_file():
        return False
    write_atomic(path, licence.data, mode=0o640)
    return True
