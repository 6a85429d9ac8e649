"""bidtool — the bidder's and signer's command-line tool (投标工具).

    bidtool encrypt --to CERT [--to CERT …] [--cipher aes-256-gcm|aes-256-cbc|sm4-cbc] [--gmssl-compat]
                    [--force] IN OUT
    bidtool decrypt (--key KEYFILE [--pass-env VAR] | --pkcs11 URI [--pin-env VAR]) --cert CERT [--force] IN OUT
    bidtool sign    (--key … | --pkcs11 …) --cert CERT [--chain FILE] [--detached] [--pss] [--gmssl-compat]
                    [--tsa URL] [--force] IN OUT
    bidtool verify  --ca ROOT [--ca …] [--untrusted FILE] [--content FILE] [--crl FILE] [--at TIME] SIGNATURE|PDF
    bidtool stamp   (--key … | --pkcs11 …) --cert CERT --seal PNG [--page N] [--x X] [--y Y] [--size PT]
                    [--cross-page] [--chain FILE] [--tsa URL] [--crl FILE] [--reason TEXT] [--force] IN.pdf OUT.pdf
    bidtool pack    --tender ID --price AMOUNT (--key … | --pkcs11 …) --cert CERT [--enc-cert CERT]
                    [--to CERT …] [--bidder CODE] [--force] -o OUT FILE [FILE …]
    bidtool unpack  (--key … | --pkcs11 …) --cert CERT --ca ROOT [--expect-tender ID] [--force] IN OUTDIR
    bidtool inspect FILE
    bidtool receipt-verify    --ca ROOT [--ca …] [--untrusted FILE] [--crl FILE] [--export-token FILE] RECEIPT
    bidtool transcript-verify --ca ROOT [--ca …] [--untrusted FILE] [--crl FILE] [--events] TRANSCRIPT
    bidtool login   --platform URL (--key … | --token LABEL | --pkcs11 …) --cert CERT [--username NAME]
                    [--session FILE]                                                  (bidtool/login.py)
    bidtool logout  [--session FILE]
    bidtool tenders [--mine] [--json] [--platform URL] [--session FILE]
    bidtool submit  TENDER ENVELOPE [--receipt FILE] [--force] [--ca ROOT …] [--chunk-size BYTES] [--retries N]
    bidtool withdraw BID [--receipt FILE] [--force] [--ca ROOT …]
    bidtool open    TENDER (--key … | --token LABEL | --pkcs11 …) --cert ENC_CERT --sign-cert CERT
                    [--sign-key FILE | --sign-token LABEL | --sign-pkcs11 URI] [--chain FILE]   (docs/opening.md)
    bidtool agent   --origin URL [--origin …] (--pkcs11 URI | --key KEYFILE --cert CERT)… [--config FILE]
                    [--port PORT] [--allow-no-origin] [--chain FILE] [--state-dir DIR]   (docs/agent.md)

Outputs are DER; inputs DER, BER or PEM. Passwords and PINs come from the environment variable
named by --pass-env / --pin-env (or a prompt on a terminal), never from the command line. An
existing output (or a non-empty output folder) is replaced only with --force.
Exit code 0 on success; otherwise one line on stderr, Chinese first, English in parentheses, and
(:mod:`bidtool.errors`): 1 usage or input mistake, 2 wrong key, tampering or invalid signature,
3 I/O failure or a service that could not be reached.
"""
from __future__ import annotations

import getpass
import logging
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from bidtool.agent.command import add_parser as add_agent_parser
from bidtool.errors import EXIT_CRYPTO, ToolError, classify, one_line
from bidtool.parser import BidtoolParser
from bidtool.login import add_parsers as add_login_parsers
from bidtool.opening import add_parsers as add_opening_parsers
from bidtool.receipts import add_parsers as add_receipt_parsers
from bidtool.submit import add_parsers as add_submit_parsers
from bidtool.tenders import add_parsers as add_tender_parsers
from bidtool.paths import input_file, output_file, read_input

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CIPHERS = ["aes-256-gcm", "aes-256-cbc", "sm4-cbc"]


# -- helpers ------------------------------------------------------------------------------------
def _now() -> datetime:
    from bidding.clock import SystemClock
    return SystemClock().now()


