"""Content-encryption algorithms of envelopes and the streaming loops that run them.

Bulk ciphers come from ``cryptography`` (OpenSSL). Data moves in 1 MiB pieces through
preallocated buffers (``readinto`` / ``update_into``), so memory stays flat whatever the size.
"""
from __future__ import annotations

import contextlib
import hmac
import os
import queue
import threading
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable

from asn1crypto import algos, core
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pki.errors import ASN1_ERRORS
from pki.files import file_descriptor
from pki.envelope.errors import (IntegrityError, MalformedEnvelope, PaddingError, SourceChanged,
                                 UnsupportedEnvelope, asn1_detail)
from pki.envelope.strict import require_der

CHUNK = 1 << 20
STAGE_BELOW = 64 << 10   # pieces smaller than this are gathered before decryption
BUFFERS = 3          # output buffers in rotation: one being filled, one queued, one being written
Progress = Callable[[int], None]


class WritePipeline:
    """Hands pieces to ``write`` in a background thread, so that disk writes (which release the
    GIL and may block on dirty-page writeback) overlap the cipher. At most one piece waits in the
    queue, so with :data:`BUFFERS` output buffers in rotation a buffer is never refilled while it
    is still being written. :meth:`close` waits for the last write and re-raises its error."""

    def __init__(self, write: Callable[[memoryview], object]):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="envelope-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            piece = self._queue.get()
            if piece is None:
                return
            if self._error is None:
                try:
                    self._write(piece)
                except BaseException as exc:   # handed to the caller by __call__/close
                    self._error = exc

    def __call__(self, piece) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(piece)

    def close(self) -> None:
        self.stop()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class GcmParameters(core.Sequence):
    """RFC 5084 GCMParameters. icvLen is DEFAULT 12 there, but OpenSSL always writes it and needs
    it: optional here, so that a 12 written out is read (and re-encoded, :mod:`strict`) as given."""
    _fields = [("nonce", core.OctetString), ("icv_len", core.Integer, {"optional": True})]


# name -> (asn1crypto algorithm name, cipher class, key length, mode)
_ALGORITHMS = {
    "aes-128-gcm": ("aes128_gcm", algorithms.AES, 16, "gcm"),
    "aes-192-gcm": ("aes192_gcm", algorithms.AES, 24, "gcm"),
    "aes-256-gcm": ("aes256_gcm", algorithms.AES, 32, "gcm"),
    "aes-128-cbc": ("aes128_cbc", algorithms.AES, 16, "cbc"),
    "aes-192-cbc": ("aes192_cbc", algorithms.AES, 24, "cbc"),
    "aes-256-cbc": ("aes256_cbc", algorithms.AES, 32, "cbc"),
    "sm4-cbc": ("sm4_cbc", algorithms.SM4, 16, "cbc"),
}
_BY_ASN1 = {v[0]: k for k, v in _ALGORITHMS.items()}
WRITABLE = ("aes-256-gcm", "aes-256-cbc", "sm4-cbc")


