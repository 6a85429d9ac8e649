"""Digests by asn1crypto name, over bytes or over a file read in chunks (never whole)."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Union

from cryptography.hazmat.primitives import hashes

#: Content to sign or verify: bytes in memory, or a path (``str`` / ``os.PathLike``) read in chunks.
Content = Union[bytes, bytearray, memoryview, str, os.PathLike]

CHUNK = 1024 * 1024

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512, "sha1": hashes.SHA1, "sm3": hashes.SM3,
}
#: Digests accepted when verifying. SHA-1 is refused (collisions are practical).
ACCEPTED_DIGESTS = frozenset({"sha224", "sha256", "sha384", "sha512", "sm3"})


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    return DIGESTS[name]()


def is_path(content: object) -> bool:
    return isinstance(content, (str, os.PathLike))


def content_size(content: Content) -> int:
    return Path(content).stat().st_size if is_path(content) else len(content)  # type: ignore[arg-type]


def iter_content(content: Content, chunk: int = CHUNK) -> Iterator[bytes]:
    """The content in pieces: a file is read ``chunk`` bytes at a time."""
    if is_path(content):
        with open(content, "rb") as fh:  # type: ignore[arg-type]
            while piece := fh.read(chunk):
                yield piece
    else:
        yield bytes(content)  # type: ignore[arg-type]


def digest(name: str, pieces: Iterable[bytes] | bytes) -> bytes:
    h = hashes.Hash(hash_algorithm(name))
    if isinstance(pieces, (bytes, bytearray, memoryview)):
        h.update(pieces)
    else:
        for piece in pieces:
            h.update(piece)
    return h.finalize()


def digest_content(name: str, content: Content) -> bytes:
    return digest(name, iter_content(content))


def read_content(content: Content) -> bytes:
    return b"".join(iter_content(content))
