"""``bidtool receipt-verify`` and ``bidtool transcript-verify``: the bidder's offline check of what the
platform signed (投标回执, 开标记录 transcript), through :mod:`pki.receipts`.

    bidtool receipt-verify    --ca ROOT [--ca …] [--untrusted FILE] [--crl FILE] [--export-token FILE [--force]] RECEIPT
    bidtool transcript-verify --ca ROOT [--ca …] [--untrusted FILE] [--crl FILE] [--events] TRANSCRIPT

``--ca`` are the roots of the platform's receipt certificate and of its TSA. Exit 0 when everything
holds; 2 when the document is signed but something fails (its fields are still printed on stdout,
the one-line verdict goes to stderr); 1 for a file that is no signature at all or a usage mistake.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

from bidtool.errors import EXIT_CRYPTO, ToolError
from bidtool.paths import output_file, read_input


def add_parsers(sub) -> None:
    """Add both commands to bidtool's sub-parsers."""
    p = sub.add_parser("receipt-verify", help="离线验证平台签发的投标回执 (verify a bid receipt offline)")
    _trust_options(p)
    p.add_argument("--export-token", metavar="FILE", help="把回执中的时间戳另存，供 openssl ts -verify 使用 "
                   "(write the receipt's timestamp token here, for openssl ts -verify)")
    p.add_argument("--force", action="store_true", help="覆盖已有的 --export-token 文件 (overwrite an existing "
                   "--export-token file)")
    p.add_argument("receipt", help="投标回执 (the receipt, DER or PEM)")
    p.set_defaults(run=cmd_receipt_verify)

    p = sub.add_parser("transcript-verify", help="离线验证开标记录（事件链、签名与时间戳） "
                       "(verify an opening transcript offline: event chain, signature, timestamp)")
    _trust_options(p)
    p.add_argument("--events", action="store_true", help="逐条列出事件 (list every event)")
    p.add_argument("transcript", help="开标记录 (the transcript, DER or PEM)")
    p.set_defaults(run=cmd_transcript_verify)


def _trust_options(p) -> None:
    p.add_argument("--ca", action="append", required=True, metavar="ROOT", help="信任的根证书，可重复：平台回执证书的根"
                   "和时间戳服务的根 (a trusted root, repeatable: the receipt certificate's and the TSA's)")
    p.add_argument("--untrusted", action="append", metavar="FILE", help="中间 CA 证书 (intermediate CA certificates)")
    p.add_argument("--crl", action="append", metavar="FILE", help="证书吊销列表，给出后必须检查吊销 "
                   "(CRLs; revocation is then required)")


# -- receipt-verify ---------------------------------------------------------------------------------
def cmd_receipt_verify(args) -> str:
    from pki.receipts import verify_receipt
    der = read_input(args.receipt)
    out = output_file(args.export_token, force=args.force) if args.export_token else None
    roots = _certs(args.ca)
    check = verify_receipt(der, trust_roots=roots, intermediates=_certs(args.untrusted), tsa_roots=roots,
                           crls=[read_input(c) for c in args.crl or ()])
    lines = _receipt_lines(check, der)
    if out is not None:
        lines.append(_export_token(der, out))
    if not check.ok:
        print("\n".join(lines))
        raise ToolError(f"投标回执无效 (receipt NOT valid: {check.message()})", EXIT_CRYPTO)
    return "\n".join(["Receipt verified: 投标回执有效 (the bid receipt is valid)", *lines])


def _receipt_lines(check, der: bytes) -> list[str]:
    lines = []
    f = check.fields
    if f is not None:
        lines += [f"tender: {f.tender}", f"bid: {f.bid}", f"bidder: {f.bidder}",
                  f"action: {f.action}" + (f" (replaces bid {f.replaces})" if f.replaces else ""),
                  f"size: {f.size} bytes", f"sha256: {f.sha256}", f"sm3: {f.sm3}",
                  f"received_at: {_millis(f.received_at)}"]
    lines += _signature_lines(check, der)
    return lines