@dataclass(frozen=True)
class ContentAlgorithm:
    """One content-encryption algorithm with its parameters (IV or nonce, tag length)."""

    name: str                  # 'aes-256-gcm', 'aes-256-cbc', 'sm4-cbc', ...
    iv: bytes
    tag_length: int = 16       # GCM only

    @property
    def aead(self) -> bool:
        return _ALGORITHMS[self.name][3] == "gcm"

    @property
    def key_length(self) -> int:
        return _ALGORITHMS[self.name][2]

    @classmethod
    def new(cls, name: str) -> "ContentAlgorithm":
        if name not in WRITABLE:
            raise UnsupportedEnvelope(f"content cipher {name!r}; choose one of {', '.join(WRITABLE)}")
        return cls(name, os.urandom(12 if _ALGORITHMS[name][3] == "gcm" else 16))

    def ciphertext_length(self, plaintext_length: int) -> int:
        return plaintext_length if self.aead else (plaintext_length // 16 + 1) * 16

    def identifier(self) -> bytes:
        """DER of the AlgorithmIdentifier."""
        asn1_name = _ALGORITHMS[self.name][0]
        if self.aead:
            params = GcmParameters({"nonce": self.iv, "icv_len": self.tag_length})
            return algos.EncryptionAlgorithm({"algorithm": asn1_name,
                                              "parameters": core.Any.load(params.dump())}).dump()
        return algos.EncryptionAlgorithm({"algorithm": asn1_name, "parameters": self.iv}).dump()

    @classmethod
    def from_identifier(cls, der: bytes) -> "ContentAlgorithm":
        try:
            alg = algos.EncryptionAlgorithm.load(der)
            asn1_name = alg["algorithm"].native
            name = _BY_ASN1.get(asn1_name)
            if name is None:
                raise UnsupportedEnvelope(f"content cipher {alg['algorithm'].dotted}")
            require_der(algos.EncryptionAlgorithm, der, "contentEncryptionAlgorithm")
            if _ALGORITHMS[name][3] == "gcm":
                raw_params = alg["parameters"].dump()
                require_der(GcmParameters, raw_params, "GCM parameters")
                params = GcmParameters.load(raw_params)
                iv, tag_len = params["nonce"].native, params["icv_len"].native
                if tag_len is None:
                    tag_len = 12
                if not 12 <= tag_len <= 16:
                    raise MalformedEnvelope(f"GCM tag length {tag_len}")
                if not iv:
                    raise MalformedEnvelope("empty GCM nonce")
                return cls(name, iv, tag_len)
            iv = alg["parameters"].native
        except ASN1_ERRORS as exc:
            raise MalformedEnvelope(asn1_detail("content-encryption algorithm", exc)) from None
        if not isinstance(iv, bytes) or len(iv) != 16:
            raise MalformedEnvelope("CBC IV is not 16 bytes")
        return cls(name, iv)

    def _cipher(self, key: bytes, tag: bytes | None = None) -> Cipher:
        if len(key) != self.key_length:
            raise MalformedEnvelope(f"content key of {len(key)} bytes for {self.name}")
        algorithm = _ALGORITHMS[self.name][1](key)
        try:
            if self.aead:
                return Cipher(algorithm, modes.GCM(self.iv, tag, min_tag_length=self.tag_length))
            return Cipher(algorithm, modes.CBC(self.iv))
        except ValueError as exc:
            raise MalformedEnvelope(f"{self.name} parameters: {exc}") from None


def encrypt_stream(alg: ContentAlgorithm, key: bytes, src: BinaryIO, write: Callable[[memoryview], object],
                   *, expected: int | None, progress: Progress | None = None) -> tuple[bytes, int]:
    """Encrypt ``src`` to ``write``; return the GCM tag (b'' for CBC) and the plaintext size.
    ``write`` receives ciphertext pieces (views of reused buffers) from a writer thread, in order.
    ``expected`` is the plaintext size, if known."""
    enc = alg._cipher(key).encryptor()
    inbuf = bytearray(CHUNK)
    inview = memoryview(inbuf)
    outbufs = [bytearray(CHUNK + 32) for _ in range(BUFFERS)]
    readinto = getattr(src, "readinto", None)
    _advise_sequential(src)
    pipe = WritePipeline(write)
    done = turn = 0
    try:
        while True:
            if readinto is not None:
                n = readinto(inview) or 0
            else:
                data = src.read(CHUNK)
                n = len(data)
                inview[:n] = data
            if n == 0:
                break
            done += n
            if expected is not None and done > expected:
                raise SourceChanged(expected, done)
            out = outbufs[turn % BUFFERS]
            turn += 1
            m = enc.update_into(inview[:n], out)
            if m:
                pipe(memoryview(out)[:m])
            if progress:
                progress(done)
        if expected is not None and done != expected:
            raise SourceChanged(expected, done)
        tail = b""
        if not alg.aead:
            pad = 16 - done % 16
            tail = enc.update(bytes((pad,)) * pad)
        tail += enc.finalize()
        if tail:
            pipe(memoryview(tail))
        pipe.close()
    finally:
        pipe.stop()
    return (enc.tag if alg.aead else b""), done


def _advise_sequential(stream) -> None:
    fd = file_descriptor(stream)
    if fd is None:
        return
    with contextlib.suppress(OSError):   # a pipe (ESPIPE): advice is only a hint
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)


