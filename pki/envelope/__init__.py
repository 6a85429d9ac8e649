"""Digital envelopes (数字信封) for bids, streamed: memory stays flat whatever the file size.

- RSA and EC recipients: CMS AuthEnvelopedData with AES-256-GCM (default) or EnvelopedData with
  AES-256-CBC (``cipher='aes-256-cbc'``); RSA by RSAES-OAEP SHA-256 (or ``rsa_padding='pkcs1v15'``),
  EC by RFC 5753 ECDH (sha256kdf) with AES-256 key wrap. OpenSSL's ``cms`` command reads them.
- SM2 recipients: GM/T 0010 envelopedData with SM4-CBC, the SM4 key encrypted with SM2 under
  1.2.156.10197.1.301.3, or 301.2 with ``gmssl_compat=True`` (what GmSSL reads).

Integrity: only GCM envelopes are authenticated. A CBC envelope (AES-CBC, SM4-CBC) has no integrity
check: damage is noticed only if it breaks the structure or the padding, so a bid sealed with CBC
must carry its own integrity (the signed manifest of a bid package does). On decryption, plaintext
is written to an unnamed file (Linux ``O_TMPFILE``) and linked into place only once everything
verified, the folders above it made only then; a failure, SIGTERM or SIGKILL leaves nothing behind,
and a failure raises a specific :class:`EnvelopeError`.

Hostile framing is refused within documented limits (:mod:`pki.envelope.limits`, docs/formats.md).

Decryption takes any :class:`pki.keyops.KeyOps` (a file key or a token key) and the certificate
of that key, which picks the RecipientInfo. The opening ceremony uses the two-step API:
:func:`recipient_infos` / :func:`find_recipient_info` (the platform releases the bidder's
RecipientInfo), :func:`unwrap_content_key` (the bidder's token), :func:`decrypt_with_content_key`
(the platform).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import BinaryIO, Callable, Sequence, Union

from asn1crypto import cms as asn1_cms

from pki.envelope.errors import (EnvelopeError, IntegrityError, KeyMismatch, KeyUnwrapError, LimitExceeded,
                                 MalformedEnvelope, NotAddressedToCertificate, NotAnEnvelope, NotContentInfo, PaddingError,
                                 RecipientError, SourceChanged, UnsupportedEnvelope)
from pki.envelope.reader import EnvelopeInfo, Parsed, decrypt_parsed, finish_envelope, open_envelope
from pki.envelope.recipients import Certificate, RecipientSummary
from pki.envelope.recipients import find_recipient_info as _find_in
from pki.envelope.recipients import unwrap_content_key as _unwrap
from pki.envelope.writer import remaining_size, write_envelope
from pki.files import atomic_output, unnamed_output
from pki.keyops import KeyOps

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[int], None]


# -- encryption ---------------------------------------------------------------------------------
def encrypt_file(src_path: PathLike, dst_path: PathLike, *, recipients: Sequence[Certificate],
                 cipher: str | None = None, rsa_padding: str = "oaep", gmssl_compat: bool = False,
                 progress: Progress | None = None) -> EnvelopeInfo:
    """Seal the file ``src_path`` into the DER envelope ``dst_path`` for every certificate of
    ``recipients`` (only their certificates are needed).

    ``cipher``: 'aes-256-gcm' | 'aes-256-cbc' | 'sm4-cbc' | None (sm4-cbc for SM2 recipients, else
    aes-256-gcm). ``progress`` is called with the number of plaintext bytes done."""
    with open(src_path, "rb") as src, _atomic_output(dst_path) as dst:
        return encrypt_stream(src, dst, recipients=recipients, cipher=cipher, rsa_padding=rsa_padding,
                              gmssl_compat=gmssl_compat, progress=progress)


def encrypt_stream(src: BinaryIO, dst: BinaryIO, *, recipients: Sequence[Certificate], cipher: str | None = None,
                   rsa_padding: str = "oaep", gmssl_compat: bool = False, size: int | None = None,
                   progress: Progress | None = None) -> EnvelopeInfo:
    """Like :func:`encrypt_file` on binary streams. ``size`` (bytes left in ``src``) is found from a
    regular or seekable file; when it cannot be known, the envelope is written in BER with
    indefinite lengths (``openssl cms`` reads both)."""
    if size is None:
        size = remaining_size(src)
    return write_envelope(src, dst, recipients=recipients, cipher=cipher, rsa_padding=rsa_padding,
                          gmssl_compat=gmssl_compat, size=size, progress=progress)


# -- decryption ---------------------------------------------------------------------------------
def decrypt_file(src_path: PathLike, dst_path: PathLike, *, key: KeyOps, certificate: Certificate,
                 progress: Progress | None = None) -> EnvelopeInfo:
    """Open the envelope ``src_path`` (DER, BER or PEM) with ``key`` and its ``certificate``,
    writing the plaintext to ``dst_path`` only if everything verified.

    Raises :class:`NotAddressedToCertificate` if no RecipientInfo names the certificate,
    :class:`IntegrityError` on a bad GCM tag, :class:`PaddingError` on bad CBC padding and
    :class:`MalformedEnvelope` / :class:`KeyUnwrapError` for damaged envelopes."""
    with open(src_path, "rb") as src:
        parsed = _open(src)
        content_key = _unwrap_for(parsed, key, certificate)
        with unnamed_output(dst_path) as dst:
            return _decrypt(parsed, content_key, dst, progress)


def decrypt_stream(src: BinaryIO, dst: BinaryIO, *, key: KeyOps, certificate: Certificate,
                   progress: Progress | None = None, spool_dir: PathLike | None = None) -> EnvelopeInfo:
    """Like :func:`decrypt_file` on binary streams. The plaintext is spooled to an anonymous
    temporary file (in ``spool_dir``) and copied to ``dst`` only after it verified."""
    parsed = _open(src)
    content_key = _unwrap_for(parsed, key, certificate)
    return _decrypt_via_spool(parsed, content_key, dst, progress, spool_dir)


# -- inspection and the opening ceremony --------------------------------------------------------
def inspect(path: PathLike) -> EnvelopeInfo:
    """Describe an envelope without any key: format, content type, cipher, recipients, sizes.
    The whole structure is checked (a DER file's ciphertext is skipped, not read)."""
    with open(path, "rb") as src:
        parsed = _open(src)
        return finish_envelope(parsed, None)


def recipient_infos(path: PathLike) -> list[asn1_cms.RecipientInfo]:
    """The RecipientInfos of an envelope (``ri.dump()`` gives the DER to release at the opening)."""
    with open(path, "rb") as src:
        return _open(src).recipient_infos


def find_recipient_info(envelope: PathLike | Sequence[asn1_cms.RecipientInfo], certificate: Certificate) -> asn1_cms.RecipientInfo:
    """The RecipientInfo of ``envelope`` (a path or a list of RecipientInfos) addressed to
    ``certificate``, or :class:`NotAddressedToCertificate`."""
    infos = recipient_infos(envelope) if isinstance(envelope, (str, os.PathLike)) else list(envelope)
    return _find_in(infos, certificate)


def unwrap_content_key(recipient_info: bytes | asn1_cms.RecipientInfo, key: KeyOps, certificate: Certificate) -> bytes:
    """Recover the content-encryption key from one RecipientInfo (its DER or the asn1crypto object)
    with ``key`` (any KeyOps: the bidder's token) and the key's ``certificate``."""
    return _unwrap(recipient_info, key, certificate)


def decrypt_with_content_key(src: PathLike | BinaryIO, dst: PathLike | BinaryIO, content_key: bytes, *,
                             progress: Progress | None = None) -> EnvelopeInfo:
    """Decrypt an envelope with a content-encryption key already unwrapped (the opening's last
    step). Paths: unnamed file linked into place; streams: spooled, copied after verification."""
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as stream:
            return decrypt_with_content_key(stream, dst, content_key, progress=progress)
    parsed = _open(src)
    if isinstance(dst, (str, os.PathLike)):
        with unnamed_output(dst) as out:
            return _decrypt(parsed, content_key, out, progress)
    return _decrypt_via_spool(parsed, content_key, dst, progress, None)


# -- helpers ------------------------------------------------------------------------------------
# Parser errors become MalformedEnvelope where the bytes are parsed (reader, content, recipients), in try
# blocks no larger than the parse call: nothing here catches broadly, so a bug stays a bug.
def _open(src: BinaryIO) -> Parsed:
    return open_envelope(src)


def _unwrap_for(parsed: Parsed, key: KeyOps, certificate: Certificate) -> bytes:
    return _unwrap(_find_in(parsed.recipient_infos, certificate), key, certificate)


def _decrypt(parsed: Parsed, content_key: bytes, dst: BinaryIO, progress: Progress | None) -> EnvelopeInfo:
    return decrypt_parsed(parsed, content_key, dst.write, progress)


def _decrypt_via_spool(parsed: Parsed, content_key: bytes, dst: BinaryIO, progress: Progress | None,
                       spool_dir: PathLike | None) -> EnvelopeInfo:
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        info = _decrypt(parsed, content_key, spool, progress)
        spool.seek(0)
        shutil.copyfileobj(spool, dst, 1 << 20)
        return info


def _atomic_output(dst_path: PathLike):
    """A temporary file beside ``dst_path``, renamed onto it on success and deleted on failure.
    Not fsynced: the platform's file store makes stored envelopes durable itself."""
    return atomic_output(dst_path, durable=False)


__all__ = [
    "encrypt_file", "encrypt_stream", "decrypt_file", "decrypt_stream", "inspect", "recipient_infos",
    "find_recipient_info", "unwrap_content_key", "decrypt_with_content_key", "EnvelopeInfo",
    "RecipientSummary", "EnvelopeError", "MalformedEnvelope", "UnsupportedEnvelope",
    "NotAddressedToCertificate", "KeyMismatch", "KeyUnwrapError", "IntegrityError", "PaddingError",
    "RecipientError", "SourceChanged", "NotAnEnvelope", "NotContentInfo", "LimitExceeded",
]
