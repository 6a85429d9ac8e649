"""The verifier checks exactly what was received, every signer, and only DER in what is signed
(issue "Hostile input", findings 1, 2 and part of 8).

OpenSSL 3.0 is the oracle: each case is built with the project's signer, altered in its DER tree and —
where the question is the encoding alone — signed again over the altered bytes with the signer's own
key; then ``openssl cms -verify -binary -CAfile … -purpose any`` and :func:`pki.signature.verify` give
their verdicts side by side. "before" means the signature covers the bytes as they were before the
alteration (the attack: extra bytes slipped into signed data that a normalising parser drops again);
"after" means it covers the altered bytes themselves.

Where OpenSSL is laxer the table says so, with the reason:
- it hashes its own re-encoding of signedAttrs (keeping the received SET order, ASN1_TFLG_SET_ORDER):
  BER lengths (indefinite, padded) over a DER signature pass, unsorted attributes signed as received pass;
- it does not look into the ESS signing-certificate-v2 value at all (a wrong certHash passes), so extra
  or non-minimal elements inside it pass when signed as received.
RFC 5652 §5.3 requires signedAttrs in DER: the project refuses those (``not_der``).
"""
from __future__ import annotations

import copy
import hashlib

import pytest

from support.dertree import Node, oid, parse
from support.exact_signatures import (OID_CONTENT_TYPE, OID_SIGNING_CERTIFICATE_V2, OID_TIME_STAMP_TOKEN, PaddedLength,
                           Signature, attribute, corrupt, ess_cert_id, message_of, openssl_cms_verdict,
                           project_verdict, resign, set_message_digest, signature_value, signed_attrs, sort_set)
from pki.certs import load_certificate_file
from pki.keyops import FileKey
from pki.keys import load_private_key
from pki.signature import SignatureFormatError, sign, verify, verify_timestamp_token
from pki.timestamps import add_timestamp

DOC = "投标函：第 2026-001 号项目，报价 1,000,000 元".encode()


@pytest.fixture()
def cafile(tmp_path, rsa_chain, ec_chain):
    path = tmp_path / "roots.pem"
    path.write_bytes(rsa_chain.root_pem.read_bytes() + ec_chain.root_pem.read_bytes())
    return path


@pytest.fixture()
def judge(cafile, tmp_path, attime, now, rsa_chain, ec_chain):
    """``judge(der) -> (openssl verdict, project verdict)``."""
    def run(der: bytes) -> tuple[str, str]:
        return (openssl_cms_verdict(der, cafile, tmp_path, attime),
                project_verdict(der, trust_roots=[rsa_chain.root, ec_chain.root], at=now))
    return run


def _rsa_signature(rsa_chain, now) -> Signature:
    return Signature(sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
                          signing_time=now))


def _merge(first: Signature, second: Signature) -> Signature:
    """``first`` with ``second``'s certificates and SignerInfos added (same content, same digest)."""
    merged = first.copy()
    merged.certificates.children += copy.deepcopy(second.certificates.children)
    merged.signer_infos.children += copy.deepcopy(second.signer_infos.children)
    return merged


# -- finding 2: every signer ------------------------------------------------------------------------------
@pytest.mark.parametrize("corrupted, openssl_expected", [(None, "ok"), (1, "refused"), (0, "refused")],
                         ids=["both-good", "second-corrupt", "first-corrupt"])
def test_every_signer_is_verified(judge, now, rsa_chain, ec_chain, corrupted, openssl_expected):
    ec = Signature(sign(DOC, key=ec_chain.key, certificate=ec_chain.leaf, chain=[ec_chain.intermediate],
                        signing_time=now))
    both = _merge(_rsa_signature(rsa_chain, now), ec)
    if corrupted is not None:
        corrupt(both.signer(corrupted))
    openssl, project = judge(both.der())
    assert openssl == openssl_expected
    assert project == ("ok" if corrupted is None else "refused:bad_signature")

    result = verify(both.der(), trust_roots=[rsa_chain.root, ec_chain.root], at=now)
    assert [s.index for s in result.signers] == [0, 1]
    assert [s.signer_subject for s in result.signers] == [rsa_chain.leaf.subject.human_friendly,
                                                         ec_chain.leaf.subject.human_friendly]
    assert [s.signature_algorithm for s in result.signers] == ["rsassa_pkcs1v15", "sha256_ecdsa"]
    assert all(s.flavour == "cms" and s.chain.ok and s.signing_time == now for s in result.signers)
    assert [s.ok for s in result.signers] == [i != corrupted for i in range(2)]
    if corrupted is not None:
        assert result.signers[corrupted].codes == ("bad_signature",)
        assert f"第 {corrupted + 1} 个签名者 (signer {corrupted + 1})" in result.message()
    # the top-level signer fields are the first signer's
    assert result.signer_certificate.dump() == rsa_chain.leaf.dump()


