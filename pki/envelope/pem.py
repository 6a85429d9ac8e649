"""Streaming PEM: base64 is decoded piece by piece, so a PEM envelope is never held in memory."""
from __future__ import annotations

import binascii

from pki.envelope.der import Source
from pki.envelope.errors import MalformedEnvelope, NotContentInfo

LABELS = (b"CMS", b"PKCS7")
_WHITESPACE = b" \t\r\n"


def looks_like_pem(src: Source) -> bool:
    return src.peek(64).lstrip(b"\xef\xbb\xbf" + _WHITESPACE).startswith(b"-----BEGIN ")


class PemDecoder:
    """A raw binary stream (``readinto``) of the DER inside ``-----BEGIN CMS-----`` armour."""

    def __init__(self, src: Source, text_chunk: int = 1 << 20):
        self._src = src
        self._chunk = text_chunk
        self._pending = memoryview(b"")
        self._carry = b""
        self._done = False
        self._begin()

    def _begin(self) -> None:
        for _ in range(64):
            line = self._src.readline().strip(b"\xef\xbb\xbf" + _WHITESPACE)
            if line:
                break
        else:
            raise MalformedEnvelope("no PEM header")
        label = line[len(b"-----BEGIN "):].rstrip(b"-").strip() if line.startswith(b"-----BEGIN ") else None
        if label not in LABELS:      # another kind of PEM (a certificate, a key): not an envelope
            raise NotContentInfo(f"PEM header {line[:40]!r}")
        self._label = label

    def _decode_more(self) -> None:
        text = bytes(self._src.chunk(self._chunk))
        if not text:
            raise MalformedEnvelope("PEM without its -----END line")
        dash = text.find(b"-")
        if dash >= 0:
            self._check_end(text[dash:] + self._src.peek(128))
            text = text[:dash]
            self._done = True
        data = self._carry + text.translate(None, _WHITESPACE)
        keep = 0 if self._done else len(data) % 4
        self._carry = data[len(data) - keep:] if keep else b""
        try:
            self._pending = memoryview(binascii.a2b_base64(data[:len(data) - keep], strict_mode=True))
        except binascii.Error as exc:
            raise MalformedEnvelope(f"bad base64 in PEM: {exc}") from None

    def _check_end(self, tail: bytes) -> None:
        """The END line must close what BEGIN opened: ``-----END <same label>-----``."""
        if not tail.startswith(b"-----END"):
            raise MalformedEnvelope("unexpected '-' inside the PEM body")
        line = tail.split(b"\n", 1)[0].rstrip(b"\r \t")
        if line != b"-----END " + self._label + b"-----":
            raise MalformedEnvelope(f"PEM END line {line[:40]!r} does not match BEGIN {self._label.decode()}")

    def readinto(self, buffer) -> int:
        while not self._pending and not self._done:
            self._decode_more()
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
