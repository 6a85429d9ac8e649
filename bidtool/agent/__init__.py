"""The local signing agent (本地签名助手, ``bidtool agent``): what the CA clients of real platforms do
on the bidder's computer. A web page cannot reach a USB key, so this small HTTP service on
``127.0.0.1`` lists the certificates of the configured tokens and key files, signs, unwraps a bid's
content-encryption key for the opening (re-encrypted to the platform's opening certificate, never in
clear) and changes a token's PIN. It answers only the platform's origins, takes the PIN per
operation and never exports a key. docs/agent.md describes the protocol and its security rules.

One idea per module::

    config.py      the configuration: TOML file and command-line options, checked
    errors.py      AgentError and its refusals (code, bilingual message, HTTP status)
    keystore.py    the configured tokens and key files, their certificates, opening a key with a PIN
    pins.py        wrong-password counting for key files (R9) and changing a token's PIN (C_SetPIN)
    protocol.py    versions, limits, request schemas and validation, certificate descriptions
    operations.py  list, sign, unwrap, change PIN
    server.py      HTTP: Host and Origin checks, CORS (and the Private Network Access preflight)
    command.py     the ``bidtool agent`` subcommand

No Flask here (the ``client-tools`` and ``no-flask`` contracts): the standard library's
:class:`http.server.ThreadingHTTPServer` serves it.
"""
from bidtool.agent.protocol import AGENT_VERSION, PROTOCOL_VERSION

__all__ = ["AGENT_VERSION", "PROTOCOL_VERSION"]
