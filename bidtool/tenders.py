"""``bidtool tenders``: the published tenders (``GET /api/v1/tenders``, no log-in needed) or, with
``--mine``, the logged-in party's (``GET /api/v1/tenders/mine``: a supplier's registrations), with
phase, bid deadline and opening time in Beijing time; ``--json`` prints the platform's answer."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from bidtool import session as sessions
from bidtool.errors import ToolError
from bidtool.login import session_option
from bidtool.platform import Platform

BEIJING = timezone(timedelta(hours=8))      # China has no daylight saving time: the offset is fixed


def add_parsers(sub) -> None:
    p = sub.add_parser("tenders", help="列出招标项目：阶段、投标截止与开标时间（北京时间） "
                       "(list tenders: phase, bid deadline and opening time in Beijing time)")
    p.add_argument("--mine", action="store_true", help="只列本单位的项目（需登录） (only the party's own tenders; "
                   "needs bidtool login)")
    p.add_argument("--json", action="store_true", help="输出平台返回的 JSON (print the platform's JSON)")
    p.add_argument("--platform", metavar="URL", help="平台地址，默认为登录会话的平台 "
                   "(the platform's address; default: the logged-in session's)")
    session_option(p)
    p.set_defaults(run=cmd_tenders)


def platform_for(args) -> Platform:
    """The logged-in session's platform; without a session, ``--platform`` anonymously."""
    path = sessions.session_path(args.session)
    if getattr(args, "mine", False) or not args.platform:
        platform = Platform.logged_in(path)
        if args.platform and Platform(args.platform).base != platform.base:
            raise ToolError(f"会话属于另一个平台 {platform.base} (the session is for {platform.base}, not "
                            f"{args.platform})")
        return platform
    return Platform(args.platform)


def cmd_tenders(args) -> str:
    platform = platform_for(args)
    tenders = platform.get_json("tenders/mine" if args.mine else "tenders")
    if args.json:
        return json.dumps(tenders, ensure_ascii=False, indent=1)
    if not tenders:
        return "没有招标项目 (no tenders)"
    rows = [("ID", "招标编号 number", "阶段 phase", "投标截止 deadline", "开标 opening", "项目名称 title")]
    rows += [(str(t["id"]), t["public_id"], f"{t['phase_label']} {t['phase']}", beijing(t.get("bid_deadline")),
              beijing(t.get("opening_at")), t["title"]) for t in tenders]
    return table(rows) + "\n(times: Beijing time, UTC+8)"


def beijing(text: str | None) -> str:
    """An ISO 8601 time of the API in Beijing time, to the minute."""
    if not text:
        return "—"
    return datetime.fromisoformat(text).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def table(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell (a CJK character takes two columns on a terminal)."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths)).rstrip() for r in rows)


def _width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def find_tender(platform: Platform, tender: str) -> dict[str, Any]:
    """A tender by its row id or its number (招标编号), as the session's party may see it."""
    if tender.isdigit():
        return platform.get_json(f"tenders/{int(tender)}")
    for t in platform.get_json("tenders/mine") + platform.get_json("tenders"):
        if t["public_id"] == tender:
            return t
    raise ToolError(f"找不到招标项目 {tender} (no tender {tender} on {platform.base})")
