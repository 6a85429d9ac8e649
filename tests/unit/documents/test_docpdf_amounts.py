"""大写金额: amounts in Chinese capitals as the People's Bank's rules for bills write them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from bidding.documents.pdf.amounts import format_yuan, to_yuan, yuan_in_capitals
from bidding.documents.pdf.errors import InvalidAmount


@pytest.mark.parametrize(("amount", "capitals"), [
    ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ("100", "壹佰元整"),
    ("100.05", "壹佰元零伍分"),
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("0.5", "伍角"),
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    ("10", "壹拾元整"),               # 拾 always has its digit
    ("11", "壹拾壹元整"),
    ("110", "壹佰壹拾元整"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("10000.10", "壹万元壹角"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("100001000", "壹亿零壹仟元整"),
    ("1000100", "壹佰万零壹佰元整"),
    ("10700", "壹万零柒佰元整"),
    ("1409.50", "壹仟肆佰零玖元伍角"),      # the rules' own examples
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("2000000000000", "贰万亿元整"),
    ("9999999999999999.99", "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_capitals(amount: str, capitals: str) -> None:
    assert yuan_in_capitals(amount) == capitals
    assert yuan_in_capitals(Decimal(amount)) == capitals


def test_integers_and_decimals_agree() -> None:
    assert yuan_in_capitals(1001) == yuan_in_capitals(Decimal("1001.00")) == "壹仟零壹元整"


@pytest.mark.parametrize("bad", [Decimal("-0.01"), -1, "-5", Decimal("0.001"), "1.005", 0.5, 1e3, float("nan"),
                                 Decimal("NaN"), Decimal("Infinity"), "abc", "", None, True,
                                 Decimal(10) ** 16, "1e20", [1]])
def test_refused(bad) -> None:
    with pytest.raises(InvalidAmount) as refused:
        yuan_in_capitals(bad)
    assert refused.value.code == "document_amount_invalid"


def test_figures() -> None:
    assert format_yuan("1234567.89") == "1,234,567.89"
    assert format_yuan(0) == "0.00"
    assert format_yuan(Decimal("100.5")) == "100.50"
    assert to_yuan(" 12.3 ") == Decimal("12.30")
    assert str(to_yuan("1E+2")) == "100.00"


DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def _below_10k(text: str) -> int:
    total = number = 0
    for ch in text:
        if ch in DIGITS:
            number = DIGITS[ch]
        else:
            total, number = total + number * UNITS[ch], 0
    return total + number


def _below_10k_10k(text: str) -> int:
    if "万" not in text:
        return _below_10k(text)
    high, low = text.split("万", 1)
    return _below_10k(high) * 10 ** 4 + _below_10k(low)


def read_capitals(text: str) -> Decimal:
    """An independent reader of capitals, for the round trip below."""
    integer, _, fraction = text.rpartition("元") if "元" in text else ("", "", text)
    high, _, low = integer.rpartition("亿")            # 万亿 counts in units of 亿: 壹万亿 = 壹万 × 亿
    yuan = _below_10k_10k(high.replace("万亿", "万")) * 10 ** 8 + _below_10k_10k(low)
    fen = sum(DIGITS[fraction[i - 1]] * (10 if unit == "角" else 1)
              for i, unit in enumerate(fraction) if unit in "角分")
    return Decimal(yuan) + Decimal(fen) / 100


@pytest.mark.parametrize("amount", [
    "1", "10", "101", "1000", "1001", "10010", "100100", "1010101", "20000002", "300000000", "400000004.04",
    "50005000.5", "6060606.06", "70000000.07", "123456789.12", "1000000000", "0.3", "0.07", "8000000000000.8",
    "1234567890123456.78", "1000000000000001"])
def test_round_trip(amount: str) -> None:
    assert read_capitals(yuan_in_capitals(amount)) == Decimal(amount)
