"""The process's logged-in session on one token: generating key pairs, storing and finding
certificates and keys (:class:`TokenSession`, made by :func:`pki.pkcs11.open_token`)."""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

from asn1crypto import keys as akeys, x509 as ax509
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11err
from pkcs11.util.ec import encode_named_curve_parameters

from pki.keys import key_matches_certificate
from pki.pkcs11.errors import (CertificateKeyMismatch, TokenError, TokenObjectAmbiguous, TokenObjectExists,
                               TokenObjectNotFound, TokenSessionClosed)
from pki.pkcs11.key import TokenKey
from pki.pkcs11.library import Library, locked, sessions
from pki.pkcs11.lookup import token_serial
from pki.pkcs11.spki import rsa_spki, spki_of
from pki.pkcs11.uri import Pkcs11Uri

KEY_KINDS = ("rsa2048", "rsa3072", "ec-p256")


class TokenSession:
    """The process's logged-in session on one token (made by :func:`pki.pkcs11.open_token`)."""

    def __init__(self, lib: Library, token: Any, session: Any, pin_digest: bytes):
        self._lib = lib
        self._token = token
        self._session = session
        self._pin_digest = pin_digest
        self._valid = True
        self._pid = os.getpid()
        self.label: str = token.label.strip()
        self.serial: str = token_serial(token)
        self.manufacturer: str = token.manufacturer_id.strip()
        self.model: str = token.model.strip()
        self.oaep_sha256_native: bool | None = None    # learnt on first use

    def __repr__(self) -> str:
        return f"TokenSession({self.label!r}, serial={self.serial}, valid={self._valid})"

    def uri(self, **attributes: Any) -> Pkcs11Uri:
        """A URI naming this token (plus optional object attributes)."""
        return Pkcs11Uri(token=self.label, manufacturer=self.manufacturer, model=self.model,
                         serial=self.serial, **attributes)

    @contextlib.contextmanager
    def raw(self) -> Iterator[Any]:
        """The python-pkcs11 session, with the process lock held (inspection and tests only)."""
        with locked():
            self._check()
            yield self._session

    def generate_keypair(self, kind: str, *, label: str, key_id: bytes) -> TokenKey:
        """Generate a key pair on the token: private key sensitive and never extractable, both halves
        stored with ``label`` and the same ``CKA_ID``."""
        if kind not in KEY_KINDS:
            raise TokenError(f"不支持的密钥类型 (unsupported key kind {kind!r}; use {', '.join(KEY_KINDS)})")
        if not key_id:
            raise TokenError("CKA_ID 不能为空 (key_id must not be empty)")
        common = {Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id}
        private = {**common, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                   Attribute.EXTRACTABLE: False, Attribute.SIGN: True, Attribute.UNWRAP: False,
                   Attribute.DECRYPT: kind.startswith("rsa"), Attribute.DERIVE: kind == "ec-p256"}
        public = {**common, Attribute.PRIVATE: False, Attribute.VERIFY: True, Attribute.WRAP: False,
                  Attribute.ENCRYPT: kind.startswith("rsa")}
        with self.raw() as session:
            if self._objects(label=label) or self._objects(key_id=key_id):
                raise TokenObjectExists(f"令牌上已有同名或同 ID 的对象 (an object with label {label!r} "
                                        f"or id {key_id.hex()} already exists)")
            try:
                if kind.startswith("rsa"):
                    session.generate_keypair(
                        KeyType.RSA, int(kind[3:]), store=True, mechanism=Mechanism.RSA_PKCS_KEY_PAIR_GEN,
                        public_template={**public, Attribute.PUBLIC_EXPONENT: b"\x01\x00\x01"},
                        private_template=private)
                else:
                    params = session.create_domain_parameters(
                        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                        local=True)
                    params.generate_keypair(store=True, mechanism=Mechanism.EC_KEY_PAIR_GEN,
                                            public_template=public, private_template=private)
            except p11err.PKCS11Error as exc:
                raise TokenError(f"生成密钥失败 (key generation failed: {type(exc).__name__})") from exc
            return self.find_key(key_id=key_id)

    def store_certificate(self, cert_der: bytes, *, label: str, key_id: bytes) -> None:
        """Store an X.509 certificate with the ``CKA_ID`` of its key pair (checked if the key is there)."""
        try:
            cert = ax509.Certificate.load(cert_der)
            spki = cert.public_key
        except ValueError as exc:
            raise TokenError(f"证书无法解析 (certificate unreadable: {exc})") from exc
        with self.raw() as session:
            publics = self._objects(key_id=key_id, object_class=ObjectClass.PUBLIC_KEY)
            if publics and not key_matches_certificate(spki_of(publics[0]), spki):
                raise CertificateKeyMismatch(f"证书公钥与 ID {key_id.hex()} 的密钥不符 "
                                             f"(the certificate does not match key id {key_id.hex()})")
            if self._objects(key_id=key_id, object_class=ObjectClass.CERTIFICATE):
                raise TokenObjectExists(f"ID {key_id.hex()} 已有证书 (a certificate with this id exists)")
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.PRIVATE: False,
                Attribute.LABEL: label, Attribute.ID: key_id, Attribute.VALUE: cert_der,
                Attribute.SUBJECT: cert.subject.dump(), Attribute.ISSUER: cert.issuer.dump(),
                Attribute.SERIAL_NUMBER: cert["tbs_certificate"]["serial_number"].dump(),
            })

    def find_certificate(self, *, label: str | None = None, key_id: bytes | None = None) -> bytes:
        """The DER of the one certificate matching ``label`` and/or ``key_id``."""
        with self.raw():
            cert = self._one(ObjectClass.CERTIFICATE, label, key_id)
            return bytes(cert[Attribute.VALUE])

    def find_key(self, *, label: str | None = None, key_id: bytes | None = None) -> TokenKey:
        """The one private key matching ``label`` and/or ``key_id``, with its public key."""
        if label is None and key_id is None:
            raise TokenError("需要 label 或 key_id (give label and/or key_id)")
        with self.raw():
            private = self._one(ObjectClass.PRIVATE_KEY, label, key_id)
            obj_id = bytes(private[Attribute.ID] or b"")
            obj_label = private[Attribute.LABEL]
            spki = self._public_of(private, obj_id, obj_label)
            return TokenKey(self, private, spki, label=obj_label, key_id=obj_id)

    def destroy_objects(self, *, key_id: bytes) -> int:
        """Destroy every object with ``key_id`` (the private and public key, a certificate): a key
        whose use is over leaves the token. Returns how many were destroyed."""
        if not key_id:
            raise TokenError("CKA_ID 不能为空 (key_id must not be empty)")
        with self.raw():
            found = self._objects(key_id=key_id)
            try:
                for obj in found:
                    obj.destroy()
            except p11err.PKCS11Error as exc:
                raise TokenError(f"销毁令牌对象失败 (destroying objects failed: {type(exc).__name__})") from exc
            return len(found)

    def _public_of(self, private: Any, key_id: bytes, label: str) -> akeys.PublicKeyInfo:
        for object_class in (ObjectClass.PUBLIC_KEY, ObjectClass.CERTIFICATE):
            found = (self._objects(key_id=key_id, object_class=object_class) if key_id
                     else self._objects(label=label, object_class=object_class))
            if found:
                if object_class == ObjectClass.CERTIFICATE:
                    return ax509.Certificate.load(bytes(found[0][Attribute.VALUE])).public_key
                return spki_of(found[0])
        if private.key_type == KeyType.RSA:
            return rsa_spki(private[Attribute.MODULUS], private[Attribute.PUBLIC_EXPONENT])
        raise TokenObjectNotFound(f"找不到私钥对应的公钥或证书 (no public key or certificate for "
                                  f"key {label!r})")

    def _one(self, object_class: ObjectClass, label: str | None, key_id: bytes | None) -> Any:
        found = self._objects(label=label, key_id=key_id, object_class=object_class)
        what = f"label={label!r} id={key_id.hex() if key_id is not None else None}"
        if not found:
            raise TokenObjectNotFound(f"令牌上找不到对象 (no {object_class.name.lower()} with {what} "
                                      f"on token {self.label!r})")
        if len(found) > 1:
            raise TokenObjectAmbiguous(f"匹配到多个对象 ({len(found)} objects match {what})")
        return found[0]

    def _objects(self, *, label: str | None = None, key_id: bytes | None = None,
                 object_class: ObjectClass | None = None) -> list[Any]:
        attrs: dict[Attribute, Any] = {}
        if label is not None:
            attrs[Attribute.LABEL] = label
        if key_id is not None:
            attrs[Attribute.ID] = key_id
        if object_class is not None:
            attrs[Attribute.CLASS] = object_class
        return list(self._session.get_objects(attrs))

    def _check(self) -> None:
        if not self._valid or self._pid != os.getpid():   # a forked child must log in again
            raise TokenSessionClosed(f"令牌会话已关闭，请重新打开 (the session on token {self.label!r} "
                                     f"was closed: open the key again)")

    def _close(self) -> None:
        """Log out and close (caller holds the lock)."""
        if not self._valid:
            return
        self._valid = False
        for key, value in list(sessions.items()):
            if value is self:
                del sessions[key]
        with contextlib.suppress(p11err.PKCS11Error):
            self._lib.logout(self._session.handle)
            self._session.close()


__all__ = ["KEY_KINDS", "TokenSession"]
