"""Money in documents: yuan amounts as :class:`~decimal.Decimal`, written in figures
(``1,234,567.89``) and in Chinese capitals (大写金额) the way the People's Bank's rules for filling in
bills ask (《正确填写票据和结算凭证的基本规定》):

- 元 is followed by 整 when there are no 角 or 分; nothing follows 角; 分 ends the amount;
- a run of zeros inside the integer part is written as one 零, and a zero 角 before a non-zero 分
  as 零 after 元 (``100.05`` → 壹佰元零伍分);
- 拾 is always preceded by its digit (``10`` → 壹拾元整);
- groups of four digits take 万, 亿 and 万亿.

Floats are refused (``0.1`` is not a tenth in binary); so are negative amounts, more than two
decimals and amounts from 10¹⁶ yuan on.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bidding.documents.pdf.errors import InvalidAmount

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("仟", "佰", "拾", "")
_GROUPS = ("", "万", "亿", "万亿")
LIMIT = Decimal(10) ** 16


def to_yuan(amount: Decimal | int | str) -> Decimal:
    """The amount as a Decimal of yuan with two decimals; refuses what is not one (see module)."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int, str)):
        raise InvalidAmount(given=repr(amount))
    try:
        value = Decimal(amount.strip()) if isinstance(amount, str) else Decimal(amount)
    except InvalidOperation:
        raise InvalidAmount(given=repr(amount)) from None
    if not value.is_finite() or value < 0 or value >= LIMIT or value != value.quantize(Decimal("0.01")):
        raise InvalidAmount(given=repr(amount))
    return value.quantize(Decimal("0.01"))


def format_yuan(amount: Decimal | int | str) -> str:
    """Figures with thousands separators and two decimals: ``1,234,567.89``."""
    return f"{to_yuan(amount):,.2f}"


def yuan_in_capitals(amount: Decimal | int | str) -> str:
    """The amount in Chinese capitals: ``1234567.89`` → 壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分."""
    fen_total = int(to_yuan(amount) * 100)
    yuan, fen_part = divmod(fen_total, 100)
    jiao, fen = divmod(fen_part, 10)
    if yuan == 0 and fen_part == 0:
        return "零元整"
    text = _integer_in_capitals(yuan) + "元" if yuan else ""
    if fen_part == 0:
        return text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return text


def _integer_in_capitals(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text, zero_pending = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        if text and (zero_pending or group < 1000):
            text += "零"
        text += _group_in_capitals(group) + _GROUPS[index]
        zero_pending = False
    return text


def _group_in_capitals(group: int) -> str:
    """1…9999 without the leading zeros: 1010 → 壹仟零壹拾."""
    text, zero_pending = "", False
    for unit, digit in zip(_IN_GROUP, f"{group:04d}", strict=True):
        if digit == "0":
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
        text += DIGITS[int(digit)] + unit
        zero_pending = False
    return text
