"""What a token refuses or fails, as :class:`pki.errors.PkiError` classes (through
:class:`pki.keyops.KeyOperationError`: a token key is a key like any other).

Each class has a stable ``code``, a default bilingual ``message`` and a ``kind``; a raise may pass a
more specific message.
"""
from __future__ import annotations

from pki.keyops import KeyOperationError


class TokenError(KeyOperationError):
    """A token refused or failed an operation."""

    code = "token_error"
    message = "令牌操作失败 (the token refused or failed the operation)"
    kind = "unavailable"


class TokenNotFound(TokenError):
    """No token (or more than one) matches the URI or label."""

    code = "token_not_found"
    message = "找不到令牌 (no token matches)"
    kind = "unavailable"


class TokenObjectNotFound(TokenError):
    """No key or certificate on the token matches."""

    code = "token_object_not_found"
    message = "令牌上找不到对象 (no such key or certificate on the token)"
    kind = "input"


class TokenObjectAmbiguous(TokenError):
    """More than one object matches where exactly one was needed."""

    code = "token_object_ambiguous"
    message = "匹配到多个对象 (several objects on the token match)"
    kind = "input"


class TokenObjectExists(TokenError):
    """An object with this label or CKA_ID is already on the token."""

    code = "token_object_exists"
    message = "令牌上已有同名或同 ID 的对象 (an object with this label or id already exists)"
    kind = "state"


class PinRequired(TokenError):
    """No PIN was given (argument, pin-value or pin-source)."""

    code = "pin_required"
    message = "需要 PIN 码 (a PIN is needed)"
    kind = "input"


class TokenLoginError(TokenError):
    """Logging in to the token failed."""

    code = "token_login_failed"
    message = "登录令牌失败 (login to the token failed)"
    kind = "unavailable"


class PinIncorrect(TokenLoginError):
    """Wrong user PIN; ``remaining`` attempts are left before the token locks."""

    code = "pin_incorrect"
    message = "PIN 码错误 (wrong PIN)"
    kind = "input"

    def __init__(self, remaining: int):
        self.remaining = remaining
        super().__init__(f"PIN 码错误，还可尝试 {remaining} 次 (wrong PIN: {remaining} attempt{'s' * (remaining != 1)} left "
                         f"before the token locks)")


class TokenLocked(TokenLoginError):
    """The token is locked after too many wrong PINs: unlocking is a service request (R9)."""

    code = "token_locked"
    message = "介质已锁定，请提交解锁申请 (the token is locked: request an unlock)"
    kind = "state"

    def __init__(self, failures: int):
        self.failures = failures
        super().__init__(f"介质已锁定（PIN 码连续错误 {failures} 次），请提交解锁申请 "
                         f"(token locked after {failures} wrong PIN{'s' * (failures != 1)}: request an unlock)")


class SoPinIncorrect(TokenLoginError):
    """Wrong security officer (SO) PIN."""

    code = "so_pin_incorrect"
    message = "SO PIN 码错误 (wrong SO PIN)"
    kind = "input"


class TokenSessionClosed(TokenError):
    """The session behind a key was closed (library reinitialised, token relocked): open it again."""

    code = "token_session_closed"
    message = "令牌会话已关闭，请重新打开 (the token session was closed: open the key again)"
    kind = "state"


class MechanismUnavailable(TokenError):
    """The token cannot do this (SM2 on SoftHSM, OAEP-SHA256 with raw RSA forbidden, …)."""

    code = "token_mechanism_unavailable"
    message = "令牌不支持此运算 (the token cannot perform this operation)"
    kind = "unavailable"


class RsaDecryptionFailed(TokenError):
    """The one error for every RSA decryption failure (padding, label hash, length, token refusal)."""

    code = "rsa_decryption_failed"
    message = "RSA 解密失败 (RSA decryption failed)"
    kind = "integrity"

    def __init__(self) -> None:
        super().__init__("RSA 解密失败 (RSA decryption failed)")


class CertificateKeyMismatch(TokenError):
    """A certificate does not carry the public key of the key pair with the same CKA_ID."""

    code = "token_certificate_key_mismatch"
    message = "证书公钥与令牌上的密钥不符 (the certificate does not match the key on the token)"
    kind = "integrity"


__all__ = ["TokenError", "TokenNotFound", "TokenObjectNotFound", "TokenObjectAmbiguous", "TokenObjectExists",
           "PinRequired", "TokenLoginError", "PinIncorrect", "TokenLocked", "SoPinIncorrect",
           "TokenSessionClosed", "MechanismUnavailable", "RsaDecryptionFailed", "CertificateKeyMismatch"]
