"""The small parts of an envelope are DER where OpenSSL wants DER (the fuzz suite's findings: a
padded INTEGER, an extra or repeated element, a lost field, a name asn1crypto cannot compare).

Each case builds the damaged envelope deterministically from a real one (a DER tree edit,
tests/support/der_tree.py), and checks that the project refuses it with a PkiError naming the part
and leaves nothing behind, and that ``openssl cms -decrypt`` refuses it as well. What OpenSSL
accepts beyond DER (DEFAULT values written out, RecipientInfos in any order) still opens."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import algos, core, x509

from pki import envelope
from pki.certs import CertificateError
from pki.envelope.content import ContentAlgorithm, GcmParameters
from pki.validation import validate_certificate
from support.der_tree import Node, encode, parse
from tests.integration.envelope.conftest import openssl

# paths in the tree of a DER envelope: ContentInfo / [0] / (Auth)EnvelopedData = (1, 0)
VERSION = (1, 0, 0)
RI = (1, 0, 1, 0)                          # the first RecipientInfo
KTRI_ISSUER_SERIAL = RI + (1,)             # IssuerAndSerialNumber: (Name, serial)
KTRI_ALGORITHM = RI + (2,)                 # RSAES-OAEP AlgorithmIdentifier
KARI_WRAP = RI + (2, 1)                    # KeyAgreeRecipientInfo: the key-wrap AlgorithmIdentifier
KARI_ISSUER_SERIAL = RI + (3, 0, 0)        # recipientEncryptedKeys[0].rid
CONTENT_ALGORITHM = (1, 0, 2, 1)           # EncryptedContentInfo.contentEncryptionAlgorithm
GCM_PARAMETERS = CONTENT_ALGORITHM + (1,)


def _at(root: Node, path: tuple[int, ...]) -> Node:
    for index in path:
        root = root.children[index]
    return root


def _pad_integer(path):
    """The INTEGER at ``path`` with a leading zero octet: its value unchanged, not minimal."""
    def edit(root):
        node = _at(root, path)
        node.value = b"\x00" + node.value
    return edit


def _repeat_child(path, index):
    def edit(root):
        node = _at(root, path)
        node.children.insert(index + 1, copy.deepcopy(node.children[index]))
    return edit


def _drop_child(path, index):
    def edit(root):
        del _at(root, path).children[index]
    return edit


def _issuer_value(text: str):
    """The recipient's issuer name with the value of its first attribute replaced by ``text``."""
    def edit(root):
        _at(root, KTRI_ISSUER_SERIAL + (0, 0, 0, 1)).value = text.encode()
    return edit


@pytest.fixture
def sealed(tmp_path, plain, rsa_party, ec_party):
    made = {}

    def make(kind: str) -> tuple[bytes, object]:
        if kind not in made:
            cipher, party = {"rsa-gcm": ("aes-256-gcm", rsa_party), "rsa-cbc": ("aes-256-cbc", rsa_party),
                             "ec-gcm": ("aes-256-gcm", ec_party)}[kind]
            path = tmp_path / f"{kind}.der"
            envelope.encrypt_file(plain, path, recipients=[party.cert], cipher=cipher)
            made[kind] = (path.read_bytes(), party)
        return made[kind]
    return make


def _refused_by_both(data: bytes, party, tmp_path: Path, error, words: str) -> None:
    src = tmp_path / "case.der"
    src.write_bytes(data)
    dst = tmp_path / "out" / "plain.bin"
    with pytest.raises(error) as refusal:
        envelope.decrypt_file(src, dst, key=party.key, certificate=party.cert)
    assert words in str(refusal.value), refusal.value
    assert not (tmp_path / "out").exists()
    proc = openssl("cms", "-decrypt", "-inform", "DER", "-in", str(src), "-recip", str(party.cert_path),
                   "-inkey", str(party.key_path), "-binary", "-out", str(tmp_path / "openssl.out"), check=False)
    assert proc.returncode != 0, "OpenSSL opened what the project refuses: keep it, not refuse it"


def _opened_by_both(data: bytes, party, tmp_path: Path, name: str = "kept.der") -> bytes:
    src = tmp_path / name
    src.write_bytes(data)
    dst = tmp_path / f"{name}.plain"
    envelope.decrypt_file(src, dst, key=party.key, certificate=party.cert)
    out = tmp_path / f"{name}.openssl"
    openssl("cms", "-decrypt", "-inform", "DER", "-in", str(src), "-recip", str(party.cert_path),
            "-inkey", str(party.key_path), "-binary", "-out", str(out))
    assert out.read_bytes() == dst.read_bytes()
    return dst.read_bytes()