def _cert(path: str):
    from pki.certs import CertificateError, load_certificate
    try:
        return load_certificate(read_input(path))
    except CertificateError as exc:
        raise ToolError(f"{path}: {exc}") from exc


def _certs(paths: Sequence[str] | None) -> list:
    from pki.certs import CertificateError, load_certificates
    out = []
    for path in paths or ():
        try:
            out.extend(load_certificates(read_input(path)))
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
    """A KeyOps from --key FILE (PKCS#8/PKCS#12/PEM), --pkcs11 URI or --token LABEL, checked against --cert."""
    from pki.keyops import FileKey
    from pki.keys import KeyError_, key_matches_certificate, load_pkcs12, load_private_key
    cert = _cert(args.cert)
    if getattr(args, "token", None):
        from bidtool.tokens import key_uri
        args.pkcs11 = key_uri(args.token, cert)
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
            raise ToolError(str(exc), classify(exc)) from exc
    else:
        data = read_input(args.key)
        password = _secret(args.pass_env, "私钥口令 (key password): ") if (args.pass_env or _encrypted(data, args.key)) else None
        try:
            if args.key.lower().endswith((".p12", ".pfx")):
                private, _, _ = load_pkcs12(data, password)
            else:
                private = load_private_key(data, password)
        except KeyError_ as exc:
            raise ToolError(f"{args.key}: {exc}", classify(exc)) from exc
        key = FileKey(private)
    if not key_matches_certificate(key, cert):
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
        except IdentityError:
            continue
    return found.pop() if len(found) == 1 else None


def _tsa_stamper(url: str | None):
    if not url:
        return None
    from pki.errors import PkiError
    from pki.timestamps import add_timestamp

    def stamp(sig: bytes) -> bytes:
        try:
            return add_timestamp(sig, url)
        except PkiError as exc:  # unreachable, refused, or a reply that does not match the request
            raise ToolError(f"时间戳服务失败 (the time-stamping authority failed): {exc}", classify(exc)) from exc
    return stamp


# -- commands -----------------------------------------------------------------------------------
def cmd_encrypt(args) -> str:
    from pki import envelope
    from pki.envelope.recipients import check_recipient
    source = input_file(args.input)
    recipients = _certs(args.to)
    for cert in recipients:
        check_recipient(cert)
    out = output_file(args.output, force=args.force)
    bar = _progress(source, "encrypt")
    info = envelope.encrypt_file(source, out, recipients=recipients, cipher=args.cipher,
                                 rsa_padding=args.rsa_padding, gmssl_compat=args.gmssl_compat, progress=bar)
    bar.close()
    return f"{args.output}: {info.content_type} {info.cipher}, {len(info.recipients)} recipient(s)"


def cmd_decrypt(args) -> str:
    from pki import envelope
    source = input_file(args.input)
    out = output_file(args.output, force=args.force)
    key, cert = _key(args)
    bar = _progress(source, "decrypt")
    info = envelope.decrypt_file(source, out, key=key, certificate=cert, progress=bar)
    bar.close()
    return f"{args.output}: {info.plaintext_size} bytes ({info.cipher}{'' if info.authenticated else ', no integrity check'})"


def cmd_sign(args) -> str:
    from pki import signature
    source = input_file(args.input)
    out = output_file(args.output, force=args.force)
    chain = _certs(args.chain)
    key, cert = _key(args)
    options = dict(key=key, certificate=cert, chain=chain, detached=args.detached, pss=args.pss,
                   signing_time=_now(), gmssl_compat=args.gmssl_compat)
    if args.tsa:
        der = signature.sign(source, **options)
        from pki.files import write_atomic
        write_atomic(out, _tsa_stamper(args.tsa)(der))
    else:
        signature.sign_to_file(source, out, **options)
    return f"{args.output}: {'detached' if args.detached else 'attached'} signature by {_subject(cert)}"


