"""Plain data shared by the documents (parties, projects, experts) and the checks every document's
data runs when it is made. No ORM objects: a service copies what a document shows into these
frozen dataclasses, so a document can be regenerated from exactly the data it was made from."""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from reportlab.platypus import Flowable

from bidding.documents.pdf.amounts import format_yuan, to_yuan, yuan_in_capitals
from bidding.documents.pdf.errors import InvalidDocumentData
from bidding.documents.pdf.styles import field_table


@dataclass(frozen=True)
class PartyRef:
    """A purchaser, agency or supplier as a document names it."""

    name: str
    credit_code: str                 # 统一社会信用代码
    address: str = ""
    representative: str = ""         # 法定代表人
    contact: str = ""                # 联系人
    phone: str = ""


@dataclass(frozen=True)
class ProjectRef:
    """项目编号 and 项目名称 of the procurement project."""

    number: str
    name: str


@dataclass(frozen=True)
class ExpertRef:
    """An evaluation expert by seat ``number`` on the panel (1-based; the seal box key is
    ``expert:<number>``)."""

    number: int
    name: str
    employer: str = ""


def freeze(obj: object) -> None:
    """Turn every list field of a frozen dataclass into a tuple, so the data cannot change after the
    checks (and the document made from it)."""
    for f in fields(obj):                                     # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, list):
            object.__setattr__(obj, f.name, tuple(value))


def money(obj: object, *names: str) -> None:
    """Check and normalise money fields (Decimal yuan, two places); ``None`` stays ``None``."""
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            object.__setattr__(obj, name, to_yuan(value))


def score_value(value: object, field: str) -> Decimal | None:
    """A score (or a quantity) checked: finite, not negative, at most four decimals; ``None`` stays."""
    if value is None:
        return None
    number = None
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = None
    require(number is not None and number.is_finite() and number >= 0
            and number == number.quantize(Decimal("0.0001")), field, given=repr(value))
    return number


def scores(obj: object, *names: str) -> None:
    """Check and normalise score fields (see :func:`score_value`)."""
    for name in names:
        object.__setattr__(obj, name, score_value(getattr(obj, name), name))


def format_score(value: Decimal | None) -> str:
    """A score as written (``87.50``), or — when there is none."""
    return "—" if value is None else format(value, "f")


def require(condition: bool, field: str, **details: object) -> None:
    if not condition:
        raise InvalidDocumentData(field=field, **details)


def check_experts(experts: tuple[ExpertRef, ...], field: str = "experts") -> None:
    numbers = [e.number for e in experts]
    require(bool(numbers) and all(isinstance(n, int) and 1 <= n <= 999 for n in numbers)
            and len(set(numbers)) == len(numbers), field, numbers=numbers)


def expert_role(expert: ExpertRef) -> str:
    return f"expert:{expert.number}"


def amount_text(amount: Decimal) -> str:
    """人民币 1,234,567.89 元（大写：壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分）"""
    return f"人民币 {format_yuan(amount)} 元（大写：{yuan_in_capitals(amount)}）"


def yuan_or_dash(amount: Decimal | None) -> str:
    return "—" if amount is None else format_yuan(amount)


def project_fields(project: ProjectRef) -> list[tuple[str, str]]:
    return [("项目名称", project.name), ("项目编号", project.number)]


def party_fields(role: str, party: PartyRef) -> list[tuple[str, str]]:
    """Rows for a party: name and credit code always, the rest where given."""
    rows = [(role, party.name), (f"{role}统一社会信用代码", party.credit_code)]
    for label, value in (("地址", party.address), ("法定代表人", party.representative),
                         ("联系人", party.contact), ("联系电话", party.phone)):
        if value:
            rows.append((f"{role}{label}", value))
    return rows


def fields_block(rows: list[tuple[str, str]]) -> Flowable:
    return field_table(rows)