def _edited(data: bytes, edit) -> bytes:
    tree = parse(data)
    edit(tree[0])
    changed = encode(tree)
    assert changed != data
    return changed


@pytest.mark.parametrize("kind", ["rsa-gcm", "rsa-cbc", "ec-gcm"])
def test_the_unchanged_envelopes_open_in_both(sealed, tmp_path, kind):
    data, party = sealed(kind)
    _opened_by_both(data, party, tmp_path)


# -- INTEGERs padded with a leading zero: envelope:692, 34, 954, 1765, 400 ------------------------------
@pytest.mark.parametrize("kind, path, words", [
    ("rsa-gcm", VERSION, "authEnvelopedData version is not DER-encoded"),
    ("rsa-cbc", VERSION, "envelopedData version is not DER-encoded"),
    ("rsa-gcm", RI + (0,), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", KTRI_ISSUER_SERIAL + (1,), "RecipientInfo is not DER-encoded"),
    ("ec-gcm", RI + (0,), "RecipientInfo is not DER-encoded"),
    ("ec-gcm", KARI_ISSUER_SERIAL + (1,), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", GCM_PARAMETERS + (1,), "GCM parameters is not DER-encoded"),
], ids=["outer-version", "enveloped-version", "ktri-version", "ktri-serial", "kari-version", "kari-serial",
        "gcm-icvlen"])
def test_a_padded_integer_is_refused_as_openssl_refuses_it(sealed, tmp_path, kind, path, words):
    data, party = sealed(kind)
    _refused_by_both(_edited(data, _pad_integer(path)), party, tmp_path, envelope.MalformedEnvelope, words)


# -- extra or repeated elements: envelope:394, 596, 212, 924, 3359, 1282, bid:743, 1347 -------------------
@pytest.mark.parametrize("kind, edit, words", [
    ("rsa-gcm", _repeat_child(KTRI_ALGORITHM + (1,), 1), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", _repeat_child(KTRI_ALGORITHM + (1, 0), 0), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", _repeat_child(KTRI_ALGORITHM + (1, 1), 0), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", _repeat_child(KTRI_ISSUER_SERIAL, 1), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", _repeat_child(KTRI_ISSUER_SERIAL + (0, 0, 0), 1), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", _repeat_child(RI, 3), "RecipientInfo is not DER-encoded"),
    ("ec-gcm", _repeat_child(KARI_WRAP, 0), "key-wrap AlgorithmIdentifier of a RecipientInfo has parameters"),
    ("ec-gcm", _repeat_child(KARI_ISSUER_SERIAL, 1), "RecipientInfo is not DER-encoded"),
    ("rsa-gcm", _repeat_child(CONTENT_ALGORITHM, 1), "contentEncryptionAlgorithm is not DER-encoded"),
    ("rsa-gcm", _repeat_child(GCM_PARAMETERS, 1), "GCM parameters is not DER-encoded"),
], ids=["oaep-params", "oaep-hash-explicit-tag", "oaep-mgf-explicit-tag", "issuer-and-serial",
        "name-attribute", "ktri-encrypted-key", "kari-key-wrap", "kari-issuer-and-serial",
        "content-algorithm", "gcm-parameters"])
def test_an_extra_element_is_refused_as_openssl_refuses_it(sealed, tmp_path, kind, edit, words):
    data, party = sealed(kind)
    _refused_by_both(_edited(data, edit), party, tmp_path, envelope.MalformedEnvelope, words)


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag, len(body))) + body


def _unprotected(value: bytes, extra: bytes = b""):
    """unprotectedAttrs [1] { Attribute { 1.2.3.4, SET { value } } extra } after the content."""
    def edit(root):
        attribute = _tlv(0x30, bytes.fromhex("06032a0304") + _tlv(0x31, value) + extra)
        _at(root, (1, 0)).children.append(Node(b"\xa1", children=parse(attribute)))
    return edit


@pytest.mark.parametrize("edit", [_unprotected(_tlv(0x02, b"\x00\x05")),
                                  _unprotected(_tlv(0x02, b"\x05"), extra=_tlv(0x02, b"\x05"))],
                         ids=["padded-integer-value", "extra-element"])
def test_unused_attributes_are_checked_as_openssl_parses_them(sealed, tmp_path, edit):
    data, party = sealed("rsa-cbc")
    _refused_by_both(_edited(data, edit), party, tmp_path, envelope.MalformedEnvelope,
                     "unprotectedAttrs is not DER-encoded")


@pytest.mark.parametrize("edit", [_unprotected(_tlv(0x02, b"\x05")), _unprotected(_tlv(0x30, _tlv(0x02, b"\x00\x05")))],
                         ids=["der", "any-sequence-kept-as-is"])
def test_attributes_openssl_reads_still_open(sealed, tmp_path, edit):
    """OpenSSL keeps a SEQUENCE inside an attribute value (ANY) as bytes: so does the project."""
    data, party = sealed("rsa-cbc")
    _opened_by_both(_edited(data, edit), party, tmp_path)


# -- tracebacks: envelope:4052, 4258 (lost OAEP parameters), 1645, 2265, bid:1190 (issuer name) ---------
def test_oaep_without_its_parameters_is_refused_not_a_traceback(sealed, tmp_path):
    data, party = sealed("rsa-gcm")
    changed = _edited(data, _drop_child(KTRI_ALGORITHM, 1))
    _refused_by_both(changed, party, tmp_path, envelope.MalformedEnvelope, "RSAES-OAEP without its parameters")
    (tmp_path / "inspect.der").write_bytes(changed)
    with pytest.raises(envelope.MalformedEnvelope):
        envelope.inspect(tmp_path / "inspect.der")


@pytest.mark.parametrize("text", ["\ue000 private use", "\U000e0080 unassigned"])
def test_an_issuer_name_that_cannot_be_compared_is_refused_not_a_traceback(sealed, tmp_path, text):
    data, party = sealed("rsa-gcm")
    _refused_by_both(_edited(data, _issuer_value(text)), party, tmp_path, envelope.MalformedEnvelope,
                     "issuer name in a RecipientInfo")


def test_a_certificate_whose_name_cannot_be_compared_is_unreadable(rsa_party):
    """signature:2120: the same ValueError out of path validation."""
    cert = x509.Certificate.load(rsa_party.cert.dump())
    tbs = cert["tbs_certificate"]
    tbs["subject"] = x509.Name.build({"common_name": "\ue000 private use"})
    damaged = x509.Certificate.load(cert.dump(force=True))
    with pytest.raises(CertificateError, match="unreadable certificate"):
        validate_certificate(damaged, at=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc), trust_roots=[rsa_party.cert])


