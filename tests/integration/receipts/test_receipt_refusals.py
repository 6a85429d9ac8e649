"""A receipt verifies for RSA, EC and SM2 platform keys, and everything else is refused with its own
reason: tampered JSON, another signer, an untrusted CA, two signers, non-canonical JSON, no token, a
token over something else or from another time, extra unsigned attributes, another document type."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from asn1crypto import cms, core

from pki.receipts import NotReceiptCertificate, ReceiptFields, issue_receipt, verify_receipt
from pki.receipts.statement import sign_statement
from pki.signature import SignatureFormatError, sign
from pki.timestamps import add_timestamp

from support.receipts import NOW, make_tsa


def _issue(rpki, fields, tsa, alg="rsa") -> bytes:
    s = rpki.receipt[alg]
    return issue_receipt(fields, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)


def _verify(rpki, der, alg="rsa", **options):
    return verify_receipt(der, trust_roots=[rpki.root_cert(alg)], tsa_roots=[rpki.root_cert("rsa")], **options)


def _codes(check) -> set[str]:
    return set(check.codes)


def _edit_signer_infos(der: bytes, edit) -> bytes:
    """The receipt with its SignerInfos replaced by ``edit(list of SignerInfo)``."""
    info = cms.ContentInfo.load(der)
    sd = info["content"]
    fields = {name: sd[name] for name, *_ in cms.SignedData._fields
              if name != "signer_infos" and not isinstance(sd[name], core.Void)}
    fields["signer_infos"] = cms.SignerInfos(edit(list(sd["signer_infos"])))
    return cms.ContentInfo({"content_type": info["content_type"], "content": cms.SignedData(fields)}).dump()


def _with_unsigned(signer_info: cms.SignerInfo, attrs) -> cms.SignerInfo:
    fields = {name: signer_info[name] for name, *_ in cms.SignerInfo._fields
              if name != "unsigned_attrs" and not isinstance(signer_info[name], core.Void)}
    if attrs is not None:
        fields["unsigned_attrs"] = cms.CMSAttributes(attrs)
    return cms.SignerInfo(fields)


@pytest.mark.parametrize("alg, flavour", [("rsa", "cms"), ("ec", "cms"), ("sm2", "gm-standard")])
def test_receipt_verifies(rpki, fields, tsa, alg, flavour):
    check = _verify(rpki, _issue(rpki, fields, tsa, alg), alg)
    assert check.ok, check.reasons
    assert check.fields == fields and check.content == fields.canonical()
    assert check.signature.flavour == flavour and "电子招投标平台（测试）" in check.signer_subject
    assert check.timestamp.gen_time == NOW and check.timestamp.ok
    assert check.signature.signing_time is None          # the token is the time


def test_withdrawal_and_replacement_receipts(rpki, fields, tsa):
    for variant in (replace(fields, action="withdrawn"), replace(fields, bid="B-18", replaces="B-17")):
        check = _verify(rpki, _issue(rpki, variant, tsa))
        assert check.ok and check.fields == variant


def test_signing_time_when_given_must_fit(rpki, fields, tsa):
    s = rpki.receipt["rsa"]
    der = issue_receipt(fields, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa, signing_time=NOW)
    assert _verify(rpki, der).ok
    der = issue_receipt(fields, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa,
                        signing_time=NOW - timedelta(hours=1))
    assert _codes(_verify(rpki, der)) == {"signing_time"}


@pytest.mark.parametrize("alg", ["rsa", "sm2"])
def test_tampered_json_is_refused(rpki, fields, tsa, alg):
    der = _issue(rpki, fields, tsa, alg)
    tampered = der.replace(b'"bid":"B-17"', b'"bid":"B-71"')
    assert tampered != der
    check = _verify(rpki, tampered, alg)
    assert not check.ok and "digest_mismatch" in _codes(check)
    assert check.fields.bid == "B-71"               # what the forged document claims, for the report


def test_another_signer_is_refused(rpki, fields, tsa):
    """A bidder's (or any) certificate of the same trusted CA cannot make a receipt."""
    other = rpki.supplier
    with pytest.raises(NotReceiptCertificate):
        issue_receipt(fields, key=other.key, certificate=other.cert, chain=other.chain[:1], tsa=tsa)
    der = add_timestamp(sign(fields.canonical(), key=other.key, certificate=other.cert, chain=other.chain[:1],
                             signing_time=NOW), tsa)
    check = _verify(rpki, der)
    assert _codes(check) == {"signer_role"} and "receiptSigning" in check.message()


def test_receipt_certificate_of_an_untrusted_ca_is_refused(rpki, fields, tsa):
    s = rpki.stranger
    der = issue_receipt(fields, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)
    assert "untrusted_issuer" in _codes(_verify(rpki, der))
    assert _verify(rpki, der, alg="rsa").ok is False
    assert verify_receipt(der, trust_roots=[s.chain[1]], tsa_roots=[rpki.root_cert("rsa")]).ok