def test_openssl_two_signer_stream_output_verifies(run_openssl, tmp_path, now, rsa_chain, ec_chain):
    """``openssl cms -sign -stream`` writes BER (indefinite lengths) around DER signed attributes."""
    doc, inters, out = tmp_path / "doc", tmp_path / "inters.pem", tmp_path / "two.der"
    doc.write_bytes(DOC)
    inters.write_bytes(rsa_chain.intermediate_pem.read_bytes() + ec_chain.intermediate_pem.read_bytes())
    run_openssl("cms", "-sign", "-binary", "-nodetach", "-stream", "-in", doc, "-signer", rsa_chain.leaf_pem,
                "-inkey", rsa_chain.key_pem, "-signer", ec_chain.leaf_pem, "-inkey", ec_chain.key_pem,
                "-certfile", inters, "-outform", "DER", "-out", out)
    der = out.read_bytes()
    assert der[1] == 0x80                           # BER at the outside
    result = verify(der, trust_roots=[rsa_chain.root, ec_chain.root], at=now)
    assert result.ok, result.reasons
    assert len(result.signers) == 2 and all(s.ok for s in result.signers)
    assert result.content == DOC


def test_no_signer_info_is_refused(judge, rsa_chain, now):
    none = _rsa_signature(rsa_chain, now)
    none.signer_infos.children.clear()
    assert judge(none.der()) == ("refused", "format-error")


# -- finding 1: the signed attributes exactly as received ---------------------------------------------------
def _ess_extra_octet_string(signer: Node) -> None:
    ess_cert_id(signer).children.append(Node(0x04, b"extra"))


def _ess_trailing_element(signer: Node) -> None:
    attribute(signer, OID_SIGNING_CERTIFICATE_V2)[1][0].children.append(Node(0x04, b"extra"))


def _attribute_third_element(signer: Node) -> None:
    attribute(signer, OID_SIGNING_CERTIFICATE_V2).children.append(Node(0x04, b"extra"))


def _ess_second_value(signer: Node) -> None:
    values = attribute(signer, OID_SIGNING_CERTIFICATE_V2)[1]
    values.children.append(copy.deepcopy(values[0]))


def _content_type_twice(signer: Node) -> None:
    attrs = signed_attrs(signer)
    attrs.children.append(copy.deepcopy(attribute(signer, OID_CONTENT_TYPE)))
    sort_set(attrs)                                 # still in DER order: only the duplicate is wrong


def _non_minimal_integer(signer: Node) -> None:
    serial = ess_cert_id(signer)[-1][1]             # issuerSerial.serialNumber
    assert serial.tag == 0x02
    serial.value = b"\x00" + serial.value


#: alteration → (OpenSSL before, project before, OpenSSL after, project after)
ALTERATIONS = {
    "ess-extra-octet-string": (_ess_extra_octet_string, "refused", "refused:not_der", "ok", "refused:not_der"),
    "ess-trailing-element": (_ess_trailing_element, "refused", "refused:not_der", "ok", "refused:not_der"),
    "attribute-third-element": (_attribute_third_element, "refused", "refused:not_der", "refused",
                                "refused:not_der"),
    "ess-second-value": (_ess_second_value, "refused", "refused:malformed_attribute", "refused",
                         "refused:malformed_attribute"),
    "content-type-twice": (_content_type_twice, "refused", "refused:malformed_attribute", "refused",
                           "refused:malformed_attribute"),
    "non-minimal-integer": (_non_minimal_integer, "refused", "refused:not_der", "ok", "refused:not_der"),
}