# -- what OpenSSL accepts beyond DER stays accepted ---------------------------------------------------
def test_oaep_parameters_with_their_defaults_written_out_still_open(tmp_path, plain, rsa_party):
    """OpenSSL writes RSAES-OAEP with SHA-1 as an empty SEQUENCE and reads the defaults written out."""
    der = tmp_path / "openssl-oaep.der"
    openssl("cms", "-encrypt", "-in", str(plain), "-binary", "-aes-256-gcm", "-recip", str(rsa_party.cert_path),
            "-keyopt", "rsa_padding_mode:oaep", "-outform", "DER", "-out", str(der))
    data = der.read_bytes()
    assert _at(parse(data)[0], KTRI_ALGORITHM + (1,)).children == []

    def explicit(root):
        _at(root, KTRI_ALGORITHM + (1,)).children = parse(
            bytes.fromhex("a00b300906052b0e03021a0500"                                   # [0] sha1, NULL
                          "a118301606092a864886f70d010108300906052b0e03021a0500"))      # [1] mgf1(sha1)
    assert _opened_by_both(_edited(data, explicit), rsa_party, tmp_path) == plain.read_bytes()


def test_recipient_infos_in_any_order_still_open(tmp_path, plain, rsa_party, ec_party):
    """DER sorts a SET OF; OpenSSL reads RecipientInfos in any order, and so does the project."""
    der = tmp_path / "two.der"
    envelope.encrypt_file(plain, der, recipients=[rsa_party.cert, ec_party.cert])

    def reverse(root):
        _at(root, (1, 0, 1)).children.reverse()
    changed = _edited(der.read_bytes(), reverse)
    for party in (rsa_party, ec_party):
        assert _opened_by_both(changed, party, tmp_path, f"{party.name}.der") == plain.read_bytes()


@pytest.mark.parametrize("icv, tag_length", [(b"\x02\x01\x0c", 12), (b"", 12), (b"\x02\x01\x10", 16)])
def test_gcm_icvlen_is_read_written_out_or_absent(icv, tag_length):
    """OpenSSL always writes icvLen (12 included) and needs it: a 12 written out is no DER fault."""
    params = core.OctetString(bytes(12)).dump() + icv
    gcm = b"\x30" + bytes((len(params),)) + params
    der = algos.EncryptionAlgorithm({"algorithm": "aes256_gcm", "parameters": core.Any.load(gcm)}).dump()
    algorithm = ContentAlgorithm.from_identifier(der)
    assert (algorithm.name, algorithm.tag_length) == ("aes-256-gcm", tag_length)
    assert GcmParameters.load(gcm).dump(force=True) == gcm