def cmd_verify(args) -> str:
    data = read_input(args.signature)
    if _is_pdf(data):
        if args.content:
            raise ToolError("PDF 的签名就在文件里，不需要 --content (a PDF carries its signatures: drop --content)")
        return _verify_pdf(data, args)
    from pki import signature
    content = input_file(args.content) if args.content else None
    result = signature.verify(data, content=content,
                              trust_roots=_certs(args.ca), intermediates=_certs(args.untrusted),
                              crls=[read_input(c) for c in args.crl or ()], at=_parse_time(args.at),
                              revocation="require" if args.crl else "soft-fail")
    if not result.ok:
        raise ToolError(f"签名无效 (signature NOT valid: {result.message()})", EXIT_CRYPTO)
    lines = [f"Verification successful: {len(result.signers)} signer(s), every one verified"]
    for signer in result.signers:       # every SignerInfo was checked: one line each
        when = signer.signing_time.isoformat() if signer.signing_time else "no signing time"
        ts = f", timestamp {signer.timestamp.gen_time.isoformat()}" if signer.timestamp is not None else ""
        lines.append(f"signer {signer.index + 1}: {signer.signer_subject}, {when}{ts}, flavour {signer.flavour}")
    return "\n".join(lines)


def _is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]      # a header may follow a little junk, as readers accept


def _verify_pdf(data: bytes, args) -> str:
    """Every signature of a stamped PDF (RSA, EC, SM2), each on its own line; exit 2 unless every
    one is valid, intact, trusted and followed by nothing but seal additions."""
    from pki.pdf import TrustAnchors, verify_pdf
    report = verify_pdf(data, trust=TrustAnchors(tuple(_certs(args.ca)), tuple(_certs(args.untrusted))),
                        crls=[read_input(c) for c in args.crl or ()], at=_parse_time(args.at))
    if not report.signatures:
        raise ToolError("该 PDF 没有签名 (the PDF carries no signature)", EXIT_CRYPTO)
    lines = []
    for n, sig in enumerate(report.signatures, start=1):
        when = sig.timestamp_time or sig.signing_time
        state = "valid" if sig.ok() else "NOT valid: " + "；".join(sig.problems or ("unknown",))
        extra = (", covers the whole document" if sig.covers_whole_document else "") + \
                (", cross-page seal" if sig.cross_page else "") + \
                (f", later changes: {sig.modification}" if sig.modified_after else "")
        lines.append(f"signature {n} ({sig.field_name}): {_common_name(sig.signer_subject)}, {sig.algorithm.upper()}, "
                     f"{when.isoformat() if when else 'no time'}"
                     f"{' (timestamp)' if sig.timestamp_time else ''}, certificate {sig.certificate_status}"
                     f"{extra}: {state}")
    if not report.ok():
        print("\n".join(lines))          # what each signature is; the one-line verdict goes to stderr
        bad = sum(1 for sig in report.signatures if not sig.ok())
        raise ToolError(f"PDF 签章无效：{bad} 个签名未通过验证 (PDF signature NOT valid: {bad} of "
                        f"{len(report.signatures)} failed; give the CAs' CRLs with --crl to check revocation)",
                        EXIT_CRYPTO)
    return f"Verification successful: {len(report.signatures)} signature(s) in {report.revisions} revision(s)\n" + \
        "\n".join(lines)


def cmd_stamp(args) -> str:
    """Stamp a PDF with a visible seal (and optionally the cross-page seal) with a key file or token."""
    from pki.files import write_atomic
    from pki.pdf import SealPlacement, StampSpec, ValidationData, stamp_with_key
    pdf = read_input(args.input)
    if not _is_pdf(pdf):
        raise ToolError(f"{args.input}: 不是 PDF 文件 (not a PDF file)")
    seal = read_input(args.seal)
    out = output_file(args.output, force=args.force)
    chain = _certs(args.chain)
    key, cert = _key(args)
    spec = StampSpec(seal_png=seal, placement=SealPlacement(page=args.page, x=args.x, y=args.y, size=args.size),
                     cross_page=args.cross_page, reason=args.reason)
    validation = ValidationData(certificates=tuple([cert, *chain]), crls=tuple(read_input(c) for c in args.crl)) \
        if args.crl else None
    stamped = stamp_with_key(pdf, key, cert, spec, chain=chain, signing_time=_now(),
                             timestamper=args.tsa or None, validation=validation)
    write_atomic(out, stamped)
    level = "B-LT" if validation else "B-T" if args.tsa else "B-B"
    return f"{args.output}: sealed by {_subject(cert)} on page {args.page or 'last'}" \
           f"{' with the cross-page seal' if args.cross_page else ''} (PAdES {level})"


