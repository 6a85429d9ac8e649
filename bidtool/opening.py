"""``bidtool open``: the bidder's step at the opening (开标解密, docs/opening.md "The bidder's step"),
from the command line instead of the agent page.

    bidtool open TENDER (--key FILE [--pass-env VAR] | --token LABEL | --pkcs11 URI) [--pin-env VAR]
                 --cert ENC_CERT --sign-cert CERT [--sign-key FILE [--sign-pass-env VAR] | --sign-token LABEL |
                 --sign-pkcs11 URI] [--chain FILE] [--session FILE]

1. ``POST /api/v1/tenders/<id>/opening/release`` — the RecipientInfo addressed to ``--cert``, the
   tender's opening certificate and a one-time context;
2. :func:`bidding.opening.statement.release_key` — the decryption key (file or token) unwraps the
   content key, which is sealed to the opening certificate; the signing key signs the key-release
   statement (the agent does the same steps);
3. ``POST /api/v1/tenders/<id>/opening/key`` — the platform opens the bid; bidtool prints the outcome
   (decrypted: the price the platform read) or the refusal as one line.

Without ``--sign-key``/``--sign-token``/``--sign-pkcs11`` the signing key is looked for on the
decryption key's token (``--token``), with the same PIN.
"""
from __future__ import annotations

import base64
from types import SimpleNamespace

from bidtool import session as sessions
from bidtool.errors import ToolError
from bidtool.login import session_option
from bidtool.platform import Platform


def add_parsers(sub) -> None:
    from bidtool import cli
    p = sub.add_parser("open", help="开标解密：用加密证书的私钥释放投标的内容密钥并签名 "
                       "(the bidder's decryption at the opening: release the bid's key, signed)")
    p.add_argument("tender", metavar="TENDER", help="招标项目 ID 或招标编号 (the tender's id or number)")
    cli._key_options(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--sign-key", metavar="FILE", help="签名私钥文件，默认在 --token 所指令牌上 "
                   "(the signing key file; default: on the --token token)")
    g.add_argument("--sign-token", metavar="LABEL", help="签名私钥所在令牌的标签 (label of the token holding the "
                   "signing key)")
    g.add_argument("--sign-pkcs11", metavar="URI", help="签名私钥的 PKCS#11 URI (PKCS#11 URI of the signing key)")
    p.add_argument("--sign-pass-env", metavar="VAR", help="签名私钥文件口令的环境变量名，默认同 --pass-env "
                   "(environment variable with the signing key file's password; default --pass-env)")
    p.add_argument("--sign-cert", required=True, metavar="CERT", help="已绑定的签名证书 (the bound signing certificate)")
    cli._chain_option(p)
    session_option(p)
    p.set_defaults(run=cmd_open)


def cmd_open(args) -> str:
    from bidtool import cli
    from bidtool.tenders import find_tender
    from bidding.opening.statement import release_key
    from pki.certs import fingerprint_sha256, load_certificate
    decrypt_cert = cli._cert(args.cert)
    chain = cli._certs(args.chain)
    platform = Platform.logged_in(sessions.session_path(args.session))
    tender = find_tender(platform, args.tender)
    release = platform.post_json(f"tenders/{tender['id']}/opening/release")
    mine = fingerprint_sha256(decrypt_cert)
    chosen = next((r for r in release["recipient_infos"] if r["certificate_sha256"] == mine), None)
    if chosen is None:
        named = ", ".join(r["certificate_sha256"][:16] for r in release["recipient_infos"])
        raise ToolError(f"投标 {release['bid']} 不是用 --cert 所给证书加密的 (bid {release['bid']} is not addressed "
                        f"to the certificate given with --cert; it names {named})")
    decrypt_key, _ = cli._key(args)
    sign_key, sign_cert = cli._key(_signing_args(args))
    released = release_key(base64.b64decode(chosen["recipient_info"]), decrypt_key=decrypt_key,
                           decrypt_cert=decrypt_cert, sign_key=sign_key, sign_cert=sign_cert,
                           opening_certificate=load_certificate(base64.b64decode(release["opening_certificate"])),
                           context=release["context"], chain=chain, now=cli._now())
    outcome = platform.post_json(f"tenders/{tender['id']}/opening/key", {
        "bid": release["bid"], **{k: base64.b64encode(v).decode("ascii") for k, v in released.to_dict().items()}})
    price = f", price {outcome['price']} {outcome.get('currency') or ''}".rstrip() if outcome.get("price") else ""
    return (f"已解密 (decrypted): bid {outcome['bid']} of tender {tender['public_id']}, "
            f"{outcome['state_label']} {outcome['state']}{price}")


def _signing_args(args) -> SimpleNamespace:
    """The options of the signing key, in the shape :func:`bidtool.cli._key` reads."""
    token = args.sign_token
    if not (args.sign_key or args.sign_token or args.sign_pkcs11):
        if not args.token:
            raise ToolError("请用 --sign-key、--sign-token 或 --sign-pkcs11 给出签名私钥 (give the signing key with "
                            "--sign-key, --sign-token or --sign-pkcs11; only a --token holds both keys)")
        token = args.token
    return SimpleNamespace(key=args.sign_key, pkcs11=args.sign_pkcs11, token=token,
                           pass_env=args.sign_pass_env or args.pass_env, pin_env=args.pin_env, cert=args.sign_cert)
