"""The key-release statement (密钥释放声明, docs/opening.md "The bidder's step"): what a bidder signs
when its key hands a bid's content-encryption key to the platform at the opening.

    {"context":"…","envelope_sha256":"…","opening_certificate_sha256":"…","recipient_info_sha256":"…",
     "signed_at":"2026-12-02T08:00:01Z","type":"bid-key-release","unwrapped_with":"…","version":1}

RFC 8785 canonical JSON (:mod:`pki.receipts.canonical`), signed detached (CMS or GM/T 0010) by a
signing certificate of the bidder. The bidder's side runs in steps, so a token is logged in for one
operation at a time (the agent opens the decryption key, then the signing key):

    sealed = seal_content_key(ri_der, key=dec_key, certificate=dec_cert, opening_certificate=oc)
    statement = build_key_release(context=ctx, envelope=sealed, recipient_info=ri_der,
                                  unwrapped_with=dec_cert, opening_certificate=oc, signed_at=now)
    sig = sign_key_release(statement, key=sig_key, certificate=sig_cert, chain=chain, signed_at=now)

or :func:`release_key` when both keys are at hand. The platform reads it with
:func:`read_key_release`. No database here: ``bidtool`` imports this module.
"""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms

from bidding.opening.errors import KeyReleaseInvalid
from pki import envelope, signature
from pki.certs import AnyCertificate, fingerprint_sha256
from pki.errors import ASN1_ERRORS
from pki.keyops import KeyOps
from pki.receipts.canonical import JsonRefused, canonical_json, read_canonical

KEY_RELEASE_TYPE = "bid-key-release"
KEY_RELEASE_VERSION = 1
#: The one-time context's longest form (the platform's are 43 characters; the agent takes 512).
MAX_CONTEXT = 512
#: A statement is a few hundred bytes; anything much larger is not one.
MAX_STATEMENT = 4096
MEMBERS = frozenset({"context", "envelope_sha256", "opening_certificate_sha256", "recipient_info_sha256",
                     "signed_at", "type", "unwrapped_with", "version"})
DIGEST_MEMBERS = ("envelope_sha256", "opening_certificate_sha256", "recipient_info_sha256", "unwrapped_with")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_CONTEXT = re.compile(rf"[\x21-\x7e]{{1,{MAX_CONTEXT}}}")


@dataclass(frozen=True)
class KeyRelease:
    """A statement as read: every member checked for type and form."""

    context: str
    envelope_sha256: str
    opening_certificate_sha256: str
    recipient_info_sha256: str
    signed_at: datetime
    unwrapped_with: str


@dataclass(frozen=True)
class ReleasedKey:
    """What the bidder hands back: the sealed key, the statement and its signature (all DER/bytes)."""

    envelope: bytes
    statement: bytes
    signature: bytes

    def to_dict(self) -> dict[str, bytes]:
        return {"envelope": self.envelope, "statement": self.statement, "signature": self.signature}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_seconds(at: datetime) -> str:
    """``2026-12-02T08:00:01Z``: UTC, whole seconds."""
    if at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_key_release(*, context: str, envelope: bytes, recipient_info: bytes, unwrapped_with: AnyCertificate,
                      opening_certificate: AnyCertificate, signed_at: datetime) -> bytes:
    """The canonical statement bytes (``envelope`` and ``recipient_info`` are the DER exactly as
    sent and as released)."""
    if not isinstance(context, str) or not _CONTEXT.fullmatch(context):
        raise KeyReleaseInvalid(f"context 须为 1 至 {MAX_CONTEXT} 个可打印 ASCII 字符 (the context must be 1 to "
                                f"{MAX_CONTEXT} printable ASCII characters)", reason="context")
    return canonical_json({
        "context": context,
        "envelope_sha256": sha256_hex(envelope),
        "opening_certificate_sha256": fingerprint_sha256(opening_certificate),
        "recipient_info_sha256": sha256_hex(recipient_info),
        "signed_at": format_seconds(signed_at),
        "type": KEY_RELEASE_TYPE,
        "unwrapped_with": fingerprint_sha256(unwrapped_with),
        "version": KEY_RELEASE_VERSION,
    })