def cmd_pack(args) -> str:
    from bidding.bids.sealing import seal_bid
    from pki.envelope.recipients import check_recipient
    files = [input_file(f) for f in args.files]
    out = output_file(args.output, force=args.force)
    chain = _certs(args.chain)
    key, cert = _key(args)
    code = identify(cert)
    bidder = args.bidder or code
    if not bidder:
        raise ToolError("无法从证书读出统一社会信用代码，请用 --bidder 给出 "
                        "(the certificate names no credit code known here: give --bidder)")
    if code and args.bidder and code != args.bidder:
        raise ToolError(f"证书属于 {code}，不是 {args.bidder} (the certificate belongs to {code}, not {args.bidder})")
    recipients = [_cert(args.enc_cert) if args.enc_cert else cert, *_certs(args.to)]
    for recipient in recipients:     # before the token signs and the TSA is asked
        check_recipient(recipient)
    from bidtool.progress import ProgressBar
    bar = ProgressBar(sum(f.stat().st_size for f in files), "pack")
    sealed = seal_bid(files, out, tender_id=args.tender, bidder_code=bidder,
                      price=args.price, currency=args.currency, created_at=_now(), key=key, certificate=cert,
                      chain=chain, recipients=recipients, cipher=args.cipher,
                      gmssl_compat=args.gmssl_compat, items=[_item(text) for text in args.item or ()],
                      timestamp=_tsa_stamper(args.tsa), progress=bar)
    bar.close()
    return (f"{args.output}: tender {sealed.manifest.tender_id}, bidder {bidder}, {len(sealed.manifest.files)} file(s), "
            f"price {sealed.manifest.price} {sealed.manifest.currency}, {sealed.cipher}, {sealed.envelope_size} bytes")


def _item(text: str) -> tuple[str, str]:
    """``--item 交货期=合同签订后30日`` → (name, value); the manifest checks both."""
    name, equals, value = text.partition("=")
    if not equals:
        raise ToolError(f"--item 须为 名称=内容 (--item must be NAME=VALUE: {text!r})")
    return name, value


def cmd_unpack(args) -> str:
    from bidding.bids.output import check_destination
    from bidding.bids.sealing import open_bid
    source = input_file(args.input)
    roots, intermediates = _certs(args.ca), _certs(args.untrusted)
    key, cert = _key(args)
    outdir = Path(args.outdir)
    check_destination(outdir, replace=args.force)   # refused before any work; open_bid checks again
    bar = _progress(source, "unpack")
    opened = open_bid(source, outdir, key=key, certificate=cert, trust_roots=roots,
                      intermediates=intermediates, identify=identify, expect_tender=args.expect_tender,
                      expect_bidder=args.expect_bidder, replace=args.force, progress=bar)
    bar.close()
    m = opened.manifest
    return (f"{args.outdir}: tender {m.tender_id}, bidder {m.bidder_code}, price {m.price} {m.currency}, "
            f"{len(opened.files)} file(s) verified, signed by {opened.verification.signer_subject}")


def cmd_inspect(args) -> str:
    """Streams: an envelope's headers and RecipientInfos are read, its content skipped by lengths
    (or walked segment by segment), so memory does not grow with the file. Only a file that is no
    envelope is read whole, as a signature, and only up to :data:`SIGNATURE_INSPECT_LIMIT`."""
    from pki import envelope
    source = input_file(args.file)
    try:
        return _describe_envelope(envelope.inspect(source))
    except (envelope.NotAnEnvelope, envelope.NotContentInfo) as not_envelope:
        return _describe_signature(args.file, source, not_envelope)


SIGNATURE_INSPECT_LIMIT = 64 << 20     # a signature is parsed whole, in memory (asn1crypto)


