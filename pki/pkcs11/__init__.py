"""Private keys on a PKCS#11 token (SoftHSM2 in development, a real token or HSM in production).

The private key is generated on the token, sensitive and non-extractable; :class:`TokenKey`
implements :class:`pki.keyops.KeyOps`, so envelopes and signatures use it exactly like a key file.

What SoftHSM2 2.6.1 and python-pkcs11 0.10.1 need (``shared/STACK.md``), and how this module copes:

- Concurrent calls crash the process: one process-wide lock (:data:`_LOCK`) is held around *every*
  PKCS#11 call, and one logged-in session per token is kept and shared by the process.
- OAEP with SHA-256 is refused (``CKR_ARGUMENTS_BAD``): raw RSA on the token and OAEP decoding here,
  with one uniform error; switch off with ``configure(allow_raw_rsa=False)`` where raw RSA is banned.
- ``CKM_ECDSA`` returns r‖s over a digest hashed here; it is DER-encoded before leaving.
- The user PIN never locks: :class:`PinCounter` counts failures in a file (R9: 10 wrong PINs lock the
  token; unlocking is a service request done with the SO PIN, :func:`unlock_with_so_pin`).
- python-pkcs11 leaves a session open when ``C_Login`` fails, so login is done here with ``C_Login``
  through ctypes on a session this module owns and closes.
- SoftHSM reads ``SOFTHSM2_CONF`` once per ``C_Initialize``: :func:`reinitialize` reinitialises
  the library, which invalidates every open session (their keys then raise :class:`TokenSessionClosed`).
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import pkcs11
from asn1crypto import core as acore, keys as akeys, x509 as ax509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils as asym_utils
from pkcs11 import KDF, MGF, Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11err
from pkcs11.util.ec import encode_named_curve_parameters

from pki.files import write_atomic
from pki.keyops import KeyOperationError
from pki.pkcs11.uri import Pkcs11Uri, parse as parse_uri
from pki.sm2 import is_sm2_spki

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
KEY_KINDS = ("rsa2048", "rsa3072", "ec-p256")
DEFAULT_SM2_SIGNER_ID = b"1234567812345678"

_CKU_SO, _CKU_USER = 0, 1
_CKR_OK = 0x0
_CKR_WRONG_PIN = {0xA0, 0xA1, 0xA2}          # PIN_INCORRECT, PIN_INVALID, PIN_LEN_RANGE
_CKR_PIN_LOCKED = 0xA4
_CKR_USER_ALREADY_LOGGED_IN = 0x100
_CKR_NAMES = {0xA0: "CKR_PIN_INCORRECT", 0xA1: "CKR_PIN_INVALID", 0xA2: "CKR_PIN_LEN_RANGE",
              0xA3: "CKR_PIN_EXPIRED", 0xA4: "CKR_PIN_LOCKED", 0x100: "CKR_USER_ALREADY_LOGGED_IN",
              0x102: "CKR_USER_PIN_NOT_INITIALIZED", 0x104: "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
              0xB7: "CKR_SESSION_READ_ONLY_EXISTS", 0xE0: "CKR_TOKEN_NOT_PRESENT"}

_HASH_MECHS = {  # name -> (digest mechanism, MGF1, digest length, RSA PKCS#1, RSA PSS)
    "sha256": (Mechanism.SHA256, MGF.SHA256, 32, Mechanism.SHA256_RSA_PKCS, Mechanism.SHA256_RSA_PKCS_PSS),
    "sha384": (Mechanism.SHA384, MGF.SHA384, 48, Mechanism.SHA384_RSA_PKCS, Mechanism.SHA384_RSA_PKCS_PSS),
    "sha512": (Mechanism.SHA512, MGF.SHA512, 64, Mechanism.SHA512_RSA_PKCS, Mechanism.SHA512_RSA_PKCS_PSS),
}
_OAEP_HASHES = {"sha1": (Mechanism.SHA_1, MGF.SHA1), "sha256": (Mechanism.SHA256, MGF.SHA256)}
_NO_SUCH_MECHANISM = (p11err.ArgumentsBad, p11err.MechanismInvalid, p11err.MechanismParamInvalid)

# One lock for every PKCS#11 call in the process (python-pkcs11 runs SoftHSM without locking and
# releases the GIL: two threads in the library at once crash the interpreter).
_LOCK = threading.RLock()
_PIN_DIGEST_KEY = os.urandom(32)


# --------------------------------------------------------------------------------------- errors

class TokenError(KeyOperationError):
    """A token refused or failed an operation."""


class TokenNotFound(TokenError):
    """No token (or more than one) matches the URI or label."""


class TokenObjectNotFound(TokenError):
    """No key or certificate on the token matches."""


class TokenObjectAmbiguous(TokenError):
    """More than one object matches where exactly one was needed."""


class TokenObjectExists(TokenError):
    """An object with this label or CKA_ID is already on the token."""


class PinRequired(TokenError):
    """No PIN was given (argument, pin-value or pin-source)."""


class TokenLoginError(TokenError):
    """Logging in to the token failed."""


class PinIncorrect(TokenLoginError):
    """Wrong user PIN; ``remaining`` attempts are left before the token locks."""

    def __init__(self, remaining: int):
        self.remaining = remaining
        super().__init__(f"PIN 码错误，还可尝试 {remaining} 次 (wrong PIN: {remaining} attempts left "
                         f"before the token locks)")


class TokenLocked(TokenLoginError):
    """The token is locked after too many wrong PINs: unlocking is a service request (R9)."""

    def __init__(self, failures: int):
        self.failures = failures
        super().__init__(f"介质已锁定（PIN 码连续错误 {failures} 次），请提交解锁申请 "
                         f"(token locked after {failures} wrong PINs: request an unlock)")


class SoPinIncorrect(TokenLoginError):
    """Wrong security officer (SO) PIN."""


class TokenSessionClosed(TokenError):
    """The session behind a key was closed (library reinitialised, token relocked): open it again."""


class MechanismUnavailable(TokenError):
    """The token cannot do this (SM2 on SoftHSM, OAEP-SHA256 with raw RSA forbidden, …)."""


class RsaDecryptionFailed(TokenError):
    """The one error for every RSA decryption failure (padding, label hash, length, token refusal)."""

    def __init__(self) -> None:
        super().__init__("RSA 解密失败 (RSA decryption failed)")


class CertificateKeyMismatch(TokenError):
    """A certificate does not carry the public key of the key pair with the same CKA_ID."""


# ------------------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class TokenSettings:
    """Process-wide token settings. ``pin_state_dir`` holds the PIN failure counters; by default, for
    SoftHSM, ``pin-state/`` beside the configured token directory."""

    module: str = os.environ.get("PKI_PKCS11_MODULE", DEFAULT_MODULE)
    allow_raw_rsa: bool = True
    pin_state_dir: Path | None = None
    max_pin_attempts: int = 10


_settings = TokenSettings()


def configure(**changes: Any) -> TokenSettings:
    """Change settings (``module``, ``allow_raw_rsa``, ``pin_state_dir``, ``max_pin_attempts``)."""
    global _settings
    with _LOCK:
        if "pin_state_dir" in changes and changes["pin_state_dir"] is not None:
            changes["pin_state_dir"] = Path(changes["pin_state_dir"])
        _settings = replace(_settings, **changes)
        return _settings


def settings() -> TokenSettings:
    """The current settings."""
    return _settings


# -------------------------------------------------------------------------------------- library

class _Library:
    """A loaded PKCS#11 module: python-pkcs11's handle plus ctypes entry points for login."""

    def __init__(self, path: str):
        self.path = path
        self.lib = pkcs11.lib(path)
        # dlopen of the same path returns the same instance, so these calls share the library state.
        self.c = ctypes.CDLL(path)
        for name, args in (("C_Login", [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_ulong]),
                           ("C_Logout", [ctypes.c_ulong])):
            fn = getattr(self.c, name)
            fn.argtypes, fn.restype = args, ctypes.c_ulong
        self.pid = os.getpid()

    def login(self, handle: int, user_type: int, pin: str) -> int:
        data = pin.encode("utf-8")
        return self.c.C_Login(handle, user_type, data, len(data))

    def logout(self, handle: int) -> int:
        return self.c.C_Logout(handle)