@pytest.mark.parametrize("signed", ["before", "after"])
@pytest.mark.parametrize("name", list(ALTERATIONS))
def test_altered_signed_attributes(judge, rsa_chain, now, name, signed):
    alter, openssl_before, project_before, openssl_after, project_after = ALTERATIONS[name]
    sig = _rsa_signature(rsa_chain, now)
    alter(sig.signer())
    if signed == "after":
        resign(sig.signer(), rsa_chain.key)
    expected = (openssl_before, project_before) if signed == "before" else (openssl_after, project_after)
    assert judge(sig.der()) == expected


def test_the_hash_covers_the_received_bytes(rsa_chain, now):
    """Before the fix the signature was checked over asn1crypto's re-encoding, which drops the extra
    element again: a signature over the clean attributes verified with extra bytes inside them."""
    sig = _rsa_signature(rsa_chain, now)
    clean = message_of(sig.signer())
    _ess_extra_octet_string(sig.signer())
    assert message_of(sig.signer()) != clean
    result = verify(sig.der(), trust_roots=[rsa_chain.root], at=now)
    assert not result.ok and result.codes == ("not_der",)
    assert "differs from its DER re-encoding" in result.message()


@pytest.mark.parametrize("signed", ["before", "after"])
def test_legitimate_additions_still_verify(judge, rsa_chain, now, signed):
    """Controls: a second ESSCertIDv2 and an attribute of an unknown type, both DER and in DER order, are
    accepted by both once signed (and refused by both when the signature predates them)."""
    sig = _rsa_signature(rsa_chain, now)
    certs = attribute(sig.signer(), OID_SIGNING_CERTIFICATE_V2)[1][0][0]
    other = copy.deepcopy(certs[0])
    other[0].value = b"\x11" * 32
    certs.children.append(other)
    attrs = signed_attrs(sig.signer())
    attrs.children.append(Node(0x30, children=[Node(0x06, oid("1.3.6.1.4.1.99999.7")),
                                               Node(0x31, children=[Node(0x0C, "附加".encode())])]))
    sort_set(attrs)
    if signed == "after":
        resign(sig.signer(), rsa_chain.key)
    assert judge(sig.der()) == (("ok", "ok") if signed == "after" else ("refused", "refused:bad_signature"))


# -- finding 8: non-DER signed attributes ------------------------------------------------------------------
def _indefinite(signer: Node) -> None:
    signed_attrs(signer).indefinite = True


def _unsorted(signer: Node) -> None:
    signed_attrs(signer).children.reverse()


def _padded_length(signer: Node) -> None:
    attrs = signed_attrs(signer)
    attrs.children[0] = PaddedLength.of(attrs.children[0])


#: (OpenSSL before, OpenSSL after); the project answers not_der to all six
NON_DER = {
    "indefinite-length": (_indefinite, "ok", "refused"),
    "unsorted-set-of": (_unsorted, "refused", "ok"),
    "padded-length": (_padded_length, "ok", "refused"),
}


@pytest.mark.parametrize("signed", ["before", "after"])
@pytest.mark.parametrize("name", list(NON_DER))
def test_non_der_signed_attributes(judge, rsa_chain, now, name, signed):
    """X.690 §10.1/§11.6: definite minimal lengths, SET OF in ascending order. OpenSSL hashes its DER
    re-encoding of the lengths but keeps the received order, so it accepts BER lengths over a DER
    signature and an unsorted SET signed as received; the project refuses every non-DER form."""
    alter, openssl_before, openssl_after = NON_DER[name]
    sig = _rsa_signature(rsa_chain, now)
    alter(sig.signer())
    if signed == "after":
        resign(sig.signer(), rsa_chain.key)
    openssl, project = judge(sig.der())
    assert openssl == (openssl_before if signed == "before" else openssl_after)
    assert project == "refused:not_der"


def test_non_der_ecdsa_signature_value(judge, ec_chain, now):
    """OpenSSL re-encodes an ECDSA-Sig-Value and compares: a padded INTEGER r is refused; so here."""
    sig = Signature(sign(DOC, key=ec_chain.key, certificate=ec_chain.leaf, chain=[ec_chain.intermediate],
                         signing_time=now))
    assert judge(sig.der()) == ("ok", "ok")
    value = parse(signature_value(sig.signer()).value)
    value[0].value = b"\x00" + value[0].value
    signature_value(sig.signer()).value = value.encode()
    assert judge(sig.der()) == ("refused", "refused:not_der")


