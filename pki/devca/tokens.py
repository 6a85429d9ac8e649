"""Certificates for keys generated on a PKCS#11 token (SoftHSM2 in development), issued by the
development CA.

The key pair is generated on the token (private key sensitive, never extractable: see
:meth:`pki.pkcs11.TokenSession.generate_keypair`), the CA certifies the public key, and the
certificate is stored on the token with the same ``CKA_ID`` as the key pair, as CA clients do. The
result names the key by its RFC 7512 URI (no PIN in it), which ``bidtool --pkcs11 URI`` and
:func:`pki.pkcs11.open_key` accept. The CA's index remembers the URI (``key_location``).

SoftHSM has no SM2 mechanisms (``shared/STACK.md``): SM2 keys stay in encrypted PKCS#8 files.
"""
from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import keys as akeys
from pkcs11 import Attribute
from pkcs11 import exceptions as p11err

from pki.devca.ca import DevCA
from pki.devca.errors import AlgorithmNotOffered
from pki.devca.records import IssuedCertificate
from pki.devca.rules import AUTO
from pki.errors import PkiError
from pki.identity import PartyIdentity
from pki.pkcs11 import TokenError, TokenSession

#: Key algorithm of the CA -> key kind generated on the token.
TOKEN_KEY_KINDS = {"rsa": "rsa2048", "ec": "ec-p256"}


@dataclass(frozen=True)
class TokenCertificate:
    """A certificate whose private key lives on a token."""

    record: IssuedCertificate
    token_label: str
    key_label: str
    key_id: bytes
    key_uri: str            # pkcs11:…;type=private, without PIN

    @property
    def serial(self) -> int:
        return self.record.serial


def token_key_kind(algorithm: str) -> str:
    """The token key kind for a CA key algorithm ('rsa' → 'rsa2048', 'ec' → 'ec-p256')."""
    try:
        return TOKEN_KEY_KINDS[algorithm]
    except KeyError:
        raise AlgorithmNotOffered(f"令牌上不能生成 {algorithm.upper()} 密钥（SoftHSM 不支持 SM2，请用密钥文件） "
                                  f"(a {algorithm} key cannot be generated on the token: use rsa or ec; SM2 keys "
                                  f"live in encrypted key files)") from None


def issue_to_token(ca: DevCA, session: TokenSession, profile: str, identity: PartyIdentity, *,
                   algorithm: str = "rsa", purpose: str = "signing", years: int = 1,
                   label: str | None = None, key_id: bytes | None = None, seal_kind: str | None = AUTO,
                   at: datetime | None = None) -> TokenCertificate:
    """Generate a key pair on the token of ``session``, have ``ca`` certify it for ``identity``
    (profile, purpose, service years and seal as in :meth:`DevCA.issue`), store the certificate
    on the token with the key's ``CKA_ID``, and return the key's URI.

    ``label`` (default ``<purpose>-<alg>-<random>``) names the key pair and the certificate;
    ``key_id`` defaults to 8 random bytes. Nothing is left behind when a step fails: the key pair
    is destroyed, and a certificate already issued is revoked.
    """
    if algorithm not in ca.profile(profile).chains:
        raise AlgorithmNotOffered(f"{ca.profile(profile).name} 不提供 {algorithm.upper()} 证书 (profile {profile} "
                                  f"offers {', '.join(ca.profile(profile).chains)}, not {algorithm})")
    token_key_kind(algorithm)
    return _on_token(ca, session, algorithm, purpose, label, key_id,
                     lambda spki: ca.issue(profile, identity, public_key=spki, algorithm=algorithm,
                                           purpose=purpose, years=years, seal_kind=seal_kind, at=at))


def renew_on_token(ca: DevCA, session: TokenSession, serial: int, *, years: int = 1, label: str | None = None,
                   at: datetime | None = None) -> TokenCertificate:
    """R7 renewal with a new key pair generated on the token (the PIN stays)."""
    old = ca.record(serial)
    return _on_token(ca, session, old.algorithm, old.purpose, label, None,
                     lambda spki: ca.renew(serial, years=years, public_key=spki, at=at))


def replace_key_on_token(ca: DevCA, session: TokenSession, serial: int, *, label: str | None = None,
                         at: datetime | None = None) -> TokenCertificate:
    """R8 lost-key replacement onto a (new) token: the old certificate is revoked, the expiry stays."""
    old = ca.record(serial)
    return _on_token(ca, session, old.algorithm, old.purpose, label, None,
                     lambda spki: ca.replace_lost_key(serial, public_key=spki, at=at))


def change_subject_on_token(ca: DevCA, session: TokenSession, serial: int, identity: PartyIdentity, *,
                            label: str | None = None, at: datetime | None = None) -> TokenCertificate:
    """R5 subject change with a new key pair on the token; the old certificate is revoked."""
    old = ca.record(serial)
    return _on_token(ca, session, old.algorithm, old.purpose, label, None,
                     lambda spki: ca.change_subject(serial, identity, public_key=spki, at=at))


def _on_token(ca: DevCA, session: TokenSession, algorithm: str, purpose: str, label: str | None,
              key_id: bytes | None, issue: Callable[[akeys.PublicKeyInfo], IssuedCertificate]) -> TokenCertificate:
    kind = token_key_kind(algorithm)
    key_id = key_id or secrets.token_bytes(8)
    label = label or f"{purpose}-{algorithm}-{key_id.hex()[:8]}"
    key = session.generate_keypair(kind, label=label, key_id=key_id)
    record: IssuedCertificate | None = None
    try:
        record = issue(key.public_key_info())
        session.store_certificate(ca.certificate(record.serial).dump(), label=label, key_id=key_id)
        uri = key.uri().format()
        record = ca.set_key_location(record.serial, uri)
    except BaseException:
        _destroy(session, key_id)
        if record is not None and record.status == "valid":
            with contextlib.suppress(PkiError, OSError):    # keep the original error
                ca.revoke(record.serial, "cessation_of_operation")
        raise
    return TokenCertificate(record=record, token_label=session.label, key_label=label, key_id=key_id, key_uri=uri)


def _destroy(session: TokenSession, key_id: bytes) -> None:
    """Remove every object with ``key_id`` (clean-up after a failed issuance)."""
    with contextlib.suppress(p11err.PKCS11Error, TokenError):    # keep the error that caused the clean-up
        with session.raw() as raw:
            for obj in list(raw.get_objects({Attribute.ID: key_id})):
                obj.destroy()


__all__ = ["TOKEN_KEY_KINDS", "TokenCertificate", "token_key_kind", "issue_to_token",
           "renew_on_token", "replace_key_on_token", "change_subject_on_token"]