_libraries: dict[str, _Library] = {}
_sessions: dict[tuple[str, str, str, str], "TokenSession"] = {}


def _library(module: str | None = None) -> _Library:
    path = os.path.abspath(module or _settings.module)
    with _LOCK:
        entry = _libraries.get(path)
        if entry is None:
            if not os.path.isfile(path):
                raise TokenError(f"找不到 PKCS#11 模块 (PKCS#11 module not found: {path})")
            entry = _libraries[path] = _Library(path)
        elif entry.pid != os.getpid():      # forked child: PKCS#11 must be initialised again
            _invalidate(path)
            with contextlib.suppress(p11err.PKCS11Error):
                entry.lib.finalize()
            entry.lib.initialize()
            entry.pid = os.getpid()
        return entry


def reinitialize(module: str | None = None) -> None:
    """Finalise and initialise the module again (SoftHSM then rereads ``SOFTHSM2_CONF``).
    Every open session of that module is invalidated."""
    path = os.path.abspath(module or _settings.module)
    with _LOCK:
        entry = _libraries.get(path)
        if entry is None:
            return
        _invalidate(path)
        entry.lib.reinitialize()


def close_sessions() -> None:
    """Log out of and close every cached session (shutdown, tests)."""
    with _LOCK:
        for session in list(_sessions.values()):
            session._close()


