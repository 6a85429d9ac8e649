"""Fixtures for the PKCS#11 token tests: a fresh SoftHSM token per test, keys on it, openssl."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from devsetup.softhsm import SoftHsmToken, init_softhsm_token
from pki import pkcs11 as tokens

SO_PIN = "so-pin-8765"
USER_PIN = "user-pin-1234"


@pytest.fixture(autouse=True)
def _isolated_token_state(isolated_tokens):
    """Restore SOFTHSM2_CONF and the token settings, and close sessions, after every test."""


@pytest.fixture
def softhsm(tmp_path) -> SoftHsmToken:
    """A new SoftHSM token in this test's own directory."""
    if shutil.which("softhsm2-util") is None:
        pytest.fail("softhsm2-util is missing: apt-get install softhsm2")
    return init_softhsm_token(tmp_path / "hsm", "bidder-token", SO_PIN, USER_PIN)


@pytest.fixture
def session(softhsm) -> tokens.TokenSession:
    return tokens.open_token(softhsm.label, pin=USER_PIN)


@pytest.fixture
def rsa_key(session) -> tokens.TokenKey:
    return session.generate_keypair("rsa2048", label="enc-rsa", key_id=b"\x0a\x01")


@pytest.fixture
def ec_key(session) -> tokens.TokenKey:
    return session.generate_keypair("ec-p256", label="sig-ec", key_id=b"\x0e\xc1")


def _public_pem(key: tokens.TokenKey, path: Path) -> Path:
    pub = serialization.load_der_public_key(key.public_key_info().dump())
    path.write_bytes(pub.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


@pytest.fixture
def public_pem():
    """``public_pem(key, path)`` writes the key's SubjectPublicKeyInfo as PEM for openssl."""
    return _public_pem


@pytest.fixture
def user_pin() -> str:
    return USER_PIN


@pytest.fixture
def so_pin() -> str:
    return SO_PIN


@pytest.fixture
def openssl():
    """Run the openssl command line; fail the test with its stderr if it fails."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is missing")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["openssl", *args], capture_output=True, check=False)
        if check and result.returncode != 0:
            pytest.fail(f"openssl {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
        return result

    return run
