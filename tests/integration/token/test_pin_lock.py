"""R9: ten wrong PINs lock the token (SoftHSM itself never locks, so the platform counts), the right
PIN is refused while locked, and the SO unlock sets a new PIN. A failed login leaves no session."""
from __future__ import annotations

import ctypes
import json

import pytest

from pki import pkcs11 as tokens
from pki.pkcs11.library import locked


def test_ten_wrong_pins_lock_and_the_right_pin_is_then_refused(softhsm, user_pin):
    remaining = []
    for _ in range(9):
        with pytest.raises(tokens.PinIncorrect) as info:
            tokens.open_token(softhsm.label, pin="wrong-pin")
        remaining.append(info.value.remaining)
    assert remaining == [9, 8, 7, 6, 5, 4, 3, 2, 1]
    with pytest.raises(tokens.TokenLocked) as info:
        tokens.open_token(softhsm.label, pin="wrong-pin")
    assert info.value.failures == 10 and "锁定" in str(info.value)
    with pytest.raises(tokens.TokenLocked):
        tokens.open_token(softhsm.label, pin=user_pin)
    assert tokens.pin_status(softhsm.label) == tokens.PinStatus(failures=10, remaining=0, locked=True)


def test_the_lock_survives_a_restart_of_the_library(softhsm, user_pin):
    for _ in range(10):
        with pytest.raises(tokens.TokenLoginError):
            tokens.open_token(softhsm.label, pin="0000")
    tokens.reinitialize()                     # what a new process sees: only the file remains
    with pytest.raises(tokens.TokenLocked):
        tokens.open_key(f"pkcs11:token={softhsm.label};object=any", pin=user_pin)
    state = json.loads(next((softhsm.token_dir / "pin-state").glob("*.json")).read_text())
    assert state["failures"] == 10 and state["label"] == softhsm.label


def test_a_locked_token_drops_the_session_it_had(softhsm, user_pin, rsa_key):
    for _ in range(10):
        with pytest.raises(tokens.TokenLoginError):
            tokens.open_token(softhsm.label, pin="bad-pin")
    with pytest.raises(tokens.TokenSessionClosed):
        rsa_key.sign(b"x", hash_algorithm="sha256")


def test_success_resets_the_count(softhsm, user_pin):
    for _ in range(3):
        with pytest.raises(tokens.PinIncorrect):
            tokens.open_token(softhsm.label, pin="nope")
    assert tokens.pin_status(softhsm.label).failures == 3
    tokens.open_token(softhsm.label, pin=user_pin)
    assert tokens.pin_status(softhsm.label) == tokens.PinStatus(failures=0, remaining=10, locked=False)
    with pytest.raises(tokens.PinIncorrect) as info:
        tokens.open_token(softhsm.label, pin="nope")
    assert info.value.remaining == 9


def test_a_held_session_does_not_let_a_wrong_pin_through(softhsm, user_pin, rsa_key):
    assert tokens.open_token(softhsm.label, pin=user_pin) is tokens.open_token(softhsm.label, pin=user_pin)
    with pytest.raises(tokens.PinIncorrect):
        tokens.open_key(f"pkcs11:token={softhsm.label};object=enc-rsa", pin="guess")
    assert tokens.pin_status(softhsm.label).failures == 1


def test_so_unlock_sets_a_new_pin_and_clears_the_count(softhsm, user_pin, so_pin, rsa_key):
    spki = rsa_key.public_key_info().dump()
    for _ in range(10):
        with pytest.raises(tokens.TokenLoginError):
            tokens.open_token(softhsm.label, pin="bad-pin")
    with pytest.raises(tokens.SoPinIncorrect):
        tokens.unlock_with_so_pin(softhsm.label, "wrong-so-pin", "new-pin-5678")
    assert tokens.pin_status(softhsm.label).locked
    tokens.unlock_with_so_pin(softhsm.label, so_pin, "new-pin-5678")
    assert tokens.pin_status(softhsm.label) == tokens.PinStatus(failures=0, remaining=10, locked=False)
    key = tokens.open_key(f"pkcs11:token={softhsm.label};object=enc-rsa", pin="new-pin-5678")
    assert key.public_key_info().dump() == spki          # the keys are still there
    key.sign(b"after unlock", hash_algorithm="sha256")
    with pytest.raises(tokens.PinIncorrect) as info:
        tokens.open_token(softhsm.label, pin=user_pin)   # the old PIN no longer works
    assert info.value.remaining == 9


def _open_session_handles(module: str, upto: int) -> list[int]:
    """Session handles 1..upto that the library still considers open (C_GetSessionInfo)."""
    lib = ctypes.CDLL(module)
    info = (ctypes.c_ulong * 4)()
    lib.C_GetSessionInfo.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
    lib.C_GetSessionInfo.restype = ctypes.c_ulong
    with locked():
        return [h for h in range(1, upto + 1) if lib.C_GetSessionInfo(h, ctypes.byref(info)) == 0]


def test_failed_logins_leave_no_session_open(softhsm, user_pin, so_pin):
    for _ in range(5):
        with pytest.raises(tokens.PinIncorrect):
            tokens.open_token(softhsm.label, pin="wrong")
    with pytest.raises(tokens.SoPinIncorrect):
        tokens.unlock_with_so_pin(softhsm.label, "wrong-so", "whatever-1")
    assert _open_session_handles(softhsm.module, 50) == []
    session = tokens.open_token(softhsm.label, pin=user_pin)
    assert _open_session_handles(softhsm.module, 50) == [session._session.handle]
