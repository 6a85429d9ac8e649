"""Document files in the file store, kept under their SHA-256 and written atomically (temporary
name, fsync, rename: :mod:`pki.files`): ``documents/<sha256>`` for the revisions of a document,
``stamping/<sha256>`` for a prepared PDF waiting for its signature. A file is read back only when
its bytes still have the digest the database recorded."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bidding.documents.errors import DocumentFileDamaged
from pki.files import write_atomic

REVISIONS = "documents"
PREPARED = "stamping"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def file_path(store: Path, area: str, sha256: str) -> Path:
    """Where the file with this SHA-256 is kept in ``area`` (:data:`REVISIONS` or :data:`PREPARED`)."""
    if area not in (REVISIONS, PREPARED) or not _SHA256.match(sha256 or ""):
        raise ValueError("not a document file")
    return Path(store) / area / sha256


def put(store: Path, area: str, data: bytes) -> str:
    """Keep ``data`` (once: the same bytes are the same file); returns its SHA-256 (hex)."""
    digest = hashlib.sha256(data).hexdigest()
    path = file_path(store, area, digest)
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        write_atomic(path, data, mode=0o640)
    return digest


def get(store: Path, area: str, sha256: str) -> bytes:
    """The file's bytes, checked against ``sha256``; :class:`DocumentFileDamaged` when it is missing
    or its bytes changed."""
    path = file_path(store, area, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentFileDamaged(sha256=sha256) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DocumentFileDamaged(sha256=sha256)
    return data


def discard(store: Path, area: str, sha256: str) -> None:
    """Remove a file that is no longer needed (a prepared PDF after its stamp); gone already is fine."""
    file_path(store, area, sha256).unlink(missing_ok=True)
