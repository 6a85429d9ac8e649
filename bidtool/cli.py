"""bidtool — the bidder's and signer's command-line tool (投标工具).

    bidtool encrypt --to CERT [--to CERT …] [--cipher aes-256-gcm|aes-256-cbc|sm4-cbc] [--gmssl-compat] IN OUT
    bidtool decrypt (--key KEYFILE [--pass-env VAR] | --pkcs11 URI [--pin-env VAR]) --cert CERT IN OUT
    bidtool sign    (--key … | --pkcs11 …) --cert CERT [--chain FILE] [--detached] [--pss] [--gmssl-compat]
                    [--tsa URL] IN OUT
    bidtool verify  --ca ROOT [--ca …] [--untrusted FILE] [--content FILE] [--crl FILE] [--at TIME] SIGNATURE
    bidtool pack    --tender ID --price AMOUNT (--key … | --pkcs11 …) --cert CERT [--enc-cert CERT]
                    [--to CERT …] [--bidder CODE] -o OUT FILE [FILE …]
    bidtool unpack  (--key … | --pkcs11 …) --cert CERT --ca ROOT [--expect-tender ID] IN OUTDIR
    bidtool inspect FILE

Outputs are DER; inputs DER, BER or PEM. Passwords and PINs come from the environment variable
named by --pass-env / --pin-env (or a prompt on a terminal), never from the command line.
Exit code 0 on success; otherwise a one-line reason on stderr and:
1 usage or input error, 2 cryptographic failure (wrong key, tampering, invalid signature), 3 I/O.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

EXIT_INPUT, EXIT_CRYPTO, EXIT_IO = 1, 2, 3
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ToolError(Exception):
    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


# -- helpers ------------------------------------------------------------------------------------
def _now() -> datetime:
    from bidding.clock import SystemClock
    return SystemClock().now()


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ToolError(f"无法读取 {path} (cannot read {path}: {exc.strerror})", EXIT_IO) from exc


def _cert(path: str):
    from pki.certs import CertificateError, load_certificate
    try:
        return load_certificate(_read(path))
    except CertificateError as exc:
        raise ToolError(f"{path}: {exc}") from exc


def _certs(paths: Sequence[str] | None) -> list:
    from pki.certs import CertificateError, load_certificates
    out = []
    for path in paths or ():
        try:
            out.extend(load_certificates(_read(path)))
        except CertificateError as exc:
            raise ToolError(f"{path}: {exc}") from exc
    return out


def _secret(env: str | None, prompt: str) -> bytes | None:
    if env:
        if env not in os.environ:
            raise ToolError(f"环境变量 {env} 未设置 (environment variable {env} is not set)")
        return os.environ[env].encode()
    if sys.stdin.isatty():
        return getpass.getpass(prompt).encode()
    return None


def _key(args) -> tuple:
    """A KeyOps from --key FILE (PKCS#8/PKCS#12/PEM) or --pkcs11 URI, checked against --cert."""
    from pki.keyops import FileKey
    from pki.keys import KeyError_, load_pkcs12, load_private_key
    cert = _cert(args.cert)
    if args.pkcs11:
        from pki.pkcs11.uri import Pkcs11UriError, parse
        from pki.pkcs11 import TokenError, open_key
        try:
            uri = parse(args.pkcs11)
            pin = None if (uri.pin_value or uri.pin_source) else _secret(args.pin_env, "PIN: ")
            key = open_key(args.pkcs11, pin=pin.decode() if pin else None)
        except Pkcs11UriError as exc:
            raise ToolError(f"PKCS#11 URI 无效 (invalid PKCS#11 URI: {exc})") from exc
        except TokenError as exc:
            raise ToolError(str(exc), EXIT_CRYPTO) from exc
    else:
        data = _read(args.key)
        password = _secret(args.pass_env, "私钥口令 (key password): ") if (args.pass_env or _encrypted(data, args.key)) else None
        try:
            if args.key.lower().endswith((".p12", ".pfx")):
                private, _, _ = load_pkcs12(data, password)
            else:
                private = load_private_key(data, password)
        except KeyError_ as exc:
            raise ToolError(f"{args.key}: {exc}", EXIT_CRYPTO) from exc
        key = FileKey(private)
    if key.public_key_info().dump() != cert.public_key.dump():
        raise ToolError("私钥与证书不匹配 (the key does not belong to the certificate given with --cert)",
                        EXIT_CRYPTO)
    return key, cert


def _encrypted(data: bytes, name: str) -> bool:
    return name.lower().endswith((".p12", ".pfx")) or b"ENCRYPTED" in data[:64]


def _progress(path: str, label: str):
    from bidtool.progress import ProgressBar
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0
    return ProgressBar(size, label)


def _trust_list():
    from pki.trust import load_trust_list
    anchors = os.environ.get("EBID_TRUST_ANCHORS") or PROJECT_ROOT / "instance" / "devca" / "anchors"
    return load_trust_list(os.environ.get("EBID_TRUST_CONFIG") or PROJECT_ROOT / "config" / "trust",
                           anchors if Path(anchors).is_dir() else None)


def identify(cert) -> str | None:
    """The credit code or ID number a certificate names, read through its CA's profile; if the CA
    is unknown here, through every profile's rules when they agree on one answer."""
    from pki.identity import IdentityError
    trust = _trust_list()
    profile = trust.profile_for(cert)
    profiles = [profile] if profile else trust.profiles
    found = set()
    for p in profiles:
        try:
            found.add(p.read_identity(cert).number)
        except (IdentityError, ValueError):
            continue
    return found.pop() if len(found) == 1 else None


def _tsa_stamper(url: str | None):
    if not url:
        return None
    from pki.timestamps import add_timestamp

    def stamp(sig: bytes) -> bytes:
        try:
            return add_timestamp(sig, url)
        except Exception as exc:  # network, TSA rejection: one line for the user
            raise ToolError(f"时间戳服务失败 (the time-stamping authority failed: {exc})", EXIT_IO) from exc
    return stamp


# -- commands -----------------------------------------------------------------------------------
def cmd_encrypt(args) -> str:
    from pki import envelope
    bar = _progress(args.input, "encrypt")
    info = envelope.encrypt_file(args.input, args.output, recipients=_certs(args.to), cipher=args.cipher,
                                 rsa_padding=args.rsa_padding, gmssl_compat=args.gmssl_compat, progress=bar)
    bar.close()
    return f"{args.output}: {info.content_type} {info.cipher}, {len(info.recipients)} recipient(s)"


def cmd_decrypt(args) -> str:
    from pki import envelope
    key, cert = _key(args)
    bar = _progress(args.input, "decrypt")
    info = envelope.decrypt_file(args.input, args.output, key=key, certificate=cert, progress=bar)
    bar.close()
    return f"{args.output}: {info.plaintext_size} bytes ({info.cipher}{'' if info.authenticated else ', no integrity check'})"


def cmd_sign(args) -> str:
    from pki import signature
    key, cert = _key(args)
    out = Path(args.output)
    options = dict(key=key, certificate=cert, chain=_certs(args.chain), detached=args.detached, pss=args.pss,
                   signing_time=_now(), gmssl_compat=args.gmssl_compat)
    if args.tsa:
        der = signature.sign(Path(args.input), **options)
        from pki.files import write_atomic
        write_atomic(out, _tsa_stamper(args.tsa)(der))
    else:
        signature.sign_to_file(Path(args.input), out, **options)
    return f"{args.output}: {'detached' if args.detached else 'attached'} signature by {_subject(cert)}"


def cmd_verify(args) -> str:
    from pki import signature
    result = signature.verify(_read(args.signature), content=Path(args.content) if args.content else None,
                              trust_roots=_certs(args.ca), intermediates=_certs(args.untrusted),
                              crls=[_read(c) for c in args.crl or ()], at=_parse_time(args.at),
                              revocation="require" if args.crl else "soft-fail")
    when = result.signing_time.isoformat() if result.signing_time else "no signing time"
    ts = ""
    if result.timestamp is not None:
        ts = f", timestamp {result.timestamp.gen_time.isoformat()}" if result.timestamp.valid else ", timestamp INVALID"
    if not result.ok:
        raise ToolError(f"签名无效 (signature NOT valid: {result.message()})", EXIT_CRYPTO)
    return f"Verification successful: {result.signer_subject}, {when}{ts}, flavour {result.flavour}"


def cmd_pack(args) -> str:
    from bidding.bids.sealing import seal_bid
    key, cert = _key(args)
    code = identify(cert)
    bidder = args.bidder or code
    if not bidder:
        raise ToolError("无法从证书读出统一社会信用代码，请用 --bidder 给出 "
                        "(the certificate names no credit code known here: give --bidder)")
    if code and args.bidder and code != args.bidder:
        raise ToolError(f"证书属于 {code}，不是 {args.bidder} (the certificate belongs to {code}, not {args.bidder})")
    enc_cert = _cert(args.enc_cert) if args.enc_cert else cert
    total = sum(Path(f).stat().st_size for f in args.files if Path(f).is_file())
    from bidtool.progress import ProgressBar
    bar = ProgressBar(total, "pack")
    sealed = seal_bid([Path(f) for f in args.files], Path(args.output), tender_id=args.tender, bidder_code=bidder,
                      price=args.price, currency=args.currency, created_at=_now(), key=key, certificate=cert,
                      chain=_certs(args.chain), recipients=[enc_cert, *_certs(args.to)], cipher=args.cipher,
                      gmssl_compat=args.gmssl_compat, timestamp=_tsa_stamper(args.tsa), progress=bar)
    bar.close()
    return (f"{args.output}: tender {sealed.manifest.tender_id}, bidder {bidder}, {len(sealed.manifest.files)} file(s), "
            f"price {sealed.manifest.price} {sealed.manifest.currency}, {sealed.cipher}, {sealed.envelope_size} bytes")


def cmd_unpack(args) -> str:
    from bidding.bids.sealing import open_bid
    key, cert = _key(args)
    bar = _progress(args.input, "unpack")
    opened = open_bid(Path(args.input), Path(args.outdir), key=key, certificate=cert, trust_roots=_certs(args.ca),
                      intermediates=_certs(args.untrusted), identify=identify, expect_tender=args.expect_tender,
                      expect_bidder=args.expect_bidder, progress=bar)
    bar.close()
    m = opened.manifest
    return (f"{args.outdir}: tender {m.tender_id}, bidder {m.bidder_code}, price {m.price} {m.currency}, "
            f"{len(opened.files)} file(s) verified, signed by {opened.verification.signer_subject}")


def cmd_inspect(args) -> str:
    data = _read(args.file)
    from pki import envelope, signature
    try:
        return _describe_envelope(envelope.inspect(args.file))
    except envelope.EnvelopeError as env_exc:
        try:
            _, sd = signature.load_signed_data(data)
        except signature.SignatureError:
            raise ToolError(f"{args.file}: 既不是数字信封也不是签名 (neither an envelope nor a signature: {env_exc})")
        return _describe_signed_data(sd)


def _describe_envelope(info) -> str:
    lines = [f"Envelope: {info.format} {info.content_type} v{info.version} ({info.encoding})",
             f"  content: {info.encapsulated_type}, cipher {info.cipher}, "
             f"{'authenticated' if info.authenticated else 'NOT authenticated (CBC)'}",
             f"  size: {info.envelope_size} bytes, ciphertext {info.ciphertext_size} bytes",
             f"  recipients ({len(info.recipients)}):"]
    for r in info.recipients:
        who = (f"issuer {r.issuer}, serial {r.serial_number:X}" if r.serial_number is not None
               else f"subjectKeyIdentifier {r.subject_key_identifier}")
        lines.append(f"    - {r.kind} {r.key_algorithm}: {who}")
    return "\n".join(lines)


def _describe_signed_data(sd) -> str:
    certs = [c.chosen for c in sd["certificates"]] if sd["certificates"].native else []
    encap = sd["encap_content_info"]
    content = encap["content"].native
    lines = [f"Signature: SignedData {sd['version'].native}, content type {encap['content_type'].native}, "
             f"{'attached ' + str(len(content)) + ' bytes' if content is not None else 'detached'}",
             f"  certificates ({len(certs)}):"]
    lines += [f"    - {c.subject.human_friendly} (serial {c.serial_number:X})" for c in certs]
    for si in sd["signer_infos"]:
        attrs = {a["type"].native: a["values"][0].native for a in si["signed_attrs"]} if si["signed_attrs"].native else {}
        unsigned = [a["type"].native for a in si["unsigned_attrs"]] if si["unsigned_attrs"].native else []
        sid = si["sid"]
        if sid.name == "issuer_and_serial_number":
            who = f"issuer {sid.chosen['issuer'].human_friendly}, serial {sid.chosen['serial_number'].native:X}"
        else:
            who = f"subjectKeyIdentifier {sid.chosen.native.hex()}"
        lines.append(f"  signer: {who}")
        lines.append(f"    digest {si['digest_algorithm']['algorithm'].native}, "
                     f"signature {si['signature_algorithm']['algorithm'].native}")
        if "signing_time" in attrs:
            lines.append(f"    signing time {attrs['signing_time']}")
        if unsigned:
            lines.append(f"    unsigned attributes: {', '.join(unsigned)}")
    return "\n".join(lines)


def _subject(cert) -> str:
    return cert.subject.human_friendly


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ToolError(f"时间格式无效 (invalid time {text!r}: use ISO 8601)") from exc
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


# -- parser -------------------------------------------------------------------------------------
def _key_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--key", help="private key file: PKCS#8 PEM/DER (plain or encrypted), PKCS#12 (.p12/.pfx)")
    g.add_argument("--pkcs11", metavar="URI", help="RFC 7512 URI of a key on a PKCS#11 token")
    p.add_argument("--pass-env", metavar="VAR", help="environment variable holding the key file's password")
    p.add_argument("--pin-env", metavar="VAR", help="environment variable holding the token PIN")
    p.add_argument("--cert", required=True, help="the certificate of that key")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bidtool", description="数字信封、签名与投标文件包工具 "
                                     "(digital envelopes, signatures and bid packages)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("encrypt", help="seal a file in a digital envelope for one or more certificates")
    p.add_argument("--to", action="append", required=True, metavar="CERT", help="recipient certificate (repeatable)")
    p.add_argument("--cipher", choices=["aes-256-gcm", "aes-256-cbc", "sm4-cbc"],
                   help="default: sm4-cbc for SM2 recipients, aes-256-gcm otherwise")
    p.add_argument("--rsa-padding", choices=["oaep", "pkcs1v15"], default="oaep")
    p.add_argument("--gmssl-compat", action="store_true", help="SM2: key-encryption OID 301.2 as GmSSL reads")
    p.add_argument("input")
    p.add_argument("output")
    p.set_defaults(run=cmd_encrypt)

    p = sub.add_parser("decrypt", help="open a digital envelope with a key file or a token")
    _key_options(p)
    p.add_argument("input")
    p.add_argument("output")
    p.set_defaults(run=cmd_decrypt)

    p = sub.add_parser("sign", help="CMS / GM/T 0010 signature of a file")
    _key_options(p)
    p.add_argument("--chain", action="append", metavar="FILE", help="intermediate CA certificates to include")
    p.add_argument("--detached", action="store_true")
    p.add_argument("--pss", action="store_true", help="RSA: RSASSA-PSS instead of PKCS#1 v1.5")
    p.add_argument("--gmssl-compat", action="store_true", help="SM2: GmSSL's flavour (no Z, no attributes)")
    p.add_argument("--tsa", metavar="URL", help="add an RFC 3161 timestamp from this authority")
    p.add_argument("input")
    p.add_argument("output")
    p.set_defaults(run=cmd_sign)

    p = sub.add_parser("verify", help="verify a signature and its signer's chain")
    p.add_argument("--ca", action="append", required=True, metavar="ROOT", help="trusted root (repeatable)")
    p.add_argument("--untrusted", action="append", metavar="FILE", help="intermediate certificates")
    p.add_argument("--content", help="the signed file, for a detached signature")
    p.add_argument("--crl", action="append", metavar="FILE", help="CRLs (revocation is then required)")
    p.add_argument("--at", help="validate at this time (ISO 8601), default: the timestamp's or now")
    p.add_argument("signature")
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("pack", help="sign and seal a bid package (offline)")
    _key_options(p)
    p.add_argument("--tender", required=True, help="tender (project) id")
    p.add_argument("--price", required=True, help="quoted price, e.g. 1234567.80")
    p.add_argument("--currency", default="CNY")
    p.add_argument("--bidder", help="bidder's credit code (default: read from the certificate)")
    p.add_argument("--enc-cert", help="the bidder's encryption certificate (default: --cert)")
    p.add_argument("--to", action="append", metavar="CERT", help="extra recipients")
    p.add_argument("--chain", action="append", metavar="FILE")
    p.add_argument("--cipher", choices=["aes-256-gcm", "aes-256-cbc", "sm4-cbc"])
    p.add_argument("--gmssl-compat", action="store_true")
    p.add_argument("--tsa", metavar="URL")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("files", nargs="+")
    p.set_defaults(run=cmd_pack)

    p = sub.add_parser("unpack", help="open a bid package and verify every file and the signature")
    _key_options(p)
    p.add_argument("--ca", action="append", required=True, metavar="ROOT")
    p.add_argument("--untrusted", action="append", metavar="FILE")
    p.add_argument("--expect-tender")
    p.add_argument("--expect-bidder")
    p.add_argument("input")
    p.add_argument("outdir")
    p.set_defaults(run=cmd_unpack)

    p = sub.add_parser("inspect", help="what an envelope or signature holds")
    p.add_argument("file")
    p.set_defaults(run=cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(args.run(args))
        return 0
    except ToolError as exc:
        _fail(str(exc))
        return exc.code
    except KeyboardInterrupt:
        _fail("已中断 (interrupted)")
        return 130
    except Exception as exc:  # every domain error ends as one line, never a traceback
        code = _classify(exc)
        _fail(_one_line(exc))
        if os.environ.get("BIDTOOL_DEBUG"):
            raise
        return code


def _classify(exc: Exception) -> int:
    from pki.envelope import EnvelopeError
    from pki.keyops import KeyOperationError
    from pki.signature import SignatureError
    from bidding.bids.errors import PackageIntegrityError
    if isinstance(exc, OSError):
        return EXIT_IO
    if isinstance(exc, (EnvelopeError, SignatureError, KeyOperationError, PackageIntegrityError)):
        return EXIT_CRYPTO
    return EXIT_INPUT


def _one_line(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename or ''}: {exc.strerror}".strip(": ")
    return " ".join(text.split())


def _fail(message: str) -> None:
    print(f"bidtool: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