def test_non_der_embedded_certificate(judge, rsa_chain, now):
    """The signer's certificate as received: a padded length inside tbsCertificate breaks the CA's
    signature for OpenSSL (it checks the received bytes); the project refuses non-DER certificates
    outright rather than judge asn1crypto's DER re-encoding of them."""
    sig = _rsa_signature(rsa_chain, now)
    leaf = next(c for c in sig.certificates.children if c.encode() == rsa_chain.leaf.dump())
    tbs = leaf[0]
    tbs.children[-1] = PaddedLength.of(tbs.children[-1])         # the extensions
    assert judge(sig.der()) == ("refused", "format-error")


# -- timestamp tokens: the TSTInfo as received --------------------------------------------------------------
def _serial_non_minimal(tst: Node) -> None:
    tst[3].value = b"\x00" + tst[3].value


def _tst_trailing_element(tst: Node) -> None:
    tst.children.append(Node(0x04, b"extra"))


@pytest.mark.parametrize("alter", [None, _serial_non_minimal, _tst_trailing_element],
                         ids=["unaltered", "serial-non-minimal", "trailing-element"])
def test_tstinfo_exactly_as_received(run_openssl, attime, tmp_path, now, rsa_chain, tsa_chain, tsa, alter):
    """The token's TSTInfo re-signed by the TSA key over the altered bytes (message digest fixed): OpenSSL
    ``ts -verify`` cannot decode it; the project refuses a TSTInfo that is not DER."""
    stamped = Signature(add_timestamp(_rsa_signature(rsa_chain, now).der(), tsa))
    signer = stamped.signer()
    unsigned = signer.children[-1]
    token_attr = next(a for a in unsigned.children if a[0].value == OID_TIME_STAMP_TOKEN)
    token = Signature.__new__(Signature)
    token.tree = token_attr[1][0]
    tst = parse(token.econtent.value)
    if alter is not None:
        alter(tst)
    token.econtent.value = tst.encode()
    set_message_digest(token.signer(), token.econtent.value)
    resign(token.signer(), tsa_chain.key)

    imprint_data = signature_value(signer).value
    (tmp_path / "token.der").write_bytes(token.der())
    proc = run_openssl("ts", "-verify", "-in", tmp_path / "token.der", "-token_in", "-digest",
                       hashlib.sha256(imprint_data).hexdigest(), "-CAfile", tsa_chain.root_pem, "-untrusted",
                       tsa_chain.intermediate_pem, "-attime", attime, check=False)
    openssl_ok = proc.returncode == 0 and b"Verification: OK" in proc.stdout
    kwargs = dict(trust_roots=[tsa_chain.root], intermediates=[tsa_chain.intermediate])
    result = verify(stamped.der(), trust_roots=[rsa_chain.root], tsa_trust_roots=[tsa_chain.root], at=now)
    if alter is None:
        assert openssl_ok, proc.stdout + proc.stderr
        assert verify_timestamp_token(token.der(), data=imprint_data, **kwargs).ok
        assert result.ok and result.signers[0].timestamp.ok
        return
    assert not openssl_ok
    with pytest.raises(SignatureFormatError, match="TSTInfo"):
        verify_timestamp_token(token.der(), data=imprint_data, **kwargs)
    assert not result.ok and set(result.codes) == {"timestamp_invalid"}
    assert result.signers[0].timestamp.codes == ("timestamp_unreadable",)


def test_timestamp_token_with_two_signer_infos_is_refused(rsa_chain, tsa_chain, tsa, now):
    """RFC 3161 §2.4.2: the token carries the TSA's signature and no other."""
    stamped = Signature(add_timestamp(_rsa_signature(rsa_chain, now).der(), tsa))
    unsigned = stamped.signer().children[-1]
    token_node = next(a for a in unsigned.children if a[0].value == OID_TIME_STAMP_TOKEN)[1][0]
    token = Signature.__new__(Signature)
    token.tree = token_node
    token.signer_infos.children.append(copy.deepcopy(token.signer()))
    with pytest.raises(SignatureFormatError, match="SignerInfo"):
        verify_timestamp_token(token.der(), data=signature_value(stamped.signer()).value, trust_roots=[tsa_chain.root])