def read_key_release(data: bytes) -> KeyRelease:
    """Read a statement strictly: canonical JSON, exactly the members above, each of its type and
    form. Raises :class:`KeyReleaseInvalid` with the reason."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_STATEMENT:
        raise _invalid("声明过大或不是字节串", f"the statement is not bytes of at most {MAX_STATEMENT}")
    try:
        value = read_canonical(bytes(data))
    except JsonRefused as exc:
        raise _invalid("声明不是规范 JSON (RFC 8785)", f"not canonical JSON: {exc.detail}") from None
    if not isinstance(value, dict):
        raise _invalid("声明须为 JSON 对象", "not a JSON object")
    if set(value) != MEMBERS:
        missing, extra = sorted(MEMBERS - set(value)), sorted(set(value) - MEMBERS)
        raise _invalid("声明的字段不符", f"members differ: missing {missing}, unexpected {extra}")
    if value["type"] != KEY_RELEASE_TYPE or type(value["version"]) is not int or value["version"] != KEY_RELEASE_VERSION:
        raise _invalid("声明类型或版本不符", f"type must be {KEY_RELEASE_TYPE!r}, version {KEY_RELEASE_VERSION}")
    for name in DIGEST_MEMBERS:
        if not isinstance(value[name], str) or not _HEX64.fullmatch(value[name]):
            raise _invalid(f"{name} 须为 64 位小写十六进制", f"{name} must be 64 lowercase hex digits")
    if not isinstance(value["context"], str) or not _CONTEXT.fullmatch(value["context"]):
        raise _invalid("context 格式有误", f"context must be 1 to {MAX_CONTEXT} printable ASCII characters")
    signed_at = _parse_seconds(value["signed_at"])
    return KeyRelease(context=value["context"], envelope_sha256=value["envelope_sha256"],
                      opening_certificate_sha256=value["opening_certificate_sha256"],
                      recipient_info_sha256=value["recipient_info_sha256"], signed_at=signed_at,
                      unwrapped_with=value["unwrapped_with"])


def _parse_seconds(text: Any) -> datetime:
    if not isinstance(text, str) or not _SECONDS.fullmatch(text):
        raise _invalid("signed_at 格式有误", "signed_at must look like 2026-12-02T08:00:01Z")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _invalid("signed_at 不是有效时间", "signed_at is not a valid time") from None


def _invalid(zh: str, en: str) -> KeyReleaseInvalid:
    return KeyReleaseInvalid(f"密钥释放声明有误：{zh} (the key-release statement is malformed: {en})", reason=en)


# -- the bidder's side ---------------------------------------------------------------------------
def load_recipient_info(der: bytes) -> cms.RecipientInfo:
    """A released RecipientInfo, parsed strictly (ktri or kari)."""
    try:
        ri = cms.RecipientInfo.load(der, strict=True)
        _ = ri.native
    except ASN1_ERRORS:
        raise KeyReleaseInvalid("recipient_info 不是有效的 RecipientInfo (recipient_info is not a DER RecipientInfo)",
                                reason="recipient_info") from None
    if ri.name not in ("ktri", "kari"):
        raise KeyReleaseInvalid(f"不支持的 RecipientInfo 类型 (unsupported RecipientInfo choice {ri.name})",
                                reason="recipient_info")
    return ri


def seal_content_key(recipient_info: bytes | cms.RecipientInfo, *, key: KeyOps, certificate: AnyCertificate,
                     opening_certificate: AnyCertificate) -> bytes:
    """Unwrap the content key with the bidder's ``key`` (its decryption ``certificate``) and seal it
    to the tender's opening certificate: the DER envelope whose content is the key. The key is never
    returned in clear."""
    ri = load_recipient_info(recipient_info) if isinstance(recipient_info, bytes) else recipient_info
    content_key = envelope.unwrap_content_key(ri, key, certificate)
    return seal_to(content_key, opening_certificate)


def seal_to(content_key: bytes, opening_certificate: AnyCertificate) -> bytes:
    """An envelope addressed to ``opening_certificate`` only, holding ``content_key``."""
    out = io.BytesIO()
    envelope.encrypt_stream(io.BytesIO(content_key), out, recipients=[opening_certificate], size=len(content_key))
    return out.getvalue()


def sign_key_release(statement: bytes, *, key: KeyOps, certificate: AnyCertificate,
                     chain: Sequence[AnyCertificate] = (), signed_at: datetime) -> bytes:
    """The bidder's detached signature (CMS, or GM/T 0010 for SM2) over the statement bytes."""
    return signature.sign(statement, key=key, certificate=certificate, chain=chain, detached=True,
                          signing_time=signed_at)


def release_key(recipient_info: bytes, *, decrypt_key: KeyOps, decrypt_cert: AnyCertificate, sign_key: KeyOps,
                sign_cert: AnyCertificate, opening_certificate: AnyCertificate, context: str,
                chain: Sequence[AnyCertificate] = (), now: datetime) -> ReleasedKey:
    """All three steps with both keys at hand (``bidtool open``, tests)."""
    sealed = seal_content_key(recipient_info, key=decrypt_key, certificate=decrypt_cert,
                              opening_certificate=opening_certificate)
    statement = build_key_release(context=context, envelope=sealed, recipient_info=recipient_info,
                                  unwrapped_with=decrypt_cert, opening_certificate=opening_certificate,
                                  signed_at=now)
    sig = sign_key_release(statement, key=sign_key, certificate=sign_cert, chain=chain, signed_at=now)
    return ReleasedKey(sealed, statement, sig)


__all__ = [
    "KEY_RELEASE_TYPE",
    "KEY_RELEASE_VERSION",
    "MAX_CONTEXT",
    "KeyRelease",
    "ReleasedKey",
    "build_key_release",
    "format_seconds",
    "load_recipient_info",
    "read_key_release",
    "release_key",
    "seal_content_key",
    "seal_to",
    "sha256_hex",
    "sign_key_release",
]
