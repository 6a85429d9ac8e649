"""Every deliberate failure of ``pki/`` is one family: a :class:`PkiError` with a stable code, a
message in Chinese with its English gloss, and a kind the entry points map (HTTP status, exit code)."""
from __future__ import annotations

import importlib
import inspect
import re
import typing

import pytest

from pki.errors import ErrorKind, PkiError

MODULES = ["pki.certs", "pki.identity", "pki.keys", "pki.keyops", "pki.trust", "pki.seal", "pki.sm2",
           "pki.envelope.errors", "pki.signature.errors", "pki.timestamps", "pki.pkcs11", "pki.devca"]
KINDS = set(typing.get_args(ErrorKind))
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _error_classes():
    seen = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, Exception) and cls.__module__.startswith("pki.") and cls is not PkiError
                    and not cls.__name__.startswith("_")):
                seen[cls] = None
    return list(seen)


ERRORS = _error_classes()


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_pki_exception_is_a_pki_error(cls):
    assert issubclass(cls, PkiError)
    assert not issubclass(cls, ValueError), "a bug's ValueError must not pass for a refusal"


@pytest.mark.parametrize("cls", [c for c in ERRORS if c.__module__.split(".")[1] not in ("pkcs11", "devca")],
                         ids=lambda c: c.__name__)
def test_each_class_has_its_code_a_bilingual_message_and_a_kind(cls):
    assert cls.kind in KINDS
    assert re.fullmatch(r"[a-z0-9_]+", cls.code)
    assert cls.code != "pki_error"
    assert CHINESE.search(cls.message) and "(" in cls.message, cls.message


def test_codes_are_unique_per_class():
    mine = [c for c in ERRORS if c.__module__.split(".")[1] not in ("pkcs11", "devca")]
    codes = [c.code for c in mine]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)


def test_a_message_given_at_the_raise_wins_and_details_travel():
    from pki.envelope import MalformedEnvelope
    from pki.identity import InvalidCreditCode

    exc = InvalidCreditCode("统一社会信用代码应为 18 位 (18 characters)")
    assert str(exc) == exc.message == "统一社会信用代码应为 18 位 (18 characters)"
    assert exc.code == "credit_code_invalid" and exc.kind == "input"
    bad = MalformedEnvelope("truncated")
    assert bad.to_dict() == {"code": "envelope_malformed", "message": bad.message, "details": {"detail": "truncated"}}
    assert "truncated" in str(bad)


def test_kinds_follow_what_went_wrong():
    from pki import envelope
    from pki.keyops import DecryptionFailed
    from pki.signature import SignatureFormatError, TimestampError, TimestampMismatch
    from pki.sm2 import Sm2DecryptionFailed

    for cls in (envelope.IntegrityError, envelope.KeyUnwrapError, envelope.PaddingError, envelope.KeyMismatch,
                TimestampMismatch, DecryptionFailed, Sm2DecryptionFailed):
        assert cls.kind == "integrity", cls
    for cls in (envelope.MalformedEnvelope, envelope.UnsupportedEnvelope, SignatureFormatError):
        assert cls.kind == "input", cls
    assert TimestampError.kind == "unavailable"
    assert envelope.SourceChanged.kind == "io"
