"""The verifiable expert draw (可验证的专家抽取), as pure functions: no database, no clock.

Anyone holding the pool snapshot, the revealed seed and the commitment can recompute a draw with
:func:`verify_draw`; docs/experts.md states every byte so that it can be redone in another language.

- The **snapshot** is the canonical JSON (RFC 8785, :func:`pki.receipts.canonical.canonical_json`)
  of the eligible experts sorted by id: ``[{"id": …, "name": …, "region": …}, …]``; its SHA-256 is
  the snapshot digest.
- The **commitment** is SHA-256 of the UTF-8 text
  ``"ebid-expert-draw-v1\\n" + tender + "\\n" + snapshot_sha256 + "\\n" + seed_hex`` (hex lowercase).
- The **order** is a Fisher–Yates shuffle of the snapshot's entries driven by
  HMAC-SHA256(key=seed, message=counter as 8 bytes big-endian), counter 0, 1, 2, …; for
  i = n−1 … 1 a value r (the 32-byte MAC as a big-endian integer) is taken, rejected while
  r ≥ 2**256 − (2**256 mod (i+1)), and j = r mod (i+1) swaps entries i and j. The first N of the
  shuffled list are called, the next R are the reserves in order.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pki.receipts.canonical import canonical_json

DOMAIN = "ebid-expert-draw-v1"
SEED_BYTES = 32
_SPACE = 1 << 256


class SeedMismatch(ValueError):
    """The seed (with the tender and the snapshot) does not hash to the commitment."""


@dataclass(frozen=True)
class Snapshot:
    """The canonical snapshot of the eligible pool and its SHA-256 (hex)."""

    data: bytes
    sha256: str

    @property
    def entries(self) -> list[dict[str, Any]]:
        return json.loads(self.data)


def snapshot_of(entries: Sequence[dict[str, Any]]) -> Snapshot:
    """The snapshot of ``entries`` (each with an integer ``id``), sorted by id."""
    data = canonical_json(sorted((dict(e) for e in entries), key=lambda e: e["id"]))
    return Snapshot(data, hashlib.sha256(data).hexdigest())


def new_seed() -> bytes:
    """32 random bytes from :mod:`secrets`."""
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes, *, tender: str, snapshot_sha256: str) -> str:
    """The commitment to ``seed`` for ``tender`` over the snapshot (SHA-256, hex)."""
    text = f"{DOMAIN}\n{tender}\n{snapshot_sha256}\n{seed.hex()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_order(seed: bytes, snapshot: bytes) -> list[int]:
    """The expert ids of ``snapshot`` (canonical JSON bytes) in the order the seed draws them."""
    ids = [entry["id"] for entry in json.loads(snapshot)]
    counter = 0
    for i in range(len(ids) - 1, 0, -1):
        bound = i + 1
        limit = _SPACE - (_SPACE % bound)
        while True:
            mac = hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
            value = int.from_bytes(mac, "big")
            if value < limit:
                break
        j = value % bound
        ids[i], ids[j] = ids[j], ids[i]
    return ids


def verify_draw(snapshot: bytes, seed: bytes, commitment_hex: str, *, tender: str) -> list[int]:
    """Recompute a draw: the order of :func:`draw_order`, after checking that ``seed`` matches
    ``commitment_hex`` for ``tender`` and this snapshot; :class:`SeedMismatch` otherwise."""
    expected = commitment(seed, tender=tender, snapshot_sha256=hashlib.sha256(snapshot).hexdigest())
    if not hmac.compare_digest(expected, commitment_hex.lower()):
        raise SeedMismatch("种子与承诺值不符 (the seed does not match its commitment)")
    return draw_order(seed, snapshot)


__all__ = [
    "DOMAIN",
    "SEED_BYTES",
    "SeedMismatch",
    "Snapshot",
    "commitment",
    "draw_order",
    "new_seed",
    "snapshot_of",
    "verify_draw",
]