# -- GM/T 0010: two SM2 signers ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gm_bidder(sm2_vectors):
    class V:
        root = load_certificate_file(sm2_vectors / "ca_cert.pem")
        cert = load_certificate_file(sm2_vectors / "bidder_cert.pem")
        key = FileKey(load_private_key((sm2_vectors / "bidder_key.pem").read_bytes(), b"1234"))
    return V


def _two_sm2_signers(sm2_chain, gm_bidder, now) -> Signature:
    """Signer 1: the standard flavour (signed attributes, Z); signer 2: GmSSL's (no attributes, no Z,
    SM3 over the received EncapsulatedContentInfo)."""
    standard = Signature(sign(DOC, key=sm2_chain.key, certificate=sm2_chain.leaf, signing_time=now))
    gmssl = Signature(sign(DOC, key=gm_bidder.key, certificate=gm_bidder.cert, gmssl_compat=True))
    return _merge(standard, gmssl)


@pytest.mark.parametrize("corrupted", [None, 1, 0], ids=["both-good", "second-corrupt", "first-corrupt"])
def test_two_sm2_signers(run_openssl, tmp_path, now, sm2_chain, gm_bidder, corrupted):
    """``openssl cms`` knows no GM/T 0010 types: each signature value is checked instead with ``openssl
    pkeyutl`` over the very bytes the project hashes (signer 1: the received signed attributes)."""
    both = _two_sm2_signers(sm2_chain, gm_bidder, now)
    if corrupted is not None:
        corrupt(both.signer(corrupted))
    result = verify(both.der(), trust_roots=[sm2_chain.root, gm_bidder.root], at=now)
    assert [s.flavour for s in result.signers] == ["gm-standard", "gm-standard" if corrupted == 1 else "gm-gmssl"]
    assert [s.ok for s in result.signers] == [i != corrupted for i in range(2)]
    assert result.ok == (corrupted is None), result.reasons
    if corrupted is not None:
        assert result.signers[corrupted].codes == ("bad_signature",)

    (tmp_path / "msg").write_bytes(message_of(both.signer(0)))
    (tmp_path / "sig").write_bytes(signature_value(both.signer(0)).value)
    proc = run_openssl("pkeyutl", "-verify", "-pubin", "-inkey", sm2_chain.key_pem, "-rawin", "-digest", "sm3",
                       "-pkeyopt", "distid:1234567812345678", "-in", tmp_path / "msg", "-sigfile", tmp_path / "sig",
                       check=False)
    assert (proc.returncode == 0) == (corrupted != 0)


def test_sm2_non_der_signature_value(now, sm2_chain, gm_bidder):
    both = _two_sm2_signers(sm2_chain, gm_bidder, now)
    value = parse(signature_value(both.signer(1)).value)
    value[0].value = b"\x00" + value[0].value
    signature_value(both.signer(1)).value = value.encode()
    result = verify(both.der(), trust_roots=[sm2_chain.root, gm_bidder.root], at=now)
    assert [s.ok for s in result.signers] == [True, False]
    assert result.signers[1].codes == ("not_der",)


def test_sm2_gmssl_flavour_hashes_the_received_encapsulated_content(now, gm_bidder):
    """GmSSL's flavour covers the DER of the EncapsulatedContentInfo: the received one, so a BER
    rewrite of it (indefinite length) no longer matches the signature."""
    sig = Signature(sign(DOC, key=gm_bidder.key, certificate=gm_bidder.cert, gmssl_compat=True))
    assert verify(sig.der(), trust_roots=[gm_bidder.root], at=now).flavour == "gm-gmssl"
    sig.signed_data[2].indefinite = True
    result = verify(sig.der(), trust_roots=[gm_bidder.root], at=now)
    assert not result.ok and result.codes == ("bad_signature",)