def _invalidate(path: str) -> None:
    for key, session in list(_sessions.items()):
        if key[0] == path:
            session._valid = False
            del _sessions[key]


def _reinit_lock_after_fork() -> None:
    global _LOCK
    _LOCK = threading.RLock()


os.register_at_fork(after_in_child=_reinit_lock_after_fork)


# ---------------------------------------------------------------------------- PIN failure count

@dataclass(frozen=True)
class PinStatus:
    """Failure count of a token's user PIN."""

    failures: int
    remaining: int
    locked: bool


class PinCounter:
    """Persistent count of wrong user PINs for one token (R9), shared by every process on the host.

    A JSON file written atomically (temporary file, fsync, rename); an ``flock`` on a companion
    file serialises the read-modify-write across processes.
    """

    def __init__(self, state_dir: Path, token_key: str, *, label: str, max_attempts: int):
        state_dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(token_key.encode("utf-8")).hexdigest()[:32]
        self.path = state_dir / f"pin-{name}.json"
        self._lock_path = state_dir / f"pin-{name}.lock"
        self.label = label
        self.max_attempts = max_attempts

    @contextlib.contextmanager
    def transaction(self) -> Iterator["PinCounter"]:
        with open(self._lock_path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield self
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def status(self) -> PinStatus:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            failures = int(data["failures"])
        except FileNotFoundError:
            failures = 0
        except (ValueError, KeyError, TypeError) as exc:
            # Fail closed: an unreadable counter must not reopen a locked token.
            raise TokenError(f"PIN 计数文件损坏 (PIN failure counter unreadable: {self.path})") from exc
        return PinStatus(failures=failures, remaining=max(self.max_attempts - failures, 0),
                         locked=failures >= self.max_attempts)

    def record_failure(self) -> PinStatus:
        return self._write(self.status().failures + 1)

    def lock(self) -> PinStatus:
        return self._write(max(self.status().failures, self.max_attempts))

    def reset(self) -> PinStatus:
        return self._write(0)

    def _write(self, failures: int) -> PinStatus:
        text = json.dumps({"label": self.label, "failures": failures}, ensure_ascii=False)
        write_atomic(self.path, text.encode("utf-8"), mode=0o600)
        return PinStatus(failures=failures, remaining=max(self.max_attempts - failures, 0),
                         locked=failures >= self.max_attempts)


def _pin_state_dir(module_path: str) -> Path:
    if _settings.pin_state_dir is not None:
        return _settings.pin_state_dir
    if "softhsm" in os.path.basename(module_path):
        conf = Path(os.environ.get("SOFTHSM2_CONF", "/etc/softhsm/softhsm2.conf"))
        try:
            for line in conf.read_text(encoding="utf-8").splitlines():
                name, eq, value = line.partition("=")
                if eq and name.strip() == "directories.tokendir":
                    return Path(value.strip()).parent / "pin-state"
        except OSError as exc:
            raise TokenError(f"无法读取 SoftHSM 配置 (cannot read {conf}: {exc})") from exc
    raise TokenError("未配置 PIN 计数目录 (no pin_state_dir configured: call "
                     "pki.pkcs11.configure(pin_state_dir=…))")


def _counter(lib: _Library, token: Any) -> PinCounter:
    return PinCounter(_pin_state_dir(lib.path), "|".join(_token_key(lib, token)[1:]),
                      label=token.label, max_attempts=_settings.max_pin_attempts)


def pin_status(token: str | Pkcs11Uri, *, module: str | None = None) -> PinStatus:
    """How many wrong PINs the token has seen and whether it is locked."""
    uri = _token_uri(token)
    lib = _library(module or uri.module_path)
    with _LOCK:
        counter = _counter(lib, _find_token(lib, uri))
    with counter.transaction():
        return counter.status()


# ------------------------------------------------------------------------------ tokens, login

def _token_uri(token: str | Pkcs11Uri) -> Pkcs11Uri:
    if isinstance(token, str) and not token.lower().startswith("pkcs11:"):
        return Pkcs11Uri(token=token)
    uri = token if isinstance(token, Pkcs11Uri) else parse_uri(token)
    unknown = [name for name, _, in_query in uri.vendor if not in_query]
    if unknown:
        raise TokenError(f"URI 含本系统不认识的路径属性 (the URI selects by attributes this platform "
                         f"does not know: {', '.join(unknown)})")
    return uri


def _serial(token: Any) -> str:
    return token.serial.decode("ascii", "replace").strip()


def _token_key(lib: _Library, token: Any) -> tuple[str, str, str, str]:
    return (lib.path, token.manufacturer_id.strip(), token.model.strip(), _serial(token))


def _find_token(lib: _Library, uri: Pkcs11Uri) -> Any:
    """The one token matching the URI's token attributes (caller holds the lock)."""
    found = []
    for token in lib.lib.get_tokens():
        if ((uri.token is None or token.label.strip() == uri.token)
                and (uri.manufacturer is None or token.manufacturer_id.strip() == uri.manufacturer)
                and (uri.model is None or token.model.strip() == uri.model)
                and (uri.serial is None or _serial(token) == uri.serial)):
            found.append(token)
    if len(found) != 1:
        what = uri.replace(object=None, id=None, type=None, pin_value=None).format()
        raise TokenNotFound(("找不到令牌" if not found else "匹配到多个令牌")
                            + f" ({'no' if not found else 'several'} token(s) match {what})")
    return found[0]


def _read_pin_source(source: str) -> str:
    path = source[len("file:"):] if source.startswith("file:") else source
    if path.startswith("//"):          # file:///run/pin
        path = path[2:]
        if not path.startswith("/"):
            raise TokenError(f"pin-source 只支持本机文件 (pin-source must be a local file: {source})")
    if not path.startswith("/"):
        raise TokenError(f"pin-source 必须是绝对路径 (pin-source must be an absolute path: {source})")
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise TokenError(f"无法读取 pin-source (cannot read pin-source {path}: {exc.strerror})") from exc


_MODULE_DIRS = ("/usr/lib/softhsm", "/usr/lib/x86_64-linux-gnu/pkcs11", "/usr/lib/x86_64-linux-gnu",
                "/usr/lib/pkcs11", "/usr/lib", "/usr/local/lib")


def _module_for(uri: Pkcs11Uri, module: str | None) -> str:
    if module:
        return module
    if uri.module_path:
        return uri.module_path
    if uri.module_name:
        name = uri.module_name
        if "/" in name:
            raise TokenError(f"module-name 不能含路径 (module-name must not contain '/': {name})")
        for folder in _MODULE_DIRS:
            for candidate in (f"{name}.so", f"lib{name}.so"):
                if os.path.isfile(os.path.join(folder, candidate)):
                    return os.path.join(folder, candidate)
        raise TokenError(f"找不到 PKCS#11 模块 (no module named {name!r} in {', '.join(_MODULE_DIRS)})")
    return _settings.module


def _pin_for(uri: Pkcs11Uri, pin: str | None) -> str:
    if pin is not None:
        return pin
    if uri.pin_value is not None:
        return uri.pin_value
    if uri.pin_source is not None:
        return _read_pin_source(uri.pin_source)
    raise PinRequired("需要 PIN 码 (a PIN is needed: pass pin=, or pin-value / pin-source in the URI)")


def _pin_digest(pin: str) -> bytes:
    return hmac.new(_PIN_DIGEST_KEY, pin.encode("utf-8"), hashlib.sha256).digest()


def _login(lib: _Library, token: Any, pin: str) -> "TokenSession":
    """The process's logged-in session for ``token``, logging in if needed (caller holds the lock).

    A cached session is reused only for the PIN that opened it; any other PIN is tried on the token
    (after logging the cached session out) and counted, so holding a session never bypasses R9.
    """
    key = _token_key(lib, token)
    counter = _counter(lib, token)
    with counter.transaction():
        status = counter.status()
        cached = _sessions.get(key)
        if status.locked:
            if cached is not None:
                cached._close()
            raise TokenLocked(status.failures)
        digest = _pin_digest(pin)
        if cached is not None and cached._valid and hmac.compare_digest(cached._pin_digest, digest):
            return cached
        if cached is not None:
            cached._close()
        session = token.open(rw=True)           # unauthenticated; login below on this handle
        try:
            rv = lib.login(session.handle, _CKU_USER, pin)
            if rv == _CKR_USER_ALREADY_LOGGED_IN:    # someone else in the process: verify the PIN anyway
                lib.logout(session.handle)
                rv = lib.login(session.handle, _CKU_USER, pin)
        except BaseException:
            session.close()
            raise
        if rv != _CKR_OK:
            session.close()
            if rv in _CKR_WRONG_PIN:
                status = counter.record_failure()
                if status.locked:
                    raise TokenLocked(status.failures)
                raise PinIncorrect(status.remaining)
            if rv == _CKR_PIN_LOCKED:
                raise TokenLocked(counter.lock().failures)
            raise TokenLoginError(f"登录令牌失败 (login failed: {_CKR_NAMES.get(rv, hex(rv))})")
        if status.failures:
            counter.reset()
        opened = TokenSession(lib, token, session, digest)
        _sessions[key] = opened
        return opened


def open_token(token: str | Pkcs11Uri, *, pin: str | None = None,
               module: str | None = None) -> "TokenSession":
    """Log in to a token named by label or ``pkcs11:`` URI (PIN from ``pin`` or the URI)."""
    uri = _token_uri(token)
    pin = _pin_for(uri, pin)
    lib = _library(_module_for(uri, module))
    with _LOCK:
        return _login(lib, _find_token(lib, uri), pin)


def open_key(uri: str | Pkcs11Uri, pin: str | None = None, module: str | None = None) -> "TokenKey":
    """The private key a ``pkcs11:`` URI names (``object=`` label and/or ``id=``)."""
    parsed = _token_uri(uri)
    if parsed.type not in (None, "private"):
        raise TokenError(f"URI 必须指向私钥 (the URI must name a private key, not type={parsed.type})")
    if parsed.object is None and parsed.id is None:
        raise TokenError("URI 必须给出 object 或 id (the URI must give object= or id= of the key)")
    session = open_token(parsed, pin=pin, module=module)
    return session.find_key(label=parsed.object, key_id=parsed.id)


def unlock_with_so_pin(token: str | Pkcs11Uri, so_pin: str, new_user_pin: str,
                       *, module: str | None = None) -> None:
    """Service unlock (R9): log in as SO, set a new user PIN (``C_InitPIN``), clear the counter."""
    uri = _token_uri(token)
    lib = _library(_module_for(uri, module))
    with _LOCK:
        tok = _find_token(lib, uri)
        cached = _sessions.get(_token_key(lib, tok))
        if cached is not None:
            cached._close()                # SO login needs the user logged out
        counter = _counter(lib, tok)
        session = tok.open(rw=True)
        try:
            rv = lib.login(session.handle, _CKU_SO, so_pin)
            if rv in _CKR_WRONG_PIN:
                raise SoPinIncorrect("SO PIN 码错误 (wrong SO PIN)")
            if rv == _CKR_PIN_LOCKED:
                raise TokenLoginError("SO PIN 已锁定，令牌须重新初始化 (the SO PIN is locked: the token "
                                      "must be reinitialised)")
            if rv != _CKR_OK:
                raise TokenLoginError(f"SO 登录失败 (SO login failed: {_CKR_NAMES.get(rv, hex(rv))})")
            try:
                session.init_pin(new_user_pin)
            except p11err.PKCS11Error as exc:
                raise TokenError(f"设置用户 PIN 失败 (C_InitPIN failed: {type(exc).__name__})") from exc
            finally:
                lib.logout(session.handle)
        finally:
            session.close()
        with counter.transaction():
            counter.reset()


# ---------------------------------------------------------------------------------- session

@dataclass(frozen=True)
class KeyProtection:
    """How a private key is protected, as the token reports it."""

    sensitive: bool
    extractable: bool
    always_sensitive: bool
    never_extractable: bool
    local: bool


class TokenSession:
    """The process's logged-in session on one token (made by :func:`open_token`)."""

    def __init__(self, lib: _Library, token: Any, session: Any, pin_digest: bytes):
        self._lib = lib
        self._token = token
        self._session = session
        self._pin_digest = pin_digest
        self._valid = True
        self._pid = os.getpid()
        self.label: str = token.label.strip()
        self.serial: str = _serial(token)
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
        with _LOCK:
            self._check()
            yield self._session

    def generate_keypair(self, kind: str, *, label: str, key_id: bytes) -> "TokenKey":
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
            spki = cert.public_key.dump()
        except ValueError as exc:
            raise TokenError(f"证书无法解析 (certificate unreadable: {exc})") from exc
        with self.raw() as session:
            publics = self._objects(key_id=key_id, object_class=ObjectClass.PUBLIC_KEY)
            if publics and _spki_of(publics[0]).dump() != spki:
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

    def find_key(self, *, label: str | None = None, key_id: bytes | None = None) -> "TokenKey":
        """The one private key matching ``label`` and/or ``key_id``, with its public key."""
        if label is None and key_id is None:
            raise TokenError("需要 label 或 key_id (give label and/or key_id)")
        with self.raw():
            private = self._one(ObjectClass.PRIVATE_KEY, label, key_id)
            obj_id = bytes(private[Attribute.ID] or b"")
            obj_label = private[Attribute.LABEL]
            spki = self._public_of(private, obj_id, obj_label)
            return TokenKey(self, private, spki, label=obj_label, key_id=obj_id)

    def _public_of(self, private: Any, key_id: bytes, label: str) -> akeys.PublicKeyInfo:
        for object_class in (ObjectClass.PUBLIC_KEY, ObjectClass.CERTIFICATE):
            found = (self._objects(key_id=key_id, object_class=object_class) if key_id
                     else self._objects(label=label, object_class=object_class))
            if found:
                if object_class == ObjectClass.CERTIFICATE:
                    return ax509.Certificate.load(bytes(found[0][Attribute.VALUE])).public_key
                return _spki_of(found[0])
        if private.key_type == KeyType.RSA:
            return _rsa_spki(private[Attribute.MODULUS], private[Attribute.PUBLIC_EXPONENT])
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
        for key, value in list(_sessions.items()):
            if value is self:
                del _sessions[key]
        with contextlib.suppress(p11err.PKCS11Error):
            self._lib.logout(self._session.handle)
            self._session.close()


def _rsa_spki(modulus: bytes, exponent: bytes) -> akeys.PublicKeyInfo:
    return akeys.PublicKeyInfo({
        "algorithm": {"algorithm": "rsa", "parameters": acore.Null()},
        "public_key": akeys.RSAPublicKey({"modulus": int.from_bytes(modulus, "big"),
                                          "public_exponent": int.from_bytes(exponent, "big")}),
    })


def _spki_of(public: Any) -> akeys.PublicKeyInfo:
    if public.key_type == KeyType.RSA:
        return _rsa_spki(public[Attribute.MODULUS], public[Attribute.PUBLIC_EXPONENT])
    if public.key_type == KeyType.EC:
        params = akeys.ECDomainParameters.load(bytes(public[Attribute.EC_PARAMS]))
        point = bytes(public[Attribute.EC_POINT])
        with contextlib.suppress(ValueError):   # PKCS#11 wraps the point in an OCTET STRING
            inner = acore.OctetString.load(point).native
            if inner and inner[0] == 4 and len(inner) % 2 == 1:
                point = inner
        return akeys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": params},
                                    "public_key": point})
    raise TokenError(f"不支持的公钥类型 (unsupported public key type {public.key_type})")


