"""The fuzz suite's own tools: the DER/BER tree gives every corpus input back byte for byte, and the
mutations are deterministic per seed and always change the input."""
from __future__ import annotations

import random

import pytest
from support.der_tree import Node, ParseError, encode, parse
from mutations import TREE_MUTATIONS, mutate

pytestmark = pytest.mark.fuzz

BER = bytes.fromhex("3080" "0201 01" "2480 0402 6162 0401 63 0000" "0000")       # indefinite, chunked OCTET STRING
NON_MINIMAL = bytes.fromhex("3081 03 020105")


def test_every_corpus_input_round_trips(corpus):
    for kind in ("envelope", "signature", "bid", "tsa"):
        for item in corpus.items(kind):
            assert encode(parse(item.data)) == item.data, item.name


def test_signed_attributes_and_tokens_are_reached_inside_octet_strings(corpus):
    item = next(i for i in corpus.items("signature") if "timestamped" in i.name)
    nested = [node for root in parse(item.data) for _, node, _ in root.walk() if node.encapsulated]
    assert len(nested) >= 3          # eContent (TSTInfo), extension values of the certificates


@pytest.mark.parametrize("data", [BER, NON_MINIMAL, b"\x1f\x81\x00\x01\x00", b"\x04\x00\x05\x00"])
def test_ber_forms_round_trip(data):
    assert encode(parse(data)) == data


@pytest.mark.parametrize("data", [b"\x30", b"\x30\x05\x02\x01", b"\x30\x80\x02\x01\x01", b"\x04\x80\x00\x00",
                                  b"\x30\x03\x02\x01\x01\x00"])
def test_incomplete_input_is_a_parse_error(data):
    with pytest.raises(ParseError):
        parse(data)


def test_mutations_are_deterministic_and_change_the_input(corpus):
    data = next(i for i in corpus.items("signature") if i.name.endswith("rsa-attached.der")).data
    for seed in range(300):
        first, notes = mutate(data, random.Random(f"t:{seed}"))
        again, _ = mutate(data, random.Random(f"t:{seed}"))
        assert first == again and first != data and notes


@pytest.mark.parametrize("name", sorted(TREE_MUTATIONS))
def test_each_tree_mutation_applies(corpus, name):
    data = next(i for i in corpus.items("tsa") if "sha512" in i.name).data
    changed = 0
    for seed in range(20):
        nodes = parse(data)
        note = TREE_MUTATIONS[name](nodes, random.Random(seed))
        changed += bool(note) and encode(nodes) != data
    assert changed >= 10, name


def test_nesting_thousands_deep_needs_no_recursion():
    node = Node(b"\x02", value=b"\x01")
    node.wrappers.extend([(b"\x30", False)] * 5000 + [(b"\x30", True)] * 5000)
    data = node.encode()
    assert data.startswith(b"\x30\x80" * 5000) and data.endswith(b"\x00\x00" * 5000)
