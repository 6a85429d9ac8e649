"""Proof of decryption (解密验证): what the encryption/decryption self-test (R11,
:mod:`bidding.certificates.selftest`) and the binding of an encryption certificate
(:func:`bidding.certificates.services.start_encryption_binding`) share.

1. :func:`seal_random`: random bytes are sealed in an envelope to the certificate (``pki.envelope``,
   exactly as a bid is); the caller keeps the envelope and the SHA-256 of the bytes (never the bytes)
   and hands the RecipientInfo and the platform's transport certificate to the page.
2. The page has the local agent unwrap the content key with the token and re-encrypt it to the
   transport certificate (agent protocol ``/v1/unwrap``, as at the opening).
3. :func:`check_answer`: the agent's answer is opened with the transport key, its content key
   decrypts the envelope of step 1, and the plaintext's SHA-256 is compared; the outcome says which
   step failed (:data:`OUTCOMES`).
"""
from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass

from pki.envelope import (
    EnvelopeError,
    decrypt_stream,
    decrypt_with_content_key,
    encrypt_stream,
    find_recipient_info,
)
from pki.envelope.reader import open_envelope
from pki.errors import PkiError
from pki.keyops import KeyOps

RANDOM_BYTES = 32
MAX_ANSWER_BYTES = 16 * 1024        # an envelope holding a 16- or 32-byte key is under 1 KiB

OUTCOMES = {
    "success": "数字证书加解密测试成功 (the certificate's encryption/decryption self-test succeeded)",
    "answer_unreadable": "签名助手返回的内容无法用平台传输密钥解开 (the agent's answer cannot be opened with the "
                         "platform's transport key)",
    "content_key_wrong": "返回的会话密钥解不开测试数据：私钥与证书不匹配 (the returned content key does not open the "
                         "test envelope: the key does not belong to the certificate)",
    "content_mismatch": "解密结果与平台生成的随机数据不一致 (the decrypted data differ from the platform's random data)",
}


@dataclass(frozen=True)
class SealedRandom:
    """Random bytes sealed to one certificate: what the platform keeps and what the page gets."""

    digest: str             # SHA-256 of the random bytes, hex (the bytes themselves are forgotten)
    envelope: bytes         # DER envelope of the random bytes, to the certificate
    recipient_info: bytes   # DER RecipientInfo addressed to the certificate (for /v1/unwrap)


def seal_random(certificate: object, size: int = RANDOM_BYTES) -> SealedRandom:
    """``size`` random bytes from :mod:`secrets`, sealed to ``certificate`` alone."""
    value = secrets.token_bytes(size)
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(value), out, recipients=[certificate])
    envelope = out.getvalue()
    info = find_recipient_info(open_envelope(io.BytesIO(envelope)).recipient_infos, certificate)
    return SealedRandom(hashlib.sha256(value).hexdigest(), envelope, info.dump())


class AnswerRefused(Exception):
    """The agent's answer does not open the envelope; ``outcome`` is a key of :data:`OUTCOMES`."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def open_sealed(envelope: bytes, answer: bytes, *, transport_key: KeyOps, transport_certificate: object) -> bytes:
    """The plaintext of ``envelope``, opened with the content key of the agent's ``answer`` (an
    envelope to the transport certificate); :class:`AnswerRefused` saying which step failed."""
    if len(answer) > MAX_ANSWER_BYTES:
        raise AnswerRefused("answer_unreadable")
    content_key = io.BytesIO()
    try:
        decrypt_stream(io.BytesIO(answer), content_key, key=transport_key, certificate=transport_certificate)
    except PkiError:
        raise AnswerRefused("answer_unreadable") from None
    plain = io.BytesIO()
    try:
        decrypt_with_content_key(io.BytesIO(envelope), plain, content_key.getvalue())
    except (EnvelopeError, PkiError, ValueError):
        raise AnswerRefused("content_key_wrong") from None
    return plain.getvalue()


def check_answer(envelope: bytes, digest: str, answer: bytes, *, transport_key: KeyOps,
                 transport_certificate: object) -> str:
    """The outcome (a key of :data:`OUTCOMES`) of the agent's ``answer`` for the sealed ``envelope``."""
    try:
        plain = open_sealed(envelope, answer, transport_key=transport_key, transport_certificate=transport_certificate)
    except AnswerRefused as refused:
        return refused.outcome
    if not secrets.compare_digest(hashlib.sha256(plain).hexdigest(), digest):
        return "content_mismatch"
    return "success"