def test_two_signers_are_refused(rpki, fields, tsa):
    der = _edit_signer_infos(_issue(rpki, fields, tsa), lambda infos: infos + infos)
    assert _codes(_verify(rpki, der)) == {"signer_count"}


@pytest.mark.parametrize("how", ["reordered", "spaced", "escaped", "newline"])
def test_non_canonical_json_is_refused(rpki, fields, tsa, how):
    value = fields.to_json()
    content = {
        "reordered": json.dumps(value, ensure_ascii=False, separators=(",", ":")),
        "spaced": json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1),
        "escaped": json.dumps({**value, "bidder": "中标人"}, sort_keys=True, separators=(",", ":")),
        "newline": fields.canonical().decode() + "\n",
    }[how].encode()
    s = rpki.receipt["rsa"]
    der = sign_statement(content, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)
    check = _verify(rpki, der)
    assert _codes(check) == {"not_canonical"} and check.fields is None


def test_missing_timestamp_is_refused(rpki, fields, tsa):
    s = rpki.receipt["rsa"]
    unstamped = sign(fields.canonical(), key=s.key, certificate=s.cert, chain=s.chain[:1], signing_time=NOW)
    assert _codes(_verify(rpki, unstamped)) == {"timestamp_missing"}
    stripped = _edit_signer_infos(_issue(rpki, fields, tsa), lambda infos: [_with_unsigned(infos[0], None)])
    check = _verify(rpki, stripped)
    assert _codes(check) == {"timestamp_missing"} and "timestamp" in check.message()


def test_token_of_another_receipt_is_refused(rpki, fields, tsa):
    first = _issue(rpki, fields, tsa)
    second = _issue(rpki, replace(fields, bid="B-18"), tsa)
    token_of_first = cms.ContentInfo.load(first)["content"]["signer_infos"][0]["unsigned_attrs"]
    swapped = _edit_signer_infos(second, lambda infos: [_with_unsigned(infos[0], list(token_of_first))])
    assert _codes(_verify(rpki, swapped)) == {"timestamp_invalid"}


def test_token_of_an_untrusted_tsa_is_refused(rpki, fields, tsa):
    check = verify_receipt(_issue(rpki, fields, tsa), trust_roots=[rpki.root_cert("rsa")],
                           tsa_roots=[rpki.root_cert("ec")])
    assert _codes(check) == {"timestamp_invalid"}


@pytest.mark.parametrize("offset", [timedelta(minutes=10), timedelta(seconds=-5)])
def test_token_far_from_received_at_is_refused(rpki, fields, offset):
    der = _issue(rpki, fields, make_tsa(rpki, NOW + offset))
    check = _verify(rpki, der)
    assert _codes(check) == {"timestamp_time"}
    assert _verify(rpki, der, tolerance=timedelta(minutes=15)).ok is (offset > timedelta(0))


def test_extra_unsigned_attribute_is_refused(rpki, fields, tsa):
    def add(infos):
        attrs = list(infos[0]["unsigned_attrs"])
        attrs.append(cms.CMSAttribute({"type": "1.2.3.4.5", "values": [core.UTF8String("收到")]}))
        return [_with_unsigned(infos[0], attrs)]
    check = _verify(rpki, _edit_signer_infos(_issue(rpki, fields, tsa), add))
    assert _codes(check) == {"unexpected_attribute"}


def test_another_document_type_is_refused(rpki, fields, tsa):
    s = rpki.receipt["rsa"]
    from pki.receipts.canonical import canonical_json
    content = canonical_json({**fields.to_json(), "type": "opening-transcript"})
    der = sign_statement(content, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)
    assert _codes(_verify(rpki, der)) == {"wrong_type"}


def test_bytes_that_are_no_signature_raise(rpki):
    with pytest.raises(SignatureFormatError):
        _verify(rpki, b'{"type":"bid-receipt"}')


def test_detached_signature_is_refused(rpki, fields, tsa):
    s = rpki.receipt["rsa"]
    der = add_timestamp(sign(fields.canonical(), key=s.key, certificate=s.cert, chain=s.chain[:1], detached=True,
                             signing_time=NOW), tsa)
    check = _verify(rpki, der)
    assert "content_missing" in _codes(check) and check.fields is None


def test_fields_are_checked_before_signing(rpki, tsa):
    s = rpki.receipt["rsa"]
    bad = ReceiptFields(tender="T", bid="B", bidder="X", size=0, sha256="0" * 64, sm3="0" * 64, received_at=NOW)
    from pki.receipts import ReceiptFieldsInvalid
    with pytest.raises(ReceiptFieldsInvalid):
        issue_receipt(bad, key=s.key, certificate=s.cert, chain=s.chain[:1], tsa=tsa)
