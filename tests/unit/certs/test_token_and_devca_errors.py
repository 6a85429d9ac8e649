"""The refusals of pki.pkcs11 and pki.devca are PkiErrors: a stable code, a bilingual default
message and a kind each; a message given at the raise wins."""
from __future__ import annotations

import re
import typing

import pytest

from pki.devca import errors as devca_errors
from pki.errors import ErrorKind, PkiError
from pki.keyops import KeyOperationError
from pki.pkcs11 import errors as token_errors

CLASSES = [getattr(module, name) for module in (token_errors, devca_errors) for name in module.__all__]
KINDS = set(typing.get_args(ErrorKind))


def test_every_class_is_a_pki_error_with_its_own_code_kind_and_bilingual_message():
    codes = [cls.code for cls in CLASSES]
    assert len(codes) == len(set(codes))
    for cls in CLASSES:
        assert issubclass(cls, PkiError), cls
        assert cls.kind in KINDS, cls
        assert re.search(r"[\u4e00-\u9fff].*\(.+\)$", cls.message), cls


def test_token_errors_are_key_operation_errors():
    assert issubclass(token_errors.TokenError, KeyOperationError)


@pytest.mark.parametrize("error, kind", [
    (token_errors.PinIncorrect(3), "input"),
    (token_errors.TokenLocked(10), "state"),
    (token_errors.TokenNotFound("找不到令牌 (no token)"), "unavailable"),
    (token_errors.RsaDecryptionFailed(), "integrity"),
    (devca_errors.AlreadyRevoked("证书已吊销 (revoked)"), "state"),
    (devca_errors.NotInitialised(), "state"),
    (devca_errors.UnknownCertificate(), "input"),
])
def test_kinds(error, kind):
    assert error.kind == kind


def test_a_message_given_at_the_raise_is_kept():
    error = token_errors.PinIncorrect(4)
    assert error.remaining == 4 and "4" in str(error) and error.message == str(error)
    assert str(devca_errors.DevCaError("具体原因 (the reason)")) == "具体原因 (the reason)"
    assert str(devca_errors.CertificateExpired()) == devca_errors.CertificateExpired.message
