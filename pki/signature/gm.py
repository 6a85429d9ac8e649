"""GM/T 0010 signedData with SM2: the two signature flavours.

- **Standard** (GM/T 0009/0010, what CA clients and signature servers produce and check): an SM2
  signature with Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA), ID = 1234567812345678, over the *message*:
  the DER of the signed attributes (``SET OF``, as RFC 5652 §5.4 has it) when there are any, or the
  content itself when there are none. The message-digest attribute holds SM3(content).
- **GmSSL 3.x** (``gmssl cmssign``; ``vectors/sm2/sig.pem``): e = SM3(DER of the encapsulated
  ContentInfo ‖ contents of the signed attributes, without their SET header), signed **without Z**.
  Confirmed against sig.pem (no signed attributes): the signature verifies over
  ``30 19 06 0a … a0 0b 04 09 "hello bid"`` with no Z, and not with Z. GmSSL 3.x also writes fixed
  71-byte signatures (``sm2_sign_fixlen``); the compatible mode does the same.

Verification tries the standard flavour first, then GmSSL's (attributes without and, for older
GmSSL, with their SET header), and says which one verified.
"""
from __future__ import annotations

from collections.abc import Iterator

from pki.keyops import KeyOps
from pki.oids import SM2_DEFAULT_ID
from pki.signature import _der
from pki.signature._digest import Content, content_size, digest, iter_content
from pki.sm2 import Sm2PublicKey

GMSSL_SIGNATURE_LENGTH = 71
_MAX_TRIES = 64


def gmssl_message(content_type: str, content: Content, attrs_contents: bytes | None,
                  *, attrs_with_header: bool = False, attrs_message: bytes | None = None,
                  encap_content_info: bytes | None = None) -> Iterator[bytes]:
    """The bytes GmSSL hashes: encapsulated ContentInfo DER, then the signed attributes.

    When verifying, ``encap_content_info`` is the received EncapsulatedContentInfo (attached content)
    and ``attrs_message`` the received SET OF: those bytes are hashed as they are. Otherwise (signing,
    or detached content) the ContentInfo is framed here in DER around ``content``."""
    if encap_content_info is not None:
        yield encap_content_info
    else:
        yield _der.encap_header(content_type, content_size(content))
        yield from iter_content(content)
    if attrs_contents is not None:
        if attrs_with_header:
            yield attrs_message if attrs_message is not None else _der.set_of(attrs_contents)
        else:
            yield attrs_contents


def sign_gmssl(key: KeyOps, message: bytes) -> bytes:
    """SM2 without Z over SM3(message), retried until the DER is 71 bytes as GmSSL writes it."""
    signature = b""
    for _ in range(_MAX_TRIES):
        signature = key.sign(message, hash_algorithm="sm3", sm2_signer_id=None)
        if len(signature) == GMSSL_SIGNATURE_LENGTH:
            break
    return signature


def verify_sm2(public_key: Sm2PublicKey, signature: bytes, *, content: Content, content_type: str,
               attrs_message: bytes | None, attrs_contents: bytes | None,
               encap_content_info: bytes | None = None) -> str | None:
    """'gm-standard', 'gm-gmssl' or None (neither flavour verifies). ``attrs_message``: the signed
    attributes as received with the SET tag (what the standard flavour signs), ``attrs_contents`` the
    same without its header; ``encap_content_info``: the received EncapsulatedContentInfo, if attached."""
    if attrs_message is not None:
        if public_key.verify(attrs_message, signature, signer_id=SM2_DEFAULT_ID):
            return "gm-standard"
    else:
        e = digest("sm3", _with_prefix(public_key.z(SM2_DEFAULT_ID), iter_content(content)))
        if public_key.verify_digest(e, signature):
            return "gm-standard"
    variants = (False,) if attrs_contents is None else (False, True)
    for with_header in variants:
        e = digest("sm3", gmssl_message(content_type, content, attrs_contents, attrs_with_header=with_header,
                                        attrs_message=attrs_message, encap_content_info=encap_content_info))
        if public_key.verify_digest(e, signature):
            return "gm-gmssl"
    return None


def _with_prefix(prefix: bytes, pieces: Iterator[bytes]) -> Iterator[bytes]:
    yield prefix
    yield from pieces