class ContentDecryptor:
    """Feeds ciphertext pieces through the cipher into ``write``; CBC keeps the last block back
    until the end to strip its padding. Call :meth:`finish` with the GCM tag (or None for CBC)."""

    def __init__(self, alg: ContentAlgorithm, key: bytes, write: Callable[[memoryview], object],
                 progress: Progress | None = None):
        self.alg = alg
        self._ctx = alg._cipher(key).decryptor()
        self._pipe = WritePipeline(write)
        self._write = self._pipe
        self._bufs = [bytearray(0) for _ in range(BUFFERS)]   # sized on first use: small envelopes stay cheap
        self._turn = 0
        self._carry = b""
        self._progress = progress
        self.ciphertext_length = 0
        self.plaintext_length = 0

    def feed_all(self, chunks: Iterable[memoryview]) -> None:
        """Decrypt every piece of ``chunks`` in order. Small pieces (BER segments, however tiny) are
        gathered into one buffer and decrypted a :data:`CHUNK` at a time, so the cipher is called
        about once per MiB whatever the framing."""
        stage = bytearray()
        for piece in chunks:
            if len(piece) < STAGE_BELOW:
                stage += piece
                if len(stage) < CHUNK:
                    continue
                piece = b""
            if stage:
                with memoryview(stage) as view:
                    self._feed(view)
                del stage[:]
            if piece:
                self._feed(piece)
        if stage:
            with memoryview(stage) as view:
                self._feed(view)

    def _feed(self, piece: memoryview) -> None:
        ctx, write, bufs = self._ctx, self._write, self._bufs
        for start in range(0, len(piece), CHUNK):
            part = piece[start:start + CHUNK]
            k = self._turn % BUFFERS
            self._turn += 1
            if len(bufs[k]) < len(part) + 32:
                bufs[k] = bytearray(len(part) + 32 if len(part) < CHUNK else CHUNK + 32)
            out = bufs[k]
            outview = memoryview(out)
            self.ciphertext_length += len(part)
            m = ctx.update_into(part, out)
            if self.alg.aead:
                if m:
                    write(outview[:m])
                    self.plaintext_length += m
            else:
                self._cbc_out(outview[:m])
        if self._progress:
            self._progress(self.ciphertext_length)

    def _cbc_out(self, data: memoryview) -> None:
        if len(data) >= 16:
            if self._carry:
                self._write(memoryview(self._carry))
                self.plaintext_length += len(self._carry)
            body = data[:-16]
            if body:
                self._write(body)
                self.plaintext_length += len(body)
            self._carry = bytes(data[-16:])
        elif data:
            both = self._carry + bytes(data)
            if len(both) > 16:
                self._write(memoryview(both[:-16]))
                self.plaintext_length += len(both) - 16
            self._carry = both[-16:]

    def close(self) -> None:
        """Wait for the last write (after :meth:`finish`); re-raise a write error."""
        self._pipe.close()

    def abort(self) -> None:
        self._pipe.stop()

    def finish(self, tag: bytes | None) -> None:
        if self.alg.aead:
            if tag is None or len(tag) != self.alg.tag_length:
                raise IntegrityError()
            try:
                tail = self._ctx.finalize_with_tag(tag)
            except InvalidTag:
                raise IntegrityError() from None
            if tail:
                self._write(memoryview(tail))
                self.plaintext_length += len(tail)
            return
        try:
            tail = self._ctx.finalize()
        except ValueError:
            raise MalformedEnvelope("CBC ciphertext is not a whole number of blocks") from None
        if tail:
            self._cbc_out(memoryview(tail))
        block = self._carry
        if len(block) != 16:
            raise MalformedEnvelope("CBC ciphertext is not a whole number of blocks")
        pad = block[-1]
        if not 1 <= pad <= 16 or not hmac.compare_digest(block[-pad:], bytes((pad,)) * pad):
            raise PaddingError()
        if pad < 16:
            self._write(memoryview(block[:-pad]))
            self.plaintext_length += 16 - pad
        self._carry = b""