def _describe_signature(name: str, source: Path, not_envelope) -> str:
    from pki import signature
    size = source.stat().st_size
    neither = f"{name}: 既不是数字信封也不是签名 (neither an envelope nor a signature)"
    if size > SIGNATURE_INSPECT_LIMIT:
        if not_envelope.content_type is None:
            raise ToolError(neither)
        raise ToolError(f"{name}: 文件过大，无法作为签名查看 ({not_envelope.content_type}: {size} bytes is "
                        f"more than bidtool inspects as a signature, {SIGNATURE_INSPECT_LIMIT >> 20} MiB)")
    try:
        _, sd = signature.load_signed_data(read_input(source))
    except (signature.SignatureError, RecursionError) as exc:
        # asn1crypto's messages run over several lines: the detail goes to the debug log only
        logging.getLogger(__name__).debug("%s is not a signature either: %s", name, exc, exc_info=exc)
        raise ToolError(neither) from None
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


def _common_name(subject: str) -> str:
    """'Common Name: X, Organization: …' → 'X' (the whole text when it names no common name)."""
    head = subject.split("Common Name: ", 1)
    return head[1].split(", ", 1)[0] if len(head) == 2 else subject


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
def _key_options(p) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--key", metavar="FILE", help="私钥文件：PKCS#8 PEM/DER（明文或加密）或 PKCS#12 "
                   "(private key file: PKCS#8 PEM/DER, plain or encrypted, or PKCS#12 .p12/.pfx)")
    g.add_argument("--pkcs11", metavar="URI", help="令牌上私钥的 PKCS#11 URI (RFC 7512 URI of a key on a token)")
    g.add_argument("--token", metavar="LABEL", help="令牌标签：使用令牌上与 --cert 配对的私钥 "
                   "(token label: the key on that token paired with --cert)")
    p.add_argument("--pass-env", metavar="VAR", help="存放私钥文件口令的环境变量名 "
                   "(environment variable holding the key file's password)")
    p.add_argument("--pin-env", metavar="VAR", help="存放令牌 PIN 码的环境变量名 (environment variable holding the token PIN)")
    p.add_argument("--cert", required=True, metavar="CERT", help="该私钥的证书 (the certificate of that key)")


def _force(p) -> None:
    p.add_argument("--force", action="store_true", help="覆盖已有的输出 (overwrite an existing output)")


def _recipient_options(p, *, extra: bool) -> None:
    if extra:
        p.add_argument("--to", action="append", metavar="CERT", help="另外的接收者证书，可重复 "
                       "(another recipient's certificate, repeatable)")
    else:
        p.add_argument("--to", action="append", required=True, metavar="CERT", help="接收者的加密证书，可重复 "
                       "(a recipient's encryption certificate, repeatable)")
    p.add_argument("--cipher", choices=CIPHERS, help="内容加密算法，默认 SM2 接收者用 sm4-cbc，其余用 aes-256-gcm "
                   "(content cipher; default sm4-cbc for SM2 recipients, aes-256-gcm otherwise)")
    p.add_argument("--gmssl-compat", action="store_true", help="SM2：按 GmSSL 的习惯写密钥加密算法 OID "
                   "1.2.156.10197.1.301.2 (SM2: key-encryption OID 301.2, as GmSSL reads it)")


def _chain_option(p) -> None:
    p.add_argument("--chain", action="append", metavar="FILE", help="写入签名的中间 CA 证书（可含根证书），可重复 "
                   "(intermediate CA certificates to include in the signature, repeatable)")


def _tsa_option(p) -> None:
    p.add_argument("--tsa", metavar="URL", help="向该时间戳服务申请 RFC 3161 时间戳，如 $BASE/tsa "
                   "(add an RFC 3161 timestamp from this authority, e.g. $BASE/tsa)")


