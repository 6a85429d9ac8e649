"""``bidtool agent``: the options and the run loop of the local signing agent.

The agent runs until SIGINT or SIGTERM and then stops cleanly (exit 0); a configuration it cannot
use stops it at once with bidtool's one-line error (exit 1), a port already taken with exit 3.
"""
from __future__ import annotations

import logging
import sys
from typing import Any

from bidtool.agent.config import DEFAULT_PORT
from bidtool.errors import EXIT_IO, ToolError


def add_parser(sub: Any) -> None:
    """Declare ``bidtool agent`` on bidtool's sub-command parser."""
    p = sub.add_parser("agent", help="本地签名助手：供平台网页使用令牌和密钥文件 "
                       "(the local signing agent: lets the platform's pages use tokens and key files)")
    p.add_argument("--config", metavar="FILE", help="TOML 配置文件 (a TOML configuration file; "
                   "options add to it)")
    p.add_argument("--port", type=int, metavar="PORT", help=f"监听端口，只绑定 127.0.0.1，默认 {DEFAULT_PORT} "
                   f"(port on 127.0.0.1, default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--origin", action="append", metavar="URL", help="允许的平台来源，可重复，如 "
                   "https://ebid.example.gov.cn (a platform origin allowed to call the agent, repeatable)")
    p.add_argument("--allow-no-origin", action="store_true", help="也接受不带 Origin 的请求（本机命令行客户端） "
                   "(also accept requests without Origin: command-line clients on this machine)")
    p.add_argument("--pkcs11", action="append", metavar="URI", help="令牌的 PKCS#11 URI（不含 PIN），可重复 "
                   "(RFC 7512 URI of a token, without PIN, repeatable)")
    p.add_argument("--key", action="append", metavar="KEYFILE", help="加密的私钥文件（PKCS#8 或 PKCS#12），"
                   "与其后的 --cert 成对，可重复 (an encrypted key file, PKCS#8 or PKCS#12, paired with the "
                   "next --cert, repeatable)")
    p.add_argument("--cert", action="append", metavar="CERTFILE", help="该私钥文件的证书 "
                   "(the certificate of that key file)")
    p.add_argument("--chain", action="append", metavar="FILE", help="写入签名的 CA 证书，可重复 "
                   "(CA certificates to include in signatures, repeatable)")
    p.add_argument("--state-dir", metavar="DIR", help="状态目录（密钥文件口令错误计数），默认 "
                   "~/.local/state/ebid-agent (state folder: wrong-password counts of key files)")
    p.set_defaults(run=run)


def build(args: Any):
    """The configured, not yet serving :class:`~bidtool.agent.server.AgentServer`."""
    from bidding.clock import SystemClock
    from bidtool.agent import config as agent_config
    from bidtool.agent.keystore import Keystore
    from bidtool.agent.operations import Operations
    from bidtool.agent.pins import token_state_dir
    from bidtool.agent.server import AgentServer
    from pki import pkcs11

    config = agent_config.load(args)
    config.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if (tokens_dir := token_state_dir(config.state_dir)) is not None:
        pkcs11.configure(pin_state_dir=tokens_dir)
    operations = Operations(Keystore(config), SystemClock())
    try:
        return AgentServer(config, operations)
    except OSError as exc:
        raise ToolError(f"无法在 127.0.0.1:{config.port} 上监听 (cannot listen on 127.0.0.1:{config.port}: "
                        f"{exc.strerror})", EXIT_IO) from exc


def run(args: Any) -> str:
    from bidtool.cli import Terminated

    logging.basicConfig(level=logging.INFO, format="bidtool agent: %(message)s", stream=sys.stderr)
    server = build(args)
    config = server.config
    print(f"bidtool agent: {server.url}/v1/ — 来源 (origins): {', '.join(config.origins) or '-'}"
          f"{'，接受无 Origin 的请求 (requests without Origin accepted)' if config.allow_no_origin else ''}",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, Terminated):
        pass
    finally:
        server.server_close()
        from pki.pkcs11 import close_sessions
        close_sessions()
    return "签名助手已停止 (agent stopped)"