def _export_token(der: bytes, out) -> str:
    from pki.files import write_atomic
    from pki.timestamps import extract_timestamp_token
    token = extract_timestamp_token(der)
    if token is None:
        return "回执中没有时间戳，未导出 (the receipt carries no timestamp token: nothing exported)"
    write_atomic(out, token)
    return f"token written to {out} (openssl ts -verify -in {out} -token_in -digest <imprint above> -CAfile TSA-ROOT)"


# -- transcript-verify ------------------------------------------------------------------------------
def cmd_transcript_verify(args) -> str:
    from pki.receipts import verify_transcript
    der = read_input(args.transcript)
    roots = _certs(args.ca)
    check = verify_transcript(der, trust_roots=roots, intermediates=_certs(args.untrusted), tsa_roots=roots,
                              crls=[read_input(c) for c in args.crl or ()])
    lines = []
    if check.events:
        head = check.head
        lines += [f"tender: {check.tender}", f"events: {check.count}",
                  f"first: {check.events[0].at}", f"last: {check.events[-1].at}",
                  f"chain head: audit entry {head.id}, sha256 {head.sha256}, sm3 {head.sm3}"]
        lines.append("gaps: none (the events are consecutive audit entries)" if not check.gaps else
                     "gaps: " + ", ".join(_gap(a, b) for a, b in check.gaps)
                     + " — other business of the audit log, not in this transcript")
        lines.append(f"hall links: complete, events 1–{check.count} (nothing dropped or moved)" if check.hall_linked
                     else "hall links: none (what fell in a gap can be checked only against the audit log)")
        if args.events:
            lines += [_event_line(e) for e in check.events]
    lines += _signature_lines(check, der)
    if not check.ok:
        print("\n".join(lines))
        raise ToolError(f"开标记录无效 (transcript NOT valid: {check.message()})", EXIT_CRYPTO)
    return "\n".join(["Transcript verified: 开标记录有效，事件链完整 (the opening transcript is valid, its chain "
                      "intact)", *lines])


def _gap(a: int, b: int) -> str:
    return f"entries {a + 1}–{b - 1}" if b - a > 2 else f"entry {a + 1}"


def _event_line(e) -> str:
    target = f" {e.object_type}:{e.object_id}" if e.object_type or e.object_id else ""
    return f"  #{e.id} {e.at} {e.action} by {e.operator}@{e.address}{target} {e.details}"


# -- shared -----------------------------------------------------------------------------------------
def _signature_lines(check, der: bytes) -> list[str]:
    lines = []
    stamp = check.timestamp
    if stamp is not None and stamp.gen_time is not None:
        lines.append(f"timestamp: {_utc(stamp.gen_time)} by {stamp.tsa_name} (serial {stamp.serial_number:X})"
                     if stamp.serial_number is not None else f"timestamp: {_utc(stamp.gen_time)}")
        imprint = _signature_digest(der)
        if imprint:
            lines.append(f"timestamp imprint (SHA-256 of the signature value): {imprint}")
    if check.signer_subject:
        lines.append(f"signed by: {check.signer_subject} ({check.signature.flavour})")
    return lines


def _signature_digest(der: bytes) -> str | None:
    from pki.signature import load_signed_data
    signer_infos = load_signed_data(der)[1]["signer_infos"]
    return hashlib.sha256(signer_infos[0]["signature"].native).hexdigest() if len(signer_infos) == 1 else None


def _utc(at) -> str:
    from datetime import timezone
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _millis(at) -> str:
    from pki.receipts import format_millis
    return format_millis(at)


def _certs(paths: Sequence[str] | None) -> list:
    from pki.certs import CertificateError, load_certificates
    out = []
    for path in paths or ():
        try:
            out.extend(load_certificates(read_input(path)))
        except CertificateError as exc:
            raise ToolError(f"{path}: {exc}") from exc
    return out


__all__ = ["add_parsers", "cmd_receipt_verify", "cmd_transcript_verify"]
