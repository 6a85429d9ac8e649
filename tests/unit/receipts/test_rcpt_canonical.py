"""RFC 8785 canonical JSON and its strict reading: one byte sequence per meaning."""
from __future__ import annotations

import pytest

from pki.receipts.canonical import JsonRefused, canonical_json, read_canonical


def test_rfc8785_ordering_and_escapes():
    # RFC 8785 §3.2.3: keys sorted by UTF-16 code units, so U+1F600 (D83D DE00) sorts before U+E000
    value = {"\ue000": 1, "\U0001f600": 2, "b": [True, None, "\u20ac\n\"\\\u0001"], "a": {"z": 0, "y": -5}}
    assert canonical_json(value) == ('{"a":{"y":-5,"z":0},"b":[true,null,"€\\n\\"\\\\\\u0001"],'
                                     '"😀":2,"\ue000":1}').encode("utf-8")


def test_rfc8785_sorting_example():
    # the example of RFC 8785 §3.2.3 (without its float members)
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
    keys = [k for k in read_canonical(canonical_json(value))]
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize("value", [{"x": 1.5}, {"x": 2**53}, {"x": float("nan")}, {1: "x"}, {"x": object()}])
def test_values_without_canonical_form_are_refused(value):
    with pytest.raises(ValueError):
        canonical_json(value)


def test_round_trip():
    data = canonical_json({"tender": "T-1", "n": 9007199254740991, "s": "中文", "l": []})
    assert read_canonical(data) == {"tender": "T-1", "n": 9007199254740991, "s": "中文", "l": []}


@pytest.mark.parametrize("data, code", [
    (b'{"b":1,"a":2}', "not_canonical"),                   # reordered keys
    (b'{"a": 1}', "not_canonical"),                        # whitespace
    (b'{"a":1}\n', "not_canonical"),                       # trailing newline
    (b'{"a":"\\u4e2d"}', "not_canonical"),                 # escaped where RFC 8785 writes UTF-8
    (b'{"a":"\\/"}', "not_canonical"),                     # an escape RFC 8785 never writes
    (b'{"a":10E0}', "malformed"),                          # exponent
    (b'{"a":1.0}', "malformed"),                           # fraction
    (b'{"a":NaN}', "malformed"),
    (b'{"a":1,"a":1}', "malformed"),                       # duplicate key: readers disagree which wins
    (b'\xef\xbb\xbf{"a":1}', "malformed"),                 # byte order mark
    (b'{"a":"\xff"}', "malformed"),                        # not UTF-8
    (b'{"a":"\\ud800"}', "malformed"),                     # lone surrogate
    (b'{"a":9007199254740992}', "malformed"),              # beyond the I-JSON integers
    (b'[' * 40 + b']' * 40, "malformed"),                  # nested deeper than any format here
    (b'{"a":', "malformed"),
])
def test_strict_reading(data, code):
    with pytest.raises(JsonRefused) as refused:
        read_canonical(data)
    assert refused.value.code == code, refused.value.detail
