"""The keys the agent offers: certificates on the configured tokens and the configured key files.

- A token (``--pkcs11 URI``) is read each time the certificates are listed, so a key plugged in
  later appears. Listing needs no PIN: it opens a public session and offers every certificate that
  has a key pair under the same ``CKA_ID`` (how CA clients and :mod:`pki.devca.tokens` store them),
  recognised by the public key object with that ``CKA_ID`` (private keys are invisible before
  log-in); a ``object=`` / ``id=`` in the URI narrows the choice. The private key itself is found
  by that ``CKA_ID`` after log-in, and checked against the certificate, at every operation.
- A key file (``--key FILE --cert CERT``) must be encrypted (PKCS#8 or PKCS#12): the password is its
  PIN, asked per operation and counted (:mod:`bidtool.agent.pins`).

:meth:`Keystore.key` opens a key for one operation: a token is logged in with the process-wide
PKCS#11 lock held for the whole operation and logged out afterwards, so no PIN and no logged-in
session outlive a request.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pkcs11 import Attribute, ObjectClass
from pkcs11 import exceptions as p11err

from bidtool.agent.config import AgentConfig
from bidtool.agent.errors import (
    AgentError,
    KeyCertificateMismatch,
    UnknownCertificate,
    UnknownToken,
)
from bidtool.agent.pins import KeyFileCounter, key_file_state_dir
from bidtool.agent.protocol import certificate_id
from bidtool.errors import ToolError
from pki.certs import CertificateError, load_certificate, load_certificates
from pki.errors import PkiError
from pki.keyops import FileKey, KeyOps
from pki.keys import (
    KeyError_,
    WrongPassword,
    key_matches_certificate,
    load_pkcs12,
    load_private_key,
)
from pki.pkcs11 import PinStatus, Pkcs11Uri, close_sessions, open_token, pin_status
from pki.pkcs11.library import load_library, locked, module_for
from pki.pkcs11.lookup import find_token, token_serial, token_uri
from pki.pkcs11.spki import spki_of

log = logging.getLogger("bidtool.agent")


@dataclass(frozen=True)
class TokenState:
    """A configured token as found now."""

    uri: Pkcs11Uri
    label: str
    serial: str
    present: bool
    pins: PinStatus | None = None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "serial": self.serial, "present": self.present,
                "pin_tries_left": self.pins.remaining if self.pins else None,
                "locked": self.pins.locked if self.pins else None, "problem": self.problem}


@dataclass(frozen=True)
class Credential:
    """A certificate whose private key the agent can use, and where that key is."""

    certificate: x509.Certificate
    token: TokenState | None = None
    key_id: bytes | None = None
    key_file: Path | None = None
    counter: KeyFileCounter | None = None

    @property
    def id(self) -> str:
        return certificate_id(self.certificate)

    def location(self) -> dict[str, Any]:
        if self.token is not None:
            return {"type": "token", "token": self.token.label, "token_serial": self.token.serial,
                    "pin_tries_left": self.token.pins.remaining if self.token.pins else None,
                    "locked": self.token.pins.locked if self.token.pins else None}
        status = self.counter.status() if self.counter else None
        assert self.key_file is not None
        return {"type": "file", "file": self.key_file.name,
                "pin_tries_left": status.remaining if status else None,
                "locked": status.locked if status else None}


@dataclass(frozen=True)
class _KeyFile:
    key: Path
    certificate: x509.Certificate


class Keystore:
    """The configured tokens and key files."""

    def __init__(self, config: AgentConfig):
        self._tokens = [_token_uri(u) for u in config.tokens]
        self._files = [_key_file(e.key, e.cert) for e in config.key_files]
        self._chain = [c for path in config.chain for c in _certificates(path)]
        self._state = key_file_state_dir(config.state_dir)

    # -- listing -----------------------------------------------------------------------------------
    def scan(self) -> tuple[list[TokenState], list[Credential]]:
        """Every configured token as found now, and every usable certificate."""
        states, creds = [], []
        for uri in self._tokens:
            state, found = self._scan_token(uri)
            states.append(state)
            creds += found
        for entry in self._files:
            creds.append(Credential(entry.certificate, key_file=entry.key, counter=self._counter(entry.key)))
        unique: dict[str, Credential] = {}
        for cred in creds:
            unique.setdefault(cred.id, cred)
        return states, list(unique.values())

    def find(self, cert_id: str) -> Credential:
        for cred in self.scan()[1]:
            if cred.id == cert_id.lower():
                return cred
        raise UnknownCertificate()

    def find_token(self, label: str) -> TokenState:
        for state in self.scan()[0]:
            if state.present and state.label == label:
                return state
        raise UnknownToken()

    def chain_for(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """The configured CA certificates above ``cert``, up to (not including) its root."""
        out: list[x509.Certificate] = []
        current = cert
        while len(out) < 8:
            issuer = next((c for c in self._chain if c.subject == current.issuer and c.dump() != current.dump()), None)
            if issuer is None or issuer.self_signed != "no":
                break
            out.append(issuer)
            current = issuer
        return out

    # -- using a key ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def key(self, cred: Credential, pin: str) -> Iterator[KeyOps]:
        """The private key of ``cred`` for one operation, opened with ``pin``."""
        if cred.token is not None:
            with locked():
                try:
                    session = open_token(cred.token.uri, pin=pin)
                    key = session.find_key(key_id=cred.key_id)
                    _check_pair(key, cred.certificate)
                    yield key
                finally:
                    close_sessions()
            return
        assert cred.key_file is not None
        try:
            data = cred.key_file.read_bytes()
        except OSError as exc:
            raise AgentError(f"无法读取私钥文件 {cred.key_file.name} (cannot read the key file "
                             f"{cred.key_file.name}: {exc.strerror})", status=503) from None
        counter = KeyFileCounter(self._state, cred.key_file, data)
        with counter.attempt() as attempt:
            try:
                private = _load_key(cred.key_file, data, pin.encode("utf-8"))
            except WrongPassword:
                raise attempt.failed() from None
            attempt.succeeded()
        key = FileKey(private)
        _check_pair(key, cred.certificate)
        yield key

    # -- helpers --------------------------------------------------------------------------------
    def _counter(self, path: Path) -> KeyFileCounter | None:
        try:
            return KeyFileCounter(self._state, path, path.read_bytes())
        except OSError:
            return None

    def _scan_token(self, uri: Pkcs11Uri) -> tuple[TokenState, list[Credential]]:
        name = uri.token or uri.serial or uri.format()
        try:
            lib = load_library(module_for(uri, None))
            with locked():
                token = find_token(lib, uri)
                label, serial = token.label.strip(), token_serial(token)
                with token.open() as session:
                    found = _token_certificates(session, uri)
            exact = Pkcs11Uri(token=label, manufacturer=token.manufacturer_id.strip(), model=token.model.strip(),
                              serial=serial, module_path=uri.module_path, module_name=uri.module_name)
            state = TokenState(exact, label, serial, True, pins=pin_status(exact))
        except (PkiError, p11err.PKCS11Error) as exc:
            problem = exc.message if isinstance(exc, PkiError) else f"PKCS#11: {type(exc).__name__}"
            log.info("token %s not available: %s", name, problem)
            return TokenState(uri, uri.token or "", uri.serial or "", False, problem=problem), []
        return state, [Credential(cert, token=state, key_id=key_id) for cert, key_id in found]


def _token_certificates(session: Any, uri: Pkcs11Uri) -> list[tuple[x509.Certificate, bytes]]:
    """Certificates with a key pair under the same CKA_ID (caller holds the lock)."""
    publics: dict[bytes, list[Any]] = {}
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY}):
        publics.setdefault(_attr(obj, Attribute.ID), []).append(obj)
    privates = {_attr(obj, Attribute.ID) for obj in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})}
    out = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        key_id = _attr(obj, Attribute.ID)
        if not key_id or (uri.id is not None and key_id != uri.id):
            continue
        if uri.object is not None and obj[Attribute.LABEL] != uri.object:
            continue
        try:
            cert = load_certificate(_attr(obj, Attribute.VALUE))
        except CertificateError:
            continue
        paired = key_id in privates or any(key_matches_certificate(spki_of(p), cert) for p in publics.get(key_id, ()))
        if paired:
            out.append((cert, key_id))
    return out


def _attr(obj: Any, attribute: Attribute) -> bytes:
    try:
        return bytes(obj[attribute] or b"")
    except (p11err.PKCS11Error, KeyError, TypeError):
        return b""


def _check_pair(key: KeyOps, cert: x509.Certificate) -> None:
    if not key_matches_certificate(key, cert):
        raise KeyCertificateMismatch()


# -- configuration checks (at start-up: a refusal stops the agent with one line) ----------------------
def _token_uri(text: str) -> Pkcs11Uri:
    try:
        uri = token_uri(text)
    except PkiError as exc:
        raise ToolError(f"--pkcs11 {text}: {exc}") from exc
    if uri.pin_value is not None or uri.pin_source is not None:
        raise ToolError("--pkcs11 URI 不能含 PIN：助手每次操作时向用户索取 PIN "
                        "(the URI must not carry a PIN: the agent asks for it at every operation)")
    if uri.type not in (None, "private", "cert"):
        raise ToolError(f"--pkcs11 URI 的 type 须为 private 或 cert (type={uri.type} names no key)")
    return uri


def _key_file(key: Path, cert_path: Path) -> _KeyFile:
    certs = _certificates(cert_path)
    data = _read(key)
    try:
        _load_key(key, data, None)
    except KeyError_:
        pass                # encrypted (or unreadable: that is said at the first use, with a password)
    else:
        raise ToolError(f"{key}: 私钥文件未加密，助手只使用加密的私钥文件 (the key file is not encrypted: "
                        f"the agent uses encrypted PKCS#8 or PKCS#12 key files only)")
    return _KeyFile(key, certs[0])


def _load_key(path: Path, data: bytes, password: bytes | None):
    if path.suffix.lower() in (".p12", ".pfx"):
        private, _, _ = load_pkcs12(data, password)
        if private is None:
            raise KeyError_(f"{path.name}: PKCS#12 中没有私钥 (no private key in the PKCS#12 file)")
        return private
    return load_private_key(data, password)


def _certificates(path: Path) -> list[x509.Certificate]:
    try:
        certs = load_certificates(_read(path))
    except CertificateError as exc:
        raise ToolError(f"{path}: {exc}") from exc
    if not certs:
        raise ToolError(f"{path}: 没有证书 (no certificate in the file)")
    return certs


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ToolError(f"无法读取 {path} (cannot read {path}: {exc.strerror})") from exc


__all__ = ["Keystore", "Credential", "TokenState"]
