"""The times of a tender: the bid deadline (投标截止时间), the opening (开标时间) and the decryption
window (解密时限). Parsed from what people type (Beijing time unless an offset is given) and checked
against the clock: at publication all in the future with the opening not before the deadline; by an
amendment the deadline only later, the opening moving with it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bidding.tenders.errors import TenderTimesInvalid
from bidding.tenders.models import Tender

BEIJING = timezone(timedelta(hours=8))
WINDOW_MINUTES_MIN, WINDOW_MINUTES_MAX, WINDOW_MINUTES_DEFAULT = 10, 120, 30
LATEST = timedelta(days=3 * 366)          # a deadline further away than this is a typo


def beijing(moment: datetime) -> str:
    """2026-12-01 09:30（北京时间）"""
    return f"{moment.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）"


def parse_moment(value: Any, field: str, name: str) -> datetime:
    """A time as typed: an aware datetime, a naive one (Beijing time), or ISO 8601 text
    (``2026-12-01T09:30``, ``2026-12-01 09:30:00+08:00``, ``…Z``)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            raise TenderTimesInvalid(f"请填写{name} ({field} is required)", field=field)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise TenderTimesInvalid(f"请按 年-月-日 时:分 填写{name}，如 2026-12-01 09:30 ({field} must be a time "
                                     f"YYYY-MM-DD HH:MM)", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise TenderTimesInvalid(f"{name}超出可用范围 ({field} is out of range)", field=field) from None


def parse_window(value: Any) -> timedelta:
    """The decryption window in whole minutes, 10 to 120 (empty: 30)."""
    if value is None or str(value).strip() == "":
        return timedelta(minutes=WINDOW_MINUTES_DEFAULT)
    try:
        minutes = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        minutes = None
    if minutes is None or not WINDOW_MINUTES_MIN <= minutes <= WINDOW_MINUTES_MAX:
        raise TenderTimesInvalid(f"解密时限须为 {WINDOW_MINUTES_MIN} 至 {WINDOW_MINUTES_MAX} 分钟的整数 (the decryption "
                                 f"window must be {WINDOW_MINUTES_MIN} to {WINDOW_MINUTES_MAX} whole minutes)",
                                 field="decryption_window_minutes")
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class TenderTimes:
    bid_deadline: datetime
    opening_at: datetime
    decryption_window: timedelta


def check_publication_times(bid_deadline: Any, opening_at: Any, window: Any, now: datetime) -> TenderTimes:
    """The times of a publication: deadline after ``now``, opening not before the deadline."""
    deadline = parse_moment(bid_deadline, "bid_deadline", "投标截止时间")
    opening = parse_moment(opening_at, "opening_at", "开标时间")
    span = parse_window(window)
    _future(deadline, now, "bid_deadline", "投标截止时间")
    if opening < deadline:
        raise TenderTimesInvalid(f"开标时间（{beijing(opening)}）不得早于投标截止时间（{beijing(deadline)}） (the opening "
                                 f"cannot be before the bid deadline)", field="opening_at")
    _not_too_far(opening, now, "opening_at", "开标时间")
    return TenderTimes(deadline, opening, span)


def check_amended_times(tender: Tender, new_deadline: Any, new_opening: Any, now: datetime
                        ) -> tuple[datetime | None, datetime | None]:
    """The new (deadline, opening) of an amendment of a published ``tender`` at ``now``; (None, None)
    when it moves neither. The deadline only moves later (and still in the future); the opening
    moves with it by as much unless given, never earlier, and never before the deadline."""
    if _blank(new_deadline) and _blank(new_opening):
        return None, None
    assert tender.bid_deadline is not None and tender.opening_at is not None
    deadline = tender.bid_deadline
    if not _blank(new_deadline):
        deadline = parse_moment(new_deadline, "new_bid_deadline", "新的投标截止时间")
        if deadline <= tender.bid_deadline:
            raise TenderTimesInvalid(f"投标截止时间只能推迟：新的截止时间（{beijing(deadline)}）须晚于现在的截止时间"
                                     f"（{beijing(tender.bid_deadline)}） (the bid deadline can only move later)",
                                     field="new_bid_deadline")
        _future(deadline, now, "new_bid_deadline", "新的投标截止时间")
    if _blank(new_opening):
        opening = tender.opening_at + (deadline - tender.bid_deadline)
    else:
        opening = parse_moment(new_opening, "new_opening_at", "新的开标时间")
        if opening < tender.opening_at:
            raise TenderTimesInvalid(f"开标时间只能推迟：新的开标时间（{beijing(opening)}）不得早于现在的开标时间"
                                     f"（{beijing(tender.opening_at)}） (the opening can only move later)",
                                     field="new_opening_at")
    if opening < deadline:
        raise TenderTimesInvalid(f"开标时间（{beijing(opening)}）不得早于投标截止时间（{beijing(deadline)}） (the opening "
                                 f"cannot be before the bid deadline)", field="new_opening_at")
    _future(opening, now, "new_opening_at", "新的开标时间")
    _not_too_far(opening, now, "new_opening_at", "新的开标时间")
    return (deadline if deadline != tender.bid_deadline else None), opening


def _future(moment: datetime, now: datetime, field: str, name: str) -> None:
    if moment <= now:
        raise TenderTimesInvalid(f"{name}（{beijing(moment)}）须晚于当前时间（{beijing(now)}） ({field} must be in the "
                                 f"future)", field=field)
    _not_too_far(moment, now, field, name)


def _not_too_far(moment: datetime, now: datetime, field: str, name: str) -> None:
    if moment - now > LATEST:
        raise TenderTimesInvalid(f"{name}不能晚于三年之后 ({field} is more than three years away)", field=field)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
