"""Token-backed issuance: the key pair is made on a SoftHSM2 token, the CA certifies it, the
certificate goes onto the token, and the printed URI opens a key that signs for that certificate."""
from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from pkcs11 import Attribute, ObjectClass
from pkcs11 import exceptions as p11err

from support.cli import assert_one_line_error, invoke
from devsetup.softhsm import SoftHsmToken, init_softhsm_token
from pki import pkcs11 as tokens
from pki.certs import to_cryptography
from pki.devca import DevCaError
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

CODE = "91110108551385082Q"
PIN = "246810"
ENV = {"TOKPIN": PIN}


@pytest.fixture
def hsm(tmp_path) -> SoftHsmToken:
    return init_softhsm_token(tmp_path / "hsm", "cli-token", "so-13579", PIN)


def _issue_on_token(app, profile: str, alg: str, *extra: str):
    return invoke(app, "devca", "issue", "--profile", profile, "--alg", alg, "--type", "institution",
                  "--name", "令牌公司", "--code", CODE, "--token", "cli-token", "--pin-env", "TOKPIN", *extra, env=ENV)


def _uri_and_serial(output: str) -> tuple[str, int]:
    return (re.search(r"密钥 URI:\s+(pkcs11:\S+)", output).group(1),
            int(re.search(r"序列号 serial: ([0-9A-F]+)", output).group(1), 16))


@pytest.mark.parametrize("profile, alg, purpose", [("netca", "rsa", "signing"), ("gdca", "ec", "signing"),
                                                   ("cfca", "rsa", "encryption")])
def test_token_key_is_certified_stored_and_signs(cli_app, devca, hsm, tmp_path, profile, alg, purpose):
    out = tmp_path / "out"
    result = _issue_on_token(cli_app, profile, alg, "--purpose", purpose, "--out", str(out))
    assert result.exit_code == 0, result.output + result.stderr
    uri, serial = _uri_and_serial(result.output)
    cert = devca.certificate(serial)
    assert devca.record(serial).key_location == uri
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{serial:X}.pem", f"chain-{profile}-{alg}.pem"]
                                                           + ([f"{serial:X}.png"] if purpose == "signing" else []))

    key = tokens.open_key(uri, pin=PIN)
    assert key.public_key_info().dump() == cert.public_key.dump()
    protection = key.protection()
    assert protection.sensitive and not protection.extractable and protection.never_extractable and protection.local
    session = tokens.open_token("cli-token", pin=PIN)
    assert session.find_certificate(key_id=key.key_id) == cert.dump()     # same CKA_ID as the key pair
    with session.raw() as raw:
        private = next(raw.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key.key_id}))
        with pytest.raises(p11err.AttributeSensitive):
            private[Attribute.VALUE if alg == "ec" else Attribute.PRIVATE_EXPONENT]

    data = b"bid manifest \xe6\x8a\x95\xe6\xa0\x87"
    signature = key.sign(data, hash_algorithm="sha256")
    public = to_cryptography(cert).public_key()
    if alg == "rsa":
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def test_sm2_on_token_is_refused_before_the_pin_is_tried(cli_app, hsm):
    message = assert_one_line_error(_issue_on_token(cli_app, "netca", "sm2"))
    assert "SM2" in message
    assert tokens.pin_status("cli-token").failures == 0


def test_wrong_pin_is_one_line_and_counted(cli_app, hsm):
    result = invoke(cli_app, "devca", "issue", "--profile", "netca", "--alg", "rsa", "--type", "institution",
                    "--name", "令牌公司", "--code", CODE, "--token", "cli-token", "--pin-env", "TOKPIN",
                    env={"TOKPIN": "000000"})
    assert "PIN 码错误" in assert_one_line_error(result)
    assert tokens.pin_status("cli-token").failures == 1


def test_token_without_pin_env_is_refused(cli_app, hsm):
    result = invoke(cli_app, "devca", "issue", "--profile", "netca", "--alg", "rsa", "--type", "institution",
                    "--name", "令牌公司", "--code", CODE, "--token", "cli-token")
    assert "--pin-env" in assert_one_line_error(result)


def test_replace_key_onto_token(cli_app, devca, hsm):
    first = _issue_on_token(cli_app, "gdca", "ec")
    old_uri, old_serial = _uri_and_serial(first.output)
    result = invoke(cli_app, "devca", "replace-key", f"{old_serial:X}", "--token", "cli-token",
                    "--pin-env", "TOKPIN", env=ENV)
    assert result.exit_code == 0, result.output + result.stderr
    new_uri, new_serial = _uri_and_serial(result.output)
    assert new_uri != old_uri and devca.record(old_serial).status == "revoked"
    assert tokens.open_key(new_uri, pin=PIN).public_key_info().dump() == devca.certificate(new_serial).public_key.dump()


def test_failed_issuance_leaves_nothing_on_the_token(devca, hsm):
    session = tokens.open_token("cli-token", pin=PIN)
    identity = PartyIdentity("institution", "令牌公司", credit_code=CODE)
    before = len(devca.records())
    with pytest.raises(DevCaError):
        issue_to_token(devca, session, "netca", identity, algorithm="rsa", years=5)   # no 5-year service
    with session.raw() as raw:
        assert list(raw.get_objects({})) == []
    assert len(devca.records()) == before