def build_parser() -> BidtoolParser:
    parser = BidtoolParser(prog="bidtool", description="数字信封、签名与投标文件包工具 "
                           "(digital envelopes, signatures and bid packages)")
    # not required here: `bidtool --bogus` should name --bogus, not a missing command (see main)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    source = "输入文件 (input file)"

    p = sub.add_parser("encrypt", help="为一个或多个证书制作数字信封 (seal a file in a digital envelope)")
    _recipient_options(p, extra=False)
    p.add_argument("--rsa-padding", choices=["oaep", "pkcs1v15"], default="oaep",
                   help="RSA 密钥传输的填充方式，默认 oaep (RSA key-transport padding, default oaep)")
    _force(p)
    p.add_argument("input", help=source)
    p.add_argument("output", help="输出的数字信封 (the envelope to write)")
    p.set_defaults(run=cmd_encrypt)

    p = sub.add_parser("decrypt", help="用私钥文件或令牌打开数字信封 (open a digital envelope)")
    _key_options(p)
    _force(p)
    p.add_argument("input", help="数字信封 (the envelope)")
    p.add_argument("output", help="解密后的文件 (the decrypted file to write)")
    p.set_defaults(run=cmd_decrypt)

    p = sub.add_parser("sign", help="对文件签名：CMS 或 GM/T 0010 (sign a file: CMS or GM/T 0010)")
    _key_options(p)
    _chain_option(p)
    p.add_argument("--detached", action="store_true", help="分离式签名，不含原文 (detached: the signature "
                   "does not hold the file)")
    p.add_argument("--pss", action="store_true", help="RSA：用 RSASSA-PSS 而非 PKCS#1 v1.5 "
                   "(RSA: RSASSA-PSS instead of PKCS#1 v1.5)")
    p.add_argument("--gmssl-compat", action="store_true", help="SM2：GmSSL 风格，无 Z 值、无签名属性 "
                   "(SM2: GmSSL's flavour, no Z, no signed attributes)")
    _tsa_option(p)
    _force(p)
    p.add_argument("input", help="要签名的文件 (the file to sign)")
    p.add_argument("output", help="输出的签名 (the signature to write)")
    p.set_defaults(run=cmd_sign)

    p = sub.add_parser("verify", help="验证签名及签名者证书链 (verify a signature and its signer's chain)")
    p.add_argument("--ca", action="append", required=True, metavar="ROOT", help="信任的根证书，可重复："
                   "签名者的根和时间戳服务的根 (a trusted root, repeatable: the signer's and the TSA's)")
    p.add_argument("--untrusted", action="append", metavar="FILE", help="中间 CA 证书 (intermediate CA certificates)")
    p.add_argument("--content", metavar="FILE", help="分离式签名的原文 (the signed file, for a detached signature)")
    p.add_argument("--crl", action="append", metavar="FILE", help="证书吊销列表，给出后必须检查吊销 "
                   "(CRLs; revocation is then required)")
    p.add_argument("--at", metavar="TIME", help="在此时刻验证 (ISO 8601)，默认为时间戳时间或当前时间 "
                   "(validate at this time, ISO 8601; default: the timestamp's or now)")
    p.add_argument("signature", help="签名文件或已签章的 PDF (the signature, or a stamped PDF)")
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("stamp", help="用印章图片对 PDF 签章（PAdES，可加骑缝章） "
                       "(stamp a PDF with a visible seal, PAdES, optional cross-page seal)")
    _key_options(p)
    _chain_option(p)
    _tsa_option(p)
    p.add_argument("--seal", required=True, metavar="PNG", help="印章图片，透明背景的 PNG (the seal image, a PNG)")
    p.add_argument("--page", type=int, default=0, metavar="N", help="盖章的页码，从 1 起，0 为最后一页（默认） "
                   "(page to stamp, 1-based; 0 = the last, default)")
    p.add_argument("--x", type=float, default=400.0, metavar="PT", help="印章左下角距页面左边的距离，单位点，默认 400 "
                   "(seal's left edge in points from the page's left, default 400)")
    p.add_argument("--y", type=float, default=80.0, metavar="PT", help="印章左下角距页面下边的距离，单位点，默认 80 "
                   "(seal's lower edge in points from the page's bottom, default 80)")
    p.add_argument("--size", type=float, default=120.0, metavar="PT", help="印章边长，单位点，默认 120（约 42 毫米） "
                   "(side of the seal's square in points, default 120, about 42 mm)")
    p.add_argument("--cross-page", action="store_true", help="同时加盖骑缝章 (also the cross-page seal)")
    p.add_argument("--crl", action="append", metavar="FILE", help="嵌入的证书吊销列表（给出则为 PAdES B-LT） "
                   "(CRLs to embed with the chain: PAdES B-LT)")
    p.add_argument("--reason", metavar="TEXT", help="签章事由 (reason written into the signature)")
    _force(p)
    p.add_argument("input", help="要签章的 PDF (the PDF to stamp)")
    p.add_argument("output", help="签章后的 PDF (the stamped PDF to write)")
    p.set_defaults(run=cmd_stamp)

    p = sub.add_parser("pack", help="签名并密封投标文件包（离线） (sign and seal a bid package, offline)")
    _key_options(p)
    p.add_argument("--tender", required=True, metavar="ID", help="项目编号 (tender id)")
    p.add_argument("--price", required=True, metavar="AMOUNT", help="投标报价，如 1234567.80 (quoted price, e.g. 1234567.80)")
    p.add_argument("--currency", default="CNY", help="币种，默认 CNY (currency, default CNY)")
    p.add_argument("--item", action="append", metavar="NAME=VALUE",
                   help="开标一览表的其他项目，开标时唱出，可重复，如 --item 交货期=30日 (another item of the quotation "
                        "sheet, read out at the opening; repeatable)")
    p.add_argument("--bidder", metavar="CODE", help="投标人统一社会信用代码，默认从证书读出 "
                   "(bidder's credit code; default: read from the certificate)")
    p.add_argument("--enc-cert", metavar="CERT", help="投标人的加密证书，默认 --cert "
                   "(the bidder's encryption certificate; default: --cert)")
    _recipient_options(p, extra=True)
    _chain_option(p)
    _tsa_option(p)
    _force(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="输出的投标文件包 (the bid package to write)")
    p.add_argument("files", nargs="+", metavar="FILE", help="投标文件 (the bid's files)")
    p.set_defaults(run=cmd_pack)

    p = sub.add_parser("unpack", help="打开投标文件包并验证每个文件和签名 (open a bid package, verify every file "
                       "and the signature)")
    _key_options(p)
    p.add_argument("--ca", action="append", required=True, metavar="ROOT", help="信任的根证书，可重复 "
                   "(a trusted root, repeatable)")
    p.add_argument("--untrusted", action="append", metavar="FILE", help="中间 CA 证书 (intermediate CA certificates)")
    p.add_argument("--expect-tender", metavar="ID", help="要求的项目编号 (refuse a package for another tender)")
    p.add_argument("--expect-bidder", metavar="CODE", help="要求的投标人信用代码 (refuse a package of another bidder)")
    p.add_argument("--force", action="store_true", help="输出文件夹非空时替换其中上次解包的内容 "
                   "(replace what an earlier unpack left in a non-empty output folder)")
    p.add_argument("input", help="投标文件包 (the bid package)")
    p.add_argument("outdir", help="输出文件夹 (the output folder)")
    p.set_defaults(run=cmd_unpack)

    p = sub.add_parser("inspect", help="查看数字信封或签名的内容 (what an envelope or signature holds)")
    p.add_argument("file", help="数字信封或签名 (an envelope or a signature)")
    p.set_defaults(run=cmd_inspect)

    add_receipt_parsers(sub)    # receipt-verify, transcript-verify: bidtool/receipts.py
    add_login_parsers(sub)      # login, logout: bidtool/login.py
    add_tender_parsers(sub)     # tenders: bidtool/tenders.py
    add_submit_parsers(sub)     # submit, withdraw: bidtool/submit.py
    add_opening_parsers(sub)    # open: bidtool/opening.py
    add_agent_parser(sub)       # the local signing agent: bidtool/agent/command.py
    return parser


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that every ``finally`` and ``with`` block runs
    (an unverified plaintext file is dropped, created folders removed) before bidtool exits."""


def _on_signal(signum, frame) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():   # signals reach the main thread only
        return _main(argv)
    previous = {signum: signal.signal(signum, _on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _main(argv)
    finally:            # main() called in-process (tests) hands the process its handlers back
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv: Sequence[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.error("the following arguments are required: COMMAND")
        print(args.run(args))
        return 0
    except KeyboardInterrupt:
        _fail("已中断 (interrupted)")
        return 130
    except Terminated:
        _fail("已终止 (terminated)")
        return 128 + signal.SIGTERM
    except Exception as exc:  # every failure ends as one line, never a traceback
        _fail(one_line(exc))
        if os.environ.get("BIDTOOL_DEBUG"):
            raise
        return classify(exc)


def _fail(message: str) -> None:
    print(f"bidtool: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