# -------------------------------------------------------------------------------------- key

class TokenKey:
    """A private key on a token, as :class:`pki.keyops.KeyOps`. It never leaves the token."""

    def __init__(self, session: TokenSession, private: Any, spki: akeys.PublicKeyInfo, *,
                 label: str, key_id: bytes):
        self._session = session
        self._private = private
        self._spki = spki
        self.label = label
        self.key_id = key_id
        if is_sm2_spki(spki):
            self.algorithm = "sm2"
        elif spki.algorithm == "rsa":
            self.algorithm = "rsa"
        elif spki.algorithm == "ec":
            self.algorithm = "ec"
        else:
            raise TokenError(f"不支持的密钥算法 (unsupported key algorithm {spki.algorithm})")

    def __repr__(self) -> str:
        return f"TokenKey({self.algorithm}, {self.uri().format()})"

    def uri(self) -> Pkcs11Uri:
        """The RFC 7512 URI of this key (without PIN)."""
        return self._session.uri(object=self.label, id=self.key_id or None, type="private")

    def public_key_info(self) -> akeys.PublicKeyInfo:
        return self._spki

    def protection(self) -> KeyProtection:
        """CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_LOCAL."""
        with self._op():
            get = self._private.__getitem__
            return KeyProtection(sensitive=bool(get(Attribute.SENSITIVE)),
                                 extractable=bool(get(Attribute.EXTRACTABLE)),
                                 always_sensitive=bool(get(Attribute.ALWAYS_SENSITIVE)),
                                 never_extractable=bool(get(Attribute.NEVER_EXTRACTABLE)),
                                 local=bool(get(Attribute.LOCAL)))

    # -- KeyOps

    def rsa_decrypt(self, ciphertext: bytes, *, oaep_hash: str | None) -> bytes:
        self._need("rsa")
        k = self._modulus_bytes()
        if len(ciphertext) != k:
            raise RsaDecryptionFailed()
        if oaep_hash is None:
            return self._decrypt(ciphertext, Mechanism.RSA_PKCS, None)
        if oaep_hash not in _OAEP_HASHES:
            raise TokenError(f"不支持的 OAEP 摘要 (unsupported OAEP hash {oaep_hash!r})")
        hash_mech, mgf = _OAEP_HASHES[oaep_hash]
        if self._session.oaep_sha256_native is not False or oaep_hash == "sha1":
            try:
                plain = self._decrypt(ciphertext, Mechanism.RSA_PKCS_OAEP, (hash_mech, mgf, None),
                                      passthrough=_NO_SUCH_MECHANISM)
                if oaep_hash == "sha256":
                    self._session.oaep_sha256_native = True
                return plain
            except _NO_SUCH_MECHANISM:
                if oaep_hash == "sha1":
                    raise MechanismUnavailable("令牌不支持 RSA-OAEP (the token refuses RSA-OAEP with SHA-1)")
                self._session.oaep_sha256_native = False
        if not _settings.allow_raw_rsa:
            raise MechanismUnavailable("令牌不支持 OAEP-SHA256，且已禁止原始 RSA (the token has no "
                                       "OAEP-SHA256 and raw RSA is switched off: allow_raw_rsa=False)")
        em = self._decrypt(ciphertext, Mechanism.RSA_X_509, None)
        return oaep_decode(em.rjust(k, b"\x00"), k, oaep_hash)

    def ecdh(self, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        self._need("ec")
        if not isinstance(peer_public_key, ec.EllipticCurvePublicKey):
            raise TokenError("ECDH 需要椭圆曲线公钥 (ECDH needs an EC public key)")
        curve = self._spki["algorithm"]["parameters"].chosen.native
        if _CURVES.get(peer_public_key.curve.name) != curve:
            raise TokenError(f"对方公钥曲线不符 (peer key is on {peer_public_key.curve.name}, "
                             f"this key on {curve})")
        point = peer_public_key.public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)
        size = (peer_public_key.curve.key_size + 7) // 8
        with self._op():
            try:
                secret = self._private.derive_key(
                    KeyType.GENERIC_SECRET, size * 8, mechanism=Mechanism.ECDH1_DERIVE,
                    mechanism_param=(KDF.NULL, None, point),
                    template={Attribute.TOKEN: False, Attribute.SENSITIVE: False,
                              Attribute.EXTRACTABLE: True})
            except p11err.PKCS11Error as exc:
                raise TokenError(f"ECDH 失败 (ECDH on the token failed: {type(exc).__name__})") from exc
            try:
                return bytes(secret[Attribute.VALUE])
            finally:
                with contextlib.suppress(p11err.PKCS11Error):
                    secret.destroy()

    def sm2_decrypt(self, ciphertext: bytes) -> bytes:
        raise MechanismUnavailable("此令牌不支持 SM2 运算 (this token has no SM2 mechanisms; SM2 keys "
                                   "live in encrypted PKCS#8 files)")

    def sign(self, data: bytes, *, hash_algorithm: str, pss: bool = False,
             sm2_signer_id: bytes | None = DEFAULT_SM2_SIGNER_ID) -> bytes:
        if self.algorithm == "sm2":
            raise MechanismUnavailable("此令牌不支持 SM2 签名 (this token has no SM2 mechanisms)")
        if hash_algorithm not in _HASH_MECHS:
            raise TokenError(f"不支持的摘要算法 (unsupported hash {hash_algorithm!r} for signing; use "
                             f"{', '.join(_HASH_MECHS)})")
        hash_mech, mgf, hlen, pkcs1_mech, pss_mech = _HASH_MECHS[hash_algorithm]
        with self._op():
            try:
                if self.algorithm == "rsa":
                    if pss:
                        return bytes(self._private.sign(data, mechanism=pss_mech,
                                                        mechanism_param=(hash_mech, mgf, hlen)))
                    return bytes(self._private.sign(data, mechanism=pkcs1_mech))
                if pss:
                    raise TokenError("PSS 只用于 RSA (PSS applies to RSA only)")
                digest = hashlib.new(hash_algorithm, data).digest()
                raw = bytes(self._private.sign(digest, mechanism=Mechanism.ECDSA))
            except p11err.PKCS11Error as exc:
                raise TokenError(f"令牌签名失败 (signing on the token failed: {type(exc).__name__})") from exc
        half = len(raw) // 2
        return asym_utils.encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                               int.from_bytes(raw[half:], "big"))

    # -- helpers

    @contextlib.contextmanager
    def _op(self) -> Iterator[None]:
        with _LOCK:
            self._session._check()
            try:
                yield
            except (p11err.UserNotLoggedIn, p11err.SessionHandleInvalid, p11err.SessionClosed) as exc:
                raise TokenSessionClosed("令牌会话已失效，请重新打开 (the token session is gone: "
                                         "open the key again)") from exc

    def _decrypt(self, ciphertext: bytes, mechanism: Mechanism, param: Any,
                 passthrough: tuple[type[BaseException], ...] = ()) -> bytes:
        with self._op():
            try:
                return bytes(self._private.decrypt(ciphertext, mechanism=mechanism, mechanism_param=param))
            except passthrough:
                raise
            except (p11err.UserNotLoggedIn, p11err.SessionHandleInvalid, p11err.SessionClosed):
                raise
            except p11err.PKCS11Error:
                raise RsaDecryptionFailed() from None

    def _modulus_bytes(self) -> int:
        return (self._spki["public_key"].parsed["modulus"].native.bit_length() + 7) // 8

    def _need(self, algorithm: str) -> None:
        if self.algorithm != algorithm:
            raise TokenError(f"此操作需要 {algorithm} 私钥 (this operation needs an {algorithm} key, "
                             f"not {self.algorithm})")


