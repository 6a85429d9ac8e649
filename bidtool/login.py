"""``bidtool login`` and ``bidtool logout``: certificate log-in exactly as the agent page does it
(docs/architecture.md "Certificates: binding and log-in"), from the command line.

    bidtool login  --platform URL (--key FILE [--pass-env VAR] | --token LABEL [--pin-env VAR] | --pkcs11 URI)
                   --cert CERT [--chain FILE] [--username NAME] [--session FILE]
    bidtool logout [--session FILE]

1. ``GET /api/v1/csrf`` — a session cookie and its CSRF token;
2. ``POST /api/v1/challenges {"purpose": "login"}`` — a one-time challenge bound to that session and to
   the platform's own origin (bidtool sends no ``Origin``, as any non-browser client);
3. the challenge's bytes signed with the key (CMS / GM/T 0010, detached, as the agent's ``/v1/sign``);
4. ``POST /api/v1/session/certificate {challenge, signature}`` — the new session's cookie and CSRF
   token, kept in the session file (mode 0600, :mod:`bidtool.session`).
"""
from __future__ import annotations

import base64

from bidtool import session as sessions
from bidtool.platform import Platform


def add_parsers(sub) -> None:
    """Add ``login`` and ``logout`` to bidtool's sub-parsers."""
    from bidtool import cli
    p = sub.add_parser("login", help="用数字证书登录平台，会话保存在本机 (log in to the platform with a certificate; "
                       "the session is kept in a local file)")
    p.add_argument("--platform", required=True, metavar="URL", help="平台地址，如 https://ebid.example.gov.cn "
                   "(the platform's address, e.g. https://ebid.example.gov.cn)")
    cli._key_options(p)
    cli._chain_option(p)
    p.add_argument("--username", metavar="NAME", help="本单位有多个经办人账户时，要登录的账户 "
                   "(the account to log in when the party has several staff accounts)")
    session_option(p)
    p.set_defaults(run=cmd_login)

    p = sub.add_parser("logout", help="退出登录，删除本机会话文件 (log out and delete the local session file)")
    session_option(p)
    p.set_defaults(run=cmd_logout)


def session_option(p) -> None:
    p.add_argument("--session", metavar="FILE", help="会话文件，默认 ~/.config/bidtool/session.json 或 "
                   "$BIDTOOL_SESSION (the session file; default ~/.config/bidtool/session.json or $BIDTOOL_SESSION)")


def cmd_login(args) -> str:
    from bidtool import cli
    from pki import signature
    path = sessions.session_path(args.session)
    platform = Platform(args.platform)          # a bad address is refused before a PIN is asked
    key, cert = cli._key(args)
    platform.csrf_token = platform.get_json("csrf")["csrf_token"]
    challenge = platform.post_json("challenges", {"purpose": "login"})
    der = signature.sign(base64.b64decode(challenge["message"]), key=key, certificate=cert,
                         chain=cli._certs(args.chain), detached=True, signing_time=cli._now())
    answer = platform.post_json("session/certificate", {"challenge": challenge["id"],
                                                        "signature": base64.b64encode(der).decode("ascii"),
                                                        "username": args.username})
    account = answer["account"]
    party = (account.get("party") or {}).get("name")
    sessions.save(path, sessions.PlatformSession(
        platform=platform.base, cookies=platform.cookies(), csrf_token=answer["csrf_token"],
        username=account.get("username"), party=party, certificate=cli._subject(cert)))
    return f"已登录 (logged in): {account.get('username')}" + (f", {party}" if party else "") + \
        f" at {platform.base}; session in {path}"


def cmd_logout(args) -> str:
    from bidtool.platform import PlatformRefusal, Unreachable
    path = sessions.session_path(args.session)
    platform = Platform.logged_in(path)
    note = ""
    try:
        platform.request("DELETE", "session")
    except (PlatformRefusal, Unreachable) as exc:     # the local file goes anyway: the user asked to leave
        note = f" (the platform did not confirm: {exc})"
    sessions.remove(path)
    return f"已退出 (logged out) of {platform.base}; {path} deleted{note}"
