"""Password hashes: argon2id through argon2-cffi (RFC 9106 parameters of the library's current
profile). A hash made with older parameters is replaced at the next successful log-in."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()   # argon2id; the parameters are encoded in every hash
_DUMMY_HASH: tuple[PasswordHasher, str] | None = None     # (the hasher that made it, the hash)


def hash_password(password: str) -> str:
    """A new argon2id hash (``$argon2id$v=19$m=…``) of ``password``, with a random salt."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (a malformed hash matches nothing)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the hasher's current ones."""
    return HASHER.check_needs_rehash(password_hash)


def burn_time(password: str) -> None:
    """Verify against a throw-away hash, so that an unknown user name takes as long to refuse as
    a wrong password (no user-name probing by timing)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None or _DUMMY_HASH[0] is not HASHER:     # made with the parameters in force
        _DUMMY_HASH = (HASHER, HASHER.hash("not a password of anyone"))
    verify_password(_DUMMY_HASH[1], password)