# -- bidtool verify: one line per signer ----------------------------------------------------------------------
@pytest.mark.parametrize("corrupted", [None, 1])
def test_bidtool_verify_prints_every_signer(capsys, tmp_path, now, rsa_chain, ec_chain, corrupted):
    from bidtool.cli import main
    ec = Signature(sign(DOC, key=ec_chain.key, certificate=ec_chain.leaf, chain=[ec_chain.intermediate],
                        signing_time=now))
    both = _merge(_rsa_signature(rsa_chain, now), ec)
    if corrupted is not None:
        corrupt(both.signer(corrupted))
    path = tmp_path / "two.p7s"
    path.write_bytes(both.der())
    code = main(["verify", "--ca", str(rsa_chain.root_pem), "--ca", str(ec_chain.root_pem), "--at", now.isoformat(),
                 str(path)])
    out, err = capsys.readouterr()
    if corrupted is None:
        assert code == 0, err
        lines = out.strip().splitlines()
        assert lines[0].startswith("Verification successful: 2 signer(s)")
        assert lines[1].startswith("signer 1: ") and "RSA" in lines[1] and lines[1].endswith("flavour cms")
        assert lines[2].startswith("signer 2: ") and "EC" in lines[2]
    else:
        assert code != 0 and "NOT valid" in err and "signer 2" in err


# -- the unsigned framing: BER is allowed, what BER forbids or the schema lacks is not ----------------------------
def _signature_algorithm(signer: Node) -> Node:
    return signer[4] if signer[3].tag == 0xA0 else signer[3]


def test_framing_ber_lengths_are_accepted(judge, rsa_chain, now):
    """RFC 5652 allows BER outside the signed attributes: a padded length on SignedData.version and an
    indefinite SignerInfo pass both."""
    sig = _rsa_signature(rsa_chain, now)
    sig.signed_data.children[0] = PaddedLength.of(sig.signed_data[0])
    sig.signer().indefinite = True
    assert judge(sig.der()) == ("ok", "ok")


def test_framing_non_minimal_integer_is_refused(judge, rsa_chain, now):
    """X.690 §8.3.2 (a BER rule, not only DER): INTEGERs are minimal — SignerInfo.version here."""
    sig = _rsa_signature(rsa_chain, now)
    sig.signer()[0].value = b"\x00" + sig.signer()[0].value
    assert judge(sig.der()) == ("refused", "format-error")


def test_hidden_element_in_pss_parameters_is_refused(judge, rsa_chain, now):
    """RSASSA-PSS parameters whose [1] maskGenAlgorithm holds two AlgorithmIdentifiers: asn1crypto
    reads the first and skips the second, OpenSSL refuses the structure; so does the project."""
    sig = Signature(sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
                         signing_time=now, pss=True))
    assert judge(sig.der()) == ("ok", "ok")
    mgf = _signature_algorithm(sig.signer())[1][1]
    assert mgf.tag == 0xA1
    mgf.children.append(copy.deepcopy(mgf[0]))
    assert judge(sig.der()) == ("refused", "format-error")


def test_certificate_with_two_signature_algorithms_is_refused(judge, rsa_chain, now):
    """RFC 5280 §4.1.1.2: Certificate.signatureAlgorithm equals tbsCertificate.signature. OpenSSL refuses
    a certificate whose outer one lost its NULL parameter (certificate signature failure)."""
    sig = _rsa_signature(rsa_chain, now)
    leaf = next(c for c in sig.certificates.children if c.encode() == rsa_chain.leaf.dump())
    del leaf[1].children[1]
    assert judge(sig.der()) == ("refused", "format-error")


def test_openssl_refuses_an_empty_value_with_a_long_form_length(judge, rsa_chain, now):
    """OpenSSL is stricter here, and wrongly: ``05 81 00`` (NULL, length in long form) as the last
    element of an AlgorithmIdentifier is valid BER, but OpenSSL's asn1_get_length wants one octet more
    than the value has ("header too long"). The project accepts it: the digestAlgorithms are framing."""
    sig = _rsa_signature(rsa_chain, now)
    algorithm = sig.signed_data[1][0]
    assert algorithm[1].tag == 0x05
    algorithm.children[1] = PaddedLength.of(algorithm[1])
    assert judge(sig.der()) == ("refused", "ok")