_CURVES = {"secp256r1": "secp256r1", "secp384r1": "secp384r1", "secp521r1": "secp521r1"}


# ----------------------------------------------------------------------------- OAEP decoding

def _mgf1(seed: bytes, length: int, hash_name: str) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.new(hash_name, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:length])


def oaep_decode(em: bytes, k: int, hash_name: str, label: bytes = b"") -> bytes:
    """EME-OAEP decoding (RFC 8017 §7.1.2) of a raw RSA result ``em`` of ``k`` bytes.

    Every check runs whatever the input, without early exits or data-dependent branches, and every
    failure raises the same :class:`RsaDecryptionFailed` (no padding oracle). Python cannot promise
    constant time, but nothing here branches on secret data before the single final decision.
    """
    hlen = hashlib.new(hash_name).digest_size
    if len(em) != k or k < 2 * hlen + 2:
        raise RsaDecryptionFailed()
    lhash = hashlib.new(hash_name, label).digest()
    y, masked_seed, masked_db = em[0], em[1:1 + hlen], em[1 + hlen:]
    seed = bytes(a ^ b for a, b in zip(masked_seed, _mgf1(masked_db, hlen, hash_name)))
    db = bytes(a ^ b for a, b in zip(masked_db, _mgf1(seed, k - hlen - 1, hash_name)))
    good = int(hmac.compare_digest(db[:hlen], lhash))
    good &= ((y - 1) >> 8) & 1                     # y == 0
    looking, index, invalid = 1, 0, 0
    for i in range(hlen, len(db)):
        b = db[i]
        is_zero = ((b - 1) >> 8) & 1
        is_one = (((b ^ 1) - 1) >> 8) & 1
        index |= (looking & is_one) * i
        invalid |= looking & (1 - is_zero) & (1 - is_one)
        looking &= 1 - is_one
    good &= (1 - looking) & (1 - invalid)
    if not good:
        raise RsaDecryptionFailed()
    return db[index + 1:]


__all__ = [
    "DEFAULT_MODULE", "KEY_KINDS", "TokenSettings", "configure", "settings", "reinitialize",
    "close_sessions", "PinStatus", "PinCounter", "pin_status",
    "open_token", "open_key", "unlock_with_so_pin", "TokenSession", "TokenKey", "KeyProtection",
    "oaep_decode", "TokenError", "TokenNotFound", "TokenObjectNotFound", "TokenObjectAmbiguous",
    "TokenObjectExists", "PinRequired", "TokenLoginError", "PinIncorrect", "TokenLocked",
    "SoPinIncorrect", "TokenSessionClosed", "MechanismUnavailable", "RsaDecryptionFailed",
    "CertificateKeyMismatch",
]
