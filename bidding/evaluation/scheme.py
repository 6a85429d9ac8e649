"""The evaluation scheme (评标办法) and the arithmetic of the summary — plain objects, no database.

A scheme (docs/evaluation.md)::

    {"qualification": [{"id": "q1", "name": "营业执照有效"}, …],          # pass/fail criteria, 1–30
     "scored": [{"id": "tech", "name": "技术方案", "weight": "40"}, …],    # 0–30 criteria
     "price_weight": "30",                                                # lowest-price method
     "tie_break": ["price", "received_at"]}                               # order of the tie rules

Weights are decimal strings (> 0, at most 2 places) and with the price weight sum to exactly 100.
Tie rules: ``price`` (lower price first), ``received_at`` (earlier submission first),
``technical`` (higher non-price score first); each at most once; the bid's public id always ends
the order so a ranking is never ambiguous. Every average and score is a ``Decimal`` rounded to 2
places, ROUND_HALF_UP.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bidding.evaluation.errors import SchemeInvalid

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TIE_RULES = {"price": "报价低者优先 (lower price first)", "received_at": "递交早者优先 (earlier submission first)",
             "technical": "非价格得分高者优先 (higher non-price score first)"}
_ID = re.compile(r"^[a-z0-9_-]{1,20}$")


def money(value: Decimal) -> Decimal:
    """``value`` rounded to 2 places, half up (the only rounding of the evaluation)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(text: Any, *, field: str) -> Decimal:
    """A non-negative decimal string with at most 2 places (no floats: they have no exact value)."""
    if not isinstance(text, (str, int)) or isinstance(text, bool):
        raise SchemeInvalid(f"{field} 应为数字字符串 ({field} must be a decimal string)", field=field)
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise SchemeInvalid(f"{field} 不是数字 ({field} is not a number)", field=field) from None
    if not value.is_finite() or value < 0 or value != value.quantize(CENT) or value > Decimal("1e12"):
        raise SchemeInvalid(f"{field} 应为非负数，至多两位小数 ({field} must be non-negative with at most 2 "
                            f"decimal places)", field=field)
    return value


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    weight: Decimal | None = None       # None: a qualification (pass/fail) criterion


@dataclass(frozen=True)
class Scheme:
    qualification: tuple[Criterion, ...]
    scored: tuple[Criterion, ...]
    price_weight: Decimal
    tie_break: tuple[str, ...]

    def document(self) -> dict[str, Any]:
        """The canonical form (decimal strings with 2 places)."""
        return {"qualification": [{"id": c.id, "name": c.name} for c in self.qualification],
                "scored": [{"id": c.id, "name": c.name, "weight": str(money(c.weight))} for c in self.scored],
                "price_weight": str(money(self.price_weight)), "tie_break": list(self.tie_break)}


def parse_scheme(data: Any) -> Scheme:
    """The scheme in ``data`` (the JSON above), or :class:`SchemeInvalid` saying what is wrong."""
    if not isinstance(data, dict) or set(data) - {"qualification", "scored", "price_weight", "tie_break"}:
        raise SchemeInvalid("评标办法应含 qualification、scored、price_weight、tie_break (the scheme has "
                            "qualification, scored, price_weight and tie_break)")
    qualification = _criteria(data.get("qualification"), "qualification", 1, 30, weighted=False)
    scored = _criteria(data.get("scored", []), "scored", 0, 30, weighted=True)
    ids = [c.id for c in qualification + scored]
    if len(set(ids)) != len(ids):
        raise SchemeInvalid("评审因素编号重复 (criterion ids must be unique)", field="id")
    price_weight = parse_decimal(data.get("price_weight"), field="price_weight")
    if price_weight <= 0:
        raise SchemeInvalid("价格分权重应大于 0（最低评标价法） (the price weight must be above 0)", field="price_weight")
    total = money(price_weight + sum((c.weight for c in scored), Decimal(0)))
    if total != HUNDRED:
        raise SchemeInvalid(f"各项权重之和应为 100，现为 {total} (the weights must sum to 100, not {total})",
                            field="weights", total=str(total))
    tie_break = data.get("tie_break")
    if (not isinstance(tie_break, list) or not tie_break or any(r not in TIE_RULES for r in tie_break)
            or len(set(tie_break)) != len(tie_break)):
        raise SchemeInvalid("并列规则应为 price、received_at、technical 中的若干项且不重复 (tie_break lists price, "
                            "received_at, technical, each at most once)", field="tie_break")
    return Scheme(qualification, scored, price_weight, tuple(tie_break))


def _criteria(items: Any, field: str, least: int, most: int, *, weighted: bool) -> tuple[Criterion, ...]:
    if not isinstance(items, list) or not least <= len(items) <= most:
        raise SchemeInvalid(f"{field} 应有 {least}–{most} 项 ({field} needs {least}–{most} entries)", field=field)
    out = []
    for item in items:
        if not isinstance(item, dict) or not _ID.match(str(item.get("id", ""))):
            raise SchemeInvalid("评审因素编号应为 1–20 个小写字母、数字、_ 或 - (a criterion id is 1–20 of a-z 0-9 _ -)",
                                field=field)
        name = item.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
            raise SchemeInvalid("评审因素名称应为 1–100 字 (a criterion name has 1–100 characters)", field=field)
        weight = None
        if weighted:
            weight = parse_decimal(item.get("weight"), field=f"{item['id']}.weight")
            if weight <= 0:
                raise SchemeInvalid("权重应大于 0 (a weight must be above 0)", field=f"{item['id']}.weight")
        out.append(Criterion(item["id"], name.strip(), weight))
    return tuple(out)


# -- the summary's arithmetic ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """A qualified bid with every expert's scores: ``scores[expert] = {criterion id: Decimal}``."""

    bid: str                        # public id
    price: Decimal
    received_at: datetime
    scores: Sequence[dict[str, Decimal]]


@dataclass(frozen=True)
class Scored:
    bid: str
    price: Decimal
    averages: dict[str, Decimal]
    technical: Decimal              # sum of the averages
    price_score: Decimal
    total: Decimal
    rank: int


def score_bids(scheme: Scheme, candidates: Sequence[Candidate]) -> list[Scored]:
    """Averages per criterion, the price score (lowest valid price ÷ price × price weight), the total,
    ranked by total (higher first) then the scheme's tie rules, then the bid's public id."""
    if not candidates:
        return []
    lowest = min(c.price for c in candidates)
    rows = []
    for c in candidates:
        averages = {k.id: money(sum((s[k.id] for s in c.scores), Decimal(0)) / len(c.scores)) for k in scheme.scored}
        technical = sum(averages.values(), Decimal(0))
        price_score = money(lowest / c.price * scheme.price_weight) if c.price > 0 else money(scheme.price_weight)
        rows.append((c, averages, technical, price_score, technical + price_score))

    def key(row: tuple) -> tuple:
        c, _, technical, _, total = row
        rules = {"price": c.price, "received_at": c.received_at, "technical": -technical}
        return (-total, *(rules[r] for r in scheme.tie_break), c.bid)

    rows.sort(key=key)
    return [Scored(c.bid, c.price, averages, technical, price_score, total, rank)
            for rank, (c, averages, technical, price_score, total) in enumerate(rows, start=1)]
