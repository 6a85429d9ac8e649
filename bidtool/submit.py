"""``bidtool submit`` and ``bidtool withdraw``: a sealed bid to the platform and back, each ending
with its receipt saved and verified offline.

    bidtool submit   TENDER ENVELOPE [--receipt FILE] [--force] [--ca ROOT …] [--chunk-size BYTES]
                     [--retries N] [--session FILE]
    bidtool withdraw BID [--receipt FILE] [--force] [--ca ROOT …] [--session FILE]

``submit`` refuses a file that is no envelope before sending a byte, then speaks the resumable upload
of docs/uploads.md (:mod:`bidtool.upload`); the upload's address is remembered beside the session
file until it is done, so running the same command again after a failure resumes the same upload.
The receipt is fetched, written and checked (:func:`check_receipt`: the platform's signature and
timestamp, and that it names this bid, this tender and exactly this file's digest) before bidtool
says the bid is submitted.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bidtool import session as sessions
from bidtool.errors import EXIT_CRYPTO, ToolError
from bidtool.login import session_option
from bidtool.paths import input_file, output_file
from bidtool.platform import Platform


def add_parsers(sub) -> None:
    p = sub.add_parser("submit", help="断点续传上传投标文件包，保存并验证投标回执 "
                       "(upload a sealed bid, resumable; save and verify its receipt)")
    p.add_argument("tender", metavar="TENDER", help="招标项目 ID 或招标编号 (the tender's id or number)")
    p.add_argument("envelope", metavar="ENVELOPE", help="bidtool pack 写出的投标文件包 (the bid package bidtool "
                   "pack wrote)")
    _receipt_options(p)
    p.add_argument("--chunk-size", type=int, metavar="BYTES", help="每个分片的大小，默认取平台上限（8 MiB） "
                   "(bytes per chunk; default the platform's limit, 8 MiB)")
    p.add_argument("--retries", type=int, default=8, metavar="N", help="连接中断后的重试次数，间隔 1、2、4…30 秒，"
                   "默认 8 (retries after a broken connection, waiting 1, 2, 4 … 30 s; default 8)")
    session_option(p)
    p.set_defaults(run=cmd_submit)

    p = sub.add_parser("withdraw", help="撤回已递交的投标，保存并验证撤回回执 "
                       "(withdraw a submitted bid; save and verify the withdrawal receipt)")
    p.add_argument("bid", metavar="BID", help="投标编号，见投标回执 (the bid's id, as on its receipt)")
    _receipt_options(p)
    session_option(p)
    p.set_defaults(run=cmd_withdraw)


def _receipt_options(p) -> None:
    p.add_argument("--receipt", metavar="FILE", help="回执的保存位置，默认 receipt-<投标编号>.p7m "
                   "(where to save the receipt; default receipt-<bid>.p7m)")
    p.add_argument("--force", action="store_true", help="覆盖已有的回执文件 (overwrite an existing receipt file)")
    p.add_argument("--ca", action="append", metavar="ROOT", help="验证回执所信任的根证书，默认为信任列表中的根 "
                   "(a root trusted for the receipt; default: the trust list's roots)")


# -- submit -----------------------------------------------------------------------------------------------
def cmd_submit(args) -> str:
    from bidtool.tenders import find_tender
    from bidtool.upload import Upload, send
    source = input_file(args.envelope)
    check_envelope(source, args.envelope)
    if args.receipt:
        output_file(args.receipt, force=args.force)     # refused now, not after the upload
    if args.chunk_size is not None and args.chunk_size < 1:
        raise ToolError(f"--chunk-size 须为正数 (--chunk-size must be positive, not {args.chunk_size})")
    path = sessions.session_path(args.session)
    platform = Platform.logged_in(path)
    tender = find_tender(platform, args.tender)
    size, sha256 = source.stat().st_size, file_sha256(source)
    upload = Upload.resume_or_start(platform, tender["id"], size, sha256, state_dir=sessions.uploads_dir(path))
    done = send(platform, upload, source, chunk_size=args.chunk_size, retries=args.retries)
    bid = done["bid"]
    receipt = _save_and_check(platform, bid["receipt_url"], args, bid_id=bid["id"], tender=tender["public_id"],
                              action="submitted", sha256=sha256, size=size)
    upload.forget()
    return (f"已递交 (submitted): bid {bid['id']} for tender {tender['public_id']}, {size} bytes, received at "
            f"{_beijing(bid['received_at'])} Beijing time"
            + (f", replaces {bid['replaces']}" if bid.get("replaces") else "")
            + f"\nreceipt: {receipt} (verified)")


def check_envelope(source: Path, name: str) -> None:
    """Refuse, before any byte is sent, a file that is no envelope (a plaintext bid): R16."""
    from pki import envelope
    try:
        envelope.inspect(source)
    except (envelope.NotAnEnvelope, envelope.NotContentInfo):
        raise ToolError(f"{name} 不是数字信封，明文文件不能递交，请先用 bidtool pack 密封 "
                        f"({name} is not an envelope: a plaintext bid is refused; seal it with bidtool pack)") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while piece := src.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


# -- withdraw ---------------------------------------------------------------------------------------------
def cmd_withdraw(args) -> str:
    if args.receipt:
        output_file(args.receipt, force=args.force)
    platform = Platform.logged_in(sessions.session_path(args.session))
    answer = platform.post_json(f"bids/{args.bid}/withdrawal")
    bid = answer["bid"]
    receipt = _save_and_check(platform, answer["receipt_url"], args, bid_id=bid["id"], tender=bid["tender"],
                              action="withdrawn", sha256=bid["sha256"], size=bid["size"])
    return f"已撤回 (withdrawn): bid {bid['id']} of tender {bid['tender']}\nreceipt: {receipt} (verified)"


# -- receipts ---------------------------------------------------------------------------------------------
def _save_and_check(platform: Platform, url: str, args, *, bid_id: str, **expected: Any) -> str:
    from pki.files import write_atomic
    name = args.receipt or f"receipt-{bid_id}{'-withdrawal' if expected['action'] == 'withdrawn' else ''}.p7m"
    out = output_file(name, force=args.force)
    der = platform.request("GET", url, headers={"Accept": "application/pkcs7-mime"}).content
    write_atomic(out, der)          # kept even if the check fails: it is the evidence to show
    check_receipt(der, roots=args.ca, bid=bid_id, **expected)
    return name


def check_receipt(der: bytes, *, roots: list[str] | None, bid: str, tender: str, action: str, sha256: str,
                  size: int) -> None:
    """The receipt verifies (signature, chain, timestamp) and says what was done to this file."""
    from bidtool.cli import _certs, _trust_list
    from pki.receipts import verify_receipt
    trust = _trust_list()
    anchors = _certs(roots) if roots else list(trust.roots)
    check = verify_receipt(der, trust_roots=anchors, intermediates=list(trust.intermediates), tsa_roots=anchors)
    if not check.ok:
        raise ToolError(f"投标回执无效 (receipt NOT valid: {check.message()})", EXIT_CRYPTO)
    f = check.fields
    wrong = [name for name, got, want in (("bid", f.bid, bid), ("tender", f.tender, tender), ("action", f.action, action),
                                          ("sha256", f.sha256, sha256), ("size", f.size, size)) if got != want]
    if wrong:
        raise ToolError(f"投标回执与本次操作不符 (the receipt does not match this {action} bid: {', '.join(wrong)})",
                        EXIT_CRYPTO)


def _beijing(text: str) -> str:
    from bidtool.tenders import beijing
    return beijing(text)
