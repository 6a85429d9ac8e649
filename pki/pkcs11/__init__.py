"""Private keys on a PKCS#11 token (SoftHSM2 in development, a real token or HSM in production).

The private key is generated on the token, sensitive and non-extractable; :class:`TokenKey`
implements :class:`pki.keyops.KeyOps`, so envelopes and signatures use it exactly like a key file.

One idea per module; this package re-exports the public names::

    errors.py    TokenError and the refusals under it (PkiError codes, messages, kinds)
    library.py   settings (configure), loading the module, the process-wide lock, reinitialize,
                 close_sessions, fork handling, the C_Login/C_Logout entry points (ctypes)
    lookup.py    which token a label or URI names
    pins.py      where a PIN comes from, the R9 wrong-PIN counter (PinCounter, pin_status),
                 unlock_with_so_pin
    login.py     open_token, open_key: one logged-in session per token and process
    session.py   TokenSession: generate key pairs, store and find certificates and keys
    key.py       TokenKey (KeyOps on the token), KeyProtection
    spki.py      the SubjectPublicKeyInfo of a key object on the token
    oaep.py      OAEP decoding for raw RSA (SoftHSM has no OAEP-SHA256)
    uri.py       RFC 7512 ``pkcs11:`` URIs

What SoftHSM2 2.6.1 and python-pkcs11 0.10.1 need (``shared/STACK.md``) is said in each module.
"""
from __future__ import annotations

from pki.pkcs11.errors import (CertificateKeyMismatch, MechanismUnavailable, PinIncorrect, PinRequired,
                               RsaDecryptionFailed, SoPinIncorrect, TokenError, TokenLocked, TokenLoginError,
                               TokenNotFound, TokenObjectAmbiguous, TokenObjectExists, TokenObjectNotFound,
                               TokenSessionClosed)
from pki.pkcs11.key import DEFAULT_SM2_SIGNER_ID, KeyProtection, TokenKey
from pki.pkcs11.library import (DEFAULT_MODULE, TokenSettings, close_sessions, configure, reinitialize,
                                settings)
from pki.pkcs11.login import open_key, open_token
from pki.pkcs11.oaep import oaep_decode
from pki.pkcs11.pins import PinCounter, PinStatus, pin_status, unlock_with_so_pin
from pki.pkcs11.session import KEY_KINDS, TokenSession
from pki.pkcs11.uri import Pkcs11Uri

__all__ = [
    "DEFAULT_MODULE", "KEY_KINDS", "TokenSettings", "configure", "settings", "reinitialize",
    "close_sessions", "PinStatus", "PinCounter", "pin_status",
    "open_token", "open_key", "unlock_with_so_pin", "TokenSession", "TokenKey", "KeyProtection",
    "oaep_decode", "TokenError", "TokenNotFound", "TokenObjectNotFound", "TokenObjectAmbiguous",
    "TokenObjectExists", "PinRequired", "TokenLoginError", "PinIncorrect", "TokenLocked",
    "SoPinIncorrect", "TokenSessionClosed", "MechanismUnavailable", "RsaDecryptionFailed",
    "CertificateKeyMismatch", "Pkcs11Uri", "DEFAULT_SM2_SIGNER_ID",
]
