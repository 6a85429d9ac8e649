"""The CA adapter of the certificate service desk: what the platform forwards to a CA once its own
rules (R5, R7, R8, R10, R21) allow a request, and the development CA's implementation.

A CA answers a renewal, subject change or key replacement with the new certificate (DER); the desk
binds it in place of the old one. Secrets the CA side needs (the SO PIN of a token, the password of a
key file it generates) belong to the gateway, never to the domain: the desk only names the token.

Every refusal of the CA is a :class:`pki.errors.PkiError`; the desk turns it into its own refusal.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pki import pkcs11 as tokens
from pki.certs import to_asn1
from pki.devca import DevCA, DevCaError
from pki.pkcs11.uri import parse as parse_uri


@dataclass(frozen=True)
class Handler:
    """The person handling the party's certificates (经办人) as a request names them."""

    name: str
    id_last4: str
    phone: str

    def normalised(self) -> "Handler":
        return Handler(self.name.strip(), self.id_last4.strip().upper(), self.phone.strip().replace(" ", ""))


class CaGateway(Protocol):
    """What the service desk asks of a CA. ``certificate_der``: the bound certificate."""

    def renew(self, certificate_der: bytes, *, years: int, public_key: bytes | None = None,
              at: datetime) -> bytes: ...

    def change_subject(self, certificate_der: bytes, *, name: str, public_key: bytes | None = None,
                       at: datetime) -> bytes: ...

    def replace_key(self, certificate_der: bytes, *, public_key: bytes | None = None, at: datetime) -> bytes: ...

    def revoke(self, serial: str, *, reason: str, at: datetime) -> None: ...

    def unlock(self, certificate_der: bytes, *, handler: Handler, token_label: str | None = None) -> str:
        """Unlock the token holding the certificate's key; returns the token's label."""
        ...


#: token label → (SO PIN, the user PIN the unlock sets): what the development CA "knows" of the
#: tokens it handed out (the demo's SECRETS.txt, or a test's own tokens)
TokenSecrets = Callable[[str], tuple[str, str] | None]


class DevCaGateway:
    """:class:`CaGateway` over :class:`pki.devca.DevCA`.

    Keys: a renewal or subject change certifies the public key given, else the old certificate's
    own key again (the token or key file goes on working, the PIN stays: R7); a lost-key
    replacement certifies the public key given, else the dev CA generates a new key file (PKCS#12 or
    SM2 PEM under its ``keys/``, protected by ``key_password``). Unlock: the SO PIN from
    ``token_secrets`` through :func:`pki.pkcs11.unlock_with_so_pin`.
    """

    def __init__(self, ca: DevCA, *, key_password: bytes,
                 token_secrets: TokenSecrets | Mapping[str, tuple[str, str]] = dict()) -> None:  # noqa: B006
        self.ca = ca
        self.key_password = key_password
        self._secrets = token_secrets.get if isinstance(token_secrets, Mapping) else token_secrets

    def renew(self, certificate_der: bytes, *, years: int, public_key: bytes | None = None,
              at: datetime) -> bytes:
        serial, cert = self._serial(certificate_der)
        rec = self.ca.renew(serial, years=years, public_key=public_key or cert.public_key, at=at)
        return self.ca.certificate(rec.serial).dump()

    def change_subject(self, certificate_der: bytes, *, name: str, public_key: bytes | None = None,
                       at: datetime) -> bytes:
        serial, cert = self._serial(certificate_der)
        old = self.ca.record(serial).identity
        identity = (dataclasses.replace(old, organization=name) if old.kind == "legal_representative"
                    else dataclasses.replace(old, name=name))
        rec = self.ca.change_subject(serial, identity, public_key=public_key or cert.public_key, at=at)
        return self.ca.certificate(rec.serial).dump()

    def replace_key(self, certificate_der: bytes, *, public_key: bytes | None = None, at: datetime) -> bytes:
        serial, _ = self._serial(certificate_der)
        password = None if public_key else self.key_password
        rec = self.ca.replace_lost_key(serial, public_key=public_key, password=password, at=at)
        return self.ca.certificate(rec.serial).dump()

    def revoke(self, serial: str, *, reason: str, at: datetime) -> None:
        self.ca.revoke(int(serial, 16), reason, at=at)

    def unlock(self, certificate_der: bytes, *, handler: Handler, token_label: str | None = None) -> str:
        serial, _ = self._serial(certificate_der)
        label = token_label or self._token_of(serial)
        known = self._secrets(label) if label else None
        if not label or known is None:
            raise DevCaError(f"开发 CA 不知道令牌 {label or '（未指明）'} 的 SO PIN，无法解锁 (the development CA "
                             f"holds no SO PIN for token {label or '(none named)'})")
        so_pin, user_pin = known
        tokens.unlock_with_so_pin(label, so_pin, user_pin)
        return label

    def _serial(self, certificate_der: bytes):
        cert = to_asn1(certificate_der)
        serial = cert.serial_number
        self.ca.record(serial)           # UnknownCertificate when the dev CA did not issue it
        return serial, cert

    def _token_of(self, serial: int) -> str | None:
        location = self.ca.record(serial).key_location
        if not location:
            return None
        return parse_uri(location).token
