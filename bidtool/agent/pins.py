"""PINs and passwords: counting wrong key-file passwords (R9) and changing a token's user PIN (R21).

- A token counts its own wrong PINs (:mod:`pki.pkcs11`: 10 lock it, unlocking is a service request).
- A key file has no counter of its own, so the agent keeps one per key file in its state folder,
  with the same rule: 10 wrong passwords lock it. The counter is named by the file's path and the
  SHA-256 of its bytes: the owner unlocks a locked key file by restoring it from the backup with a
  new password (``docs/agent.md``), which starts a fresh count. Offline guessing needs the file
  itself; this stops a page (or anyone at the machine) guessing through the agent.
- Changing a token's PIN logs in with the old PIN first (so a wrong old PIN is counted like every
  other), then calls ``C_SetPIN`` in that session with pki.pkcs11's process-wide lock held, and
  logs every session of the process out so that nothing opened with the old PIN survives.
"""
from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

from pkcs11 import exceptions as p11err

from bidtool.agent.errors import AgentError, KeyFileLocked, KeyFilePasswordIncorrect
from pki.pkcs11 import (
    PinCounter,
    PinStatus,
    Pkcs11Uri,
    close_sessions,
    open_token,
    settings,
)
from pki.pkcs11.library import locked

MAX_ATTEMPTS = 10


class KeyFileCounter:
    """The wrong-password count of one key file (its path and its current bytes)."""

    def __init__(self, state_dir: Path, key_file: Path, content: bytes):
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        identity = f"key-file|{key_file.resolve()}|{hashlib.sha256(content).hexdigest()}"
        self._counter = PinCounter(state_dir, identity, label=str(key_file), max_attempts=MAX_ATTEMPTS)

    def status(self) -> PinStatus:
        with self._counter.transaction():
            return self._counter.status()

    @contextlib.contextmanager
    def attempt(self) -> Iterator["Attempt"]:
        """One password attempt, serialised with every other on this key file (also in other
        processes): refused at once when locked; the caller reports the outcome."""
        with self._counter.transaction():
            status = self._counter.status()
            if status.locked:
                raise KeyFileLocked(status.failures)
            yield Attempt(self._counter, status)


class Attempt:
    def __init__(self, counter: PinCounter, status: PinStatus):
        self._counter, self._status = counter, status

    def failed(self) -> AgentError:
        """Count a wrong password; the error to raise (locked on the last allowed one)."""
        status = self._counter.record_failure()
        return KeyFileLocked(status.failures) if status.locked else KeyFilePasswordIncorrect(status.remaining)

    def succeeded(self) -> None:
        if self._status.failures:
            self._counter.reset()


def change_token_pin(token: Pkcs11Uri, old_pin: str, new_pin: str) -> None:
    """Change the user PIN of ``token`` (R21). A wrong ``old_pin`` counts towards the lock (R9)."""
    with locked():
        try:
            session = open_token(token, pin=old_pin)     # counts a wrong PIN, refuses a locked token
            with session.raw() as raw:
                try:
                    raw.set_pin(old_pin, new_pin)
                except (p11err.PinLenRange, p11err.PinInvalid):
                    raise AgentError("新 PIN 码不符合令牌的要求 (the token refuses the new PIN: check its "
                                     "length and characters)") from None
                except p11err.PKCS11Error as exc:
                    err = AgentError(f"修改 PIN 码失败 (C_SetPIN failed: {type(exc).__name__})", status=503)
                    err.code = "pin_change_failed"
                    raise err from None
        finally:
            close_sessions()


def key_file_state_dir(state_dir: Path) -> Path:
    return state_dir / "key-files"


def token_state_dir(state_dir: Path) -> Path | None:
    """Where token PIN counters go when pki.pkcs11 has no place of its own (a module other than
    SoftHSM, whose counters live beside its token folder)."""
    if settings().pin_state_dir is not None or "softhsm" in Path(settings().module).name:
        return None
    return state_dir / "tokens"
