"""RFC 7512 pkcs11: URIs: the RFC's own examples, round trips, malformed input."""
from __future__ import annotations

import os

import pytest

from pki.pkcs11.uri import Pkcs11Uri, Pkcs11UriError, parse

RFC_EXAMPLES = [
    "pkcs11:",
    "pkcs11:object=my-pubkey;type=public",
    "pkcs11:object=my-key;type=private?pin-source=file:/etc/token",
    "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;"
    "model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial="
    "?pin-source=file:/etc/token_pin",
    "pkcs11:object=my-sign-key;type=private?module-name=mypkcs11",
    "pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1",
    "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin",
    "pkcs11:slot-description=Sun%20Metaslot",
    "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;"
    "library-version=1.23",
    "pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06",
    "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert",
    "pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert",
    "pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a"
    "?pin-source=file:/etc/token_pin&vendor-bbb=value-b",
]


@pytest.mark.parametrize("text", RFC_EXAMPLES)
def test_rfc_examples_parse_and_round_trip(text):
    uri = parse(text)
    again = parse(uri.format(with_pin=True))
    assert again == uri


def test_fields_are_decoded():
    uri = parse(RFC_EXAMPLES[3])
    assert uri.token == "The Software PKCS#11 Softtoken"
    assert uri.manufacturer == "Snake Oil, Inc."
    assert uri.model == "1.0"
    assert uri.object == "my-certificate"
    assert uri.type == "cert"
    assert uri.id == bytes.fromhex("69953e5cf4bdec91")
    assert uri.serial == ""
    assert uri.pin_source == "file:/etc/token_pin"
    assert parse(RFC_EXAMPLES[11]).token == "Name with a small A with acute: á"
    assert parse(RFC_EXAMPLES[9]).id == bytes.fromhex("010203badd cafe040506".replace(" ", ""))
    vendor = parse(RFC_EXAMPLES[12]).vendor
    assert ("vendor-aaa", "value-a", False) in vendor and ("vendor-bbb", "value-b", True) in vendor


def test_scheme_is_case_insensitive_and_slot_id_is_a_number():
    uri = parse("PKCS11:slot-id=7;token=t")
    assert uri.slot_id == 7 and uri.token == "t"


def test_pin_value_left_out_unless_asked():
    uri = parse("pkcs11:token=t;object=k?pin-value=1234")
    assert uri.pin_value == "1234"
    assert "1234" not in uri.format() and "1234" not in repr(uri) and "1234" not in str(uri)
    assert uri.format(with_pin=True).endswith("?pin-value=1234")


@pytest.mark.parametrize("label", ["a;b", "a?b", "a&b=c", "100%", "空 格/斜杠", "#hash", "é\x00\x7f", "", "~-._"])
def test_format_then_parse_gives_the_same_values(label):
    key_id = os.urandom(20)
    uri = Pkcs11Uri(token=label, object=label + "x", id=key_id, serial="00ff", type="private",
                    pin_source="/run/pins/" + label.replace("/", "_"), module_path="/usr/lib/x.so")
    text = uri.format()
    assert text.startswith("pkcs11:")
    assert parse(text) == uri
    assert "%" + format(key_id[0], "02X") in text     # ids are always percent-encoded


def test_id_bytes_round_trip_for_every_byte_value():
    uri = Pkcs11Uri(id=bytes(range(256)))
    assert parse(uri.format()).id == bytes(range(256))


@pytest.mark.parametrize("text, fragment", [
    ("http:token=a", "pkcs11"),
    ("pkcs11", "pkcs11"),
    ("pkcs11:token=a;;object=b", "empty attribute"),
    ("pkcs11:token=a;", "empty attribute"),
    ("pkcs11:token=a?pin-value=1&&module-name=x", "empty attribute"),
    ("pkcs11:token=a;token=b", "more than once"),
    ("pkcs11:token=a?pin-value=1&pin-value=2", "more than once"),
    ("pkcs11:token", "without '='"),
    ("pkcs11:=value", "invalid attribute name"),
    ("pkcs11:to ken=a", "invalid attribute name"),
    ("pkcs11:object=a b", "percent-encoded"),
    ("pkcs11:object=a/b", "percent-encoded"),
    ("pkcs11:token=a?pin-value=x;y", "percent-encoded"),
    ("pkcs11:object=a#frag", "fragment"),
    ("pkcs11:id=%GG", "percent"),
    ("pkcs11:id=%1", "percent"),
    ("pkcs11:token=%FF", "UTF-8"),
    ("pkcs11:type=secret", "object type"),
    ("pkcs11:slot-id=abc", "slot-id"),
    ("pkcs11:slot-id=-1", "slot-id"),
    ("pkcs11:library-version=1.2.3", "library-version"),
    ("pkcs11:token=a?pin-value=1&pin-source=/x", "must not both"),
])
def test_malformed_uris_are_refused_with_a_reason(text, fragment):
    with pytest.raises(Pkcs11UriError) as info:
        parse(text)
    assert fragment in str(info.value)


def test_not_a_string_is_refused():
    with pytest.raises(Pkcs11UriError):
        parse(b"pkcs11:token=a")  # type: ignore[arg-type]
